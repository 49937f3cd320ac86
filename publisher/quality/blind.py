"""The blind test: can a classifier tell the bot's posts from the person's?

A person judges a bot by whether it sounds like them. The measure here is the machine version
of that judgement: held-out real posts (never trained on) and as many posts the bot wrote from
a bare EOS, each described by cheap style features (length, words, capitals, digits,
punctuation, emoji, mentions, hashtags, how much of its vocabulary the person uses...), and a
logistic regression trained to tell them apart. Its cross-validated accuracy is the score: 0.5
means the two cannot be told apart, 1.0 that every post gives itself away.

Numpy alone: about twenty features and a few hundred posts need no library. The regression is
L2-regularised (as scikit-learn's default, C=1) and fitted by Newton's method; the accuracy is
that of stratified 5-fold cross-validation, repeated 4 times with seeded shuffles and averaged,
so the same posts always give the same score. Each classifier sees as many of the bot's posts
as real ones; when more were drawn (eval draws 100 for a few dozen held-out posts), each repeat
takes another seeded subset of them, so all of them count and the score varies less from one
draw to the next. The length distributions are reported beside it:
the two medians, in characters, and the Kolmogorov-Smirnov distance between them (the largest
gap between their cumulative distributions: 0 alike, 1 apart).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .language_fit import script_of

FOLDS = 5
REPEATS = 4
L2 = 1.0  # the regression's inverse strength, as scikit-learn's C
_WORD = re.compile(r"\w+", re.UNICODE)
_MENTION = re.compile(r"(?<!\w)@\w")
_HASHTAG = re.compile(r"(?<!\w)#\w")
_URLISH = re.compile(r"https?://|www\.")
_ENDS = ".!?…)\"'"
FEATURES = (
    "log characters", "log words", "characters per word", "capitals among letters",
    "digits", "punctuation", "symbols and emoji", "not ASCII", "spaces", "sentence marks per word",
    "ends with a sentence mark", "starts with a capital", "mention", "hashtag", "link",
    "distinct words", "words in capitals", "exclamation marks", "question marks",
    "longest repeated character", "words the person uses", "letters of the main script",
)  # fmt: skip


def told_apart(accuracy: float) -> float:
    """How well the classifier tells the bot from the person: its accuracy, at least 0.5.

    Below 0.5 it is guessing (a cross-validated score falls there by the luck of the draw), so
    46% is no better than 50% when two bots or two settings are compared.
    """
    return max(accuracy, 0.5)


@dataclass
class BlindTest:
    """The blind test's figures (`quality.blind_test` in bot.json and quality.json)."""

    accuracy: float | None  # cross-validated; 0.5: indistinguishable; None: too few posts
    posts: int  # real posts each classifier sees, and as many of the bot's
    lengths: dict[str, Any]  # median_real, median_bot (characters), distance (KS, 0-1)
    drawn: int = 0  # the bot's posts in all, taken `posts` at a time

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _script_share(text: str) -> float:
    """Share of the letters in the text's most common script (`language_fit.script_of`)."""
    counts: dict[str, int] = {}
    for ch in text:
        s = script_of(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    return max(counts.values()) / sum(counts.values()) if counts else 1.0


def features(text: str, vocabulary: set[str] | frozenset[str] = frozenset()) -> list[float]:
    """The style features of one post (`FEATURES`, in order).

    Args:
        text: the post.
        vocabulary: the person's words (lower-cased), from the training posts only.
    """
    n = max(len(text), 1)
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    letters = [c for c in text if c.isalpha()]
    cats = [unicodedata.category(c) for c in text]
    marks = sum(c in ".!?…" for c in text)
    runs = [len(m.group(0)) for m in re.finditer(r"(.)\1*", text)] or [0]
    stripped = text.strip()
    return [
        math.log1p(len(text)),
        math.log1p(len(words)),
        sum(len(w) for w in words) / max(len(words), 1),
        sum(c.isupper() for c in letters) / max(len(letters), 1),
        sum(c.isdigit() for c in text) / n,
        sum(c.startswith("P") for c in cats) / n,
        sum(c.startswith("S") for c in cats) / n,
        sum(ord(c) > 127 for c in text) / n,
        sum(c.isspace() for c in text) / n,
        marks / max(len(words), 1),
        float(stripped.endswith(tuple(_ENDS))),
        float(stripped[:1].isupper()),
        float(bool(_MENTION.search(text))),
        float(bool(_HASHTAG.search(text))),
        float(bool(_URLISH.search(text))),
        len(set(lower)) / max(len(lower), 1),
        sum(len(w) > 1 and w.isupper() for w in words) / max(len(words), 1),
        text.count("!") / n,
        text.count("?") / n,
        math.log1p(max(runs)),
        sum(w in vocabulary for w in lower) / max(len(lower), 1) if vocabulary else 0.0,
        _script_share(text),
    ]


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The lower-cased words of `texts` (the person's training posts)."""
    return frozenset(w.lower() for t in texts for w in _WORD.findall(t))


def _fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 25) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method; weights with the bias last."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) / l2
    reg[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg + 1e-9 * np.eye(len(w))
        delta = np.linalg.solve(hess, grad)
        w -= delta
        if np.abs(delta).max() < 1e-6:
            break
    return w


def _predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (np.hstack([x, np.ones((len(x), 1))]) @ w) > 0


def _fold(n_per_class: int, rng: random.Random) -> np.ndarray:
    """Fold of every sample (real first, then bot), stratified: each fold holds both alike."""
    fold = np.empty(2 * n_per_class, dtype=np.int64)
    for side in (0, 1):
        order = list(range(n_per_class))
        rng.shuffle(order)
        for k, i in enumerate(order):
            fold[side * n_per_class + i] = k % FOLDS
    return fold


def cross_validated_accuracy(real: np.ndarray, bot: np.ndarray, n: int, seed: int = 0) -> float:
    """Mean held-out accuracy over `REPEATS` stratified `FOLDS`-fold splits of `n` posts a side.

    Args:
        real, bot: the features of each side's posts (rows); a side with more than `n` gives
            each repeat another seeded subset of `n`.
        n: posts of each side per classifier.
        seed: the subsets and the folds.
    """
    y = np.array([0] * n + [1] * n, dtype=np.float64)
    right = total = 0
    for r in range(REPEATS):
        rng = random.Random(f"{seed}-{r}")
        x = np.vstack([real[sorted(rng.sample(range(len(real)), n))],
                       bot[sorted(rng.sample(range(len(bot)), n))]])  # fmt: skip
        fold = _fold(n, rng)
        for k in range(FOLDS):
            test = fold == k
            if not test.any() or test.all():
                continue
            mean, std = x[~test].mean(axis=0), x[~test].std(axis=0) + 1e-9
            w = _fit((x[~test] - mean) / std, y[~test])
            right += int((_predict(w, (x[test] - mean) / std) == y[test].astype(bool)).sum())
            total += int(test.sum())
    return right / max(total, 1)


def ks_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    if not len(a) or not len(b):
        return 0.0
    xa, xb = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.concatenate([xa, xb])
    fa = np.searchsorted(xa, grid, side="right") / len(xa)
    fb = np.searchsorted(xb, grid, side="right") / len(xb)
    return float(np.abs(fa - fb).max())


def lengths(real: Sequence[str], bot: Sequence[str]) -> dict[str, Any]:
    """The two length distributions in characters: medians and their KS distance."""
    a, b = [len(t) for t in real], [len(t) for t in bot]
    return {"median_real": float(np.median(a)) if a else None,
            "median_bot": float(np.median(b)) if b else None,
            "distance": round(ks_distance(a, b), 3)}  # fmt: skip


MIN_POSTS = 10  # per side; fewer and the score says nothing


def blind_test(real: Sequence[str], bot: Sequence[str], vocab: frozenset[str] = frozenset(),
               seed: int = 0) -> BlindTest:  # fmt: skip
    """How well a style classifier tells `bot` posts from `real` ones (equal numbers of each).

    Args:
        real: held-out posts of the person.
        bot: posts the bot wrote; each classifier sees as many as there are real ones (of the
            longer list, a seeded subset per repeat).
        vocab: the person's words, from the training posts (`vocabulary`).
        seed: the subsets and the cross-validation's shuffles.

    Returns:
        The cross-validated accuracy (None under `MIN_POSTS` per side) and the lengths.
    """
    n = min(len(real), len(bot))
    size = lengths(real, bot)
    if n < MIN_POSTS:
        return BlindTest(None, n, size, len(bot))
    xr = np.array([features(t, vocab) for t in real], dtype=np.float64)
    xb = np.array([features(t, vocab) for t in bot], dtype=np.float64)
    return BlindTest(round(cross_validated_accuracy(xr, xb, n, seed), 4), n, size, len(bot))
