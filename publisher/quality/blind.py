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

`judge` is the stronger reader the quality block, the epoch choice and the sampling search use:
TF-IDF word and character n-grams (`ngrams.py`) beside the style features, the same regression
and cross-validation, a 95% interval from the folds and repeats, and the features that told the
bot apart most, in words a person can act on ("starts with @ more often", "longer").
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .language_fit import script_of
from .ngrams import describe, grams, tfidf

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
    if isinstance(vocabulary, frozenset):  # the same held-out posts are read at every setting
        return list(_features_of(text, vocabulary))
    return _features(text, vocabulary)


@lru_cache(maxsize=4096)
def _features_of(text: str, vocabulary: frozenset[str]) -> tuple[float, ...]:
    return tuple(_features(text, vocabulary))


def _features(text: str, vocabulary: set[str] | frozenset[str]) -> list[float]:
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


# -- the reader: n-grams beside the style features --------------------------------------

# What a style feature means to a person when the bot has more (first) or less (second) of it.
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "log characters": ("longer", "shorter"),
    "log words": ("more words", "fewer words"),
    "characters per word": ("longer words", "shorter words"),
    "capitals among letters": ("more capital letters", "fewer capital letters"),
    "digits": ("more digits", "fewer digits"),
    "punctuation": ("more punctuation", "less punctuation"),
    "symbols and emoji": ("more symbols and emoji", "fewer symbols and emoji"),
    "not ASCII": ("more non-ASCII characters", "fewer non-ASCII characters"),
    "spaces": ("more spaces", "fewer spaces"),
    "sentence marks per word": ("more . ! ? per word", "fewer . ! ? per word"),
    "ends with a sentence mark": ("ends with . ! ? more often", "ends with . ! ? less often"),
    "starts with a capital": ("starts with a capital more often",
                              "starts with a capital less often"),
    "mention": ("mentions someone more often", "mentions someone less often"),
    "hashtag": ("more hashtags", "fewer hashtags"),
    "link": ("more links", "fewer links"),
    "distinct words": ("repeats words less", "repeats words more"),
    "words in capitals": ("more words in capitals", "fewer words in capitals"),
    "exclamation marks": ("more exclamation marks", "fewer exclamation marks"),
    "question marks": ("more question marks", "fewer question marks"),
    "longest repeated character": ("longer runs of one character",
                                   "shorter runs of one character"),
    "words the person uses": ("more of the person's own words",
                              "more words the person never uses"),
    "letters of the main script": ("mixes scripts less", "mixes scripts more"),
    "starts with a mention": ("starts with @ more often", "starts with @ less often"),
}  # fmt: skip
READER_FEATURES = (*FEATURES, "starts with a mention")  # the style the reader sees
NGRAM_C = 10.0  # the reader's regularisation (inverse strength) over n-grams and style alike
STYLE_WEIGHT = 0.05  # the style block's length against the unit-length n-gram blocks, per feature
Z95 = 2.0  # about Student's t at 95% with 19 degrees of freedom (5 folds x 4 repeats - 1)
REASONS = 3  # the features named as what gave the bot away


@dataclass
class Judgement:
    """The reader's verdict (`quality.judge` in bot.json and quality.json)."""

    accuracy: float | None  # cross-validated; 0.5: indistinguishable; None: too few posts
    low: float | None  # 95% confidence interval of the accuracy, from the folds and repeats
    high: float | None
    posts: int  # real posts each classifier sees, and as many of the bot's
    drawn: int  # the bot's posts in all
    reasons: list[str]  # what told the bot apart most, in words ("longer", 'starts with "@"...')

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _coordinates(x: np.ndarray) -> np.ndarray:
    """Coordinates of the rows of `x` in the space they span (a few hundred, not 10,000+).

    An L2-regularised linear classifier's weights lie in the span of its training rows, and
    its penalty and scores there are those of these coordinates: the regression fitted on
    them is the one fitted on `x`, at the cost of a matrix of posts by posts.
    """
    vals, vecs = np.linalg.eigh(x @ x.T)
    keep = vals > 1e-9 * max(float(vals.max()), 1e-12)
    return np.asarray(vecs[:, keep] * np.sqrt(vals[keep]))


