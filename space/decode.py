"""One decoding step of the bot's model, with as little Python and as few allocations as possible.

A decoding step of 5 posts through a 135M model is a few matrix-vector products per layer; on
a 2-core CPU transformers' forward spends as long around them: ~50 operations per layer (casts,
reshapes, mask and cache bookkeeping), a dynamic KV cache that copies itself (`torch.cat`) at
every token, and weights handed to oneDNN in a layout it re-packs on every call (profiled: 78%
of a request in `aten::mm`, at a fraction of the memory bandwidth). The steppers here compute
the same function for the architectures bots are made of (Llama-like: SmolLM2, Llama, Qwen2;
and GPT-2) with ~20 operations per layer:

- weights packed once in oneDNN's layout (`Linear`): the largest gain, ~2× on this CPU;
- query/key/value, and gate/up, one product each (fused weights; the model's own modules are
  re-pointed at slices of them, so the model still works and its memory does not grow);
- a static KV cache, allocated once per request for prompt + new tokens, written in place;
- grouped-query attention without repeating keys (the heads sharing a key/value head are passed
  as its queries), in fp32; RoPE on queries and keys at once, from a table; fused RMSNorm.

Measured side by side, `make bench`, in docs/performance.md. Anything else (another architecture, RoPE
scaling, a GPU) runs through transformers (`HFStepper`), as does everything when
`HF_TWEETBOT_FAST_DECODE=0`. Every stepper has the same four methods. Where the steps run
matters as much as what they compute: `model_thread.py`.

Tried on SmolLM2 and not kept (2-core CPU, 2026-12-02):

- int8 dynamic quantization of the linear layers (fbgemm, per-channel weights): far faster
  products (the head 0.6 ms instead of 5.4 in fp32) but not the same bot. Activations are
  quantized per tensor, and SmolLM2's outliers make the next-token distribution drift from the
  fp32 model's by a mean KL of 0.11 per position (p99 1.0), against 0.0016 (p99 0.008) for
  transformers' own bf16 forward; each kind of layer alone already exceeds that, except o_proj.
- `torch.compile` (inductor, frozen weights, static shapes) of the decode step: 64-68 s to
  compile, then 71 ms a step in bf16 and 111 ms in fp32 where these steps take 22 and 32 ms,
  and a new compile for each batch size and cache length.
"""

from __future__ import annotations

import copy
import inspect
import os
import threading
import weakref
from typing import Any

import torch

try:
    from .fast_decode import GPT2Stepper, LlamaStepper, StaticStepper, llama_like, plain_gpt2
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    from fast_decode import (  # type: ignore[no-redef]
        GPT2Stepper,
        LlamaStepper,
        StaticStepper,
        llama_like,
        plain_gpt2,
    )


class HFStepper:
    """Decoding through the model's own forward and transformers' dynamic cache."""

    def __init__(self, model: Any) -> None:
        self.model = model
        params = inspect.signature(type(model).forward).parameters
        # transformers 5 renamed `past_key_values` to `cache`; use whichever forward takes.
        self.kw = "cache" if "cache" in params else "past_key_values"
        self.cache: Any = None

    def prefill(self, ids: torch.Tensor, max_len: int) -> torch.Tensor:
        """Run the (1, P) prompt; return the (1, vocab) logits of the next token."""
        from transformers import DynamicCache

        try:
            self.cache = DynamicCache(config=self.model.config)
        except TypeError:  # transformers 4.x
            self.cache = DynamicCache()
        res = self.model(ids.to(self.model.device), use_cache=True, logits_to_keep=1, **{self.kw: self.cache})  # fmt: skip
        return res.logits[:, -1, :]

    def expand(self, n: int) -> None:
        """Repeat the prompt's cache for `n` posts."""
        if n > 1:
            self.cache.batch_repeat_interleave(n)

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these rows of the batch (the posts still being written)."""
        self.cache.batch_select_indices(rows.to(self.model.device))

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed one (batch,) token per row; return the (batch, vocab) next-token logits."""
        res = self.model(tokens[:, None].to(self.model.device), use_cache=True, **{self.kw: self.cache})  # fmt: skip
        return res.logits[:, -1, :]


def _fast(model: Any) -> StaticStepper | None:
    """A fast stepper for this model, or None where only transformers' forward is right."""
    if str(model.device) != "cpu":
        return None
    if llama_like(model.config):
        return LlamaStepper(model)
    if plain_gpt2(model.config):
        return GPT2Stepper(model)
    return None


_BUILT: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()  # two first requests at once must not fuse the weights twice


def build_fast_path(model: Any, fast: bool | None = None) -> bool:
    """Build the model's fast decoding path once (fused and packed weights: ~1 s for 135M).

    `load_bot` calls it, so the first request does not pay for it.

    Args:
        model: a causal LM.
        fast: True/False to choose (rebuilding); None: keep what was built, else build unless
            `HF_TWEETBOT_FAST_DECODE=0`.

    Returns:
        Whether requests on `model` use a fast stepper.
    """
    with _BUILDING:
        if fast is not None or model not in _BUILT:
            on = os.environ.get("HF_TWEETBOT_FAST_DECODE", "1") != "0" if fast is None else fast
            _BUILT[model] = _fast(model) if on else None
        return _BUILT[model] is not None


def stepper(model: Any) -> Any:
    """A fresh decoding state for one request on `model` (fast where the architecture allows).

    The fast stepper of a model is built once; each request gets a shallow copy that shares the
    weights and holds its own cache, so concurrent requests never mix.
    """
    build_fast_path(model)
    fast = _BUILT[model]
    return HFStepper(model) if fast is None else copy.copy(fast)
