"""Preparation at scale: `hf-tweetbot prepare` on synthetic X archives of 10k to 1M posts.

Each archive is a real-format `.zip` (data/tweets.js as `window.YTD.tweets.part0 = [...]`,
account.js, profile.js), generated here with varied posts, some retweets, links and short ones
so cleaning has work to do. Each prepare runs in its own process: its seconds (wall clock) and
peak resident memory are its own.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

WORDS = ["lighthouse", "stars", "bread", "radio", "gulls", "wind", "night", "lamp", "tide", "fog", "kettle", "comet", "orion", "island", "storm", "keeper", "dough", "valve", "static", "map", "harbour", "ferry", "rope", "salt", "chart", "beacon"]  # fmt: skip
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # noqa: SIM905


def _tweet(i: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.random()
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."
    if kind < 0.08:
        text = f"RT @someone: {text}"
    elif kind < 0.15:
        text = f"{text} https://t.co/{i:x}"
    elif kind < 0.2:
        text = rng.choice(WORDS)
    day = f"{_MONTHS[i % 12]} {1 + i % 28:02d}"
    return {"tweet": {"id_str": str(10**17 + i), "full_text": text, "retweeted": False,
                      "created_at": f"Sat {day} 12:{i % 60:02d}:00 +0000 2023",
                      "favorite_count": "0", "entities": {"urls": []}}}  # fmt: skip


def make_archive(path: Path, n: int, seed: int = 0) -> Path:
    """Write an X archive `.zip` of `n` posts to `path` (stored, not compressed, like X's)."""
    rng = random.Random(seed)
    account = [{"account": {"username": "synthetic", "accountDisplayName": "Synthetic Keeper",
                            "accountId": "1"}}]  # fmt: skip
    profile = [{"profile": {"description": {"bio": "Generated for benchmarks."}}}]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("data/account.js", "window.YTD.account.part0 = " + json.dumps(account))
        z.writestr("data/profile.js", "window.YTD.profile.part0 = " + json.dumps(profile))
        with z.open("data/tweets.js", "w", force_zip64=True) as f:
            f.write(b"window.YTD.tweets.part0 = [\n")
            for i in range(n):
                sep = b",\n" if i else b""
                f.write(sep + json.dumps(_tweet(i, rng), indent=2).encode())
            f.write(b"\n]")
    return path


def _peak_rss_mib() -> float:
    """This process's peak RSS since its exec (VmHWM).

    Not `getrusage().ru_maxrss`: Linux carries it across fork and exec, so a child started by
    the benchmark would report the parent's (model-holding) peak instead of its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(archive: Path, out: Path, base: str) -> dict[str, Any]:
    """Prepare `archive` in this process; seconds and peak memory."""
    from publisher import pipeline

    t = time.perf_counter()
    _, m = pipeline.prepare(
        [str(archive)], pipeline.PrepareOptions(out=out, base_model=base, overwrite=True),
        say=lambda _: None,
    )  # fmt: skip
    return {
        "seconds": time.perf_counter() - t,
        "peak_rss_mib": _peak_rss_mib(),
        "train_tokens": m.data.get("train_tokens"),
    }


def launch(archive: Path, out: Path, base: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.bench_prepare", "--worker", str(archive),
               "--bot", str(out), "--base-model", base, "--out", f.name]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"prepare of {archive} failed:\n{done.stderr[-3000:]}")
        return json.loads(Path(f.name).read_text())


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
        archive = make_archive(work / f"archive_{n}.zip", n)
        mib = archive.stat().st_size / 2**20
        runs = [launch(archive, work / f"bot_{n}", base) for _ in range(repeats)]
        say(f"  prepare {n:>9,} posts ({mib:.0f} MiB): "
            + ", ".join(f"{r['seconds']:.1f} s / {r['peak_rss_mib']:.0f} MiB" for r in runs))  # fmt: skip
        rows.append({"posts": n, "archive_mib": round(mib, 1), "runs": runs})
        archive.unlink()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", type=Path, required=True, help="archive to prepare")
    ap.add_argument("--bot", type=Path, required=True)
    ap.add_argument("--base-model", default="smollm2")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    a.out.write_text(json.dumps(worker(a.worker, a.bot, a.base_model)))


if __name__ == "__main__":
    main()
