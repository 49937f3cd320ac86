"""Training throughput: our Accelerate loop against `transformers.Trainer`, same data and steps.

Six methods, each run in its own process (so peak memory is its own), interleaved run by run
so that load from other programs on the machine hits all of them alike:

- `hf_fp32`: Trainer as huggingtweets configured it (batch 1, block 1024, fp32, lr 1.372e-4,
  cosine, AdamW);
- `hf_bf16`: Trainer at its best here (bf16 autocast, fused AdamW);
- `plain_trainer`: the outside check of `hf_bf16`: `plain_trainer.py`, a Trainer script that
  imports nothing of ours, with huggingtweets' arguments in bf16 and Trainer's defaults for the
  rest (no per-step logging; its collator);
- `ours_block`: `publisher.train.train` with `--attention block`: huggingtweets' objective (every
  token sees the whole block before it), our loop (bf16 autocast, fused AdamW, chunked loss);
- `ours`: `publisher.train.train` with its defaults: the same, with each post attending only
  to itself (`publisher/train/attention.py`);
- `ours_cli`: the outside check of `ours`: the `hf-tweetbot train` command timed by the clock on
  the wall, the difference between a run of `steps + 1` and one of `warmup + 1` optimizer steps
  (everything but the steps, from start-up to the final measurement, cancels out), on copies of
  the bot folder, checkpoints and sampled measurements off.

Throughput counts the steps after the warm-up; the validation loss of every final model trained
in the benchmark's process is measured by the same fp32 evaluator, both over whole blocks
(huggingtweets' metric) and post by post (how the bot generates).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import peak_rss_mib

LR = 1.372e-4
METHODS = ("hf_fp32", "hf_bf16", "plain_trainer", "ours_block", "ours", "ours_cli")
# Timed from outside the benchmark's process (no final model to score).
OUTSIDE = ("plain_trainer", "ours_cli")
IN_PROCESS = tuple(m for m in METHODS if m not in OUTSIDE)
# `ours_lora`: our loop with --lora --push-adapter (the LoRA benchmark, `bench_lora.py`).
ALL_METHODS = (*METHODS, "ours_lora")


def val_loss(model: Any, blocks: list[list[int]], pad_id: int, eos_id: int | None = None) -> float:
    """Mean loss per predicted token on the validation blocks, in fp32, one block at a time.

    Without `eos_id`, every token sees the whole block before it (huggingtweets' metric); with
    it, every post is scored alone, as the bot generates it (posts attention).
    """
    import torch

    from publisher.train.attention import use_posts_attention
    from publisher.train.loop import collate

    model = model.float().eval()
    if not use_posts_attention(model, eos_id is not None):
        model.set_attn_implementation("sdpa")  # one fp32 evaluator for every method
    total = n_total = 0.0
    with torch.inference_mode():
        for block in blocks:
            batch = collate([{"input_ids": block}], pad_id, eos_id)
            batch = {k: v.to(model.device) for k, v in batch.items()}
            n = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch).loss) * n
            n_total += n
    use_posts_attention(model, False)
    return total / max(n_total, 1)


def val_losses(model: Any, blocks: list[list[int]], tok: Any) -> dict[str, float]:
    """Validation loss both ways: over whole blocks and post by post."""
    return {
        "val_loss": val_loss(model, blocks, tok.pad_token_id),
        "val_loss_posts": val_loss(model, blocks, tok.pad_token_id, tok.eos_token_id),
    }


def run_ours(bot: Path, steps: int, attention: str, lora: bool = False,
             batch_size: int = 1) -> dict[str, Any]:  # fmt: skip
    import torch

    from publisher import dataset
    from publisher.base_models import is_local
    from publisher.bot import manifest
    from publisher.train import TrainConfig, resolve_precision, train
    from publisher.train.lora import load_start

    base = manifest.load(bot).base_model
    # The adapter alone where the base is on the Hub (an adapter must name it); merged otherwise.
    adapter = lora and not is_local(base)
    cfg = TrainConfig(max_steps=steps, attention=attention, report_to="none", checkpoint_every=0,
                      progress=False, lora=lora, push_adapter=adapter, batch_size=batch_size)  # fmt: skip
    train(bot, cfg)
    repo = bot / "repo"
    info = json.loads((repo / "training_metrics.json").read_text())
    # What a push would upload of the model: weights or adapter, config, tokenizer.
    pushed = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file() and "runs" not in p.parts)
    model, tok = load_start(base, TrainConfig(init_from=repo))  # an adapter is merged
    if torch.cuda.is_available():
        model = model.cuda()
    blocks = dataset.load_tokenized(bot / "data")["validation"]["input_ids"]
    return {
        "timing": info["step_timing"],
        "losses": [loss for _, loss in info["loss_history"]],
        **val_losses(model, blocks, tok),
        "precision": resolve_precision("auto"),
        "pushed_bytes": pushed,
    }


def run_trainer(
    bot: Path, steps: int, bf16: bool, base: str, batch_size: int = 1
) -> dict[str, Any]:
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from publisher import base_models, dataset
    from publisher.train.loop import collate

    model, tok = base_models.load_base(base)
    dd = dataset.load_tokenized(bot / "data")
    gpu = torch.cuda.is_available()  # all methods on the GPU there, all on the CPU here
    attn = gpu_attention(bf16) if gpu else "sdpa"
    model.set_attn_implementation(attn)
    timing: list[tuple[float, int]] = []
    losses: list[float] = []
    pending = [0]

    class Counting(Trainer):
        # Counted where the batch is trained on: the collator runs ahead (prefetch).
        def training_step(self, model: Any, inputs: Any, *a: Any, **k: Any) -> torch.Tensor:
            pending[0] += int(inputs["attention_mask"].sum())
            return super().training_step(model, inputs, *a, **k)

    class Clock(TrainerCallback):
        def on_train_begin(self, *a: Any, **k: Any) -> None:
            self.last = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            now = time.perf_counter()
            timing.append((now - self.last, pending[0]))
            self.last, pending[0] = now, 0

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **k: Any) -> None:
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=batch_size, learning_rate=LR,
            lr_scheduler_type="cosine", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
            max_steps=steps, bf16=bf16, use_cpu=not gpu, report_to="none", save_strategy="no",
            logging_steps=1, seed=42, disable_tqdm=True, dataloader_num_workers=0,
            optim="adamw_torch_fused" if bf16 else "adamw_torch",
        )  # fmt: skip
        trainer = Counting(
            model=model, args=args, train_dataset=dd["train"].with_format(None),
            data_collator=lambda rows: collate(rows, tok.pad_token_id), callbacks=[Clock()],
        )  # fmt: skip
        trainer.train()
    blocks = dd["validation"]["input_ids"]
    return {
        "timing": timing,
        "losses": losses,
        **val_losses(trainer.model, blocks, tok),
        "precision": "bf16" if bf16 else "no",
        "attention": attn,
    }


def gpu_attention(bf16: bool) -> str:
    """FlashAttention-2 where it is installed and the run is bf16 (it has no fp32 kernel), else
    SDPA, whose CUDA backend picks its own flash or memory-efficient kernel."""
    import importlib.util

    return "flash_attention_2" if bf16 and importlib.util.find_spec("flash_attn") else "sdpa"


def worker(method: str, bot: Path, steps: int, base: str, batch_size: int = 1) -> dict[str, Any]:
    """One training run of `method` in this process."""
    import torch

    torch.manual_seed(42)
    if method.startswith("ours"):
        attention = "block" if method == "ours_block" else "posts"
        res = run_ours(bot, steps, attention, method == "ours_lora", batch_size)
    else:
        res = run_trainer(bot, steps, method == "hf_bf16", base, batch_size)
    if torch.cuda.is_available():
        res["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    res["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return res


def summarize_run(res: dict[str, Any], warmup: int) -> float:
    """Tokens per second over the steps after the warm-up (all of `ours_cli`'s difference)."""
    timed = res["timing"][res.get("untimed", warmup) :]
    return sum(t for _, t in timed) / sum(s for s, _ in timed)


def run_plain(bot: Path, steps: int, base: str) -> dict[str, Any]:
    """`plain_trainer.py` in a process of its own; its step times, each a whole block's tokens."""
    from publisher import base_models, dataset
    from publisher.bot import layout

    blocks = dataset.load_tokenized(bot / "data")["train"]["input_ids"]
    per_block = sum(map(len, blocks)) / len(blocks)  # packed: all but the last are full
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, str(Path(__file__).with_name("plain_trainer.py")),
               "--model", base_models.resolve(base), "--data", str(layout.tokenized_dir(bot)),
               "--steps", str(steps), "--out", f.name]  # fmt: skip
        _run(cmd, "plain_trainer")
        res = json.loads(Path(f.name).read_text())
    return {"timing": [(s, per_block) for s in res["seconds"]], "optim": res["optim"],
            "attention": res["attention"]}  # fmt: skip


def run_cli(bot: Path, steps: int, warmup: int) -> dict[str, Any]:
    """`hf-tweetbot train` timed on the wall: a run of `steps + 1` steps minus one of `warmup + 1`."""
    from publisher.bot import layout

    short, long = warmup + 1, steps + 1
    walls = {}
    for n in (short, long):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / bot.name
            shutil.copytree(bot, copy, ignore=shutil.ignore_patterns("repo"))
            cmd = [sys.executable, "-m", "publisher.cli", "train", str(copy), "--max-steps", str(n),
                   "--keep-last", "--eval-samples", "0", "--checkpoint-every", "0",
                   "--report-to", "none"]  # fmt: skip
            t = time.perf_counter()
            _run(cmd, "ours_cli")
            walls[n] = time.perf_counter() - t
            metrics = layout.repo_dir(copy) / "training_metrics.json"
            timing = json.loads(metrics.read_text())["step_timing"]
    tokens = sum(t for _, t in timing[short:])  # the steps the longer run added
    return {"timing": [(walls[long] - walls[short], tokens)], "untimed": 0,
            "wall_seconds": {str(n): w for n, w in walls.items()}}  # fmt: skip


def _run(cmd: list[str], method: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{method} run failed:\n{done.stderr[-3000:]}")


def launch(method: str, bot: Path, steps: int, base: str, batch_size: int = 1,
           warmup: int = 2) -> dict[str, Any]:  # fmt: skip
    """Run `worker` in a fresh Python process (or an outside method) and return its result."""
    if method == "plain_trainer":
        return run_plain(bot, steps, base)
    if method == "ours_cli":
        return run_cli(bot, steps, warmup)
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.bench_train", "--worker", method, "--bot", str(bot),
               "--steps", str(steps), "--base-model", base, "--out", f.name,
               "--batch-size", str(batch_size)]  # fmt: skip
        _run(cmd, method)
        return json.loads(Path(f.name).read_text())


def bench(bot: Path, base: str, steps: int, warmup: int, repeats: int, say: Any = print,
          methods: tuple[str, ...] = METHODS, batch_size: int = 1) -> dict:  # fmt: skip
    """Interleaved repeats of the methods; per-method runs, tokens/s and losses.

    Args:
        bot: a prepared bot folder (its packed blocks are what every method trains on).
        base: the base model name (as `--base-model`).
        steps: optimizer steps per run, warm-up included.
        warmup: steps left out of the throughput.
        repeats: runs per method.
        say: where progress lines go.
        methods: which of `ALL_METHODS`.
        batch_size: blocks per step (1 on the CPU, as huggingtweets; more on a GPU).

    Returns:
        {method: {"runs": [...], "tokens_per_second": [...]}}.
    """
    out: dict[str, Any] = {m: {"runs": [], "tokens_per_second": []} for m in methods}
    for r in range(repeats):
        for method in methods:
            t = time.perf_counter()
            res = launch(method, bot, steps, base, batch_size, warmup)
            tps = summarize_run(res, warmup)
            out[method]["runs"].append(res)
            out[method]["tokens_per_second"].append(tps)
            loss = (f", val loss {res['val_loss']:.4f} (posts {res['val_loss_posts']:.4f})"
                    if "val_loss" in res else "")  # fmt: skip
            say(f"  train run {r + 1}/{repeats} {method}: {tps:.1f} tok/s{loss} "
                f"({time.perf_counter() - t:.0f} s)")  # fmt: skip
    return out


def n_params(base: str) -> int:
    """Parameters of the base model, tied embeddings counted once."""
    from publisher import base_models

    model, _ = base_models.load_base(base)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", choices=ALL_METHODS, required=True)
    ap.add_argument("--bot", type=Path, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--base-model", default="smollm2")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--batch-size", type=int, default=1)
    a = ap.parse_args()
    res = worker(a.worker, a.bot, a.steps, a.base_model, a.batch_size)
    a.out.write_text(json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
