"""Preparation at scale: `hf-tweetbot prepare` on synthetic X archives of 10k to 1M posts.

Each archive is a real-format `.zip` (data/tweets.js as `window.YTD.tweets.part0 = [...]`,
account.js, profile.js), written by `testkit.x_archive.synthetic_archive` with varied posts, some
retweets, links and short ones so cleaning has work to do. Each prepare runs in its own process: its seconds (wall clock) and
peak resident memory are its own.

`--today` archives have the layout X delivers since 2023: `edit_info` on every entry, 1% of posts
edited once (both versions in tweets.js), 2% long posts (cut in tweets.js, whole in
note-tweet.js), 0.5% Twitter Circle posts (in both files) and a community-tweet.js.
`--tree NAME=DIR` (twice or more) prepares each archive with the code of each source tree, run by
run in turn (`python -m benchmarks.bench_prepare --today --sizes 100000 1000000 --tree a=DIR1
--tree b=DIR2`), so load from other programs hits every tree alike:

    python -m benchmarks.bench_prepare --today --tree base=/path/to/other/checkout --tree this=.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from testkit.x_archive import synthetic_archive

from .common import machine, peak_rss_mib


def worker(archive: Path, out: Path, base: str) -> dict[str, Any]:
    """Prepare `archive` in this process; seconds and peak memory."""
    from publisher import pipeline
    from publisher.sources.spec import parse

    t = time.perf_counter()
    _, m = pipeline.prepare(
        [parse(str(archive))], pipeline.PrepareOptions(out=out, base_model=base, overwrite=True),
        say=lambda _: None,
    )  # fmt: skip
    return {
        "seconds": time.perf_counter() - t,
        "peak_rss_mib": peak_rss_mib(),
        "train_tokens": m.data.get("train_tokens"),
    }


def launch(archive: Path, out: Path, base: str, tree: Path | None = None) -> dict[str, Any]:
    """Prepare `archive` in a new process, with the code of source tree `tree` (default: ours)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.bench_prepare", "--worker", str(archive),
               "--bot", str(out), "--base-model", base, "--out", f.name]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tree)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"prepare of {archive} failed:\n{done.stderr[-3000:]}")
        # CPU seconds (user + system) of the whole process: on a machine shared with other
        # work they vary far less than the wall clock.
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {**json.loads(Path(f.name).read_text()), "cpu_seconds": cpu}


def bench(sizes: list[int], repeats: int, base: str, work: Path, say: Any = print) -> list[dict]:
    """Seconds and peak memory of `prepare` per archive size, `repeats` runs each.

    Args:
        sizes: posts per archive.
        repeats: runs per size (the largest size runs once when repeats would take long).
        base: the base model whose tokenizer is used.
        work: scratch folder for archives and bot folders.
        say: where progress lines go.

    Returns:
        One row per size: posts, archive MiB, runs [{seconds, peak_rss_mib}].
    """
    rows = []
    for n in sizes:
        archive = synthetic_archive(work / f"archive_{n}.zip", n)
        mib = archive.stat().st_size / 2**20
        runs = [launch(archive, work / f"bot_{n}", base) for _ in range(repeats)]
        say(f"  prepare {n:>9,} posts ({mib:.0f} MiB): "
            + ", ".join(f"{r['seconds']:.1f} s / {r['peak_rss_mib']:.0f} MiB" for r in runs))  # fmt: skip
        rows.append({"posts": n, "archive_mib": round(mib, 1), "runs": runs})
        archive.unlink()
    return rows


def compare(sizes: list[int], repeats: int, base: str, work: Path, trees: dict[str, Path],
            today: bool, say: Any = print) -> list[dict]:  # fmt: skip
    """Seconds and peak memory of `prepare` on the same archives with each tree's code.

    Runs alternate between the trees (a, b, a, b, ...), so slow moments of a shared machine
    fall on all of them. Every tree must prepare the same training tokens from the same archive
    when the archive holds nothing that one of them reads differently.

    Returns:
        One row per size: posts, archive MiB, and {tree: runs}.
    """
    rows = []
    for n in sizes:
        archive = synthetic_archive(work / f"archive_{n}.zip", n, today=today)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for _ in range(repeats):
            for name, tree in trees.items():
                runs[name].append(launch(archive, work / f"bot_{name}_{n}", base, tree))
        mib = archive.stat().st_size / 2**20
        for name, got in runs.items():
            secs = sorted(r["seconds"] for r in got)
            cpu = sorted(r["cpu_seconds"] for r in got)
            say(f"  {name:>8} {n:>9,} posts ({mib:.0f} MiB): median {secs[len(secs) // 2]:.2f} s "
                f"({', '.join(f'{x:.2f}' for x in secs)}), CPU median {cpu[len(cpu) // 2]:.2f} s "
                f"({', '.join(f'{x:.2f}' for x in cpu)}), peak "
                f"{max(r['peak_rss_mib'] for r in got):.0f} MiB")  # fmt: skip
        rows.append({"posts": n, "archive_mib": round(mib, 1), "runs": runs})
        archive.unlink()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", type=Path, help="archive to prepare (in this process)")
    ap.add_argument("--bot", type=Path)
    ap.add_argument("--base-model", default="smollm2")
    ap.add_argument("--out", type=Path, help="where the figures go (JSON)")
    ap.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a source tree whose code prepares the archives (twice or more)",
    )
    ap.add_argument("--today", action="store_true", help="archives in X's layout since 2023")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if a.worker:
        a.out.write_text(json.dumps(worker(a.worker, a.bot, a.base_model)))
        return
    trees = {name: Path(d).resolve() for name, _, d in (t.partition("=") for t in a.tree)}
    if len(trees) < 2:
        ap.error("give --worker, or two or more --tree NAME=DIR to compare")
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        rows = compare(a.sizes, a.repeats, a.base_model, Path(tmp), trees, a.today)
    out = a.out or Path(__file__).parent / "results" / "prepare_trees.json"
    out.write_text(json.dumps({"machine": machine(), "base_model": a.base_model, "today": a.today,
                               "trees": {k: str(v) for k, v in trees.items()},
                               "sizes": rows}, indent=2) + "\n")  # fmt: skip
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
