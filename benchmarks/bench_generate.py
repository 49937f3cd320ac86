"""Benchmark the Space's sampling: 5 posts of 60 new tokens, three ways, side by side.

1. ours: `space.sampling` (prefill once, one batch, top-k/top-p on 50 tokens), streamed: time
   to the first token of post 1 and total time; also with early stop (posts end at EOS/newline);
2. plain `model.generate(num_return_sequences=5)` in bf16 (fp32 where bf16 is not native);
3. five sequential fp32 `pipeline("text-generation")` calls, one post each.

Medians of `--runs` runs after one warm-up each. `--guard BOT_DIR` measures instead what the
copy guard adds to the Space's request (5 posts x 60 tokens, streamed), with and without it,
interleaved run by run, each pair with the same seed. Usage:

    python -m benchmarks.bench_generate [--model FOLDER_OR_ID] [--runs 3] [--threads N]
    python -m benchmarks.bench_generate --guard bots/wrencalloway [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from space import sampling, streaming  # noqa: E402

PROMPT = "My dream is"
N, TOKENS = 5, 60


def default_model() -> str:
    """SmolLM2-135M, converted once from the offline GGUF by `publisher.base_models`."""
    from publisher.base_models import resolve

    return resolve("smollm2")


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def ours(model: Any, tok: Any, runs: int, stop_early: bool) -> tuple[float, float]:
    """(median time to first streamed token, median total) of `stream_posts`."""
    firsts, totals = [], []
    for i in range(runs + 1):
        t = time.perf_counter()
        first = None
        for _ in streaming.stream_posts(
            model, tok, PROMPT, N, max_new_tokens=TOKENS, stop_early=stop_early
        ):
            if first is None:
                first = time.perf_counter() - t
        if i:  # run 0 is the warm-up
            firsts.append(first or 0.0)
            totals.append(time.perf_counter() - t)
    return statistics.median(firsts), statistics.median(totals)


def bench(model_id: str, repeats: int, say: Any = print) -> dict[str, Any]:
    """`make bench`'s generation figures: the batched, streamed call against sequential calls.

    Args:
        model_id: model folder (a fine-tuned bot or the base model).
        repeats: timed runs of each, after one warm-up.
        say: where progress lines go.

    Returns:
        {"first_token": [...], "batched": [...], "sequential": [...]} in seconds per run.
    """
    model, tok = sampling.load_bot(model_id)
    firsts, batched = [], []
    for i in range(repeats + 1):
        t = time.perf_counter()
        first = None
        for _ in streaming.stream_posts(
            model, tok, PROMPT, N, max_new_tokens=TOKENS, stop_early=False
        ):
            first = first or time.perf_counter() - t
        if i:  # run 0 warms up
            firsts.append(first or 0.0)
            batched.append(time.perf_counter() - t)
    seq = timed(sequential_pipeline(model_id, tok), repeats)
    say(f"  generate: batched {min(batched):.2f}-{max(batched):.2f} s, "
        f"sequential {min(seq):.2f}-{max(seq):.2f} s")  # fmt: skip
    return {"first_token": firsts, "batched": batched, "sequential": seq,
            "model_dtype": str(model.dtype).replace("torch.", "")}  # fmt: skip


def sequential_pipeline(model_id: str, tok: Any) -> Callable[[], None]:
    """Five fp32 `pipeline("text-generation")` calls, one post each: the plain way."""
    from transformers import pipeline

    fp32, _ = sampling.load_bot(model_id, bf16=False)
    pipe = pipeline("text-generation", model=fp32, tokenizer=tok)
    text = sampling.build_prompt(tok, PROMPT)
    kw = dict(do_sample=True, top_p=0.95, max_new_tokens=TOKENS, min_new_tokens=TOKENS)

    def run() -> None:
        for _ in range(N):
            pipe(text, pad_token_id=tok.eos_token_id, **kw)

    return run


def plain_generate(model: Any, tok: Any) -> None:
    ids = tok(sampling.build_prompt(tok, PROMPT), return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        model.generate(
            **ids, do_sample=True, top_p=0.95, max_new_tokens=TOKENS, min_new_tokens=TOKENS,
            num_return_sequences=N, pad_token_id=tok.eos_token_id,
        )  # fmt: skip


def guard_cost(bot_dir: str, runs: int, say: Any = print) -> dict[str, Any]:
    """The Space's request streamed without and with the copy guard, interleaved, same seeds.

    Args:
        bot_dir: a trained bot folder (its copy guard and key are read from it).
        runs: timed pairs after one warm-up pair.
        say: where the result line goes.

    Returns:
        {"plain": [...], "guarded": [...] seconds per run, "redrawn": posts drawn again}.
    """
    from space import guard

    repo = str(Path(bot_dir) / "repo")
    model, tok = sampling.load_bot(repo)
    copy_guard, status = guard.load_guard(repo)
    if copy_guard is None:
        raise SystemExit(f"{bot_dir}: copy guard {status}")
    out: dict[str, Any] = {"plain": [], "guarded": [], "redrawn": 0}
    kw = {"max_new_tokens": TOKENS}
    for i in range(runs + 1):
        t = time.perf_counter()
        for _, posts in streaming.stream_posts(model, tok, PROMPT, N, seed=i, **kw):
            drawn = posts or []
        plain = time.perf_counter() - t
        t = time.perf_counter()
        for _ in guard.stream_guarded(model, tok, PROMPT, N, copy_guard, seed=i, **kw):
            pass
        guarded = time.perf_counter() - t
        if i:  # run 0 warms up; the same seed draws the same posts first in both
            out["plain"].append(plain)
            out["guarded"].append(guarded)
            out["redrawn"] += sum(copy_guard.copies(tok, p, PROMPT) for p in drawn)
    for stat in (statistics.median, statistics.mean):
        p, g = stat(out["plain"]), stat(out["guarded"])
        say(f"{N} posts x {TOKENS} tokens, {runs} runs, {stat.__name__}: without guard "
            f"{p:.3f} s, with {g:.3f} s, cost {100 * (g / p - 1):+.1f}%")  # fmt: skip
    say(f"posts drawn again by the guard: {out['redrawn']} of {N * runs}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="model folder or Hub id (default: SmolLM2)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-pipeline", action="store_true", help="skip the slow fp32 baseline")
    ap.add_argument("--guard", metavar="BOT_DIR", help="measure the copy guard's cost instead")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.guard:
        guard_cost(args.guard, args.runs)
        return
    model_id = args.model or default_model()
    model, tok = sampling.load_bot(model_id)
    dtype = str(model.dtype).replace("torch.", "")
    print(f"model {model_id} ({dtype}), {torch.get_num_threads()} threads, {args.runs} runs")
    print(f"{N} posts x {TOKENS} new tokens, prompt {PROMPT!r}; medians in seconds\n")
    print(f"{'method':<40} {'first token':>12} {'total':>8}", flush=True)
    first, total = ours(model, tok, args.runs, stop_early=False)
    row(f"ours, batched + streamed ({dtype})", first, total)
    first, total = ours(model, tok, args.runs, stop_early=True)
    row("ours, stopping at EOS/newline", first, total)
    t = timed(lambda: plain_generate(model, tok), args.runs)
    row(f"plain batched generate ({dtype})", None, statistics.median(t))
    if not args.skip_pipeline:
        t = timed(sequential_pipeline(model_id, tok), args.runs)
        row("5 sequential pipeline calls (fp32)", None, statistics.median(t))


def row(name: str, first: float | None, total: float) -> None:
    f = f"{first:.3f}" if first is not None else "-"
    print(f"{name:<40} {f:>12} {total:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
