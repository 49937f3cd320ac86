"""Scaling out: the same training as 1 process and as 2 processes under `accelerate launch`.

Two processes each train one block per step (global batch 2); the single process runs
`--grad-accum 2`, the same global batch, so the loss curves should match within noise, and the
learning rate each logged at every optimizer step (TensorBoard's `train/lr`) must be the same.
accelerate 1.15 runs `--cpu --num_processes 2` as one process on a machine without CUDA, so
`--multi_gpu` is what starts two gloo-joined CPU processes here (one thread each).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _train(bot: Path, steps: int, two: bool) -> dict[str, Any]:
    args = ["train", str(bot), "--max-steps", str(steps), "--report-to", "tensorboard",
            "--checkpoint-every", "0"]  # fmt: skip
    if two:
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
               "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
               "--dynamo_backend", "no", "-m", "publisher.cli", *args]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
    else:
        cmd = [sys.executable, "-m", "publisher.cli", *args, "--grad-accum", "2"]
        env = dict(os.environ)
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"training failed ({' '.join(cmd[:6])}...):\n{done.stderr[-3000:]}")
    info = json.loads((bot / "repo" / "training_metrics.json").read_text())
    return {
        "wall_seconds": time.perf_counter() - t,
        "loss_history": info["loss_history"],
        "eval_loss_before": info["metrics"]["eval_loss_before"],
        "eval_loss_after": info["metrics"]["eval_loss_after"],
        "tokens_per_second": info["metrics"]["tokens_per_second"],
        "lr_history": logged(bot, "train/lr"),
    }


def logged(bot: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of a scalar the run logged to TensorBoard (DIR/repo/runs/train/)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(bot / "repo" / "runs" / "train"))
    events.Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)]


def bench(bot: Path, steps: int, work: Path, say: Any = print) -> dict[str, Any]:
    """Train a copy of `bot` for `steps` steps as 1 process, then as 2; both results.

    Args:
        bot: a prepared bot folder (copied, never modified).
        steps: optimizer steps (global batch 2 blocks).
        work: scratch folder.
        say: where progress lines go.

    Returns:
        {"one_process": {...}, "two_processes": {...}}: loss and learning rate per step,
        validation losses, speed.
    """
    out = {}
    for name, two in (("one_process", False), ("two_processes", True)):
        copy = work / f"scale_{name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(bot, copy, ignore=shutil.ignore_patterns("repo", "checkpoints", "runs"))
        out[name] = _train(copy, steps, two)
        say(f"  scale {name}: val loss {out[name]['eval_loss_before']} -> "
            f"{out[name]['eval_loss_after']}, {out[name]['tokens_per_second']} tok/s")  # fmt: skip
    return out
