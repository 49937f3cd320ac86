"""Gather a user's posts and profile from wherever they live.

One small module per source; each exposes `fetch(spec, opts) -> Gathered`. `gather` picks the
module from the USER argument:

- `PATH` or `HANDLE=PATH`: an X archive (`.zip`, extracted folder or `tweets.js`), or a
  `.jsonl` / `.csv` file with a `text` column (`archive.py`, `file.py`);
- `PATH` or `HANDLE=PATH` of a Mastodon archive (`.zip`, `.tar.gz` or extracted folder holding
  `outbox.json`, `mastodon_archive.py`) or a Bluesky repository export (`.car`, `bluesky_car.py`);
- `x:HANDLE`, `@HANDLE` or a bare `HANDLE`: X API v2 with `X_BEARER_TOKEN` (`x_api.py`);
- `bsky:HANDLE`: Bluesky's public AppView (`bluesky.py`);
- `mastodon:@user@instance` or `mastodon:https://instance/@user` (`mastodon.py`).

All sources yield the same `Post` and `Profile` types, so cleaning and counting do not know
where posts came from.
"""

from __future__ import annotations

import importlib
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..flags import flag


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
    # Posts behind a content warning (Mastodon), trained on or skipped (`skip_content_warnings`).
    content_warnings: int = 0
    # The posts' `&`, `<`, `>` arrive as `&amp;` `&lt;` `&gt;`, as X gives every text, and
    # cleaning unescapes them (huggingtweets' fix_text). False for text as its author typed it
    # (Mastodon once its HTML is read, Bluesky): unescaping it again would turn a typed "&lt;"
    # into "<".
    escaped: bool = True


@dataclass
class SourceOptions:
    """Knobs shared by the sources. Live sources cache raw responses under `raw_dir`."""

    raw_dir: Path | None = None
    max_posts: int = flag(3200, min=1, help="Most posts fetched per user from a live API.")
    refresh: bool = flag(False, help="Fetch live posts again instead of using DIR/raw/.")
    progress: bool = True
    # `hf-tweetbot update`: the newest post already in the bot (a `since.Since`); live sources
    # then fetch only later posts, cached under their own key in `raw_dir`.
    since: Any = None
    # X archive: also read the posts made in X Communities (`data/community-tweet.js`), which
    # are left out (and counted) by default.
    include_community: bool = flag(False, help="X archive: also train on posts made in X Communities (left out by default).")  # fmt: skip
    # Mastodon: leave out the posts behind a content warning (counted either way).
    skip_content_warnings: bool = flag(False, help="Mastodon: leave out posts behind a content warning (counted either way).")  # fmt: skip


LIVE_PREFIXES = ("x:", "bsky:", "mastodon:")
# The sources read from a path the user gave (their Profile.source is the kind's name): `update`
# takes newer copies of them on its command line and records their paths absolute.
LOCAL_KINDS = ("archive", "file", "mastodon_archive", "bluesky_car")
_HANDLE_RE = re.compile(r"^@?[A-Za-z0-9_]{1,15}$")


def split_spec(spec: str) -> tuple[str | None, str]:
    """Split `HANDLE=PATH` into (handle, path); plain PATH gives (None, PATH)."""
    if "=" in spec and not spec.startswith(LIVE_PREFIXES):
        handle, _, path = spec.partition("=")
        handle = handle.strip().lstrip("@")
        if handle and re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", handle):
            return handle, path
    return None, spec


def name_hint(raw: str) -> str:
    """How to name the account of the file or archive at `raw` (any command that reads one)."""
    return f"give HANDLE={raw} in place of {raw} to name the account yourself"


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
    # A link named like a handle is the user's file, even a broken one: its reader says what is wrong.
    if handle is None and not os.path.lexists(p) and _HANDLE_RE.match(spec):
        return "x_api"
    if p.suffix.lower() in (".jsonl", ".csv"):
        return "file"
    if p.suffix.lower() == ".car":
        return "bluesky_car"
    return "mastodon_archive" if _is_mastodon_archive(p) else "archive"


def _is_mastodon_archive(p: Path) -> bool:
    """A `.tar.gz`, or a zip or folder with `outbox.json` at its top (or one folder down).

    Only names are looked at; anything unreadable goes to the X archive reader, whose errors
    name the problem.
    """
    if p.name.lower().endswith((".tar.gz", ".tgz")):
        return True
    try:
        if p.is_dir():
            return (p / "outbox.json").is_file() and not (p / "data").is_dir()
        if not p.is_file() or not zipfile.is_zipfile(p):
            return False
        with zipfile.ZipFile(p) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, RuntimeError):
        return False
    tops = {n.replace("\\", "/").lstrip("/") for n in names}
    return any(n.split("/")[-1] == "outbox.json" and n.count("/") <= 1 for n in tops) and not any(
        os.path.basename(n) in ("tweets.js", "tweet.js") for n in tops
    )


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
