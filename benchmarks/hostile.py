"""`make hostile`: every hostile input and fault tried on hf-tweetbot; what the user sees, how long
it took and the peak memory. It fills the table of docs/reliability.md.

    python -m benchmarks.hostile                       # inputs, faults, the Space, the creator
    python -m benchmarks.hostile --fuzz-minutes 10     # ... and a 10-minute fuzz run
    python -m benchmarks.hostile --only inputs faults  # a part: inputs, faults, space, web, fuzz

Each hostile input (`hostile_cases.py`, at full size: a 1.1 GB zip bomb, a 300 MB post, 2 million
posts) is prepared by `hf-tweetbot prepare` in its own process, under the real caps; its seconds
and peak RSS (VmHWM) are its own. Writes benchmarks/results/hostile.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import hostile_faults, hostile_space, hostile_web
from .common import RESULTS, ROOT, machine
from .hostile_cases import CASES, Case
from .hostile_run import row, run_cli, sees


def try_case(case: Case, base: str, work: Path) -> dict[str, Any]:
    args = case.build(work, case.full_scale)
    size = sum(p.stat().st_size for p in work.rglob("*") if p.is_file() and not p.is_symlink())
    if "--out" not in args:
        args += ["--out", str(work / "bot")]
    res = run_cli(["prepare", *args, "--base-model", base], work)
    seen = sees(res["stderr"], work)
    want = 2 if case.outcome == "refused" else 0
    ok = res["exit"] == want and case.expect in res["stderr"] and "Traceback" not in res["stderr"]
    return {**row(case.name, "input", seen, ok, res), "input_bytes": size}


def do_inputs(a: argparse.Namespace, say: Any) -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="hf-tweetbot-hostile-") as tmp:
            rows.append(try_case(case, a.base_model, Path(tmp)))
        say(rows[-1])
    return rows


def do_fuzz(a: argparse.Namespace, say: Any) -> list[dict[str, Any]]:
    """tests/test_fuzz.py for `--fuzz-minutes`, niced: it takes a whole core."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "FUZZ_SECONDS": str(a.fuzz_minutes * 60), "FUZZ_REPORT": str(report)}
        start = time.perf_counter()
        proc = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-q", "-p",
                               "no:cacheprovider", "tests/test_fuzz.py"], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        stats = json.loads(report.read_text()) if report.exists() else {}
    failed = proc.returncode != 0
    seen = (f"{stats.get('inputs', 0):,} inputs: {stats.get('typed_errors', 0):,} refused in one "
            f"line, the rest read; slowest {stats.get('slowest_s', 0):.2f} s; "
            + ("FAILED: " + proc.stdout.strip().splitlines()[-1] if failed else "no other exception"))  # fmt: skip
    res = {"exit": proc.returncode, "seconds": time.perf_counter() - start, "peak_rss_mib": None}
    rows = [row(f"fuzz, {a.fuzz_minutes:g} min (random bytes, JSON, mutated and truncated archives)",
                "fuzz", seen, not failed, res)]  # fmt: skip
    say(rows[-1])
    return rows


ORDER = {"input": 0, "fault": 1, "space": 2, "web": 3, "fuzz": 4}
RUNNERS = {"inputs": do_inputs, "faults": hostile_faults.run, "space": hostile_space.run,
           "web": hostile_web.run, "fuzz": do_fuzz}  # fmt: skip


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of docs/reliability.md."""
    out = ["| what was tried | what the user sees | exit | seconds | peak RSS MiB |",
           "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in rows:
        rss = f"{r['peak_rss_mib']:.0f}" if r.get("peak_rss_mib") else "–"
        secs = f"{r['seconds']:.1f}" if r.get("seconds") is not None else "–"
        code = "–" if r.get("exit") is None else str(r["exit"])
        mark = "" if r["ok"] else " **(unexpected)**"
        seen = r["sees"].replace("|", "\\|")
        what = r["what"] + (f" ({_size(r['input_bytes'])})" if r.get("input_bytes") else "")
        out.append(f"| {what} | {seen}{mark} | {code} | {secs} | {rss} |")
    return "\n".join(out)


def _size(n: int) -> str:
    """A file's size as people read it: 203 B, 14 kB, 5.1 MB."""
    return f"{n} B" if n < 1_000 else f"{n / 1e3:.0f} kB" if n < 1e6 else f"{n / 1e6:.1f} MB"


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--only", nargs="+", choices=list(RUNNERS), default=["inputs", "faults", "space", "web"]
    )
    ap.add_argument("--fuzz-minutes", type=float, default=0, help="also fuzz this long (0: no)")
    ap.add_argument(
        "--base-model", default="smollm2", help="tokenizer for prepare, model for the Space"
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    if a.fuzz_minutes and "fuzz" not in a.only:
        a.only.append("fuzz")
    a.fuzz_minutes = a.fuzz_minutes or 1
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for name in a.only:
        print(f"[{name}]", flush=True)
        rows += RUNNERS[name](a, lambda r: print(f"  {'ok ' if r['ok'] else 'BAD'} {r['what']}: "
                                                 f"{r['sees'][:100]}", flush=True))  # fmt: skip
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "hostile.json"
    # A part run replaces its own rows and keeps the others' (each row says its kind).
    old = json.loads(path.read_text())["rows"] if path.exists() else []
    kinds = {r["kind"] for r in rows}
    rows = sorted([r for r in old if r["kind"] not in kinds] + rows, key=lambda r: ORDER[r["kind"]])
    result = {"machine": machine(), "seconds": time.perf_counter() - start, "rows": rows}
    path.write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + table(rows))
    print(f"\nresults in {a.out / 'hostile.json'} ({result['seconds']:.0f} s)")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
