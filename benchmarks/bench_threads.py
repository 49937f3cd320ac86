"""Thread policies on an idle and on a loaded CPU: `train`, `eval`'s sampling, the Space's request.

OpenMP reads its thread count and wait policy once, when PyTorch loads it, so every measurement
is a process of its own, started with one policy's environment:

- `torch default`: as many threads as cores, libgomp's own waiting (spin a while, then sleep);
- `cores, passive`: as many threads, idle ones sleep at once (`OMP_WAIT_POLICY=PASSIVE`);
- `cores - 1`, `half`, `1 thread`: fewer threads (policies that name the same count are one);
- `hf-tweetbot`: nothing set, the process applies `fit_threads()` first, as `hf-tweetbot`
  and the Space do.

Three workloads, each timed inside its own process after loading:

- `train`: `publisher.train.train` for a few optimizer steps of 1024-token blocks; seconds per
  step, the first left out;
- `eval`: the posts `hf-tweetbot eval` samples (`draw_samples`: one batch, 60 new tokens each);
- `space`: the sampling of one request of the Space (5 posts x 60 tokens, on its model thread).

"Loaded" runs the same beside a CPU hog: one busy-looping process per core, each bounded (it
stops by itself after `HOG_SECONDS`) and stopped as soon as the loaded runs are done. Rounds
alternate idle and loaded, policies and workloads run in turn within them.

    python -m benchmarks.bench_threads [--rounds 2]   # = python -m benchmarks.run --only threads
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORKLOADS = ("train", "eval", "space")
TRAIN_STEPS = 3
EVAL_SAMPLES = 10
HOG_SECONDS = 900
HOG = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"
OMP_VARS = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "GOMP_SPINCOUNT")
PRODUCT = "hf-tweetbot"


def policies(cores: int, only: list[str] | None = None) -> dict[str, dict[str, str] | None]:
    """{name: environment} of the policies on `cores` cores; None: the product's own policy.

    Policies that come to the same settings on this machine are measured once, under the
    first name; `only` keeps those named.
    """
    wanted: dict[str, dict[str, str] | None] = {
        "torch default": {"OMP_NUM_THREADS": str(cores)},
        "cores, passive": {"OMP_NUM_THREADS": str(cores), "OMP_WAIT_POLICY": "PASSIVE"},
        "cores - 1": {"OMP_NUM_THREADS": str(max(1, cores - 1))},
        "half": {"OMP_NUM_THREADS": str(max(1, cores // 2))},
        "1 thread": {"OMP_NUM_THREADS": "1"},
        PRODUCT: None,
    }
    out: dict[str, dict[str, str] | None] = {}
    for name, env in wanted.items():
        if only is not None and name not in only:
            continue
        if env is None or env not in out.values():
            out[name] = env
    return out


def start_hog(n: int) -> list[subprocess.Popen]:
    """`n` busy-looping processes that stop by themselves after `HOG_SECONDS`."""
    code = HOG.format(s=HOG_SECONDS)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def stop_hog(hog: list[subprocess.Popen]) -> None:
    for p in hog:
        p.terminate()
    for p in hog:
        p.wait()


def measure(workload: str, env: dict[str, str] | None, bot: Path, model: str) -> float:
    """Seconds of one workload in a fresh process under one policy's environment."""
    clean = {k: v for k, v in os.environ.items() if k not in OMP_VARS}
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.bench_threads", "--worker", workload,
               "--bot", str(bot), "--model", model, "--out", f.name]  # fmt: skip
        if env is None:
            cmd.append("--fit")
        done = subprocess.run(cmd, env={**clean, **(env or {})}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{workload} run failed:\n{done.stderr[-3000:]}")
        return float(json.loads(Path(f.name).read_text())["seconds"])


def bench(bot: Path, model: str, rounds: int, say: Callable[[str], None] = print,
          workloads: tuple[str, ...] = WORKLOADS, only: list[str] | None = None,
          states: tuple[str, ...] = ("idle", "loaded")) -> dict[str, Any]:  # fmt: skip
    """Every policy and workload, idle and beside the hog, `rounds` times.

    Args:
        bot: a prepared bot folder (1024-token blocks), for `train`.
        model: the model folder `eval` and the Space sample from.
        rounds: idle and loaded rounds.
        say: where progress lines go.
        workloads: which of `WORKLOADS`.
        only: which policies (default: all of `policies()`).
        states: "idle" (no hog of ours beside), "loaded" (beside the hog), or both.

    Returns:
        {"policies": {name: env}, "seconds": {policy: {workload: {"idle"|"loaded": [...]}}}}.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    pols = policies(cores, only)
    seconds: dict[str, Any] = {p: {w: {"idle": [], "loaded": []} for w in workloads} for p in pols}
    load_avg: dict[str, list[float]] = {"idle": [], "loaded": []}
    for r in range(rounds):
        for state in states:
            hog = start_hog(cores) if state == "loaded" else []
            try:
                for name, env in pols.items():
                    for w in workloads:
                        s = measure(w, env, bot, model)
                        seconds[name][w][state].append(s)
                        say(f"  threads round {r + 1}/{rounds} {state} {name} {w}: {s:.2f} s")
                load_avg[state].append(os.getloadavg()[0])
            finally:
                stop_hog(hog)
    return {"cores": cores, "policies": pols, "workloads": list(workloads), "seconds": seconds, "load_average": load_avg,
            "train_steps": TRAIN_STEPS, "eval_samples": EVAL_SAMPLES}  # fmt: skip


# --- the worker: one workload in this process --------------------------------------------------


def work_train(bot: Path) -> float:
    """Median seconds per optimizer step of a short `train`, the first step left out."""
    from publisher.bot import layout
    from publisher.train import TrainConfig, train

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / bot.name
        shutil.copytree(bot, copy, ignore=shutil.ignore_patterns("repo", "checkpoints"))
        cfg = TrainConfig(max_steps=TRAIN_STEPS, report_to="none", checkpoint_every=0,
                          progress=False)  # fmt: skip
        train(copy, cfg)
        metrics = json.loads((layout.repo_dir(copy) / "training_metrics.json").read_text())
    return statistics.median(s for s, _ in metrics["step_timing"][1:])


def work_eval(model_id: str) -> float:
    """Seconds `eval` spends sampling `EVAL_SAMPLES` posts."""
    from publisher.quality.evaluate import QualityConfig, draw_samples
    from publisher.space.load import load_bot

    model, tok = load_bot(model_id)
    t = time.perf_counter()
    draw_samples(model, tok, QualityConfig(samples=EVAL_SAMPLES))
    return time.perf_counter() - t


def work_space(model_id: str) -> float:
    """Seconds of one Space request's sampling: 5 posts x 60 tokens on the model thread.

    Not streamed: the page's stream gives up after 120 s without a token, which a loaded
    machine reaches under some policies; the sampling is the same.
    """
    from publisher.space import model_thread
    from publisher.space.draw import DrawSettings, sample
    from publisher.space.load import load_bot

    def load() -> tuple[Any, Any]:
        model, tok = load_bot(model_id)
        sample(model, tok, DrawSettings(n=2, max_new_tokens=2))  # the Space's warm-up
        return model, tok

    model, tok = model_thread.run(load)
    t = time.perf_counter()
    model_thread.run(sample, model, tok, DrawSettings(prompt="My dream is", n=5, max_new_tokens=60))
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="idle and loaded rounds")
    ap.add_argument("--worker", choices=WORKLOADS, help=argparse.SUPPRESS)
    ap.add_argument("--bot", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--fit", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if not a.worker:  # the benchmark, as `make bench` runs it
        from . import run

        return run.main(["--only", "threads", "--thread-rounds", str(a.rounds)])
    if a.fit:  # what `hf-tweetbot` and the Space do before torch is imported
        from publisher.space.model_thread import fit_threads

        fit_threads()
    work = {"train": lambda: work_train(a.bot), "eval": lambda: work_eval(a.model),
            "space": lambda: work_space(a.model)}  # fmt: skip
    a.out.write_text(json.dumps({"seconds": work[a.worker]()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
