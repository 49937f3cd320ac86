"""Read a Mastodon account from its archive: Preferences > Import and export > Request your archive.

The archive is a `.zip` (Mastodon 4.2 and later), a `.tar.gz` (before), or the folder either was
extracted to. It holds `outbox.json`, an ActivityStreams `OrderedCollection` whose `orderedItems`
are the account's activities, `actor.json` (the profile: `preferredUsername`, `name`, `icon` naming
the avatar file, `manuallyApprovesFollowers` for a locked account) and the avatar itself.

- `Create` of a `Note` (or a poll, a `Question`) is a post: its `content` is the status HTML,
  read as typed (`mastodon_html.py`).
- `Announce` is a boost: a retweet in the counts, never trained on.
- Only public and unlisted activities are trained on: those addressed to the Public collection
  (`https://www.w3.org/ns/activitystreams#Public`, in `to` for public, in `cc` for unlisted).
  Followers-only posts and direct messages were written for a chosen few: they are counted
  (`private`) and never read further, not even their HTML.
- A post behind a content warning (a non-empty `summary`) keeps its text; it is left out with
  `SourceOptions.skip_content_warnings`, and counted either way (`Gathered.content_warnings`).

`outbox.json` is streamed item by item (`archive_js.iter_json_list`) under the same caps as an X
archive's `tweets.js`; the archive is read by the same readers (`archive_files.py`), which refuse
zip slip, links and bombs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ArchiveError
from . import Gathered, Post, Profile, SourceOptions, limits
from .archive import take_avatar
from .archive_files import (
    DirReader,
    Hints,
    Reader,
    TarReader,
    ZipReader,
    account_handle,
    local_archive,
    unsafe,
)
from .archive_js import TOO_LONG, iter_json_list, parse_json
from .mastodon_html import html_to_text
from .spec import UserSpec

PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
_USER = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
_STATUS_ID = re.compile(r"/statuses/(\d+)(?:/activity)?/?$")
_REDOWNLOAD = "request the archive again (Mastodon: Preferences > Import and export)"
_HINTS = Hints(
    redownload=_REDOWNLOAD,
    as_delivered="use the archive exactly as Mastodon delivered it",
    too_big="use the archive exactly as Mastodon delivered it, or put the posts you want in a "
    '.jsonl file (one {"text": ...} a line) and pass that',
)
_KIND = "Mastodon archive file"


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
    """Read every post and boost of a Mastodon archive.

    Args:
        spec: `PATH` or `HANDLE=PATH`; PATH is the archive (`.zip`, `.tar.gz`) or its folder.
        opts: `skip_content_warnings`; archives are local: no cap, no cache.

    Returns:
        The profile (handle, display name, avatar, locked) and the public and unlisted posts and
        boosts, in the archive's order.

    Raises:
        ArchiveError: a missing, malformed or unsafe archive; nothing is written.
    """
    handle, raw = spec.handle, spec.shown
    path = local_archive(spec.file, raw, "pass the archive Mastodon gave", _HINTS)
    reader = _open(path)
    try:
        folder = next((f for f in ("", *_subfolders(reader)) if f + "outbox.json" in reader.files(f)), None)  # fmt: skip
        if folder is None:
            raise ArchiveError(
                f"{raw}: no outbox.json inside; this is not a Mastodon archive",
                hint="pass the archive from Mastodon's 'Request your archive', unmodified",
            )
        # html_to_text unescapes each status's entities, once.
        g = Gathered(Profile(handle="", name="", source="mastodon_archive"), escaped=False)
        label = f"{reader.label}: {folder}outbox.json"
        items = iter_json_list(reader.chunks(folder + "outbox.json"), "orderedItems", label, _KIND, _REDOWNLOAD)  # fmt: skip
        _activities(items, label, g, opts.skip_content_warnings)
        if not g.posts:
            private = g.skipped.get("private", 0)
            raise ArchiveError(
                f"{raw}: the archive holds no public posts"
                + (f" ({private:,} followers-only or direct, never read)" if private else ""),
                hint="check you passed the right account's archive",
            )
        _profile(reader, folder, handle, g)
        return g
    finally:
        reader.close()


def _open(path: Path) -> Reader:
    if path.is_dir():
        return DirReader(path, _HINTS)
    if path.name.lower().endswith((".tar.gz", ".tgz")):
        return TarReader(path, _wanted, _HINTS)
    return ZipReader(path, _HINTS)


def _wanted(name: str) -> bool:
    """The members a `.tar.gz` is read for: outbox.json, actor.json, the avatar; at its top."""
    if name.count("/") > 1:
        return False
    base = name.rpartition("/")[2]
    return base in ("outbox.json", "actor.json") or base.startswith("avatar.")


def _subfolders(reader: Reader) -> list[str]:
    """Folders one level down that may hold the archive (a zip of the extracted folder)."""
    names: Iterable[str]
    if isinstance(reader, (ZipReader, TarReader)):
        names = reader.infos
    else:
        return sorted(f"{p.name}/" for p in Path(reader.label).iterdir() if p.is_dir())
    return sorted({n.partition("/")[0] + "/" for n in names if n.count("/") == 1})


def _audience(activity: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for key in ("to", "cc"):
        value = activity.get(key)
        if isinstance(value, str):
            out.add(value)
        elif isinstance(value, list):
            out.update(a for a in value if isinstance(a, str))
    return out


def is_public(activity: dict[str, Any]) -> bool:
    """Public or unlisted: the activity, and its object when it says, address the Public."""
    if not _audience(activity) & PUBLIC:
        return False
    obj = activity.get("object")
    if isinstance(obj, dict) and ("to" in obj or "cc" in obj):
        return bool(_audience(obj) & PUBLIC)
    return True


def _status_id(uri: Any) -> str | None:
    """`https://host/users/u/statuses/123` (or its `/activity`) → `123`, the API's status id."""
    if not isinstance(uri, str) or not uri:
        return None
    m = _STATUS_ID.search(uri)
    return m.group(1) if m else uri


