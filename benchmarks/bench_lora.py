"""LoRA against full fine-tuning: the same loop, blocks and optimizer steps, side by side.

Both methods are `publisher.train.train` at their defaults, each run in its own process (its
peak memory is its own) and interleaved run by run: `ours` (every weight, lr 1.372e-4) and
`ours_lora` (`--lora --push-adapter`: rank 16, alpha 32, all linear layers, lr 1.372e-3).
What is pushed is measured on `DIR/repo/` as training left it (weights or adapter, config,
tokenizer); the per-post validation loss is that of the final model, the adapter merged, by the
same fp32 evaluator as the training benchmark.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from . import bench_train

METHODS = ("ours", "ours_lora")


def bench(bot: Path, base: str, steps: int, warmup: int, repeats: int, say: Any = print) -> dict:
    """Interleaved runs of full fine-tuning and LoRA; the figures the LoRA table shows.

    Args:
        bot: a prepared bot folder (1024-token blocks).
        base: the base model (a Hub id or alias: an adapter must name its base).
        steps: optimizer steps per run, warm-up included.
        warmup: steps left out of the throughput.
        repeats: runs per method.
        say: where progress lines go.

    Returns:
        {method: {"tokens_per_second", "peak_rss_mib", "pushed_mib", "val_loss_posts" (each a
        list over runs), "runs"}} and the ratios LoRA / full.
    """
    runs = bench_train.bench(bot, base, steps, warmup, repeats, say, methods=METHODS)
    out: dict[str, Any] = {}
    for m, r in runs.items():
        out[m] = {
            "tokens_per_second": r["tokens_per_second"],
            "peak_rss_mib": [x["peak_rss_mib"] for x in r["runs"]],
            "pushed_mib": [x["pushed_bytes"] / 2**20 for x in r["runs"]],
            "val_loss_posts": [x["val_loss_posts"] for x in r["runs"]],
            "runs": r["runs"],
        }
    med = {
        m: {k: statistics.median(v) for k, v in x.items() if k != "runs"} for m, x in out.items()
    }
    ratios = {k: med["ours_lora"][k] / med["ours"][k] for k in med["ours"]}
    return {"methods": out, "lora_over_full": ratios}
