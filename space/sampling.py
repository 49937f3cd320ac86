"""Load a bot and sample posts from it, the huggingtweets way.

Stands alone (no import from `publisher`) so the Space can ship it as is; `publisher`
reuses it for `hf-tweetbot generate`.

Sampling runs its own decode loop rather than `model.generate`: on a 2-core CPU with a 135M
model the per-step overhead of `generate` (logits processors over a 49k vocabulary, stopping
criteria, bookkeeping) is a third of the time. The loop prefills the prompt once, repeats the
KV cache for the `n` posts, samples with top-k then top-p on the k best tokens only, and drops a
post from the batch as soon as it ends (EOS or a newline: posts are cut at the first newline).
Only tokens that keep a post valid UTF-8 are drawn (`utf8.py`): no post shows U+FFFD.
Each model pass is one step of `decode.py`: fused, pre-packed weights and a static cache for
GPT-2 and Llama-like bots (about twice as fast on this CPU), transformers' forward otherwise.
"""

from __future__ import annotations

import math
import os
import re
from functools import lru_cache
from typing import Any

import torch

try:
    from . import decode
    from .utf8 import Utf8Rows, Utf8Table
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    import decode  # type: ignore[no-redef]
    from utf8 import Utf8Rows, Utf8Table  # type: ignore[no-redef]

# Every character `str.splitlines` breaks on: a post is one line, whatever the model emits.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")

# huggingtweets' sampling defaults, also written into generation_config.json.
DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "top_p": 0.95,
    "temperature": 1.0,
    "max_length": 160,
    "min_length": 10,
}
# transformers' default top-k, which huggingtweets' samples also went through.
TOP_K = 50
# The keys of a bot's sampling beyond huggingtweets' three, and their values when a bot's
# generation_config.json lacks them (as a bot made before they existed samples):
# - min_p: drop tokens under min_p times the likeliest one's probability (0: off);
# - untruncated_start: the first N tokens of a post are drawn from the whole distribution
#   (temperature 1, no top-k, top-p nor min-p): truncation cuts the long tail of ways a post can
#   begin and so inflates the likeliest beginning (an @mention, for many people);
# - reply_share: the share of a post drawn from a bare EOS that begins with an @mention, as the
#   person's posts do; the first token is reweighted to it (below 0: not reweighted).
EXTRA_DEFAULTS: dict[str, Any] = {"min_p": 0.0, "untruncated_start": 0, "reply_share": -1.0}


def bot_setting(model: Any) -> dict[str, Any]:
    """The bot's own sampling: its `generation_config.json` (fitted by `hf-tweetbot eval`).

    A model whose generation config does not sample gets huggingtweets' (temperature 1,
    top-p 0.95, top-k 50).

    Returns:
        {"temperature", "top_p", "top_k", "min_p", "untruncated_start", "reply_share"}; a key the
        config lacks has its `EXTRA_DEFAULTS` value (huggingtweets' sampling).
    """
    gen = getattr(model, "generation_config", None)
    if gen is None or not getattr(gen, "do_sample", False):
        return {"temperature": DEFAULTS["temperature"], "top_p": DEFAULTS["top_p"], "top_k": TOP_K,
                **EXTRA_DEFAULTS}  # fmt: skip
    temperature, top_p, top_k = gen.temperature, gen.top_p, gen.top_k
    return {"temperature": float(DEFAULTS["temperature"] if temperature is None else temperature),
            "top_p": float(1.0 if top_p is None else top_p),
            "top_k": int(0 if top_k is None else top_k), **extra_setting(vars(gen))}  # fmt: skip


