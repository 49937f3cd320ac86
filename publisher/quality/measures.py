"""Memorisation and variety of samples, measured against the posts the bot was trained on.

Shared spans are found with polynomial hashes of token windows computed by numpy over the whole
training stream at once (one pass per window length), so an archive of a million posts costs
seconds, not a Python loop per post. Windows never cross from one post into the next.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BASE = np.uint64(0x100000001B3)  # FNV's 64-bit prime; arithmetic wraps modulo 2**64
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


class Corpus:
    """The training posts' token windows, hashed once per window length and kept sorted."""

    def __init__(self, posts: Sequence[Sequence[int]]) -> None:
        self.stream = _stream(posts)
        self._tables: dict[int, np.ndarray] = {}

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
