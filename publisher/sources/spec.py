"""A USER argument, read once: which source, whose account, which file or instance.

`parse` is the one reader of the USER syntax, used where the text comes in (the command line,
bot.json's record of a user, the creator's form); everything downstream takes the `UserSpec` it
makes:

- `PATH` or `HANDLE=PATH`: a local file or archive. Its kind is decided here, once: `.jsonl` /
  `.csv` → `file`, `.car` → `bluesky_car`, a Mastodon archive (`.tar.gz`, or a zip or folder with
  `outbox.json` at its top) → `mastodon_archive`, anything else → `archive` (an X archive, whose
  reader names what is wrong with it). `HANDLE=` is taken only when HANDLE is a handle, so a path
  holding `=` stays a path.
- `x:HANDLE`, `@HANDLE`, or a bare `HANDLE` that names no file: X (`x`).
- `bsky:HANDLE` or `bsky:did:...`: Bluesky (`bsky`); a handle without a dot is `HANDLE.bsky.social`.
- `mastodon:@user@instance` or `mastodon:https://instance/@user`: Mastodon (`mastodon`).

The kinds are the names bot.json records as a user's `source` (`Profile.source`).
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import SourceError

# Read from a path the user gave: `update` takes newer copies of them on its command line.
LOCAL_KINDS = ("archive", "file", "mastodon_archive", "bluesky_car")
LIVE_KINDS = ("x", "bsky", "mastodon")
KINDS = LOCAL_KINDS + LIVE_KINDS

X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
USER_HINT = "pass an archive's path, HANDLE=path, x:HANDLE, bsky:HANDLE or mastodon:@user@instance"
BSKY_HANDLE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}")
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+")
_NAMED = re.compile(r"(?!\.+$)[A-Za-z0-9_.\-]{1,64}")  # the HANDLE of HANDLE=PATH (no `.`, `..`)
_MASTODON_USER = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
_MASTODON_HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?")
MASTODON_FORMS = "mastodon:@user@instance or mastodon:https://instance/@user"
_PREFIXES = {"x:": "x", "bsky:": "bsky", "mastodon:": "mastodon"}


@dataclass(frozen=True)
class UserSpec:
    """One USER: its source's kind and what that source needs to find the posts.

    Two values are equal when they name the same source the same way; `key` says whether they
    are the same user.
    """

    kind: str  # one of KINDS
    # The account's handle where it is known before anything is read (`HANDLE=`, X, a Bluesky
    # handle); None: the posts' source names it.
    handle: str | None = None
    path: Path | None = None  # local kinds: the file or archive, absolute
    account: str | None = None  # live kinds: the X handle, Bluesky handle or DID, Mastodon user
    instance: str | None = None  # Mastodon: the instance's base URL (`https://host`)
    # How the user wrote it, for messages: the path of a local kind, else the whole USER.
    shown: str = field(default="", compare=False)

    @property
    def local(self) -> bool:
        """Read from a file or archive the user gave (not fetched from an API)."""
        return self.kind in LOCAL_KINDS

    @property
    def file(self) -> Path:
        """The file or archive of a local kind."""
        if self.path is None:
            raise TypeError(f"{self.kind} is not read from a file")
        return self.path

    @property
    def key(self) -> str:
        """The same for two USERs that are the same user (`x:@ada` and `ada`, two links to one file)."""
        if self.path is not None:
            return "path:" + os.path.realpath(self.path)
        if self.kind == "mastodon":
            return f"mastodon:{(self.account or '').lower()}@{urlsplit(self.instance or '').netloc.lower()}"
        return f"{self.kind}:{(self.account or '').lower()}"

    @property
    def record(self) -> str:
        """The USER as bot.json keeps it (`users[].spec`): `parse(record)` gives this value back."""
        if self.path is not None:
            return f"{self.handle}={self.path}" if self.handle else str(self.path)
        if self.kind == "mastodon":
            host = urlsplit(self.instance or "").netloc
            if self.instance == f"https://{host}":
                return f"mastodon:@{self.account}@{host}"
            return f"mastodon:{self.instance}/@{self.account}"
        return f"{self.kind}:{self.account}"

    def __str__(self) -> str:
        """The USER as the user wrote it."""
        if self.path is not None and self.handle:
            return f"{self.handle}={self.shown}"
        return self.shown or self.record


def parse(text: str) -> UserSpec:
    """Read a USER argument.

    Args:
        text: the USER as typed (or as bot.json recorded it).

    Returns:
        Its `UserSpec`; a local archive is opened once here to tell a Mastodon archive from X's.

    Raises:
        SourceError: a live form whose account cannot be one (`x:not-a-handle!`).
    """
    if not text.strip():
        raise SourceError("an empty USER", hint=USER_HINT)
    got = live(text)
    if got is not None and (text.startswith(tuple(_PREFIXES)) or not os.path.lexists(text)):
        return got  # a file named like a handle is the user's file, even a broken link
    handle, raw = _split(text)
    return local(Path(raw).expanduser(), handle, shown=raw)


def live(text: str) -> UserSpec | None:
    """A live form (`x:`, `@HANDLE`, `HANDLE`, `bsky:`, `mastodon:`), never looking at files.

    Returns:
        Its `UserSpec`, or None when `text` is not a live form (a path, `HANDLE=PATH`).

    Raises:
        SourceError: a live prefix whose account cannot be one.
    """
    for prefix, kind in _PREFIXES.items():
        if text.startswith(prefix):
            body = text.removeprefix(prefix).strip()
            if kind == "bsky":
                return _bsky(text, body)
            return _mastodon(text, body) if kind == "mastodon" else _x(text, body)
    if X_HANDLE.fullmatch(text.removeprefix("@")):
        return _x(text, text)
    return None


def local(path: Path, handle: str | None = None, shown: str | None = None) -> UserSpec:
    """The `UserSpec` of a file or archive (an upload, a path given apart from a USER).

    Args:
        path: the file or archive.
        handle: the account to name it after, or None to read it from the posts' source.
        shown: how to name it in messages (default: `path`).
    """
    return UserSpec(_local_kind(path), handle, path.absolute(), shown=shown or str(path))


def recorded(record: str | None, kind: str, handle: str) -> UserSpec | None:
    """A user of a bot as bot.json keeps it: `users[].spec`, `source` and `handle`.

    A live user's record is read as a live form whatever files lie around; a bot prepared before
    records were kept has none, and its X and Bluesky users are found again by their handle.

    Returns:
        The `UserSpec`, or None when the record is missing and the handle is not enough.
    """
    if record is None:
        return live(f"{kind}:{handle}") if kind in ("x", "bsky") else None
    if kind in LIVE_KINDS:
        return live(record) or parse(record)
    return parse(record)


def _split(text: str) -> tuple[str | None, str]:
    """`HANDLE=PATH` → (HANDLE, PATH) when HANDLE is a handle; else (None, text).

    A file or folder that exists is that path, even with an `=` in its name.
    """
    if os.path.lexists(text):
        return None, text
    handle, sep, path = text.partition("=")
    handle = handle.strip().lstrip("@")
    if sep and _NAMED.fullmatch(handle):
        if not path.strip():
            raise SourceError(f"{text}: no path after '{handle}='", hint=USER_HINT)
        return handle, path
    return None, text


def _x(text: str, body: str) -> UserSpec:
    handle = body.strip().lstrip("@")
    if not X_HANDLE.fullmatch(handle):
        raise SourceError(
            f"{text}: not an X handle (1-15 letters, digits or _)",
            hint="pass x:HANDLE, or a path to an archive or a .jsonl/.csv file",
        )
    return UserSpec("x", handle, account=handle, shown=text)


def _bsky(text: str, body: str) -> UserSpec:
    actor = body.lstrip("@")
    if _DID.fullmatch(actor):
        return UserSpec("bsky", None, account=actor, shown=text)
    if actor and "." not in actor:
        actor += ".bsky.social"
    if not BSKY_HANDLE.fullmatch(actor):
        raise SourceError(
            f"{text}: not a Bluesky handle",
            hint="pass bsky:someone.bsky.social or bsky:did:plc:...",
        )
    return UserSpec("bsky", actor.lower(), account=actor.lower(), shown=text)


def _mastodon(text: str, body: str) -> UserSpec:
    if body.startswith(("http://", "https://")):
        url = urlsplit(body)
        base = f"{url.scheme}://{url.netloc}"
        user = url.path.strip("/").removeprefix("@")
        host = url.netloc
    else:
        user, _, host = body.lstrip("@").partition("@")
        base = f"https://{host}"
    if not _MASTODON_USER.fullmatch(user) or not _MASTODON_HOST.fullmatch(host):
        raise SourceError(f"{text}: not a Mastodon account", hint=f"pass {MASTODON_FORMS}")
    return UserSpec("mastodon", None, account=user, instance=base, shown=text)


def _local_kind(p: Path) -> str:
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
