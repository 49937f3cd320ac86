"""Generation for `make bench`: the Space helper's `bench_generate` measurements, as data.

5 posts of 60 new tokens: one batched, streamed call of `space.sampling` (time to the first
streamed token and total) against 5 sequential fp32 `pipeline("text-generation")` calls.
"""

from __future__ import annotations

import time
from typing import Any

from . import bench_generate as bg


def bench(model_id: str, repeats: int, say: Any = print) -> dict[str, Any]:
    """Per-run seconds of the batched call (first token, total) and of the sequential calls.

    Args:
        model_id: model folder (a fine-tuned bot or the base model).
        repeats: timed runs of each, after one warm-up.
        say: where progress lines go.

    Returns:
        {"first_token": [...], "batched": [...], "sequential": [...]} in seconds.
    """
    from transformers import pipeline

    from space import sampling, streaming

    model, tok = sampling.load_bot(model_id)
    firsts, batched = [], []
    for i in range(repeats + 1):
        t = time.perf_counter()
        first = None
        for _ in streaming.stream_posts(
            model, tok, bg.PROMPT, bg.N, max_new_tokens=bg.TOKENS, stop_early=False
        ):
            first = first or time.perf_counter() - t
        if i:  # run 0 warms up
            firsts.append(first or 0.0)
            batched.append(time.perf_counter() - t)
    fp32, _ = sampling.load_bot(model_id, bf16=False)
    pipe = pipeline("text-generation", model=fp32, tokenizer=tok)
    text = sampling.build_prompt(tok, bg.PROMPT)
    kw = dict(do_sample=True, top_p=0.95, max_new_tokens=bg.TOKENS, min_new_tokens=bg.TOKENS)

    def sequential() -> None:
        for _ in range(bg.N):
            pipe(text, pad_token_id=tok.eos_token_id, **kw)

    seq = bg.timed(sequential, repeats)
    say(f"  generate: batched {min(batched):.2f}-{max(batched):.2f} s, "
        f"sequential {min(seq):.2f}-{max(seq):.2f} s")  # fmt: skip
    return {"first_token": firsts, "batched": batched, "sequential": seq,
            "model_dtype": str(model.dtype).replace("torch.", "")}  # fmt: skip