def extra_setting(config: dict[str, Any]) -> dict[str, Any]:
    """`min_p`, `untruncated_start` and `reply_share` of a generation config, checked.

    A missing, null or out-of-range value is the `EXTRA_DEFAULTS` one, so a hand-edited config
    cannot break sampling.
    """
    out = dict(EXTRA_DEFAULTS)
    ranges = {"min_p": (float, 0.0, 0.99), "untruncated_start": (int, 0, 16),
              "reply_share": (float, -1.0, 1.0)}  # fmt: skip
    for key, (kind, low, high) in ranges.items():
        try:
            value = kind(config[key])
        except (KeyError, TypeError, ValueError):
            continue
        if low <= value <= high:
            out[key] = value
    return out


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
    """Load a fine-tuned bot (Hub repo id or local folder) ready for fast sampling.

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
    decode.build_fast_path(model)  # fuse and pack the weights now, not in the first request
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    stop_ids(tokenizer)  # decodes the whole vocabulary once (~0.3 s): not in the first request
    Utf8Table.of(tokenizer)  # every token's bytes (~0.2 s), likewise
    return model, tokenizer


BASE_ENV = "TWEETBOT_BASE_MODEL"


def adapter_base(model_id: str) -> str | None:
    """The base model a LoRA adapter repo names, or None for a repo of full weights."""
    import json

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
    """The base model with the adapter merged in: sampling then costs what a full bot costs."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    # Merged in fp32, then cast: a bf16 merge would round the small LoRA update away.
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return PeftModel.from_pretrained(model, model_id).merge_and_unload().to(dtype)


def build_prompt(tokenizer: Any, prompt: str) -> str:
    """The prompt as the bot saw posts in training: after the EOS token."""
    return tokenizer.eos_token + prompt.strip()


def first_line(text: str) -> str:
    """Cut a sample at its first newline, as huggingtweets did."""
    return _LINE_BREAK.split(text, maxsplit=1)[0].rstrip()


_STOP_IDS: dict[int, tuple[Any, torch.Tensor]] = {}


def stop_ids(tokenizer: Any) -> torch.Tensor:
    """Ids of the tokens that end a post: EOS and every token whose text holds a line break.

    Decoding the whole vocabulary takes ~0.3 s for 49k tokens, so it is cached per tokenizer.
    """
    hit = _STOP_IDS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    ids = {i for i, t in enumerate(texts) if _LINE_BREAK.search(t)}
    ids.add(tokenizer.eos_token_id)
    out = torch.tensor(sorted(ids), dtype=torch.long)
    _STOP_IDS[id(tokenizer)] = (tokenizer, out)
    return out


_MENTION_IDS: dict[int, tuple[Any, torch.Tensor]] = {}


def mention_ids(tokenizer: Any) -> torch.Tensor:
    """Ids of the tokens a reply begins with: those whose text starts with "@" (cached)."""
    hit = _MENTION_IDS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    out = torch.tensor([i for i, t in enumerate(texts) if t.lstrip().startswith("@")],
                       dtype=torch.long)  # fmt: skip
    _MENTION_IDS[id(tokenizer)] = (tokenizer, out)
    return out


def reweight_start(logits: torch.Tensor, mentions: torch.Tensor, share: float) -> torch.Tensor:
    """The first token's logits with the tokens that begin a reply holding `share` of the mass.

    The model's own share of replies (its probability of an @-token at temperature 1) is moved
    to the person's; within replies and within the other posts the model's odds stay as they
    are. A model that (almost) never begins with "@", or never otherwise, is left as it is.
    """
    if not len(mentions):
        return logits
    logp = torch.log_softmax(logits.float(), dim=-1)
    own = logp.index_select(-1, mentions.to(logits.device)).exp().sum(-1, keepdim=True)
    share = min(max(float(share), 1e-4), 1 - 1e-4)
    ok = (own > 1e-4) & (own < 1 - 1e-4)
    up = torch.where(ok, torch.log(share / own.clamp(1e-6, 1)), torch.zeros_like(own))
    down = torch.where(ok, torch.log((1 - share) / (1 - own).clamp(1e-6, 1)), torch.zeros_like(own))
    is_mention = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
    is_mention[mentions.to(logits.device)] = True
    return logits.float() + torch.where(is_mention, up, down)


