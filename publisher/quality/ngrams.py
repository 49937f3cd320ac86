"""Word and character n-grams of posts, TF-IDF weighted: what the blind test's reader sees.

As scikit-learn's `TfidfVectorizer` with its defaults (raw counts, smoothed inverse document
frequency `ln((1 + n) / (1 + df)) + 1`, each row scaled to unit length), twice: word 1-2-grams
of the lower-cased words, and character 2-4-grams of the lower-cased post between a start and
an end mark, so a post that starts with "@" has the n-gram "␂@" (a reader sees how posts begin
and end). Numpy alone: a few hundred posts and some ten thousand n-grams.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

START, END = "\u2402", "\u2403"  # ␂ ␃: where a post starts and ends, for character n-grams
WORD_NS = (1, 2)
CHAR_NS = (2, 3, 4)
_WORD = re.compile(r"\w\w+|[^\w\s]", re.UNICODE)  # words of 2+ characters, each mark alone


def word_grams(text: str) -> Counter[str]:
    """Word 1- and 2-grams of a post, lower-cased, each prefixed "w:" (its kind)."""
    words = _WORD.findall(text.lower())
    return Counter(f"w:{' '.join(words[i:i + n])}" for n in WORD_NS
                   for i in range(len(words) - n + 1))  # fmt: skip


def char_grams(text: str) -> Counter[str]:
    """Character 2-, 3- and 4-grams of a post between its start and end marks, prefixed "c:"."""
    s = START + " ".join(text.lower().split()) + END
    return Counter(f"c:{s[i : i + n]}" for n in CHAR_NS for i in range(len(s) - n + 1))


def grams(text: str) -> tuple[Counter[str], Counter[str]]:
    """A post's word n-grams and character n-grams (`word_grams`, `char_grams`)."""
    return word_grams(text), char_grams(text)


def tfidf(counted: Sequence[tuple[Counter[str], Counter[str]]]) -> tuple[np.ndarray, list[str]]:
    """The TF-IDF matrix of posts given their `grams` (rows: posts; word and character blocks
    each of unit length).

    Returns:
        (matrix, the n-gram of each column).
    """
    vocab = sorted({g for pair in counted for c in pair for g in c})
    col = {g: j for j, g in enumerate(vocab)}
    x = np.zeros((len(counted), len(vocab)), dtype=np.float64)
    for i, pair in enumerate(counted):
        for c in pair:
            x[i, [col[g] for g in c]] = list(c.values())
    df = np.count_nonzero(x, axis=0)
    x *= np.log((1 + len(counted)) / (1 + df)) + 1
    words = np.array([g.startswith("w:") for g in vocab])
    for block in (words, ~words):
        norm = np.sqrt(np.einsum("ij,ij->i", x[:, block], x[:, block]))
        x[:, block] /= np.maximum(norm, 1e-12)[:, None]
    return x, vocab


def describe(gram: str, more: bool) -> str:
    """An n-gram as a reader would say it: 'starts with "@" more often'."""
    kind, text = gram[:2], gram[2:]
    how = "more often" if more else "less often"
    if kind == "c:" and text.startswith(START):
        return f'starts with "{text[1:].rstrip(END)}" {how}'
    if kind == "c:" and text.endswith(END):
        return f'ends with "{text[:-1]}" {how}'
    return f'uses "{text}" {how}'
