"""Running `hf-tweetbot` in its own process for `make hostile`: its exit status, what it printed,
its seconds and its peak memory, and the one line of it a user reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import ROOT

# argv: PEAK_FILE FSIZE ARGS... Runs the CLI under a file-size limit (FSIZE bytes, 0: none),
# then writes this process's peak RSS (VmHWM, not inherited across exec) to PEAK_FILE.
_CLI = """
import atexit, resource, sys
if int(sys.argv[2]):
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]),) * 2)
def peak():
    with open("/proc/self/status") as f:
        kb = next(int(x.split()[1]) for x in f if x.startswith("VmHWM"))
    with open(sys.argv[1], "w") as f:
        f.write(str(kb / 1024))
atexit.register(peak)
from publisher.cli import main
sys.exit(main(sys.argv[3:]))
"""


def run_cli(args: list[str], work: Path, fsize: int = 0) -> dict[str, Any]:
    """`hf-tweetbot ARGS` in its own process: exit status, stderr, seconds, peak RSS MiB.

    Args:
        args: the command line after `hf-tweetbot`.
        work: a scratch folder (the peak-memory file goes there).
        fsize: no file may grow past this many bytes (0: no limit); stands in for a full disk.
    """
    peak = work / ".peak"
    peak.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CLI, str(peak), str(fsize), *args], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ))  # fmt: skip
    seconds = time.perf_counter() - start
    rss = float(peak.read_text()) if peak.exists() else None
    return {"exit": proc.returncode, "stderr": proc.stderr, "seconds": seconds, "peak_rss_mib": rss}


def sees(text: str, work: Path) -> str:
    """The line a user reads: the error, else the count or warning line; paths shortened."""
    lines = text.splitlines()
    pick = [x for x in lines if x.startswith("Error: ")]
    pick = pick or [x for x in lines if "not trained on" in x or "no avatar" in x]
    pick = pick or [x for x in lines if x.startswith("Warning: ")]
    line = pick[0] if pick else (lines[-1] if lines else "")
    line = line.replace(str(work) + "/", "").replace(str(work), ".")
    return re.sub(r"\.tmp-\w+", ".tmp-…", line)[:220]


def row(what: str, kind: str, seen: str, ok: bool, res: dict[str, Any]) -> dict[str, Any]:
    """One line of the table of docs/reliability.md."""
    return {"what": what, "kind": kind, "sees": seen, "ok": ok, "exit": res.get("exit"),
            "seconds": res.get("seconds"), "peak_rss_mib": res.get("peak_rss_mib")}  # fmt: skip
