"""Load a bot and sample posts from it, the huggingtweets way.

Stands alone (no import from `publisher`) so the Space can ship it as is; `publisher`
reuses it for `hf-tweetbot generate`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import torch

# huggingtweets' sampling defaults, also written into generation_config.json.
DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "top_p": 0.95,
    "temperature": 1.0,
    "max_length": 160,
    "min_length": 10,
}


@lru_cache(maxsize=1)
def bf16_supported(device: str = "cpu") -> bool:
    """True when bf16 matrix products run natively (CUDA with bf16, or a CPU with AVX512-BF16/AMX)."""
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


def load_bot(model_id: str, device: str | None = None, bf16: bool | None = None) -> tuple[Any, Any]:
    """Load a fine-tuned bot (Hub repo id or local folder) ready for fast sampling.

    Args:
        model_id: a Hub repo id or a folder holding config.json, weights and tokenizer.
        device: "cpu" or "cuda"; defaults to CUDA when available.
        bf16: load the weights in bfloat16; defaults to whether the hardware supports it.

    Returns:
        (model, tokenizer), the model in eval mode, the tokenizer padding on the left.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if bf16 is None:
        bf16 = bf16_supported(device)
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype).to(device).eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def build_prompt(tokenizer: Any, prompt: str) -> str:
    """The prompt as the bot saw posts in training: after the EOS token."""
    return tokenizer.eos_token + prompt.strip()


def first_line(text: str) -> str:
    """Cut a sample at its first newline, as huggingtweets did."""
    return text.split("\n", 1)[0].rstrip()


def generate_posts(
    model: Any,
    tokenizer: Any,
    prompt: str = "",
    n: int = 5,
    max_new_tokens: int = 60,
    temperature: float = DEFAULTS["temperature"],
    top_p: float = DEFAULTS["top_p"],
    streamer: Any = None,
    seed: int | None = None,
) -> list[str]:
    """Sample `n` posts that start with `prompt`, all in one batched `generate` call.

    Args:
        model: a causal LM from `load_bot`.
        tokenizer: its tokenizer.
        prompt: the beginning of every post ("" starts from the EOS token alone).
        n: how many posts.
        max_new_tokens: the most tokens added to the prompt.
        temperature: sampling temperature.
        top_p: nucleus sampling threshold.
        streamer: an optional transformers streamer (it sees the whole batch each step).
        seed: make sampling reproducible.

    Returns:
        `n` posts, each the prompt plus its continuation, cut at the first newline.
    """
    if seed is not None:
        torch.manual_seed(seed)
    text = build_prompt(tokenizer, prompt)
    inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(model.device)
    prompt_len = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        out = model.generate(
            **inputs,
            do_sample=True,
            temperature=max(float(temperature), 1e-3),
            top_p=float(top_p),
            max_new_tokens=int(max_new_tokens),
            min_new_tokens=min(DEFAULTS["min_length"], int(max_new_tokens)),
            num_return_sequences=int(n),
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            streamer=streamer,
        )
    posts = []
    for row in out:
        cont = tokenizer.decode(row[prompt_len:], skip_special_tokens=True)
        posts.append(first_line(prompt.strip() + cont))
    return posts