def sample_next(
    logits: torch.Tensor,
    temperature: float,
    top_p: float,
    top_k: int = TOP_K,
    generator: torch.Generator | None = None,
    valid: Utf8Rows | None = None,
    min_p: float = 0.0,
) -> torch.Tensor:
    """Draw one token per row with temperature, top-k, top-p (nucleus) and min-p sampling.

    Top-p runs on the `top_k` best logits only: sorting 50 values instead of 49k per row is
    what makes it cheap, and it is what `generate` does with its default `top_k=50`. With
    `valid`, the k best are those among the tokens that keep each row's text valid UTF-8.

    Args:
        logits: (batch, vocab) scores of the next token.
        temperature: divides the logits; small values approach greedy decoding.
        top_p: keep the smallest set of tokens whose probability reaches `top_p`.
        top_k: keep at most this many tokens (0 or less: the whole vocabulary).
        generator: a seeded generator for reproducible draws.
        valid: the rows' UTF-8 state (`utf8.py`): only tokens that continue it are drawn.
        min_p: drop tokens whose probability is under `min_p` times the likeliest one's (0: off).

    Returns:
        (batch,) token ids.
    """
    k = logits.shape[-1] if top_k <= 0 else min(int(top_k), logits.shape[-1])
    if min_p > 0.0:  # only the tokens min-p can keep need sorting
        top = logits.max(-1, keepdim=True).values.float()
        floor = top + max(temperature, 1e-3) * math.log(min_p)
        k = max(1, min(k, int((logits.float() >= floor).sum(-1).max()) + 8))
    # A positive temperature keeps the order, so the k best are picked from the raw logits and
    # only those k are converted and scaled (not the whole vocabulary, twice, at every token).
    vals, idx = torch.topk(logits, k, dim=-1)  # sorted, best first
    if valid is not None:
        vals, idx = valid.restrict(logits, vals, idx, k)
    probs = torch.softmax(vals.float() / max(float(temperature), 1e-3), dim=-1)
    if top_p < 1.0:
        # Drop a token when the tokens before it already reach top_p (the best one always stays).
        drop = (torch.cumsum(probs, dim=-1) - probs) >= float(top_p)
        probs = probs.masked_fill(drop, 0.0)
    if min_p > 0.0:
        probs = probs.masked_fill(probs < float(min_p) * probs.max(-1, keepdim=True).values, 0.0)
    pick = torch.multinomial(probs, 1, generator=generator)
    return idx.gather(-1, pick).squeeze(-1)