@dataclass
class _Read:
    """What the reader takes from one post: its n-grams and style features."""

    grams: tuple[Any, Any]
    style: list[float]


def _reader_matrix(posts: list[_Read]) -> tuple[np.ndarray, list[str]]:
    """TF-IDF n-grams and the standardised style features of `posts`, side by side."""
    x, names = tfidf([p.grams for p in posts])
    style = np.array([p.style for p in posts], dtype=np.float64)
    style = (style - style.mean(axis=0)) / (style.std(axis=0) + 1e-9) * STYLE_WEIGHT
    return np.hstack([x, style]), names + [f"s:{f}" for f in READER_FEATURES]


def _reasons(x: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    """The features that pull the bot's posts apart most, fitted on all posts, in words.

    A feature's pull is its weight times the gap between the bot's mean and the person's: the
    share of the separation it makes.
    """
    z = _coordinates(x)
    w_z = _fit(z, y, NGRAM_C)[:-1]
    vals, vecs = np.linalg.eigh(x @ x.T)
    keep = vals > 1e-9 * max(float(vals.max()), 1e-12)
    alpha = vecs[:, keep] @ (w_z / np.sqrt(vals[keep]))
    w = x.T @ alpha
    gap = x[y == 1].mean(axis=0) - x[y == 0].mean(axis=0)
    pull = w * gap
    out: list[str] = []
    for j in np.argsort(-pull):
        if pull[j] <= 0 or len(out) == REASONS:
            break
        name, more = names[j], bool(gap[j] > 0)
        words = (
            FEATURE_WORDS[name[2:]][0 if more else 1]
            if name.startswith("s:")
            else describe(name, more)
        )
        if words not in out:
            out.append(words)
    return out


def judge(real: Sequence[str], bot: Sequence[str], vocab: frozenset[str] = frozenset(),
          seed: int = 0, reasons: bool = True) -> Judgement:  # fmt: skip
    """How well a reader of word and character n-grams and style tells `bot` from `real`.

    A logistic regression (L2, C=`NGRAM_C`) on TF-IDF word 1-2-grams and character 2-4-grams
    (`ngrams.py`) beside the 22 style features; stratified `FOLDS`-fold cross-validation,
    `REPEATS` seeded repeats (each another subset of the bot's posts when more were drawn).
    The interval is the corrected repeated cross-validation one (Nadeau and Bengio): the
    folds' accuracies vary, and they share training posts, so their spread counts for more.

    Args:
        real: held-out posts of the person.
        bot: posts the bot wrote; each classifier sees as many as there are real ones.
        vocab: the person's words, from the training posts (`vocabulary`).
        seed: the subsets and the folds.
        reasons: also name what gave the bot away (one more fit; the sampling search's trials
            and the epoch choice only compare scores).
    """
    n = min(len(real), len(bot))
    if n < MIN_POSTS:
        return Judgement(None, None, None, n, len(bot), [])
    y = np.array([0] * n + [1] * n, dtype=np.float64)
    read = {t: _Read(grams(t), [*features(t, vocab), float(t.lstrip().startswith("@"))])
            for t in {*real, *bot}}  # fmt: skip
    scores: list[float] = []
    named: list[str] = []
    for r in range(REPEATS):
        rng = random.Random(f"{seed}-{r}")
        posts = ([read[real[i]] for i in sorted(rng.sample(range(len(real)), n))]
                 + [read[bot[i]] for i in sorted(rng.sample(range(len(bot)), n))])  # fmt: skip
        x, names = _reader_matrix(posts)
        z = _coordinates(x)
        fold = _fold(n, rng)
        for k in range(FOLDS):
            test = fold == k
            if not test.any() or test.all():
                continue
            w = _fit(z[~test], y[~test], NGRAM_C)
            scores.append(float((_predict(w, z[test]) == y[test].astype(bool)).mean()))
        if r == 0 and reasons:
            named = _reasons(x, y, names)
    mean = float(np.mean(scores))
    spread = float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0
    half = Z95 * spread * math.sqrt(1 / len(scores) + 1 / (FOLDS - 1))
    return Judgement(round(mean, 4), round(max(mean - half, 0.0), 4),
                     round(min(mean + half, 1.0), 4), n, len(bot), named)  # fmt: skip
