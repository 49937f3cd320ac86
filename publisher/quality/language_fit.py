"""How well a base model's tokenizer fits the posts: tokens per word and writing system.

A tokenizer trained mostly on English cuts Ukrainian or Chinese into byte-sized pieces: the
model then sees several tokens per word, learns slowly and writes badly. Measured on the
offline SmolLM2 tokenizer: English posts take about 1.2 tokens per word, Ukrainian 4.1, Chinese
2.2 per character; 47,240 of its 47,532 letter-bearing tokens are Latin, 78 Cyrillic, 80 Han.
`prepare` prints a warning line with these figures and names a multilingual base model.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..dataset import encode

MULTILINGUAL_BASE = "Qwen/Qwen2.5-0.5B"
MAX_TOKENS_PER_WORD = 3.0  # English ~1.2-1.4 on GPT-2/SmolLM2; Ukrainian on SmolLM2: 4.1
RARE_SCRIPT = 0.005  # a script under 0.5% of the vocabulary was barely trained on
SAMPLE = 2000  # posts measured (seeded), so a million-post archive costs no more
# Scripts written without spaces: each character counts as a word.
NO_SPACES = {"Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan"}
_SCRIPTS = {
    "LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "DEVANAGARI", "BENGALI", "TAMIL", "TELUGU",
    "THAI", "HANGUL", "HIRAGANA", "KATAKANA", "ARMENIAN", "GEORGIAN", "ETHIOPIC", "GUJARATI",
    "GURMUKHI", "KANNADA", "MALAYALAM", "SINHALA", "KHMER", "LAO", "MYANMAR", "TIBETAN", "SYRIAC",
}  # fmt: skip
_WORD = re.compile(r"\w+")


@dataclass
class TokenizerFit:
    """Figures of `tokenizer_fit` (`quality.tokenizer` in bot.json)."""

    tokens_per_word: float
    main_script: str  # the script most of the tokenizer's vocabulary is in
    main_script_share: float  # share of the posts written mainly in that script
    posts_script: str  # the script most posts are written in
    posts_script_vocab_share: float  # share of the vocabulary in the posts' script
    posts_measured: int


@lru_cache(maxsize=65536)
def script_of(ch: str) -> str | None:
    """The writing system of a letter ("Latin", "Cyrillic", "Han", ...), None for non-letters."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    if first == "CJK":
        return "Han"
    return first.capitalize() if first in _SCRIPTS else None


def text_script(text: str) -> str | None:
    """The script most of a text's letters are in."""
    counts = Counter(s for ch in text if (s := script_of(ch)))
    return counts.most_common(1)[0][0] if counts else None


def count_words(text: str) -> int:
    """Words, where each character of a script written without spaces is one word."""
    n = 0
    for w in _WORD.findall(text):
        solo = sum(1 for ch in w if script_of(ch) in NO_SPACES)
        n += solo + (1 if solo < len(w) else 0)
    return n


_VOCAB: dict[int, tuple[Any, Counter[str]]] = {}


def vocab_scripts(tokenizer: Any) -> Counter[str]:
    """How many tokens of the vocabulary are written mainly in each script (cached)."""
    hit = _VOCAB.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    counts = Counter(s for t in texts if (s := text_script(t)))
    _VOCAB[id(tokenizer)] = (tokenizer, counts)
    return counts


def tokenizer_fit(texts: list[str], tokenizer: Any, seed: int = 0) -> TokenizerFit:
    """Tokens per word of the posts and how their scripts match the tokenizer's vocabulary.

    Args:
        texts: the cleaned posts (at most `SAMPLE` of them are measured, drawn with `seed`).
        tokenizer: the base model's tokenizer.
        seed: which posts are measured when there are more than `SAMPLE`.
    """
    pick = texts if len(texts) <= SAMPLE else random.Random(seed).sample(texts, SAMPLE)
    tokens = sum(len(ids) for ids in encode(tokenizer, pick))
    words = sum(count_words(t) for t in pick)
    vocab = vocab_scripts(tokenizer)
    main = vocab.most_common(1)[0][0] if vocab else "Latin"
    scripts = [s for t in pick if (s := text_script(t))]
    per_post = Counter(scripts)
    posts_script = per_post.most_common(1)[0][0] if per_post else main
    return TokenizerFit(
        tokens_per_word=round(tokens / max(words, 1), 2),
        main_script=main,
        main_script_share=round(per_post[main] / max(len(scripts), 1), 3),
        posts_script=posts_script,
        posts_script_vocab_share=round(vocab[posts_script] / max(sum(vocab.values()), 1), 4),
        posts_measured=len(pick),
    )


def fit_warning(fit: TokenizerFit, base_model: str) -> str | None:
    """A one-line warning when the tokenizer fits the posts badly, else None."""
    rare = fit.posts_script_vocab_share < RARE_SCRIPT and fit.main_script_share < 0.5
    if fit.tokens_per_word < MAX_TOKENS_PER_WORD and not rare:
        return None
    return (
        f"{base_model}'s tokenizer fits these posts badly: {fit.tokens_per_word:.1f} tokens per "
        f"word (English: about 1.3), {1 - fit.main_script_share:.0%} of posts not in "
        f"{fit.main_script} script; most are {fit.posts_script}, "
        f"{fit.posts_script_vocab_share:.1%} of its vocabulary. The bot may write poorly: "
        f"try a multilingual base model, e.g. --base-model {MULTILINGUAL_BASE}"
    )


def language_warning(texts: dict[str, list[str]], tokenizer: Any, base_model: str) -> str | None:
    """`prepare`'s warning line for every user's cleaned posts together, or None."""
    return fit_warning(
        tokenizer_fit([t for ts in texts.values() for t in ts], tokenizer), base_model
    )