def fit_context(model: Any, ids: torch.Tensor, max_new_tokens: int) -> tuple[torch.Tensor, int]:
    """Keep prompt + new tokens within the model's positions, dropping the prompt's start.

    Args:
        model: the causal LM.
        ids: (1, length) prompt ids.
        max_new_tokens: the tokens asked for.

    Returns:
        (ids, max_new_tokens), shortened where the model has fewer positions.
    """
    cfg = model.config
    limit = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
    if not limit:
        return ids, max_new_tokens
    max_new_tokens = max(1, min(max_new_tokens, limit // 2))
    keep = limit - max_new_tokens
    return (ids[:, -keep:] if ids.shape[1] > keep else ids), max_new_tokens


def sample_ids(
    model: Any,
    tokenizer: Any,
    prompt: str = "",
    n: int = 5,
    max_new_tokens: int = 60,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    streamer: Any = None,
    seed: int | None = None,
    stop_early: bool = True,
    valid_utf8: bool = True,
    min_p: float | None = None,
    untruncated_start: int | None = None,
    reply_share: float | None = None,
) -> list[list[int]]:
    """Sample `n` continuations of `prompt` in one batch; return the new token ids of each.

    Args:
        model: a causal LM from `load_bot`.
        tokenizer: its tokenizer.
        prompt: the beginning of every post ("" starts from the EOS token alone).
        n: how many posts.
        max_new_tokens: the most tokens added to the prompt.
        temperature: sampling temperature (None: the bot's own, `bot_setting`).
        top_p: nucleus sampling threshold (None: the bot's own).
        top_k: sample among the k most likely tokens only (None: the bot's own).
        streamer: a transformers streamer; like `generate`, it gets the prompt ids first, then
            the (n,) new tokens of each step (rows that ended repeat EOS).
        seed: make sampling reproducible.
        stop_early: drop a post from the batch at EOS or a newline (False: always run
            `max_new_tokens` steps, for benchmarks).
        valid_utf8: draw only tokens that keep each post valid UTF-8, ending on a whole
            character (`utf8.py`); False draws from the whole vocabulary (for benchmarks).
        min_p: min-p threshold (None: the bot's own; 0: off).
        untruncated_start: the first tokens drawn from the whole distribution at temperature
            1 (None: the bot's own; 0: none).
        reply_share: with an empty prompt, the share of posts whose first token begins an
            @mention (None: the bot's own; below 0: the model's own share).

    Returns:
        `n` lists of new token ids, each ending before its EOS/newline token.
    """
    own = bot_setting(model)
    temperature = own["temperature"] if temperature is None else temperature
    top_p = own["top_p"] if top_p is None else top_p
    top_k = own["top_k"] if top_k is None else top_k
    min_p = own["min_p"] if min_p is None else min_p
    untruncated_start = own["untruncated_start"] if untruncated_start is None else untruncated_start
    reply_share = own["reply_share"] if reply_share is None else reply_share
    mentions = mention_ids(tokenizer) if reply_share >= 0 and not prompt.strip() else None
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    text = build_prompt(tokenizer, prompt)
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    ids, max_new_tokens = fit_context(model, ids, int(max_new_tokens))
    stops = stop_ids(tokenizer)
    eos = int(tokenizer.eos_token_id)
    min_new = min(DEFAULTS["min_length"], int(max_new_tokens))
    state = decode.stepper(model)
    valid = Utf8Table.of(tokenizer).rows(n, int(max_new_tokens)) if valid_utf8 else None
    out: list[list[int]] = [[] for _ in range(n)]
    live = list(range(n))  # rows of `out` still in the batch, in batch order
    if streamer is not None:
        streamer.put(ids)
    with torch.inference_mode():
        # Prefill once, then repeat the cache: the prompt is the same for every post.
        logits = state.prefill(ids, ids.shape[1] + int(max_new_tokens)).expand(n, -1)
        state.expand(n)
        for step in range(int(max_new_tokens)):
            if step < min_new:  # huggingtweets' min_length: no EOS (nor newline) too early
                logits = logits.index_fill(-1, stops.to(logits.device), float("-inf"))
            if step == 0 and mentions is not None:
                logits = reweight_start(logits, mentions, reply_share)
            if step < untruncated_start:  # the way a post begins: the whole distribution
                nxt = sample_next(logits, 1.0, 1.0, 0, gen, valid).cpu()
            else:
                nxt = sample_next(logits, temperature, top_p, top_k, gen, valid, min_p).cpu()
            if valid is not None:
                valid.advance(nxt)
            ended = (
                torch.isin(nxt, stops) if stop_early else torch.zeros_like(nxt, dtype=torch.bool)
            )
            for row, tok, end in zip(live, nxt.tolist(), ended.tolist(), strict=True):
                if not end:
                    out[row].append(tok)
            if streamer is not None:
                full = torch.full((n,), eos, dtype=torch.long)
                full[live] = torch.where(ended, eos, nxt)
                streamer.put(full)
            keep = (~ended).nonzero().squeeze(-1)
            # A streamer whose reader went away (closed browser tab) sets `cancelled`.
            if getattr(streamer, "cancelled", False):
                break
            if len(keep) == 0 or step == max_new_tokens - 1:
                break
            if len(keep) < len(live):
                state.keep(keep)
                if valid is not None:
                    valid.keep(keep)
                live = [live[i] for i in keep.tolist()]
                nxt = nxt[keep]
            logits = state.step(nxt)
    if streamer is not None:
        streamer.end()
    return out


def generate_posts(model: Any, tokenizer: Any, prompt: str = "", **kw: Any) -> list[str]:
    """Sample posts that start with `prompt`, all in one batch.

    Args:
        model: a causal LM from `load_bot`.
        tokenizer: its tokenizer.
        prompt: the beginning of every post ("" starts from the EOS token alone).
        **kw: `n`, `max_new_tokens`, `temperature`, `top_p`, `top_k`, `min_p`,
            `untruncated_start`, `reply_share`, `streamer`, `seed`, `stop_early`, `valid_utf8`,
            as for `sample_ids`.

    Returns:
        The posts, each the prompt plus its continuation, cut at the first newline.
    """
    return [post_text(tokenizer, prompt, row) for row in sample_ids(model, tokenizer, prompt, **kw)]


def post_text(tokenizer: Any, prompt: str, new_ids: list[int]) -> str:
    """The post a user sees: the prompt plus the decoded continuation, first line only."""
    cont = tokenizer.decode(new_ids, skip_special_tokens=True)
    return first_line(prompt.strip() + cont)
