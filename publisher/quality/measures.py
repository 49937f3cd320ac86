"""Memorisation and variety of samples, measured against the posts the bot was trained on.

Shared runs are found with polynomial hashes of token windows computed by numpy over the whole
training stream at once (one pass per window length, or one pass of prefix sums for spans of
varying length), so an archive of a million posts costs seconds, not a Python loop per post.
Windows never cross from one post into the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dataset import encode
from ..space.guard import Span
from ..space.utf8 import Utf8Table
from .span import span_for

_BASE = np.uint64(0x100000001B3)  # FNV's 64-bit prime; arithmetic wraps modulo 2**64
_INVERSE = np.uint64(pow(0x100000001B3, -1, 2**64))  # the prime is odd: invertible mod 2**64
_SEP = np.uint64(0)  # between posts; token ids are shifted by one so none is 0


def fold(text: str) -> str:
    """Whitespace folded, as cleaning leaves posts."""
    return " ".join(text.split())


def _stream(seqs: Sequence[Sequence[int]]) -> np.ndarray:
    """All sequences as one uint64 array, ids + 1, a 0 after each."""
    parts = []
    for s in seqs:
        parts.append(np.asarray(s, dtype=np.uint64) + np.uint64(1))
        parts.append(np.zeros(1, dtype=np.uint64))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def window_hashes(stream: np.ndarray, length: int) -> np.ndarray:
    """Hashes of every `length`-token window of `stream` that holds no separator."""
    n = len(stream) - length + 1
    if n <= 0 or length <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(length):
            h = h * _BASE + stream[j : j + n]
    seps = np.concatenate([[0], np.cumsum(stream == _SEP)])
    clean = seps[length : length + n] - seps[:n] == 0
    return h[clean]


def span_window_hashes(stream: np.ndarray, chars: np.ndarray, span: Span) -> np.ndarray:
    """Hashes of the span starting at each token of `stream` (`Span.windows`), within a post.

    `chars` holds each stream token's characters (0 for separators). A window [s, e) hashes to
    sum(x_j B^(e-1-j)) = B^(e-1) (P[e] - P[s]) with P the prefix sums of x_j B^-j: one pass.
    """
    n = len(stream)
    if n < span.tokens:
        return np.zeros(0, dtype=np.uint64)
    cum = np.concatenate([[0], np.cumsum(chars, dtype=np.int64)])
    starts = np.arange(n - span.tokens + 1)
    ends = np.maximum(starts + span.tokens,
                      np.searchsorted(cum, cum[starts] + span.chars, side="left"))  # fmt: skip
    inside = ends <= n
    starts, ends = starts[inside], ends[inside]
    seps = np.concatenate([[0], np.cumsum(stream == _SEP)])
    clean = seps[ends] - seps[starts] == 0
    starts, ends = starts[clean], ends[clean]
    with np.errstate(over="ignore"):
        one = np.ones(1, dtype=np.uint64)
        powers = np.concatenate([one, np.cumprod(np.full(n - 1, _BASE, dtype=np.uint64))])
        inverse = np.concatenate([one, np.cumprod(np.full(n - 1, _INVERSE, dtype=np.uint64))])
        prefix = np.concatenate([[np.uint64(0)], np.cumsum(stream * inverse, dtype=np.uint64)])
        return (prefix[ends] - prefix[starts]) * powers[ends - 1]


class Corpus:
    """The training posts' token windows, hashed once per window length and kept sorted.

    Args:
        posts: each post's token ids.
        chars: characters of every token id of the vocabulary (`space.utf8`), needed for spans
            measured in characters too.
    """

    def __init__(self, posts: Sequence[Sequence[int]], chars: np.ndarray | None = None) -> None:
        self.stream = _stream(posts)
        self.chars = chars
        self._tables: dict[Any, np.ndarray] = {}

    def table(self, length: int) -> np.ndarray:
        if length not in self._tables:
            self._tables[length] = np.unique(window_hashes(self.stream, length))
        return self._tables[length]

    def shares(self, sample: Sequence[int], length: int) -> bool:
        """Whether `sample` holds `length` consecutive tokens of some post."""
        table = self.table(length)
        mine = window_hashes(_stream([sample]), length)
        if not len(mine) or not len(table):
            return False
        pos = np.searchsorted(table, mine).clip(max=len(table) - 1)
        return bool((table[pos] == mine).any())

    def _chars_of(self, stream: np.ndarray) -> np.ndarray:
        if self.chars is None:
            return np.zeros(len(stream), dtype=np.int64)
        ids = (stream.astype(np.int64) - 1).clip(0, len(self.chars) - 1)
        return np.where(stream == _SEP, 0, self.chars[ids])

    def span_table(self, span: Span) -> np.ndarray:
        """The sorted hashes of every span of the posts."""
        if span not in self._tables:
            hashes = span_window_hashes(self.stream, self._chars_of(self.stream), span)
            self._tables[span] = np.unique(hashes)
        return self._tables[span]

    def copies(self, sample: Sequence[int], span: Span) -> bool:
        """Whether `sample` holds a span of some post."""
        table = self.span_table(span)
        stream = _stream([sample])
        mine = span_window_hashes(stream, self._chars_of(stream), span)
        if not len(mine) or not len(table):
            return False
        pos = np.searchsorted(table, mine).clip(max=len(table) - 1)
        return bool((table[pos] == mine).any())


def longest_shared(corpus: Corpus, samples: Sequence[Sequence[int]]) -> int:
    """The longest run of tokens any sample shares with any post (binary search on the length)."""
    lo, hi = 0, max((len(s) for s in samples), default=0)
    while lo < hi:  # invariant: some sample shares `lo` tokens; none shares more than `hi`
        mid = (lo + hi + 1) // 2
        if any(corpus.shares(s, mid) for s in samples):
            lo = mid
        else:
            hi = mid - 1
    return lo


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct-n (Li et al., 2016): unique word n-grams over all word n-grams, lower-cased."""
    grams = [tuple(w[i : i + n]) for t in texts for w in [t.lower().split()] for i in range(len(w) - n + 1)]  # fmt: skip
    return len(set(grams)) / len(grams) if grams else 0.0


class CopyCheck:
    """Which samples copy a training post as the copy guard sees it: they hold a span of one
    (`span.py`), or they are one that is shorter than a span.

    Args:
        train: the training posts.
        tokenizer: the bot's tokenizer.
    """

    def __init__(self, train: Sequence[str], tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.span = span_for(tokenizer)
        chars = Utf8Table.of(tokenizer).chars
        posts = encode(tokenizer, list(train))
        self.corpus = Corpus(posts, chars)
        self.short = {fold(t) for t, ids in zip(train, posts, strict=True)
                      if len(ids) < self.span.tokens or chars[ids].sum() < self.span.chars}  # fmt: skip

    def copied(self, samples: Sequence[str]) -> list[bool]:
        """For each sample (whitespace folded, as shown), whether it copies a post."""
        folded = [fold(s) for s in samples]
        ids = encode(self.tokenizer, folded)
        return [f in self.short or self.corpus.copies(i, self.span) for f, i in zip(folded, ids, strict=True)]  # fmt: skip

    def rate(self, samples: Sequence[str]) -> float:
        """The share of `samples` that copy."""
        return sum(self.copied(samples)) / max(len(samples), 1)
