"""Gather a user's posts and profile from wherever they live.

One small module per source; each exposes `fetch(spec, opts) -> Gathered`. `gather` picks the
module from the USER argument:

- `PATH` or `HANDLE=PATH`: an X archive (`.zip`, extracted folder or `tweets.js`), or a
  `.jsonl` / `.csv` file with a `text` column (`archive.py`, `file.py`);
- `x:HANDLE`, `@HANDLE` or a bare `HANDLE`: X API v2 with `X_BEARER_TOKEN` (`x_api.py`);
- `bsky:HANDLE`: Bluesky's public AppView (`bluesky.py`);
- `mastodon:@user@instance` or `mastodon:https://instance/@user` (`mastodon.py`).

All sources yield the same `Post` and `Profile` types, so cleaning and counting do not know
where posts came from.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)  # a million of them: 64 bytes each with slots, ~200 with a __dict__
class Post:
    """One post as the source gave it (text not yet cleaned)."""

    text: str
    created_at: str | None = None
    # True when the source itself marks a repost (X `referenced_tweets`, Bluesky reasonRepost,
    # Mastodon reblog). Cleaning also treats any text starting with "RT @" as a retweet.
    is_repost: bool = False
    # The source's own id (X id_str, Bluesky at:// URI, Mastodon status id, a file's `id`
    # column), or None where it has none: what merging and de-duplication key on.
    id: str | None = None


@dataclass
class Profile:
    """Who wrote the posts."""

    handle: str
    name: str
    source: str  # "archive", "file", "x", "bsky", "mastodon"
    avatar_url: str | None = None  # an http(s) URL, or None
    # Image bytes for an avatar that has no public URL (inside an archive zip); the pipeline
    # copies it into the model repo as `avatar_<handle>.<ext>`.
    avatar_bytes: bytes | None = None
    avatar_ext: str = "jpg"
    # The account is protected/locked: its posts were never public (archive
    # protected-history, X `protected`, Mastodon `locked`).
    protected: bool = False


@dataclass
class Gathered:
    """A user's profile and every post downloaded (retweets and short posts included)."""

    profile: Profile
    posts: list[Post] = field(default_factory=list)
    # Entries read but not usable as posts, by reason ("malformed", "too_long"); cleaning adds
    # its own reasons and the total lands in bot.json `users[].skipped`.
    skipped: dict[str, int] = field(default_factory=dict)
    # Things the user should know that did not stop the run (an avatar left out, ...).
    warnings: list[str] = field(default_factory=list)
    # Posts the source says were deleted (an archive's deleted-tweets files): left out, counted.
    deleted: int = 0


@dataclass
class SourceOptions:
    """Knobs shared by the sources. Live sources cache raw responses under `raw_dir`."""

    raw_dir: Path | None = None
    max_posts: int = 3200
    refresh: bool = False
    progress: bool = True
    # `hf-tweetbot update`: the newest post already in the bot (a `since.Since`); live sources
    # then fetch only later posts, cached under their own key in `raw_dir`.
    since: Any = None


LIVE_PREFIXES = ("x:", "bsky:", "mastodon:")
_HANDLE_RE = re.compile(r"^@?[A-Za-z0-9_]{1,15}$")


def split_spec(spec: str) -> tuple[str | None, str]:
    """Split `HANDLE=PATH` into (handle, path); plain PATH gives (None, PATH)."""
    if "=" in spec and not spec.startswith(LIVE_PREFIXES):
        handle, _, path = spec.partition("=")
        handle = handle.strip().lstrip("@")
        if handle and re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", handle):
            return handle, path
    return None, spec


def source_kind(spec: str) -> str:
    """Name the source module a USER argument goes to."""
    if spec.startswith("bsky:"):
        return "bluesky"
    if spec.startswith("mastodon:"):
        return "mastodon"
    if spec.startswith("x:"):
        return "x_api"
    handle, path = split_spec(spec)
    p = Path(path).expanduser()
    if handle is None and not p.exists() and _HANDLE_RE.match(spec):
        return "x_api"
    if p.suffix.lower() in (".jsonl", ".csv"):
        return "file"
    return "archive"


def gather(spec: str, opts: SourceOptions | None = None) -> Gathered:
    """Read one user's posts and profile.

    Args:
        spec: the USER argument as typed on the command line.
        opts: shared source options (cache folder, cap on posts, progress).

    Returns:
        The profile and all posts downloaded, retweets included.

    Raises:
        SourceError: the input cannot be read; the message names the problem and the fix.
    """
    opts = opts or SourceOptions()
    kind = source_kind(spec)
    # One module per source, each with `fetch(spec, opts) -> Gathered`.
    mod = importlib.import_module(f".{kind}", __package__)
    return mod.fetch(spec, opts)
