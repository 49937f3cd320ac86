"""Attention that stays inside each post of a packed block.

A training block is `EOS post EOS post ...` cut every 1024 tokens. huggingtweets let every token
attend to the whole block before it, so a post was learned as the continuation of unrelated
earlier posts; but the bot generates each post from a bare EOS. Here a post attends only to its
own tokens: training sees exactly what generation sees, and attention costs the length of a
post instead of the length of the block.

The block's posts are marked by `position_ids` that restart at every post (`post_positions`).
Attention is computed in chunks of `CHUNK` queries, each against the few chunks of keys that can
hold the start of its posts: its cost grows with the longest post, not the block. On the 2-core
benchmark machine the 30 attention layers of SmolLM2 took 0.19 s per 1024-token step this way
against 0.9 s for SDPA's causal flash kernel over the whole block (forward and backward).

Registered with transformers' `AttentionInterface`, so it works for every model that uses it
(Llama/SmolLM2, GPT-2, ...). Before a model is saved, `use_posts_attention(model, False)` puts
the usual `sdpa` back, so the pushed config loads anywhere.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import TrainingError

NAME = "hf_tweetbot_posts"
# Queries per chunk. 30 SmolLM2 layers, forward + backward, 1024 tokens of 60- to 120-token posts
# on 2 cores: 16 -> 0.34-0.55 s, 32 -> 0.22-0.39 s, 64 -> 0.21-0.30 s, 128 -> 0.31 s.
CHUNK = 64

_mask_cache: list[Any] = [None, None]  # (position_ids, masks): the same for every layer of a pass


def post_positions(input_ids: torch.Tensor, mask: torch.Tensor, eos_id: int) -> torch.Tensor:
    """Positions that restart at every EOS (the start of a post) and at every padding token.

    Args:
        input_ids: (batch, length) token ids of packed blocks.
        mask: (batch, length) attention mask, 0 on padding.
        eos_id: the token that separates posts.

    Returns:
        (batch, length) position ids: 0 on each EOS, counting up through the post after it.
    """
    length = input_ids.shape[1]
    starts = (input_ids == eos_id) | (mask == 0)
    starts[:, 0] = True
    idx = torch.arange(length, device=input_ids.device).expand_as(input_ids)
    last_start = torch.where(starts, idx, torch.zeros_like(idx)).cummax(dim=1).values
    return idx - last_start


def _masks(position_ids: torch.Tensor, batch: int, chunk: int) -> tuple[torch.Tensor, int, int]:
    """Which keys each query may not see, per chunk: another post, or the future."""
    if _mask_cache[0] is position_ids:
        return _mask_cache[1]
    pos = position_ids.expand(batch, position_ids.shape[-1])
    length = pos.shape[1]
    post = torch.cumsum(pos == 0, dim=1)
    longest = int(pos.max()) + 1
    back = max(1, math.ceil((longest - 1) / chunk))  # chunks of keys before the query's own
    n = math.ceil(length / chunk)
    pad = n * chunk - length
    width = (back + 1) * chunk
    # Padding queries (a block shorter than a whole chunk) see the padding keys after them,
    # never nothing: a row of -inf would give NaN gradients, even for outputs thrown away.
    q_post = F.pad(post, (0, pad), value=-2).view(batch, n, chunk)
    k_post = F.pad(post, (back * chunk, pad), value=-2).unfold(1, width, chunk)
    idx = torch.arange(n * chunk + back * chunk, device=pos.device)
    q_idx = idx[back * chunk :].view(n, chunk)
    k_idx = idx.unfold(0, width, chunk)
    allowed = (q_post[..., :, None] == k_post[..., None, :]) & (
        k_idx[:, None, :] <= q_idx[:, :, None]
    )
    out = (~allowed[:, None, :, None], back, n)  # masked: (batch, 1, chunks, 1, chunk, width)
    _mask_cache[:] = [position_ids, out]
    return out


def posts_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    position_ids: torch.Tensor | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers attention function: (batch, heads, length, dim) in, (batch, length, heads, dim) out."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    batch, heads, length, dim = query.shape
    if position_ids is None or key.shape[2] != length or position_ids.shape[-1] != length:
        # Generation with a cache, or no post boundaries given: plain causal attention.
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    blocked, back, n = _masks(position_ids, batch, CHUNK)
    kv_heads = key.shape[1]
    groups = heads // kv_heads
    c, width, pad = CHUNK, (back + 1) * CHUNK, n * CHUNK - length
    scale = scaling if scaling is not None else dim**-0.5
    # The queries of the heads sharing a key head go together: (batch, kv, chunk #, group x c, dim).
    q = F.pad(query * scale, (0, 0, 0, pad)).view(batch, kv_heads, groups, n, c, dim)
    q = q.transpose(2, 3).reshape(batch, kv_heads, n, groups * c, dim)
    # Key/value windows: chunk i sees keys [(i - back) * c, (i + 1) * c), a view, no copy.
    k = F.pad(key, (0, 0, back * c, pad)).unfold(2, width, c)
    v = F.pad(value, (0, 0, back * c, pad)).unfold(2, width, c).transpose(-1, -2)
    scores = (q @ k).view(batch, kv_heads, n, groups, c, width)
    scores = scores.masked_fill_(blocked, float("-inf"))
    # bf16 softmax under autocast still sums in fp32 inside the kernel.
    probs = torch.softmax(scores, dim=-1).view(batch, kv_heads, n, groups * c, width)
    if dropout > 0:
        probs = F.dropout(probs, p=dropout, training=True)
    out = (probs @ v).view(batch, kv_heads, n, groups, c, dim).transpose(2, 3)
    out = out.reshape(batch, heads, n * c, dim)[:, :, :length]
    return out.transpose(1, 2).contiguous(), None


def use_posts_attention(model: Any, on: bool = True) -> bool:
    """Switch `model` to post-by-post attention (or back to sdpa); False if it cannot.

    Returns:
        Whether the model now uses posts attention.
    """
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, posts_attention)
    if not on:
        if model.config._attn_implementation == NAME:
            model.set_attn_implementation("sdpa")
        return False
    if not getattr(model, "_can_set_attn_implementation", lambda: False)():
        return False
    model.set_attn_implementation(NAME)
    return bool(model.config._attn_implementation == NAME)


def setup(model: Any, tokenizer: Any, mode: str) -> int | None:
    """Switch `model` to posts attention when `mode` is "posts" and the model allows it.

    Args:
        model: the causal LM about to be trained.
        tokenizer: its tokenizer (the EOS token separates posts).
        mode: "posts" or "block" (`--attention`).

    Returns:
        The EOS id when posts attention is on (batches then need `position_ids` restarting at
        each post: `collate(..., eos_id)`), else None.
    """
    if mode not in ("posts", "block"):
        raise TrainingError(f"unknown attention {mode!r}", hint="use --attention posts or block")
    if mode == "block" or tokenizer.eos_token_id is None or not use_posts_attention(model):
        return None
    return int(tokenizer.eos_token_id)
