"""Benchmark the Space's sampling: 5 posts of 60 new tokens, bf16 and fp32, side by side.

Each run streams 5 posts (`space.draw.stream`, as the Space does) through:

1. the fast decoding steps of `space/decode.py` in bf16 (on a CPU with native bf16) and in
   fp32 (what a CPU without it runs, e.g. a free Space);
2. transformers' forward with its dynamic cache (`HF_TWEETBOT_FAST_DECODE=0`), in both dtypes
   (`HF_TWEETBOT_FAST_DECODE=0`);
3. five sequential fp32 `pipeline("text-generation")` calls, one post each (the plain way).

Methods are interleaved run by run, so load from elsewhere hits all of them alike; medians of
`--runs` runs after one warm-up each; the time to fuse and pack the weights at load is reported
beside. The fast methods are also run without the UTF-8 constraint (`space/utf8.py`: only
tokens that keep a post valid UTF-8 are drawn), on the same model in the same round, so its
cost is measured side by side (`--utf8` measures that alone, more runs). `--guard BOT_DIR`
measures instead what the copy guard adds to the
Space's request (5 posts x 60 tokens, streamed), with and without it, interleaved run by run,
each pair with the same seed. `--where` compares where the sampling runs: on the thread that
loaded the model (the Space's model thread) or on a fresh thread per request while the model
was loaded on the main thread; each is a process of its own, as the OpenMP
thread teams it measures belong to a process, alternated run by run. Usage:

    python -m benchmarks.bench_generate [--model FOLDER_OR_ID] [--runs 3] [--threads N]
    python -m benchmarks.bench_generate --guard bots/wrencalloway [--runs 10]
    python -m benchmarks.bench_generate --utf8 [--model FOLDER] [--runs 10]
    python -m benchmarks.bench_generate --where [--runs 5] [--fp32]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from publisher.space import decode, fast_decode, model_thread  # noqa: E402
from publisher.space.draw import DrawSettings, build_prompt, stream  # noqa: E402
from publisher.space.load import bf16_supported, load_bot  # noqa: E402

PROMPT = "My dream is"
N, TOKENS = 5, 60
# The aims on 2 cores: total seconds per dtype, and seconds to the first token.
AIMS = {"bf16": 1.0, "fp32": 1.5, "first_token": 0.1}
METHODS = ("bf16_fast", "bf16_plain", "fp32_fast", "fp32_plain")
# The fast methods again, drawing from the whole vocabulary (no UTF-8 constraint).
ANY_BYTES = {"bf16_fast_any": "bf16_fast", "fp32_fast_any": "fp32_fast"}


def default_model() -> str:
    """SmolLM2-135M, converted once from the offline GGUF by `publisher.base_models`."""
    from publisher.base_models import resolve

    return resolve("smollm2")


def streamed(model: Any, tok: Any, valid_utf8: bool = True, seed: int | None = None) -> tuple[float, float]:  # fmt: skip
    """(seconds to the first streamed token, seconds in all) of one 5 × 60 request."""
    t = time.perf_counter()
    first = None
    settings = DrawSettings(prompt=PROMPT, n=N, max_new_tokens=TOKENS, stop_early=False,
                            valid_utf8=valid_utf8, seed=seed)  # fmt: skip
    for _ in stream(model, tok, settings):
        first = first or time.perf_counter() - t
    return first or 0.0, time.perf_counter() - t


def load(model_id: str, method: str) -> tuple[Any, Any, float]:
    """The model of one method, and the seconds its fast path took to build (0 for plain).

    Loaded on the model thread, where the requests sample, as the Space does.
    """
    return model_thread.run(_load, model_id, method)


def _load(model_id: str, method: str) -> tuple[Any, Any, float]:
    dtype, path = method.split("_")
    model, tok = load_bot(model_id, bf16=dtype == "bf16")
    t = time.perf_counter()
    decode.build_fast_path(model, fast=path == "fast")  # rebuilt here to time it
    return model, tok, time.perf_counter() - t if path == "fast" else 0.0


def bench(model_id: str, repeats: int, say: Any = print, sequential: bool = True) -> dict[str, Any]:
    """`make bench`'s generation figures.

    Args:
        model_id: model folder (a fine-tuned bot or the base model).
        repeats: timed runs of each method, after one warm-up.
        say: where progress lines go.
        sequential: also time five sequential fp32 pipeline calls (~12 s a run for SmolLM2).

    Returns:
        {"methods": {method: {"first_token": [...], "total": [...], "prepare": s,
        "products": [...]}}, "sequential": [...], "native_bf16": bool}, in seconds per run
        ("products": the fast methods' matrix products alone, see `products`).
    """
    models = {m: load(model_id, m) for m in METHODS}
    models.update({m: models[of] for m, of in ANY_BYTES.items()})
    order = [*METHODS, *ANY_BYTES]
    runs: dict[str, dict[str, Any]] = {
        m: {"first_token": [], "total": [], "prepare": models[m][2], "products": []} for m in order
    }
    for i in range(repeats + 1):
        for m in order:  # interleaved: each run of each method meets the same load
            first, total = streamed(*models[m][:2], valid_utf8=m not in ANY_BYTES, seed=i)
            fast = m.endswith("fast")
            floor = model_thread.run(products, models[m][0]) if fast else None
            if i:  # run 0 warms up
                runs[m]["first_token"].append(first)
                runs[m]["total"].append(total)
                if floor is not None:
                    runs[m]["products"].append(floor)
    tok = models[METHODS[0]][1]
    del models
    seq = timed(sequential_pipeline(model_id, tok), repeats) if sequential else []
    say("  generate: " + ", ".join(f"{m} {statistics.median(r['total']):.2f} s" for m, r in runs.items()))  # fmt: skip
    return {"methods": runs, "sequential": seq, "native_bf16": bf16_supported()}


def products(model: Any) -> float | None:
    """Seconds of the matrix products alone of a request's decoding steps (N rows, TOKENS steps).

    Each step reads every weight once; this is that reading at the bandwidth the machine gives,
    with nothing else, the floor under the fast steps' total. None for a model without them.
    """
    state = decode.stepper(model)
    if not isinstance(state, fast_decode.StaticStepper):
        return None
    linears = [x for layer in state.layers for x in layer if isinstance(x, fast_decode.Linear)]
    linears.append(state.head)
    inputs = [torch.randn(N, lin.weight.shape[1], dtype=lin.weight.dtype) for lin in linears]
    t = time.perf_counter()
    with torch.inference_mode():
        for _ in range(TOKENS):
            for lin, x in zip(linears, inputs, strict=True):
                lin(x)
    return time.perf_counter() - t


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def sequential_pipeline(model_id: str, tok: Any) -> Callable[[], None]:
    """Five fp32 `pipeline("text-generation")` calls, one post each: the plain way."""
    from transformers import pipeline

    fp32, _ = load_bot(model_id, bf16=False)
    pipe = pipeline("text-generation", model=fp32, tokenizer=tok)
    text = build_prompt(tok, PROMPT)
    kw = dict(do_sample=True, top_p=0.95, max_new_tokens=TOKENS, min_new_tokens=TOKENS)

    def run() -> None:
        for _ in range(N):
            pipe(text, pad_token_id=tok.eos_token_id, **kw)

    return run


def utf8_cost(model_id: str, runs: int, say: Any = print) -> dict[str, list[float]]:
    """The Space's request with and without the UTF-8 constraint, interleaved, same seeds.

    Args:
        model_id: model folder (SmolLM2 by default).
        runs: timed pairs after one warm-up pair.
        say: where the result lines go.

    Returns:
        {"constrained": [...], "any_bytes": [...]} seconds per run.
    """
    model, tok = model_thread.run(load_bot, model_id)
    out: dict[str, list[float]] = {"constrained": [], "any_bytes": []}
    for i in range(runs + 1):
        for name in out:
            total = streamed(model, tok, valid_utf8=name == "constrained", seed=i)[1]
            if i:
                out[name].append(total)
    for stat in (statistics.median, statistics.mean):
        a, b = stat(out["any_bytes"]), stat(out["constrained"])
        say(f"{N} posts x {TOKENS} tokens, {runs} runs, {stat.__name__}: any token {a:.3f} s, "
            f"valid UTF-8 only {b:.3f} s, cost {100 * (b / a - 1):+.1f}%")  # fmt: skip
    return out


def guard_cost(bot_dir: str, runs: int, say: Any = print) -> dict[str, Any]:
    """The Space's request streamed without and with the copy guard, interleaved, same seeds.

    Args:
        bot_dir: a trained bot folder (its copy guard and key are read from it).
        runs: timed pairs after one warm-up pair.
        say: where the result line goes.

    Returns:
        {"plain": [...], "guarded": [...] seconds per run, "redrawn": posts drawn again}.
    """
    from publisher.space import guard

    repo = str(Path(bot_dir) / "repo")
    model, tok = model_thread.run(load_bot, repo)  # where the Space loads and draws
    copy_guard, status = guard.load_guard(repo)
    if copy_guard is None:
        raise SystemExit(f"{bot_dir}: copy guard {status}")
    out: dict[str, Any] = {"plain": [], "guarded": [], "redrawn": 0}
    for i in range(runs + 1):
        settings = DrawSettings(prompt=PROMPT, n=N, max_new_tokens=TOKENS, seed=i)
        t = time.perf_counter()
        for _, done in stream(model, tok, settings):
            drawn = done.posts if done else []
        plain = time.perf_counter() - t
        t = time.perf_counter()
        for _ in stream(model, tok, settings, copy_guard):
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


def where_cost(model_id: str, runs: int, bf16: bool, say: Any = print) -> dict[str, list[float]]:
    """Seconds of the Space's request, sampled on the model thread vs on a fresh request thread.

    Args:
        model_id: model folder.
        runs: processes of each kind, alternated; each times 3 requests after a warm-up.
        bf16: the model's dtype.
        say: where the result lines go.

    Returns:
        {"model_thread": [...], "request_thread": [...]}: each process's median request.
    """
    out: dict[str, list[float]] = {"model_thread": [], "request_thread": []}
    for _ in range(runs):
        for where in out:
            cmd = [sys.executable, "-m", "benchmarks.bench_generate", "--model", model_id, "--one", where]  # fmt: skip
            res = subprocess.run(cmd + ([] if bf16 else ["--fp32"]), capture_output=True, text=True, check=True)  # fmt: skip
            out[where].append(json.loads(res.stdout.strip().splitlines()[-1])["median"])
    for where, times in out.items():
        say(f"{N} posts x {TOKENS} tokens, {'bf16' if bf16 else 'fp32'}, sampled on the {where.replace('_', ' ')}: median {statistics.median(times):.3f} s")  # fmt: skip
    return out


def one_process(model_id: str, where: str, bf16: bool) -> None:
    """One process of `where_cost`: print {"median": s} over 3 requests after a warm-up."""
    if where == "model_thread":  # now: loading and sampling on the model thread
        model, tok = model_thread.run(load_bot, model_id, bf16=bf16)
        request = lambda: streamed(model, tok)  # noqa: E731
    else:  # before: loaded on the main thread, sampled on a thread started for the request
        model, tok = load_bot(model_id, bf16=bf16)

        def request() -> tuple[float, float]:
            out: list[tuple[float, float]] = []
            th = threading.Thread(target=lambda: out.append(streamed(model, tok)))
            th.start()
            th.join()
            return out[0]

    times = [request()[1] for _ in range(4)][1:]
    print(json.dumps({"median": statistics.median(times)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="model folder or Hub id (default: SmolLM2)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-pipeline", action="store_true", help="skip the slow fp32 baseline")
    ap.add_argument("--guard", metavar="BOT_DIR", help="measure the copy guard's cost instead")
    ap.add_argument("--utf8", action="store_true", help="measure the UTF-8 constraint's cost")
    ap.add_argument("--where", action="store_true", help="compare the thread sampling runs on")
    ap.add_argument("--fp32", action="store_true", help="--where: an fp32 model (default bf16)")
    ap.add_argument("--one", choices=["model_thread", "request_thread"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.guard:
        guard_cost(args.guard, args.runs)
        return
    model_id = args.model or default_model()
    if args.utf8:
        utf8_cost(model_id, args.runs)
        return
    if args.one:
        one_process(model_id, args.one, bf16=not args.fp32)
        return
    if args.where:
        where_cost(model_id, args.runs, bf16=not args.fp32)
        return
    print(f"model {model_id}, {torch.get_num_threads()} threads, {args.runs} runs, interleaved")
    print(f"{N} posts x {TOKENS} new tokens, prompt {PROMPT!r}; medians in seconds\n")
    res = bench(model_id, args.runs, say=lambda _: None, sequential=not args.skip_pipeline)
    print(f"{'method':<32} {'first token':>12} {'total':>8} {'aim':>6} {'prepare':>8}")
    for m, r in res["methods"].items():
        aim = AIMS[m.split("_")[0]] if m.endswith("fast") else None
        name = m.replace("_any", ", any token").replace("_", ", ")
        row(name, statistics.median(r["first_token"]), statistics.median(r["total"]), aim,
            r["prepare"] if m not in ANY_BYTES else None)  # fmt: skip
        if r["products"]:
            row(f"  {m.split('_')[0]}: products alone", None, statistics.median(r["products"]))
    if res["sequential"]:
        row("5 sequential pipeline calls (fp32)", None, statistics.median(res["sequential"]))
    for m, of in ANY_BYTES.items():
        print(f"UTF-8 constraint, {of.replace('_', ', ')}: {100 * utf8_share(res, of, m):+.1f}%")


def utf8_share(res: dict[str, Any], constrained: str, any_bytes: str) -> float:
    """What the UTF-8 constraint adds to a request, as a share of its time without (medians)."""
    a = statistics.median(res["methods"][any_bytes]["total"])
    return statistics.median(res["methods"][constrained]["total"]) / a - 1


def row(name: str, first: float | None, total: float, aim: float | None = None, prep: float | None = None) -> None:  # fmt: skip
    f = f"{first:.3f}" if first is not None else "-"
    a = f"<{aim:g}" if aim else ""
    p = f"{prep:.2f}" if prep else ""
    print(f"{name:<32} {f:>12} {total:>8.2f} {a:>6} {p:>8}", flush=True)


if __name__ == "__main__":
    main()