def _activities(items: Iterable[Any], label: str, g: Gathered, skip_cw: bool) -> None:
    """Append the public posts and boosts among `items` to `g.posts`; count the rest."""
    skipped = g.skipped
    for item in items:
        why = None
        if item is TOO_LONG:
            why = "too_long"
        elif not isinstance(item, dict):
            why = "malformed"
        elif not is_public(item):
            why = "private"  # never read further
        if why:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        if len(g.posts) >= limits.MAX_POSTS:
            raise ArchiveError(
                f"{label}: more than {limits.MAX_POSTS:,} posts; hf-tweetbot reads at most "
                "that many per user",
                hint='put the posts you want in a .jsonl file (one {"text": ...} a line) '
                "and pass that",
            )
        post = _post(item, g, skip_cw)
        if post is not None:
            g.posts.append(post)


def _post(activity: dict[str, Any], g: Gathered, skip_cw: bool) -> Post | None:
    """The post (or boost) of a public activity; None when it is skipped (and counted)."""
    kind, obj = activity.get("type"), activity.get("object")
    published = activity.get("published") if isinstance(activity.get("published"), str) else None
    if kind == "Announce":
        return Post(text="", created_at=published, is_repost=True, id=_status_id(activity.get("id")))  # fmt: skip
    note: dict[str, Any] = obj if isinstance(obj, dict) else {}
    content = note.get("content")
    if kind != "Create" or not isinstance(content, str):
        g.skipped["malformed"] = g.skipped.get("malformed", 0) + 1
        return None
    if len(content) > limits.MAX_HTML_CHARS:
        g.skipped["too_long"] = g.skipped.get("too_long", 0) + 1  # never parsed
        return None
    warning = note.get("summary")
    if isinstance(warning, str) and warning.strip():
        g.content_warnings += 1
        if skip_cw:
            g.skipped["content_warning"] = g.skipped.get("content_warning", 0) + 1
            return None
    when = note.get("published")
    return Post(
        text=html_to_text(content),
        created_at=when if isinstance(when, str) else published,
        id=_status_id(note.get("id")),
    )


def _profile(reader: Reader, folder: str, handle: str | None, g: Gathered) -> None:
    """Handle, name, locked and avatar from actor.json (the handle may come from `HANDLE=`)."""
    data = reader.read(folder + "actor.json")
    where = f"{reader.label}: {folder}actor.json"
    actor = parse_json(data, where, _KIND, _REDOWNLOAD) if data else None
    actor = actor if isinstance(actor, dict) else {}
    handle = account_handle(reader, handle, actor.get("preferredUsername"), "actor.json",
                            lambda h: bool(_USER.fullmatch(h)) and len(h) <= 64,
                            "a Mastodon username")  # fmt: skip
    name = actor.get("name")
    g.profile = Profile(
        handle=handle,
        name=name.strip() if isinstance(name, str) and name.strip() else handle,
        source="mastodon_archive",
        protected=actor.get("manuallyApprovesFollowers") is True,
    )
    icon = actor.get("icon")
    url = icon.get("url") if isinstance(icon, dict) else None
    if isinstance(url, str) and url and not url.startswith(("http://", "https://")):
        if unsafe(url) or "/" in url.strip("/"):
            raise ArchiveError(
                f"{reader.label}: actor.json's avatar {url[:80]!r} points outside the archive",
                hint=_HINTS.as_delivered,
            )
        take_avatar(g, reader, folder + url.strip("/"))
