"""What a reader scrolling the feed sees: the kinds of post, the bot's shares against the person's.

A bot can pass a style classifier post by post and still read wrong as a feed: half again as
many replies as the person writes, or every post short. `compare` counts, in the bot's drawn
posts and in the person's held-out posts, the share of replies (a post that starts with an
@mention), of posts with a hashtag, a mention, an emoji, a question, of posts in each script,
and the length distribution (the person's quartiles, and the bot's posts shorter than the
person's first quartile or longer than the third: a quarter each for the person). Each share
is compared by a two-proportion z-test at the two sample sizes: a difference over `Z` standard
errors (95%, two-sided) is more than the draw of posts can explain, and is named.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .language_fit import text_script

Z = 1.96  # two-sided 95%: a difference larger than this many standard errors is named
_MENTION = re.compile(r"(?<!\w)@\w")
_HASHTAG = re.compile(r"(?<!\w)#\w")


def is_reply(text: str) -> bool:
    """A post that starts with an @mention (X's replies do)."""
    return text.lstrip().startswith("@")


def has_emoji(text: str) -> bool:
    """A post with an emoji (pictographs, dingbats, symbols and flags)."""
    return any(0x1F000 <= ord(c) <= 0x1FAFF or 0x2600 <= ord(c) <= 0x27BF for c in text)


KINDS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "reply": ("replies (start with @)", is_reply),
    "hashtag": ("with a hashtag", lambda t: bool(_HASHTAG.search(t))),
    "mention": ("with a mention", lambda t: bool(_MENTION.search(t))),
    "emoji": ("with an emoji", has_emoji),
    "question": ("with a question", lambda t: "?" in t or "？" in t),
}


def differs(a: int, n: int, b: int, m: int) -> bool:
    """Whether shares a/n and b/m differ by more than chance (two-proportion z-test, `Z`)."""
    if not n or not m:
        return False
    pooled = (a + b) / (n + m)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    if se == 0:
        return False
    return abs(a / n - b / m) / se > Z


def _row(name: str, words: str, bot: Sequence[bool], real: Sequence[bool]) -> dict[str, Any]:
    a, b = sum(bot), sum(real)
    return {"kind": name, "words": words, "bot": round(a / max(len(bot), 1), 4),
            "person": round(b / max(len(real), 1), 4),
            "differs": differs(a, len(bot), b, len(real))}  # fmt: skip


def quartiles(lengths: Sequence[int]) -> list[float]:
    """The first quartile, median and third quartile (characters)."""
    return [round(float(q), 1) for q in np.percentile(lengths, [25, 50, 75])] if lengths else []


def compare(bot: Sequence[str], real: Sequence[str]) -> dict[str, Any]:
    """The kinds of post in `bot` against `real`, each share tested (`quality.proportions`).

    Returns:
        {"bot_posts", "person_posts", "rows": [{"kind", "words", "bot", "person", "differs"}],
         "length": {"bot", "person"} quartiles in characters, "differ": kinds named}.
    """
    rows = [_row(k, w, [f(t) for t in bot], [f(t) for t in real]) for k, (w, f) in KINDS.items()]
    scripts_bot = [text_script(t) or "none" for t in bot]
    scripts_real = [text_script(t) or "none" for t in real]
    for s in sorted(set(scripts_bot) | set(scripts_real), key=scripts_real.count, reverse=True):
        if s == "none":
            continue
        rows.append(_row(f"script:{s}", f"in {s} script",
                         [x == s for x in scripts_bot], [x == s for x in scripts_real]))  # fmt: skip
    lb, lr = [len(t) for t in bot], [len(t) for t in real]
    q = quartiles(lr)
    if q:
        rows.append(_row("short", f"shorter than {q[0]:.0f} characters",
                         [n < q[0] for n in lb], [n < q[0] for n in lr]))  # fmt: skip
        rows.append(_row("long", f"longer than {q[2]:.0f} characters",
                         [n > q[2] for n in lb], [n > q[2] for n in lr]))  # fmt: skip
    return {"bot_posts": len(bot), "person_posts": len(real), "rows": rows,
            "length": {"bot": quartiles(lb), "person": q},
            "differ": [r["kind"] for r in rows if r["differs"]]}  # fmt: skip


def share(texts: Sequence[str], kind: str = "reply") -> float:
    """The share of `texts` of one kind (`KINDS`), e.g. the person's replies."""
    test = KINDS[kind][1]
    return sum(test(t) for t in texts) / max(len(texts), 1)
