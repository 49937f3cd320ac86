"""Valid text from a byte-level tokenizer: a token is drawn only where its bytes can continue.

GPT-2, SmolLM2, Qwen2 and most other bots' tokenizers are byte-level BPE: every token stands for
a few bytes, and many tokens are part of a character (a single byte of an emoji, of a Japanese
or Cyrillic letter). A model can draw such tokens in an order that is not UTF-8, and the text
then shows U+FFFD ("udf\ufffd\u00fcr"). Sampling therefore tracks, for every post, where it
stands inside a UTF-8 sequence (`STATES`, a small automaton over bytes) and draws only tokens
whose bytes continue it:

- a token whose bytes cannot start or continue a valid sequence is never drawn (a stray
  continuation byte, a lead byte where a continuation is due, an overlong or surrogate form);
- neither is the character U+FFFD itself, nor EOS, a newline or any special token while a
  character is unfinished: a post never ends inside a sequence;
- in a post's last steps only tokens that leave few enough bytes unfinished to complete in the
  steps left are drawn, so a post cut at its length limit ends on a whole character too.

`Utf8Table.of(tokenizer)` computes every token's bytes and, for every state, where the token
leads (numpy, about 0.1 s for 49k tokens, cached per tokenizer); `Utf8Rows` follows the posts of
one request. Stands alone like `draw.py` (no import from `publisher`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import torch

# States of the automaton: 0 between characters; the others inside one, by how many bytes are
# still due and which values the next one may take (RFC 3629's table of well-formed sequences).
# (bytes still due, lowest next byte, highest next byte, state after a valid next byte)
STATES: list[tuple[int, int, int, int]] = [
    (0, 0x00, 0x7F, 0),  # 0: between characters
    (1, 0x80, 0xBF, 0),  # 1: one continuation byte due
    (2, 0x80, 0xBF, 1),  # 2: two due (E1-EC, EE)
    (2, 0xA0, 0xBF, 1),  # 3: after E0 (no overlong form)
    (2, 0x80, 0x9F, 1),  # 4: after ED (no surrogate)
    (3, 0x80, 0xBF, 2),  # 5: three due (F1-F3)
    (3, 0x90, 0xBF, 2),  # 6: after F0 (no overlong form)
    (3, 0x80, 0x8F, 2),  # 7: after F4 (nothing past U+10FFFF)
    (2, 0x80, 0xBF, 1),  # 8: after EF (BF leads to 9: U+FFF0-U+FFFF)
    (1, 0x80, 0xBF, 0),  # 9: after EF BF (BD would make U+FFFD, the replacement character)
]
ERROR = len(STATES)  # absorbing: the bytes are not UTF-8
# Lead bytes: the state each one opens (0xC0, 0xC1 and 0xF5-0xFF never appear in UTF-8).
_LEADS = {**dict.fromkeys(range(0xC2, 0xE0), 1), 0xE0: 3, **dict.fromkeys(range(0xE1, 0xED), 2),
          0xED: 4, 0xEE: 2, 0xEF: 8, 0xF0: 6, 0xF1: 5, 0xF2: 5, 0xF3: 5, 0xF4: 7}  # fmt: skip
_BYTE_TOKEN = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")  # SentencePiece's byte fallback


def byte_transitions() -> np.ndarray:
    """(states + 1, 256) int8: the state after each byte, from each state (ERROR absorbs)."""
    table = np.full((ERROR + 1, 256), ERROR, dtype=np.int8)
    table[0, :0x80] = 0
    for b, state in _LEADS.items():
        table[0, b] = state
    for s, (_, lo, hi, after) in enumerate(STATES[1:], start=1):
        table[s, lo : hi + 1] = after
    table[8, 0xBF] = 9
    table[9, 0xBD] = ERROR
    return table


def gpt2_byte_decoder() -> dict[str, int]:
    """The byte of each character of a byte-level BPE token (GPT-2's `bytes_to_unicode`, inverted)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]  # fmt: skip
    shifted = [b for b in range(256) if b not in keep]
    chars = {b: chr(b) for b in keep} | {b: chr(256 + i) for i, b in enumerate(shifted)}
    return {c: b for b, c in chars.items()}


def _decoder_types(tokenizer: Any) -> set[str]:
    """The types of the tokenizer's decoder and its parts ("ByteLevel", "ByteFallback", ...)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return set()
    dec = json.loads(backend.to_str()).get("decoder") or {}
    parts = dec.get("decoders") or [dec]
    return {str(p.get("type")) for p in parts if isinstance(p, dict)}


def token_bytes(tokenizer: Any) -> list[bytes | None]:
    """The bytes each token id writes, None for special tokens (EOS, chat markers, ...).

    Byte-level BPE tokens are read through GPT-2's byte alphabet; SentencePiece byte-fallback
    tokens (`<0xE3>`) are their byte; any other token is its own decoded text.
    """
    n = len(tokenizer)
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    special |= {i for i, t in added.items() if getattr(t, "special", False)}
    pieces = tokenizer.convert_ids_to_tokens(list(range(n)))
    kinds = _decoder_types(tokenizer)
    byte_of = gpt2_byte_decoder()
    out: list[bytes | None] = []
    for i, piece in enumerate(pieces):
        if i in special or piece is None:
            out.append(None)
        elif "ByteLevel" in kinds and all(c in byte_of for c in piece):
            out.append(bytes(byte_of[c] for c in piece))
        elif "ByteFallback" in kinds and (m := _BYTE_TOKEN.match(piece)):
            out.append(bytes([int(m.group(1), 16)]))
        elif "ByteFallback" in kinds or "Metaspace" in kinds:
            out.append(piece.replace("\u2581", " ").encode("utf-8"))
        else:  # an added token, or a tokenizer of whole characters
            out.append(tokenizer.decode([i]).encode("utf-8", "surrogatepass"))
    return out


class Utf8Table:
    """Where every token leads from every state, and how many bytes it leaves unfinished.

    Attributes:
        after: (states, vocab) long tensor, the state after the token (ERROR: not allowed).
        due: (states, vocab) long tensor, bytes still due after it (large where not allowed).
        chars: (vocab,) numpy int32, characters each token starts (its bytes that are not
            continuation bytes): the length of text a run of tokens covers.
    """

    def __init__(self, pieces: list[bytes | None]) -> None:
        trans = byte_transitions()
        n = len(pieces)
        longest = max((len(p) for p in pieces if p), default=1)
        data = np.zeros((n, longest), dtype=np.uint8)
        length = np.zeros(n, dtype=np.int32)
        for i, p in enumerate(pieces):
            if p:
                data[i, : len(p)] = np.frombuffer(p, dtype=np.uint8)
                length[i] = len(p)
        after = np.empty((ERROR, n), dtype=np.int64)
        for s in range(ERROR):
            cur = np.full(n, s, dtype=np.int64)
            for j in range(longest):
                live = length > j
                cur[live] = trans[cur[live], data[live, j]]
            after[s] = cur
        # Special tokens write nothing: allowed between characters only (EOS ends a post there).
        empty = np.array([p is None or len(p) == 0 for p in pieces])
        after[1:, empty] = ERROR
        after[0, empty] = 0
        due_of = np.array([s[0] for s in STATES] + [99], dtype=np.int64)
        starts = (data < 0x80) | (data >= 0xC0)  # a byte that is not a continuation byte
        starts[np.arange(longest)[None, :] >= length[:, None]] = False
        self.after = torch.from_numpy(after)
        self.due = torch.from_numpy(due_of[after])
        self.chars = starts.sum(axis=1).astype(np.int32)
        self.vocab = n

    @classmethod
    def of(cls, tokenizer: Any) -> Utf8Table:
        """The table of a tokenizer (computed once per tokenizer object)."""
        return _table(tokenizer)

    def rows(self, n: int, steps: int) -> Utf8Rows:
        """The state of `n` posts that may run `steps` tokens, all between characters."""
        return Utf8Rows(self, n, steps)

    def next_state(self, state: int, token: int) -> int:
        """The state after `token` (0 again after bytes that are not UTF-8: a fresh start)."""
        if not 0 <= token < self.vocab:
            return state
        after = int(self.after[state, token])
        return 0 if after == ERROR else after

    def complete(self, ids: list[int]) -> bool:
        """Whether the tokens `ids` are valid UTF-8 ending on a whole character."""
        state = 0
        for i in ids:
            if 0 <= i < self.vocab:
                state = int(self.after[state, i])
            if state == ERROR:
                return False
        return state == 0


_TABLES: dict[int, tuple[Any, Utf8Table]] = {}


def _table(tokenizer: Any) -> Utf8Table:
    hit = _TABLES.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    table = Utf8Table(token_bytes(tokenizer))
    _TABLES[id(tokenizer)] = (tokenizer, table)
    return table


class Utf8Rows:
    """The UTF-8 state of each post of one request, and the tokens each may draw next."""

    def __init__(self, table: Utf8Table, n: int, steps: int) -> None:
        self.table = table
        self.state = torch.zeros(n, dtype=torch.long)
        self.left = int(steps)  # steps left, this one included

    def allowed(self, ids: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, k) bool: whether each row may draw each of its candidate tokens `ids`.

        Within the last steps, a token must also leave no more bytes unfinished than the steps
        after it can complete (every byte-level vocabulary has a token for each single byte).
        Ids past the tokenizer's vocabulary (a model's padding rows) are never allowed.

        Args:
            ids: (batch, k) token ids, or (rows, k) with `rows`.
            rows: which rows `ids` are for (default: all, in order).
        """
        state = (self.state if rows is None else self.state[rows])[:, None]
        inside = ids < self.table.vocab
        due = self.table.due[state, ids.clamp(max=self.table.vocab - 1)]
        return inside & (due < max(self.left, 1))

    def restrict(self, logits: torch.Tensor, vals: torch.Tensor, idx: torch.Tensor,
                 k: int) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """The `k` best allowed tokens of each row, given its `k` best tokens `vals`, `idx`.

        Rows whose k best are all allowed (nearly all, nearly always) keep them as they are; the
        others take the k best of their masked logits. A row with no allowed token left (not
        seen with a byte-level vocabulary) samples as it would without the constraint.
        """
        ok = self.allowed(idx.cpu())
        bad = (~ok.all(dim=-1)).nonzero().squeeze(-1)
        if len(bad) == 0:
            return vals, idx
        vocab = torch.arange(logits.shape[-1])[None, :].expand(len(bad), -1)
        mask = self.allowed(vocab, rows=bad).to(logits.device)
        dev = bad.to(logits.device)
        mv, mi = torch.topk(logits[dev].masked_fill(~mask, float("-inf")), k, dim=-1)
        usable = torch.isfinite(mv[:, 0])
        vals, idx = vals.clone(), idx.clone()
        vals[dev[usable]], idx[dev[usable]] = mv[usable], mi[usable]
        return vals, idx

    def advance(self, tokens: torch.Tensor) -> None:
        """Move every row past the token it drew."""
        tokens = tokens.cpu().clamp(max=self.table.vocab - 1)
        state = self.table.after[self.state, tokens]
        self.state = state.masked_fill(state == ERROR, 0)  # only where a row had no choice
        self.left -= 1

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these rows (the posts still being written)."""
        self.state = self.state[rows.cpu()]
