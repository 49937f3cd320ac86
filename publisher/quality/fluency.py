"""Fluency: how the base model reads the bot's posts, against how it reads the person's.

A bot can be hard to tell from its person by writing word salad that no classifier has seen
either; a bot drawn too cold reads smoother than any person. So the base model (which never saw
the person's posts) scores each post on its own from a bare EOS: its perplexity per token. The
bot's median is compared with the person's held-out posts': about as fluent is within the
person's own middle half (their first to third quartile of per-post perplexity); rougher is
above it, which the sampling search never chooses.

Reading a post costs the base model about what drawing it cost the bot, so `POSTS` posts of a
side are read (a median and quartiles need no more), in batches of posts of similar length
(little padding), and the person's posts are read once per evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

BATCH = 16
POSTS = 32  # read of each side, at most: the first ones (the draws are in random order)
MAX_TOKENS = 64  # of a post, at most (eval draws 60 new tokens)


def post_perplexities(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[float]:
    """Each post's perplexity per token under `model`, scored alone after the EOS token.

    The first `POSTS` non-empty posts, each cut to `MAX_TOKENS` tokens.
    """
    eos = int(tokenizer.eos_token_id)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    device = next(model.parameters()).device
    kept = [t for t in texts if t.strip()][:POSTS]
    rows = [[eos, *ids[:MAX_TOKENS]]
            for ids in tokenizer(kept, add_special_tokens=False)["input_ids"]]  # fmt: skip
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out = [0.0] * len(rows)
    for start in range(0, len(order), BATCH):
        batch = [rows[i] for i in order[start : start + BATCH]]
        width = max(len(r) for r in batch)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in batch], device=device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in batch], device=device)
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), ids[:, 1:],
                                                    reduction="none") * mask[:, 1:]  # fmt: skip
        per_post = nll.sum(1) / mask[:, 1:].sum(1).clamp(min=1)
        for i, x in zip(order[start : start + BATCH], per_post.tolist(), strict=True):
            out[i] = math.exp(min(float(x), 50.0))
    return out


def judge_fluency(ours: Sequence[float], theirs: Sequence[float]) -> dict[str, Any]:
    """The medians of two lists of per-post perplexities and where the first lies against the
    second's middle half.

    Returns:
        {"bot", "person": medians, "person_range": [first, third quartile], "within": inside
        the range, "rougher": above it}; {} when either list is empty.
    """
    if not ours or not theirs:
        return {}
    low, mid, high = (float(x) for x in np.percentile(theirs, [25, 50, 75]))
    median = float(np.median(ours))
    return {"bot": round(median, 1), "person": round(mid, 1),
            "person_range": [round(low, 1), round(high, 1)], "within": low <= median <= high,
            "rougher": median > high}  # fmt: skip
