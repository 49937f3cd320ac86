"""`make bench`: training, generation, preparation and scaling benchmarks, with a table and plots.

    python -m benchmarks.run            # quick mode, sized for a 2-core CPU
    python -m benchmarks.run --full     # more steps and repeats, for bigger hardware
    python -m benchmarks.run --only train --base-model PATH_OR_ID
    python -m benchmarks.run --only lora update   # LoRA vs full; update vs retraining

Writes benchmarks/results/<name>.json (with the machine's description) and <name>.png.
Every figure is the median of repeated runs, reported with its min-max spread.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import report
from .common import RESULTS, SAMPLE, machine, matmul_peak, prepare_bot, spread

NAMES = ("train", "generate", "prepare", "scale", "lora", "update", "threads")


def do_train(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from . import bench_train

    bot = prepare_bot(a.archive, a.base_model, 1024, work / "bot")
    peak = matmul_peak(a.repeats * 2)
    runs = bench_train.bench(bot, a.base_model, a.steps, a.warmup, a.repeats,
                             methods=tuple(a.methods))  # fmt: skip
    n = bench_train.n_params(a.base_model)
    base_tps = {m: statistics.median(runs[m]["tokens_per_second"]) for m in runs}
    # The headline's baseline: the faster of the two Trainer-bf16 runs, ours and the plain script.
    trainer = max((m for m in ("hf_bf16", "plain_trainer") if m in base_tps), key=base_tps.get,
                  default=None)  # fmt: skip
    rows = {}
    for m, r in runs.items():
        tps = spread(r["tokens_per_second"])
        flops = 6 * n * tps["median"]
        rows[m] = {"tokens_per_second": tps,
                   "vs_huggingtweets": _ratio(tps["median"], base_tps.get("hf_fp32")),
                   "vs_trainer_bf16": _ratio(tps["median"], base_tps.get(trainer or "")),
                   "flops_6n": flops,
                   "fraction_of_fp32_peak": flops / peak["fp32"]["median"],
                   "fraction_of_bf16_peak": flops / peak["bf16"]["median"],
                   "runs": r["runs"]}  # fmt: skip
        for k in ("peak_rss_mib", "val_loss", "val_loss_posts"):  # not of the outside methods
            if all(k in x for x in r["runs"]):
                rows[m][k] = spread([x[k] for x in r["runs"]])
    return {"machine": info, "base_model": a.base_model, "parameters": n, "steps": a.steps,
            "warmup_steps": a.warmup, "repeats": a.repeats, "matmul_peak": peak,
            "trainer_baseline": trainer, "methods": rows}  # fmt: skip


def _ratio(x: float, of: float | None) -> float | None:
    return x / of if of else None


def do_generate(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from publisher.base_models import resolve

    from . import bench_generate

    res = bench_generate.bench(resolve(a.base_model), a.repeats)
    methods = {m: {"first_token": spread(r["first_token"]), "total": spread(r["total"]),
                   "prepare_seconds": r["prepare"]} for m, r in res["methods"].items()}  # fmt: skip
    for m, r in res["methods"].items():
        if r["products"]:  # the floor: the fast steps' matrix products alone
            methods[m]["products"] = spread(r["products"])
    for m, of in bench_generate.ANY_BYTES.items():  # what keeping posts valid UTF-8 costs
        methods[of]["utf8_cost"] = bench_generate.utf8_share(res, of, m)
    # What the Space runs here: bf16 where the CPU has it natively, fp32 elsewhere.
    native = "bf16" if res["native_bf16"] else "fp32"
    seconds = {"first_token": methods[f"{native}_fast"]["first_token"],
               "batched": methods[f"{native}_fast"]["total"], "sequential": spread(res["sequential"])}  # fmt: skip
    speedup = seconds["sequential"]["median"] / seconds["batched"]["median"]
    return {"machine": info, "base_model": a.base_model, "model_dtype": native,
            "seconds": seconds, "methods": methods, "aims": bench_generate.AIMS,
            "speedup": speedup, "runs": res}  # fmt: skip


def do_prepare(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from . import bench_prepare

    rows = []
    for n in a.sizes:  # in quick mode a million posts run once: 3 runs would take minutes
        reps = 1 if n >= 1_000_000 and not a.full else a.repeats
        rows += bench_prepare.bench([n], reps, a.base_model, work)
    for r in rows:
        r["seconds"] = spread([x["seconds"] for x in r["runs"]])
        r["peak_rss_mib"] = spread([x["peak_rss_mib"] for x in r["runs"]])
    return {"machine": info, "base_model": a.base_model, "sizes": rows}


def do_scale(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from . import bench_scale

    bot = prepare_bot(a.archive, a.base_model, a.scale_block, work / "scale_bot")
    res = bench_scale.bench(bot, a.scale_steps, work)
    return {"machine": info, "base_model": a.base_model, "block_size": a.scale_block,
            "steps": a.scale_steps, **res}  # fmt: skip


def do_lora(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from . import bench_lora

    bot = prepare_bot(a.archive, a.base_model, 1024, work / "lora_bot")
    res = bench_lora.bench(bot, a.base_model, a.steps, a.warmup, a.lora_repeats)
    return {"machine": info, "base_model": a.base_model, "block_size": 1024, "steps": a.steps,
            "warmup_steps": a.warmup, "repeats": a.lora_repeats, **res}  # fmt: skip


def do_update(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from . import bench_update

    res = bench_update.bench(Path(a.archive), a.base_model, work, a.update_epochs)
    return {"machine": info, "base_model": a.base_model, "old_share": bench_update.OLD_SHARE,
            "epochs": a.update_epochs, **res}  # fmt: skip


def do_threads(a: argparse.Namespace, work: Path, info: dict[str, Any]) -> dict[str, Any]:
    from publisher.base_models import resolve

    from . import bench_threads

    bot = prepare_bot(a.archive, a.base_model, 1024, work / "threads_bot")
    res = bench_threads.bench(bot, resolve(a.base_model), a.thread_rounds,
                              workloads=tuple(a.workloads), only=a.policies,
                              states=tuple(a.states))  # fmt: skip
    return {"machine": info, "base_model": a.base_model, **res}


RUNNERS = {"train": do_train, "generate": do_generate, "prepare": do_prepare, "scale": do_scale,
           "lora": do_lora, "update": do_update, "threads": do_threads}  # fmt: skip


def bench_methods() -> list[str]:
    from .bench_train import METHODS

    return list(METHODS)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="more steps, repeats and sizes")
    ap.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    ap.add_argument("--base-model", default="smollm2", help="alias, folder or Hub id")
    ap.add_argument("--archive", default=str(SAMPLE), help="USER spec of the training data")
    ap.add_argument("--steps", type=int, help="optimizer steps per training run")
    ap.add_argument("--warmup", type=int, help="steps left out of the throughput")
    ap.add_argument("--repeats", type=int, help="runs per figure")
    ap.add_argument("--methods", nargs="+", choices=bench_methods(), default=bench_methods(),
                    help="the training benchmark's methods (default: all)")  # fmt: skip
    ap.add_argument("--sizes", type=int, nargs="+", help="posts per synthetic archive")
    ap.add_argument("--scale-steps", type=int)
    ap.add_argument("--scale-block", type=int, default=256)
    ap.add_argument("--lora-repeats", type=int, help="runs per method of the LoRA benchmark")
    ap.add_argument("--update-epochs", type=int, help="epochs of the update benchmark's runs")
    ap.add_argument("--thread-rounds", type=int, default=2,
                    help="idle and loaded rounds of the thread benchmark")  # fmt: skip
    ap.add_argument(
        "--workloads",
        nargs="+",
        choices=("train", "eval", "space"),
        default=["train", "eval", "space"],
        help="the thread benchmark's workloads",
    )
    ap.add_argument("--policies", nargs="+", help="the thread benchmark's policies (default: all)")
    ap.add_argument(
        "--states",
        nargs="+",
        choices=("idle", "loaded"),
        default=["idle", "loaded"],
        help="the thread benchmark without and beside its CPU hog",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    # Quick mode fits `make bench` in 15 minutes on 2 cores; --full is for bigger hardware.
    # Two warm-up steps: the first steps pay for allocating the optimizer state and buffers.
    full = {"steps": 16, "warmup": 3, "repeats": 3, "sizes": [10_000, 100_000, 1_000_000],
            "scale_steps": 10, "lora_repeats": 3, "update_epochs": 4}  # fmt: skip
    quick = {"steps": 8, "warmup": 2, "repeats": 3, "sizes": [10_000, 100_000, 1_000_000],
             "scale_steps": 4, "lora_repeats": 2, "update_epochs": 2}  # fmt: skip
    for k, v in (full if a.full else quick).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    return a


def main(argv: list[str] | None = None) -> int:
    from publisher.space.model_thread import fit_threads

    # Every process of every method under the OpenMP settings hf-tweetbot itself applies.
    fit_threads()
    a = parse(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    tables = []
    with tempfile.TemporaryDirectory(prefix="hf-tweetbot-bench-") as tmp:
        for name in a.only:
            print(f"[{name}]", flush=True)
            res = RUNNERS[name](a, Path(tmp), machine())
            res["mode"] = "full" if a.full else "quick"
            (a.out / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
            report.draw(name, res, a.out / f"{name}.png")
            tables.append(f"### {name}\n\n{report.TABLES[name](res)}\n")
    print("\n" + "\n".join(tables))
    print(f"results in {a.out} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
