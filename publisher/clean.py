"""huggingtweets' cleaning rules and counts, so our numbers match the cards on the Hub.

Order of operations, as in huggingtweets' `huggingtweets-demo.ipynb`:

1. retweets (text starting with `RT @`, or marked by the source) are dropped and counted;
2. `fix_text`: `&amp;` `&lt;` `&gt;` become `&` `<` `>`;
3. `clean_tweet`: URLs (`http:`/`https:` up to the next whitespace) are cut with the regexes
   below, then all whitespace, newlines included, folds into single spaces;
4. `boring_tweet`, on the *cleaned* text: a post with fewer than 3 words free of `http`
   (case-insensitive), `@` and `#` is short, dropped and counted.

Before any of it, posts no model should see are skipped and counted apart (`Skipped`): longer
than `limits.MAX_POST_CHARS`, or holding lone surrogates (text no UTF-8 file or tokenizer can
hold). After it, exact duplicates of a kept post are dropped: `tweets_kept` stays huggingtweets'
number and `Skipped.duplicate` says how many of them were copies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import NotEnoughPostsError
from .sources import Gathered, limits

MIN_CHARS = 6_000  # huggingtweets refuses to train below this
WARN_CHARS = 40_000  # ... and warns below this
# One post making up this share of the kept posts (and at least DOMINANT_MIN copies) is warned
# about: the bot would mostly learn to repeat it, were it not kept once.
DOMINANT_SHARE = 0.10
DOMINANT_MIN = 10
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# huggingtweets' clean_tweet, pattern for pattern and in its order. Their whitespace handling
# differs from "drop every token starting with http": `see:https://x.co more` loses the URL *and*
# the following space, giving `see:more`. We keep that quirk so counts match.
_URL_SUBS = {
    w: [
        re.compile(p.format(w=w))
        for p in (r" {w}\S+", r"{w}\S+ ", r"\n{w}\S+ ", r"\n{w}\S+", r"{w}\S+")
    ]
    for w in ("http:", "https:")
}


# Thai, Lao, Myanmar, Khmer, Hiragana, Katakana, CJK ideographs (and extension A, compatibility).
_NO_SPACES = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


@dataclass
class Counts:
    """huggingtweets' per-user counts; `tweets_downloaded = retweets + short_tweets + kept`."""

    tweets_downloaded: int = 0
    retweets: int = 0
    short_tweets: int = 0
    tweets_kept: int = 0


@dataclass
class Skipped:
    """Entries not trained on, by reason, beside huggingtweets' counts (bot.json `skipped`)."""

    malformed: int = 0  # not a post at all (an archive item without text, ...)
    too_long: int = 0  # over limits.MAX_POST_CHARS (or its JSON over limits.MAX_ITEM_CHARS)
    unencodable: int = 0  # lone surrogates: no UTF-8 file or tokenizer can hold the text
    duplicate: int = 0  # kept posts whose cleaned text an earlier kept post already has
    # Left out by the source, never read as posts (none is in tweets_downloaded):
    edited: int = 0  # earlier versions of an edited X post (its latest version is kept)
    circle: int = 0  # X posts shared with a Twitter Circle only
    community: int = 0  # X posts made in a Community (unless --include-community)
    private: int = 0  # Mastodon followers-only posts and direct messages
    content_warning: int = 0  # Mastodon posts behind a content warning (--skip-content-warnings)

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass
class Cleaned:
    """The cleaned texts kept for training (each once, in source order) and the counts."""

    texts: list[str]
    counts: Counts
    skipped: Skipped = field(default_factory=Skipped)
    # The post repeated most among the kept ones and its number of copies, when it dominates.
    dominant: tuple[str, int] | None = None
    ids: list[str | None] = field(default_factory=list)  # the source's id of each kept text


