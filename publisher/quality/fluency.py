"""Fluency: how the base model reads the bot's posts, against how it reads the person's.

A bot can be hard to tell from its person by writing word salad that no classifier has seen
either; a bot drawn too cold reads smoother than any person. So the base model (which never saw
the person's posts) scores each post on its own from a bare EOS: its perplexity per token. The
bot's median is compared with the person's held-out posts': about as fluent is within the
person's own middle half (their first to third quartile of per-post perplexity), neither much
smoother nor much rougher than the person writes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

BATCH = 32


def post_perplexities(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[float]:
    """Each post's perplexity per token under `model`, scored alone after the EOS token."""
    eos = int(tokenizer.eos_token_id)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    device = next(model.parameters()).device
    out: list[float] = []
    for start in range(0, len(texts), BATCH):
        rows = [[eos, *tokenizer(t, add_special_tokens=False)["input_ids"][:255]]
                for t in texts[start:start + BATCH]]  # fmt: skip
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=device)
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:],
                                                reduction="none") * mask[:, 1:]  # fmt: skip
        counts = mask[:, 1:].sum(1).clamp(min=1)
        out += [math.exp(min(float(x), 50.0)) for x in (nll.sum(1) / counts).tolist()]
    return out


def fluency(model: Any, tokenizer: Any, bot: Sequence[str], real: Sequence[str],
            real_scores: Sequence[float] | None = None) -> dict[str, Any]:  # fmt: skip
    """The base model's median per-post perplexity of `bot` and of `real`, and the verdict.

    Args:
        model, tokenizer: the base model.
        bot: the bot's posts; real: the person's held-out posts.
        real_scores: `post_perplexities` of `real` already measured (not measured twice).

    Returns:
        {"bot", "person": medians, "person_range": [first, third quartile], "within": bool}.
    """
    theirs = (
        list(real_scores) if real_scores is not None else post_perplexities(model, tokenizer, real)
    )
    ours = post_perplexities(model, tokenizer, [t for t in bot if t.strip()])
    return judge_fluency(ours, theirs)


def judge_fluency(ours: Sequence[float], theirs: Sequence[float]) -> dict[str, Any]:
    """The medians of two lists of per-post perplexities and whether the first lies within the
    second's middle half."""
    if not ours or not theirs:
        return {}
    low, mid, high = (float(x) for x in np.percentile(theirs, [25, 50, 75]))
    median = float(np.median(ours))
    return {"bot": round(median, 1), "person": round(mid, 1),
            "person_range": [round(low, 1), round(high, 1)], "within": low <= median <= high}  # fmt: skip
