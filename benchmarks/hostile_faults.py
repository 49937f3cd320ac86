"""Faults for `make hostile`: runs killed with SIGKILL, and a full disk, on the sample archive.

A full disk is stood in for by RLIMIT_FSIZE (a write past the limit fails with EFBIG, as one on a
full disk fails with ENOSPC): it needs no privileges and hits every file the run writes.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import ROOT, SAMPLE
from .hostile_run import row, run_cli, sees

TRAIN = ["--max-steps", "12", "--checkpoint-every", "4", "--report-to", "none"]


def _stages(out: Path) -> list[Path]:
    return [p for p in out.parent.glob(f".{out.name}.tmp-*") if p.is_dir()]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "publisher.cli", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def kill_prepare(base: str, work: Path) -> dict[str, Any]:
    """SIGKILL `prepare` while it writes DIR/data/, then run it again."""
    out = work / "bot"
    args = ["prepare", str(SAMPLE), "--out", str(out), "--base-model", base, "--overwrite"]
    attempt = 0
    while attempt < 30:  # the stage lives a fraction of a second: aim until a kill lands in it
        attempt += 1
        proc = _start(args)
        while proc.poll() is None and not _stages(out):
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if _stages(out):
            break
    left = len(_stages(out))
    res = run_cli(args, work)
    whole = (out / "bot.json").exists() and not _stages(out)
    seen = (f"{left} staging folder left by the killed run (attempt {attempt}); the next prepare "
            f"removed it and wrote the bot" if whole else "a staging folder stayed behind")  # fmt: skip
    return {"what": "kill -9 during prepare, then prepare again", "res": res, "sees": seen,
            "ok": left >= 1 and whole and res["exit"] == 0}  # fmt: skip


def kill_train(base: str, work: Path) -> dict[str, Any]:
    """SIGKILL `train` after its first checkpoint; `train --resume` vs a run never stopped."""
    from safetensors.torch import load_file

    straight, killed = work / "straight", work / "killed"
    run_cli(["prepare", str(SAMPLE), "--out", str(straight), "--base-model", base,
             "--block-size", "256"], work)  # fmt: skip
    shutil.copytree(straight, killed)
    proc = _start(["train", str(killed), *TRAIN])
    while proc.poll() is None and not list((killed / "checkpoints").glob("step_*")):
        time.sleep(0.01)
    time.sleep(0.5)  # into the steps after the first checkpoint
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    res = run_cli(["train", str(killed), *TRAIN, "--resume"], work)
    run_cli(["train", str(straight), *TRAIN], work)
    a = load_file(killed / "repo" / "model.safetensors")
    b = load_file(straight / "repo" / "model.safetensors")
    diff = max(float((a[k].float() - b[k].float()).abs().max()) for k in b)
    same = all(a[k].equal(b[k]) for k in b)
    seen = (
        "resumed from the last checkpoint; weights bitwise equal to an uninterrupted run"
        if same
        else f"resumed; weights differ from an uninterrupted run by up to {diff:.2e}"
    )
    return {"what": f"kill -9 during train ({base}), then train --resume", "res": res,
            "sees": seen, "ok": same and res["exit"] == 0}  # fmt: skip


def full_disk(base: str, work: Path, stage: str) -> dict[str, Any]:
    """A write past the file-size limit while preparing or training; the earlier output stays."""
    out = work / "bot"
    prep = ["prepare", str(SAMPLE), "--out", str(out), "--base-model", base, "--block-size", "256"]
    run_cli(prep, work)
    if stage == "train":
        run_cli(["train", str(out), "--max-steps", "1", "--checkpoint-every", "0"], work)
    kept = out if stage == "prepare" else out / "repo"  # train rewrites its logs in DIR/runs/
    before = _digest(kept)
    args = prep if stage == "prepare" else ["train", str(out), "--max-steps", "1",
                                            "--checkpoint-every", "0"]  # fmt: skip
    res = run_cli(args, work, fsize=20_000 if stage == "prepare" else 50_000_000)
    intact = _digest(kept) == before and not _stages(out)
    line = next((x for x in res["stderr"].splitlines() if x.startswith("Error: ")), "")
    ok = res["exit"] == 2 and intact and "Traceback" not in res["stderr"]
    return {"what": f"disk full while {'writing DIR/data' if stage == 'prepare' else 'saving the model'}",
            "res": res, "sees": line + ("; the earlier output is intact" if intact else ""),
            "ok": ok}  # fmt: skip


def run(a: Any, say: Any) -> list[dict[str, Any]]:
    """Every fault, each in a fresh folder; rows for the table of docs/reliability.md."""
    import tempfile

    rows = []
    for fault in (lambda w: kill_prepare(a.base_model, w), lambda w: kill_train(a.base_model, w),
                  lambda w: full_disk(a.base_model, w, "prepare"),
                  lambda w: full_disk(a.base_model, w, "train")):  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="hf-tweetbot-fault-") as tmp:
            f = fault(Path(tmp))
            rows.append(row(f["what"], "fault", sees(f["sees"], Path(tmp)), f["ok"], f["res"]))
        say(rows[-1])
    return rows