def clean_text(text: str, escaped: bool = True) -> str:
    """huggingtweets' `fix_text` then `clean_tweet`: unescape, cut URLs, fold whitespace.

    Args:
        text: one post's raw text (not a retweet).
        escaped: the text holds `&amp;` `&lt;` `&gt;` for `&` `<` `>` (`Gathered.escaped`);
            text as typed is not unescaped again.

    Returns:
        The text on one line, without URLs, with single spaces and no edge spaces.
    """
    if escaped and "&" in text:
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    # A prefix's regexes can only match when it is there; most posts skip them all.
    for prefix, patterns in _URL_SUBS.items():
        if prefix in text:
            for pattern in patterns:
                text = pattern.sub("", text)
    return " ".join(_CONTROLS.sub("", text).split())


# Control characters no one types and no page shows (NUL, backspace, escape, DEL...); the ones
# Python's split() reads as whitespace (tab, new line, \x1c-\x1f) fold into spaces instead.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f]")


def is_short(cleaned: str) -> bool:
    """huggingtweets' `boring_tweet`: fewer than 3 words free of `http`, `@` and `#`.

    In scripts written without spaces each character counts as a word (huggingtweets would
    have dropped every Chinese or Japanese post); other text is counted exactly as it did.

    Args:
        cleaned: a text already through `clean_text`.
    """
    low = cleaned.lower()  # huggingtweets lowers each word; "HTTP" counts as "http"
    has_http = "http" in low
    good = 0
    for word in low.split():
        if "@" in word or "#" in word or (has_http and "http" in word):
            continue
        # Scripts written without spaces (Chinese, Japanese, Thai...): each character is a
        # word. huggingtweets split on spaces only, so it dropped every such post as short.
        good += 1 if word.isascii() else max(1, len(_NO_SPACES.findall(word)))
        if good >= 3:
            return False
    return True


def is_retweet(text: str, is_repost: bool = False) -> bool:
    """A retweet: marked by the source, or text starting with `RT @`.

    X archives mark `retweeted: false` even on the account's own retweets, hence the text test.
    """
    return is_repost or text.startswith("RT @")


def clean(gathered: Gathered) -> Cleaned:
    """Drop retweets and short posts, clean the rest, and count each, the huggingtweets way.

    Args:
        gathered: one user's profile and every post downloaded.

    Returns:
        The kept texts (cleaned, each once, in source order), huggingtweets' counts, and the
        entries skipped apart from them.
    """
    skipped = Skipped(**{k: v for k, v in gathered.skipped.items() if k in Skipped.__annotations__})
    copies: dict[str, int] = {}  # kept text -> how many times; insertion order is source order
    first_id: dict[str, str | None] = {}  # kept text -> the id of its first copy
    retweets = short = kept = 0
    escaped = gathered.escaped
    for post in gathered.posts:
        text = post.text
        if len(text) > limits.MAX_POST_CHARS:
            skipped.too_long += 1
            continue
        if _LONE_SURROGATE.search(text):
            skipped.unencodable += 1
            continue
        if is_retweet(text, post.is_repost):
            retweets += 1
            continue
        text = clean_text(text, escaped)
        if is_short(text):
            short += 1
        else:
            kept += 1
            copies[text] = copies.get(text, 0) + 1
            first_id.setdefault(text, post.id)
    skipped.duplicate = kept - len(copies)
    counts = Counts(retweets + short + kept, retweets, short, kept)
    return Cleaned(list(copies), counts, skipped, _dominant(copies, kept), list(first_id.values()))


def _dominant(copies: dict[str, int], kept: int) -> tuple[str, int] | None:
    if kept - len(copies) < DOMINANT_MIN - 1:  # no text can have DOMINANT_MIN copies
        return None
    text, n = max(copies.items(), key=lambda item: item[1])
    return (text, n) if n >= DOMINANT_MIN and n >= DOMINANT_SHARE * kept else None


