"""Load a bot ready to draw posts: its weights (a LoRA adapter merged into its base), in the
precision the hardware multiplies fastest, its tokenizer, and what the first request would
otherwise build (`draw.warm`).

Stands alone (no import from `publisher`) so the Space ships it as is; training imports
`bf16_supported` to train in the precision the bot will serve in.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

import torch

try:
    from .draw import warm
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    from draw import warm  # type: ignore[no-redef]

BASE_ENV = "TWEETBOT_BASE_MODEL"


@lru_cache(maxsize=1)
def bf16_supported(device: str = "cpu") -> bool:
    """True when bf16 matrix products run natively (CUDA with bf16, or a CPU with AVX512-BF16/AMX).

    Elsewhere fp32 is faster: with oneDNN limited to AVX512 without BF16 (`ONEDNN_MAX_CPU_ISA=
    AVX512_CORE`, this project's CPU), the Space's request took 3.4-3.7 s in bf16, 2.4-2.7 s in fp32.
    """
    if os.environ.get("HF_TWEETBOT_NO_BF16"):
        return False
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_bot(
    model_id: str, device: str | None = None, bf16: bool | None = None, base: str | None = None
) -> tuple[Any, Any]:
    """Load a fine-tuned bot (Hub repo id or local folder) ready for fast drawing.

    Args:
        model_id: a Hub repo id or a folder holding config.json, weights and tokenizer, or a
            LoRA adapter (`adapter_config.json`) with its tokenizer.
        device: "cpu" or "cuda"; defaults to CUDA when available.
        bf16: load the weights in bfloat16; defaults to whether the hardware supports it.
        base: where an adapter's base model is loaded from (default `TWEETBOT_BASE_MODEL`, else
            the Hub id the adapter names).

    Returns:
        (model, tokenizer), the model in eval mode, the tokenizer padding on the left.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if bf16 is None:
        bf16 = bf16_supported(device)
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    dtype = torch.bfloat16 if bf16 else torch.float32
    named_base = adapter_base(model_id)
    if named_base is None:
        model: Any = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype)
    else:
        model = _merged_adapter(model_id, base or os.environ.get(BASE_ENV) or named_base, dtype)
    model = model.to(device).eval()
    if named_base is not None:  # the adapter repo's own sampling, not its base model's
        model.generation_config = _generation_config(model_id, model.generation_config)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    warm(model, tokenizer)
    return model, tokenizer


def adapter_base(model_id: str) -> str | None:
    """The base model a LoRA adapter repo names, or None for a repo of full weights."""
    if os.path.isdir(model_id):
        path = os.path.join(model_id, "adapter_config.json")
        if not os.path.isfile(path):
            return None
    else:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError

        try:
            path = hf_hub_download(model_id, "adapter_config.json")
        except EntryNotFoundError:
            return None
    with open(path, encoding="utf-8") as f:
        return str(json.load(f)["base_model_name_or_path"])


def _generation_config(model_id: str, fallback: Any) -> Any:
    """The repo's `generation_config.json`, or `fallback` when it has none."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(model_id)
    except (OSError, ValueError):
        return fallback


def _merged_adapter(model_id: str, base: str, dtype: Any) -> Any:
    """The base model with the adapter merged in: drawing then costs what a full bot costs."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    # Merged in fp32, then cast: a bf16 merge would round the small LoRA update away.
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return PeftModel.from_pretrained(model, model_id).merge_and_unload().to(dtype)
