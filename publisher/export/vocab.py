"""The bot's tokenizer as GGUF metadata: llama.cpp's byte-level BPE (`tokenizer.ggml.model = gpt2`).

A GGUF carries no `tokenizer.json`: the tokens (in id order), their types, the merges and the
special ids are metadata, plus `tokenizer.ggml.pre`, the name under which llama.cpp keeps the
regular expression that splits text before BPE. That name is read from the tokenizer's own
pre-tokenizer, not from the architecture: a bot trained on the offline SmolLM2 here uses the
plain GPT-2 split (its tokenizer was rebuilt from a GGUF by transformers), the Hub's SmolLM2 splits
digits one by one ("smollm"), Llama 3 and Qwen2 have their own expressions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gguf

from ..errors import ExportError

# The Split expressions of Llama 3's and Qwen2's tokenizer.json, and llama.cpp's names for them.
_SPLITS = {
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+": "llama-bpe",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+": "qwen2",
}  # fmt: skip


@dataclass
class Vocab:
    """What GGUF stores of a byte-level BPE tokenizer."""

    tokens: list[str]
    types: list[int]
    merges: list[str]
    pre: str
    eos_id: int
    bos_id: int | None
    unk_id: int | None
    pad_id: int | None

    def write(self, w: gguf.GGUFWriter) -> None:
        """Add the tokenizer keys to a GGUF writer."""
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(self.pre)
        w.add_token_list(self.tokens)
        w.add_token_types(self.types)
        w.add_token_merges(self.merges)
        w.add_eos_token_id(self.eos_id)
        for add, value in (
            (w.add_bos_token_id, self.bos_id),
            (w.add_unk_token_id, self.unk_id),
            (w.add_pad_token_id, self.pad_id),
        ):
            if value is not None:
                add(value)
        # The bot reads a post after a bare EOS and never saw a BOS (posts are tokenized
        # without special tokens), so llama.cpp must not add one either.
        w.add_add_bos_token(False)
        w.add_add_eos_token(False)


def gguf_vocab(tokenizer: Any, vocab_size: int) -> Vocab:
    """Read a fast byte-level BPE tokenizer into GGUF's form.

    Args:
        tokenizer: the bot's transformers tokenizer (a fast one).
        vocab_size: the model's embedding rows; the token list is padded to it as llama.cpp does.

    Returns:
        The `Vocab`.

    Raises:
        ExportError: not a byte-level BPE tokenizer, an unknown pre-tokenizer, or more tokens
            than the model has embeddings.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError("the bot's tokenizer has no tokenizer.json (a fast tokenizer is needed)")
    spec = json.loads(backend.to_str())
    model = spec["model"]
    if model.get("type") != "BPE" or (spec.get("decoder") or {}).get("type") != "ByteLevel":
        raise ExportError(
            "only byte-level BPE tokenizers (GPT-2, SmolLM2, Llama 3, Qwen2) export to GGUF"
        )
    ids: dict[int, str] = {i: t for t, i in model["vocab"].items()}
    types = dict.fromkeys(ids, int(gguf.TokenType.NORMAL))
    for added in spec.get("added_tokens", []):
        ids[added["id"]] = added["content"]
        kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
        types[added["id"]] = int(kind)
    if len(ids) > vocab_size or (ids and max(ids) >= vocab_size):
        raise ExportError(f"the tokenizer has {len(ids)} tokens for {vocab_size} embeddings")
    tokens, kinds = [], []
    for i in range(vocab_size):
        if i in ids:
            tokens.append(ids[i])
            kinds.append(types[i])
        else:  # embedding rows no token uses (a vocabulary padded for speed): as llama.cpp pads
            tokens.append(f"[PAD{i}]")
            kinds.append(int(gguf.TokenType.UNUSED))
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return Vocab(
        tokens=tokens,
        types=kinds,
        merges=merges,
        pre=pre_tokenizer_name(spec.get("pre_tokenizer") or {}),
        eos_id=int(tokenizer.eos_token_id),
        bos_id=tokenizer.bos_token_id,
        unk_id=tokenizer.unk_token_id,
        pad_id=tokenizer.eos_token_id if tokenizer.pad_token_id is None else tokenizer.pad_token_id,
    )


def pre_tokenizer_name(pre: dict[str, Any]) -> str:
    """llama.cpp's name (`tokenizer.ggml.pre`) for a tokenizer.json pre-tokenizer.

    Raises:
        ExportError: a split llama.cpp would not reproduce.
    """
    parts = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    kinds = [p.get("type") for p in parts]
    last = parts[-1] if parts else {}
    if kinds == ["ByteLevel"] and last.get("use_regex", True) and not last.get("add_prefix_space"):
        return "gpt-2"
    digits = parts[0].get("individual_digits")
    if kinds == ["Digits", "ByteLevel"] and digits and last.get("use_regex", True):
        return "smollm"
    if kinds == ["Split", "ByteLevel"] and not last.get("use_regex", True):
        name = _SPLITS.get((parts[0].get("pattern") or {}).get("Regex", ""))
        if name:
            return name
    what = "+".join(map(str, kinds)) or "none"
    raise ExportError(f"the tokenizer's pre-tokenizer ({what}) has no llama.cpp equivalent here")