def scrub(text: str) -> str:
    """`text` with lone surrogates (which no UTF-8 file can hold) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def joined_length(texts: list[str], eos_token: str) -> int:
    """`len(eos_token.join(texts))`, without building the string."""
    return sum(map(len, texts)) + len(eos_token) * max(len(texts) - 1, 0)


def check_enough(handle: str, texts: list[str], eos_token: str) -> str | None:
    """huggingtweets' size check on the kept posts joined by the EOS token.

    Args:
        handle: the user's handle, for the message.
        texts: the user's kept, cleaned posts.
        eos_token: the base model's EOS token, which separates posts in training text.

    Returns:
        A warning to print when there are under 40,000 characters, else None.

    Raises:
        NotEnoughPostsError: under 6,000 characters; too little to fine-tune on.
    """
    n = joined_length(texts, eos_token)
    if n < MIN_CHARS:
        raise NotEnoughPostsError(
            f"@{handle}: not enough tweets to train a bot ({n:,} characters of text after "
            f"cleaning from {len(texts)} posts kept, {MIN_CHARS:,} needed)",
            hint="use an archive with more posts, or combine users: hf-tweetbot publish USER1 USER2",
        )
    if n < WARN_CHARS:
        return (
            f"@{handle}: few tweets ({n:,} characters of text after cleaning, "
            f"{WARN_CHARS:,} recommended); the bot may not sound much like them"
        )
    return None


def warnings(handle: str, cleaned: Cleaned, eos_token: str) -> list[str]:
    """What to tell the user about one user's kept posts before training on them.

    Raises:
        NotEnoughPostsError: under 6,000 characters of kept text (`check_enough`).
    """
    out = []
    if cleaned.dominant:
        text, n = cleaned.dominant
        share = n / max(cleaned.counts.tweets_kept, 1)
        shown = text if len(text) <= 60 else text[:57] + "..."
        out.append(
            f"@{handle}: one post makes up {share:.0%} of the kept posts ({n:,} copies of "
            f"{shown!r}); it is trained on once"
        )
    enough = check_enough(handle, cleaned.texts, eos_token)
    return [*out, enough] if enough else out


def describe_skipped(skipped: Skipped) -> str:
    """One line for the `prepare` summary: what was not trained on, and why."""
    parts = {
        "malformed": f"{skipped.malformed:,} malformed",
        "too_long": f"{skipped.too_long:,} over {limits.MAX_POST_CHARS:,} characters",
        "unencodable": f"{skipped.unencodable:,} with text that is not valid Unicode",
        "duplicate": f"{skipped.duplicate:,} duplicates of a kept post",
        "edited": f"{skipped.edited:,} earlier versions of edited posts (the latest is kept)",
        "circle": f"{skipped.circle:,} shared with a Twitter Circle only",
        "community": f"{skipped.community:,} posted in X Communities (--include-community "
        "reads them)",
        "private": f"{skipped.private:,} followers-only or direct",
        "content_warning": f"{skipped.content_warning:,} behind a content warning "
        "(--skip-content-warnings)",
    }
    return "not trained on: " + ", ".join(
        text for key, text in parts.items() if getattr(skipped, key)
    )


# @handle (X), @name.domain (Bluesky), @user@instance (Mastodon); not the middle of an e-mail.
_MENTION = re.compile(
    r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?"
)
MASK = "@user"


def mask_mentions(texts: list[str], keep: list[str]) -> tuple[list[str], int]:
    """Replace every @mention that is not one of the bot's users with `@user` (`--mask-mentions`).

    Replies are full of third parties' handles; a bot that learned them writes them, and a post
    on X that carries one notifies that person.

    Args:
        texts: cleaned posts.
        keep: the bot's own handles (compared without case).

    Returns:
        (the texts with mentions masked, how many mentions were masked).
    """
    own = {h.lower().lstrip("@") for h in keep}
    masked = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal masked
        if m.group(0)[1:].lower() in own or m.group(0) == MASK:
            return m.group(0)
        masked += 1
        return MASK

    return [_MENTION.sub(sub, t) if "@" in t else t for t in texts], masked


def mask_users_mentions(texts: dict[str, list[str]], say: Callable[[str], None]) -> dict[str, Any]:
    """`--mask-mentions` on every user's posts, in place; returns bot.json's `privacy` counts."""
    total = 0
    for handle in texts:
        texts[handle], n = mask_mentions(texts[handle], list(texts))
        total += n
    say(f"Masked {total} @mentions of other accounts as {MASK}")
    return {"mentions_masked": total}
