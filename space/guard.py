"""The copy guard: what a copied span is, the file that records a bot's spans, its key.

Where the guard acts on a draw (a copy drawn again, then cut short) is `draw.py`'s `redraw`.

A span is at least 10 tokens that also cover at least as many characters as 10 tokens of the
base model's English (`Span`; `publisher.quality.span` measures that length, 45 characters for
SmolLM2): 10 tokens alone are seven English words but two Ukrainian ones, where a tokenizer cuts
Cyrillic into bytes. Measured in characters too, a span is the same length of text whatever the
script.

Stands alone like `draw.py` (no import from `publisher`), so the Space enforces it without
the person's posts. `publisher.quality.guard` writes `copy_guard.bin` into the model repo: the
keyed 64-bit BLAKE2b hash of every span of every kept post (token ids under the bot's own
tokenizer; one span per start, the shortest that is long enough), sorted and de-duplicated,
plus the hash of each post shorter than a span. The file holds no text and no token ids. Its
format is versioned: format 1 (spans of exactly 10 tokens, no length in characters) is still
read.

Why the key is secret: anyone holding the key and the file can test a guessed span, and spans
overlap, so from the first tokens of a post the next one can be found by trying the vocabulary
(49k hashes, milliseconds), and so on to the post's end. A salt stored in the file would not
stop that. The key therefore stays in the bot folder (`copy_guard.key`, never uploaded) and
reaches the Space as the secret `TWEETBOT_GUARD_KEY`; without it the file's hashes are outputs
of a keyed PRF and cannot be tested against any text at all.

A sample is checked as the user sees it: its text, whitespace folded, tokenized again. Spans that
lie wholly inside the user's own prompt do not count: those words are the user's.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:
    from .bot_info import fetch, load_quality
    from .utf8 import Utf8Table
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    from bot_info import fetch, load_quality  # type: ignore[no-redef]
    from utf8 import Utf8Table  # type: ignore[no-redef]

SPAN = 10  # tokens: the fewest a span holds
FORMAT = 2  # of the guard file; 1: spans of exactly SPAN tokens
GUARD_FILE = "copy_guard.bin"
KEY_FILE = "copy_guard.key"  # in the bot folder beside repo/, never uploaded
KEY_ENV = "TWEETBOT_GUARD_KEY"
ALLOW_ENV = "TWEETBOT_ALLOW_COPIES"
_MAGIC = b"HFTBGRD1"
_SPAN_TAG, _POST_TAG, _CHECK_TAG = b"span", b"post", b"key-check"


class GuardError(ValueError):
    """The guard file is unreadable, or the key is not the one it was written with."""


def _hasher(key: bytes, tag: bytes) -> Any:
    return hashlib.blake2b(key=key, digest_size=8, person=tag)


@dataclass(frozen=True)
class Span:
    """What a copied span is: at least `tokens` consecutive tokens covering at least `chars`
    characters (a token's characters: those whose first byte it holds)."""

    tokens: int = SPAN
    chars: int = 0

    def windows(self, token_chars: Sequence[int] | np.ndarray) -> np.ndarray:
        """(start, end) of the span beginning at each token, the shortest long enough.

        Args:
            token_chars: the characters of each token of one text, in order.

        Returns:
            (m, 2) int64 array, one row per start that has a span before the text ends.
        """
        chars = np.asarray(token_chars, dtype=np.int64)
        n = len(chars)
        if n < self.tokens:
            return np.zeros((0, 2), dtype=np.int64)
        cum = np.concatenate([[0], np.cumsum(chars)])
        starts = np.arange(n - self.tokens + 1)
        ends = np.maximum(starts + self.tokens,
                          np.searchsorted(cum, cum[starts] + self.chars, side="left"))  # fmt: skip
        keep = ends <= n
        return np.stack([starts[keep], ends[keep]], axis=1)

    def describe(self) -> str:
        """ "10+ tokens and 45+ characters", as the quality block says it."""
        more = f" and {self.chars}+ characters" if self.chars else ""
        return f"{self.tokens}+ tokens{more}"


def token_chars(tokenizer: Any, ids: Sequence[int]) -> np.ndarray:
    """The characters each token of `ids` starts (`Span.windows`' input)."""
    table = Utf8Table.of(tokenizer).chars
    arr = np.asarray(ids, dtype=np.int64)
    return table[arr.clip(0, len(table) - 1)]


def span_hashes(ids: Sequence[int], key: bytes, windows: np.ndarray | None = None) -> list[int]:
    """Keyed 64-bit hashes of the windows of `ids` (the token ids inside each window).

    Args:
        ids: token ids of one text.
        key: the bot's guard key.
        windows: (start, end) rows (`Span.windows`); default every `SPAN`-token window.

    Returns:
        One unsigned 64-bit integer per window.
    """
    if windows is None:
        windows = Span().windows(np.zeros(len(ids), dtype=np.int64))
    raw = np.asarray(ids, dtype="<u4").tobytes()
    base = _hasher(key, _SPAN_TAG)
    out = []
    for i, j in windows.tolist():
        h = base.copy()
        h.update(raw[4 * i : 4 * j])
        out.append(int.from_bytes(h.digest(), "little"))
    return out


def post_hash(ids: Sequence[int], key: bytes) -> int:
    """Keyed hash of a whole (short) post's ids."""
    h = _hasher(key, _POST_TAG)
    h.update(np.asarray(ids, dtype="<u4").tobytes())
    return int.from_bytes(h.digest(), "little")


def key_check(key: bytes) -> str:
    """A keyed hash of a constant: tells the right key from a wrong one, reveals nothing of it."""
    return _hasher(key, _CHECK_TAG).hexdigest()


def pack(spans: Any, posts: Any, key: bytes, span: Span | None = None) -> bytes:
    """The guard file's bytes: magic, a JSON header, then two sorted arrays of uint64 hashes."""
    span = span or Span()
    s = np.unique(np.asarray(spans, dtype=np.uint64))
    p = np.unique(np.asarray(posts, dtype=np.uint64))
    header = {"format": FORMAT, "span_tokens": span.tokens, "span_chars": span.chars,
              "hash": "blake2b-64, keyed", "spans": len(s), "short_posts": len(p),
              "key_check": key_check(key)}  # fmt: skip
    head = json.dumps(header, sort_keys=True).encode()
    return b"".join([_MAGIC, struct.pack("<I", len(head)), head,
                     s.astype("<u8").tobytes(), p.astype("<u8").tobytes()])  # fmt: skip


def unpack(data: bytes, label: str = "copy guard") -> tuple[dict[str, Any], np.ndarray]:
    """The header and the hashes (spans, then short posts) of a guard file's bytes.

    Raises:
        GuardError: not a guard file of a format this reader knows.
    """
    if not data.startswith(_MAGIC) or len(data) < 12:
        raise GuardError(f"{label}: not a copy guard file")
    (n,) = struct.unpack_from("<I", data, 8)
    try:
        header = json.loads(data[12 : 12 + n])
        total = int(header["spans"]) + int(header["short_posts"])
        fmt, tokens = header.get("format", 1), int(header["span_tokens"])
        chars = int(header.get("span_chars", 0)) if fmt >= 2 else 0
    except (ValueError, KeyError, TypeError) as e:
        raise GuardError(f"{label}: unreadable header ({e})") from None
    if fmt not in (1, FORMAT):
        raise GuardError(f"{label}: format {fmt} is newer than this reader (format {FORMAT})")
    if (fmt == 1 and tokens != SPAN) or tokens < 1 or chars < 0 or len(data) != 12 + n + 8 * total:
        raise GuardError(f"{label}: unexpected size or span length")
    header["span"] = Span(tokens, chars)
    return header, np.frombuffer(data, dtype="<u8", offset=12 + n).astype(np.uint64)


@dataclass
class CopyGuard:
    """The sorted span and short-post hashes of a bot, and the key to compute them."""

    spans: np.ndarray
    posts: np.ndarray
    key: bytes
    span: Span = Span()

    @classmethod
    def read(cls, path: Path, key: bytes) -> CopyGuard:
        """Load a guard file written by `pack`.

        Raises:
            GuardError: not a guard file, or `key` is not the key it was written with.
        """
        header, arr = unpack(Path(path).read_bytes(), str(path))
        if header.get("key_check") != key_check(key):
            raise GuardError(f"{path}: the guard key does not match this file")
        spans = int(header["spans"])
        return cls(arr[:spans], arr[spans:], key, header["span"])

    def _hits(self, table: np.ndarray, values: list[int]) -> np.ndarray:
        v = np.array(values, dtype=np.uint64)
        if not len(v) or not len(table):
            return np.zeros(len(v), dtype=bool)
        return table[np.searchsorted(table, v).clip(max=len(table) - 1)] == v

    def first_copy(
        self, tokenizer: Any, text: str, prompt: str = ""
    ) -> tuple[list[int], int, int] | None:
        """Where `text` repeats a real post: (its token ids, start and end of the first span).

        A span of a post counts, and so does the whole of a post shorter than a span. Spans
        lying wholly inside `prompt` (the user's own words) do not.
        """
        text, prompt = " ".join(text.split()), " ".join(prompt.split())
        ids = tokenizer.encode(text, add_special_tokens=False)
        mine = len(tokenizer.encode(prompt, add_special_tokens=False)) if prompt else 0
        every = self.span.windows(token_chars(tokenizer, ids))
        windows = every[every[:, 1] > mine]  # not wholly inside the prompt
        hits = np.flatnonzero(self._hits(self.spans, span_hashes(ids, self.key, windows)))
        if len(hits):
            start, end = windows[int(hits[0])].tolist()
            return ids, start, end
        short = len(ids) > 0 and not len(every) and text != prompt
        if short and self._hits(self.posts, [post_hash(ids, self.key)]).any():
            return ids, 0, len(ids)
        return None

    def copies(self, tokenizer: Any, text: str, prompt: str = "") -> bool:
        """Whether `text` repeats a span (or the whole) of a real post."""
        return self.first_copy(tokenizer, text, prompt) is not None

    def cut(self, tokenizer: Any, text: str, prompt: str = "") -> str:
        """`text` cut short before it would complete a copied span, ending with "…"."""
        table = Utf8Table.of(tokenizer)
        for _ in range(SPAN):
            found = self.first_copy(tokenizer, text, prompt)
            if found is None:
                return text
            ids, _, end = found
            keep = ids[: end - 1]
            while keep and not table.complete(keep):  # never half a character
                keep = keep[:-1]
            text = tokenizer.decode(keep, skip_special_tokens=True).rstrip() + "…"
        return prompt.strip() + "…"


def load_key(model_id: str) -> bytes | None:
    """The guard key: `$TWEETBOT_GUARD_KEY` (hex), else `copy_guard.key` beside a local repo/."""
    text = os.environ.get(KEY_ENV, "").strip()
    path = Path(model_id).parent / KEY_FILE
    if not text and Path(model_id).is_dir() and path.is_file():
        text = path.read_text(encoding="utf-8").strip()
    try:
        return bytes.fromhex(text) if text else None
    except ValueError:
        return None


def load_guard(model_id: str, allow_copies: bool = False) -> tuple[CopyGuard | None, str]:
    """The bot's guard and a one-line status ("on", or why it is off).

    Args:
        model_id: a Hub repo id or a local model folder.
        allow_copies: the caller turned the guard off (`--allow-copies`).
    """
    quality = load_quality(model_id) or {}
    recorded = (quality.get("guard") or {}).get("enabled", True)
    if allow_copies or os.environ.get(ALLOW_ENV) == "1" or recorded is False:
        return None, "off: copies of real posts are allowed for this bot"
    path = fetch(model_id, GUARD_FILE)
    if path is None:
        return None, f"unavailable: the model has no {GUARD_FILE}"
    key = load_key(model_id)
    if key is None:
        return None, f"unavailable: no guard key (set {KEY_ENV})"
    try:
        return CopyGuard.read(path, key), "on"
    except GuardError as e:
        return None, f"unavailable: {e}"
