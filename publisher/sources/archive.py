"""Read posts from an X/Twitter account archive: the `.zip`, its extracted folder, or a `tweets.js`.

Archive data files are JavaScript assignments (`window.YTD.tweets.part0 = [...]`); everything
after the first `=` is JSON, so it is parsed as JSON and never evaluated. Zips are read member
by member in memory, never extracted, and refused outright when an entry could escape a folder
(zip slip) or inflate past the caps of `archive_files.py` (zip bomb).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ArchiveError
from . import Gathered, Post, Profile, SourceOptions, split_spec
from .archive_files import DirReader, Reader, ZipReader, unsafe
from .archive_js import iter_js_array, parse_js

_TWEETS_RE = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}  # noqa: SIM905


def _tweet_files(reader: Reader, folders: list[str]) -> list[str]:
    """`tweets.js` (or the older `tweet.js`) and its `-partN` siblings, in part order."""
    for folder in folders:
        found: dict[str, list[tuple[int, str]]] = {}
        for name in reader.files(folder):
            m = _TWEETS_RE.match(name[len(folder) :])
            if m:
                stem = "tweets" if name[len(folder) :].startswith("tweets") else "tweet"
                found.setdefault(stem, []).append((int(m.group(1) or 0), name))
        # New archives say tweets.js, old ones tweet.js; never mix the two.
        parts = found.get("tweets") or found.get("tweet")
        if parts:
            return [name for _, name in sorted(parts)]
    return []


def _zip_folders(reader: ZipReader) -> list[str]:
    """Folders of a zip that may hold tweets.js: `data/` first, then the shallowest others."""
    dirs = {n.rpartition("/")[0] + "/" if "/" in n else "" for n in reader.infos}
    return sorted(dirs, key=lambda d: (d != "data/" and not d.endswith("/data/"), d.count("/"), d))


def _iso(created_at: Any) -> str | None:
    """'Wed Oct 10 20:19:24 +0000 2018' -> '2018-10-10T20:19:24+00:00'; anything else as is."""
    if not isinstance(created_at, str):
        return None
    p = created_at.split()
    if len(p) == 6 and p[1] in _MONTHS and len(p[4]) == 5 and p[2].isdigit():
        tz = p[4]
        return f"{p[5]}-{_MONTHS[p[1]]:02d}-{int(p[2]):02d}T{p[3]}{tz[:3]}:{tz[3:]}"
    return created_at


def _posts(items: Iterable[Any], label: str) -> list[Post]:
    posts = []
    for item in items:
        # 2019+ archives wrap each tweet as {"tweet": {...}}; the oldest ones do not.
        obj = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(obj, dict):
            continue
        text = obj.get("full_text")
        if not isinstance(text, str):
            text = obj.get("text")
        if isinstance(text, str):
            pid = obj.get("id_str", obj.get("id"))
            posts.append(
                Post(
                    text=text,
                    created_at=_iso(obj.get("created_at")),
                    id=str(pid) if isinstance(pid, (str, int)) and pid != "" else None,
                )
            )
    return posts


def _first(data: Any, key: str) -> dict[str, Any]:
    """`[{"account": {...}}]` -> `{...}` (or {} when the shape is unexpected)."""
    if isinstance(data, list) and data and isinstance(data[0], dict):
        inner = data[0].get(key, data[0])
        return inner if isinstance(inner, dict) else {}
    return {}


def _load(reader: Reader, name: str) -> Any:
    data = reader.read(name)
    return None if data is None else parse_js(data, f"{reader.label}: {name}")


def _avatar(reader: Reader, folder: str, url: Any, profile: Profile) -> None:
    """Fill the profile's avatar from profile.js's `avatarMediaUrl` (URL or path in the archive)."""
    if not isinstance(url, str) or not url:
        return
    if url.startswith(("http://", "https://")):
        profile.avatar_url = url
        return
    rel = url.replace("\\", "/").removeprefix("./")
    if unsafe(rel):
        raise ArchiveError(
            f"{reader.label}: profile.js avatar path {url!r} points outside the archive",
            hint="use the archive exactly as X delivered it",
        )
    root = folder[: -len("data/")] if folder.endswith("data/") else folder
    for name in dict.fromkeys((root + rel, folder + rel)):
        data = reader.read(name)
        if data:
            ext = PurePosixPath(rel).suffix.lower().lstrip(".") or "jpg"
            profile.avatar_bytes, profile.avatar_ext = data, "jpg" if ext == "jpeg" else ext
            return


def _profile(reader: Reader, folder: str, handle: str | None) -> Profile:
    account = _first(_load(reader, folder + "account.js"), "account")
    if not account:  # fall back on the manifest's userInfo
        manifest = _load(reader, folder + "manifest.js")
        info = manifest.get("userInfo", {}) if isinstance(manifest, dict) else {}
        account = {"username": info.get("userName"), "accountDisplayName": info.get("displayName")}
    found = account.get("username")
    handle = handle or (found if isinstance(found, str) and found else None)
    if handle is None:
        raise ArchiveError(
            f"{reader.label}: no data/account.js naming the account's handle",
            hint=f"name it yourself: hf-tweetbot publish HANDLE={reader.label}",
        )
    name = account.get("accountDisplayName")
    name = name if isinstance(name, str) and name else handle
    profile = Profile(handle=handle, name=name, source="archive")
    info = _first(_load(reader, folder + "profile.js"), "profile")
    _avatar(reader, folder, info.get("avatarMediaUrl"), profile)
    return profile


def protected(reader: Reader, folder: str) -> bool:
    """Whether `protected-history.js` says the account is protected: its latest action decides.

    Items look like `{"protectedHistory": {"protectedAt": ISO time, "action": "Protect"}}`
    (or "Unprotect"). X lists only the last six months; no entry means not known protected.
    """
    data = _load(reader, folder + "protected-history.js")
    events = []
    for i, item in enumerate(data if isinstance(data, list) else []):
        ev = item.get("protectedHistory", item) if isinstance(item, dict) else None
        if isinstance(ev, dict) and isinstance(ev.get("action"), str):
            events.append((str(ev.get("protectedAt") or ""), i, ev["action"].strip().lower()))
    return bool(events) and max(events)[2] == "protect"


def deleted_ids(reader: Reader, folder: str) -> set[str]:
    """Ids of the posts the account deleted (`deleted-tweets.js`, `deleted-tweet-headers.js`).

    `deleted-tweets.js` holds whole tweets like `tweets.js`; the headers file holds
    `{"tweet": {"tweet_id", "user_id", "created_at", "deleted_at"}}`. Neither is ever a source
    of posts: their ids are only used to leave such posts out wherever else they appear.
    """
    ids: set[str] = set()
    present = set(reader.files(folder))
    for name in ("deleted-tweets.js", "deleted-tweet-headers.js"):
        if folder + name not in present:
            continue
        for item in iter_js_array(reader.chunks(folder + name), f"{reader.label}: {name}"):
            obj = item.get("tweet", item) if isinstance(item, dict) else None
            if isinstance(obj, dict):
                for key in ("tweet_id", "tweetId", "id_str", "id"):
                    if isinstance(obj.get(key), (str, int)) and obj[key] != "":
                        ids.add(str(obj[key]))
                        break
    return ids


def _open(path: Path) -> tuple[Reader, list[str]]:
    """A reader for a zip or folder, and the folders to look for tweets.js in."""
    if path.is_dir():
        folders = ["data/", ""] + sorted(
            f"{p.name}/data/" for p in path.iterdir() if (p / "data").is_dir()
        )
        return DirReader(path), folders
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        reader = ZipReader(path)
        return reader, _zip_folders(reader)
    raise ArchiveError(
        f"{path}: not an X archive (expected a .zip, its extracted folder, or tweets.js) "
        "nor a .jsonl/.csv file",
        hint="pass the archive .zip from X, or a .jsonl/.csv file with a `text` column",
    )


def fetch(spec: str, opts: SourceOptions) -> Gathered:
    """Read every post of an X archive.

    Args:
        spec: `PATH` or `HANDLE=PATH`; PATH is the archive `.zip`, its extracted folder or a
            bare `tweets.js` (which needs `HANDLE=`). `HANDLE=` overrides the archive's handle.
        opts: shared source options (archives are local: no cap, no cache).

    Returns:
        The profile (handle, display name, avatar URL or bytes) and all posts in archive order.

    Raises:
        ArchiveError: a missing, malformed or unsafe archive; nothing is written.
    """
    handle, raw = split_spec(spec)
    path = Path(raw).expanduser()
    if not path.exists():
        raise ArchiveError(
            f"{raw}: no such file or folder",
            hint="pass the path of the archive .zip from X (or HANDLE=PATH)",
        )
    if path.is_file() and path.suffix.lower() == ".js":
        if handle is None:
            raise ArchiveError(
                f"{raw}: a bare tweets.js does not say whose posts these are",
                hint=f"name the account: hf-tweetbot publish HANDLE={raw} (or pass the whole .zip)",
            )
        items = iter_js_array(DirReader(path.parent).chunks(path.name), raw)
        posts = _require_posts(_posts(items, raw), raw)
        return Gathered(Profile(handle=handle, name=handle, source="archive"), posts)
    reader, folders = _open(path)
    try:
        parts = _tweet_files(reader, folders)
        if not parts:
            raise ArchiveError(
                f"{raw}: no data/tweets.js (or tweet.js) inside; this is not an X archive",
                hint="pass the .zip from X's 'Download an archive of your data', unmodified",
            )
        posts = []
        for name in parts:
            label = f"{reader.label}: {name}"
            posts += _posts(iter_js_array(reader.chunks(name), label), label)
        folder = parts[0].rpartition("/")[0] + "/" if "/" in parts[0] else ""
        gone = deleted_ids(reader, folder)
        kept = [p for p in posts if p.id is None or p.id not in gone] if gone else posts
        _require_posts(kept, raw)
        profile = _profile(reader, folder, handle)
        profile.protected = protected(reader, folder)
        return Gathered(profile=profile, posts=kept, deleted=len(posts) - len(kept))
    finally:
        reader.close()


def _require_posts(posts: list[Post], label: str) -> list[Post]:
    if not posts:
        raise ArchiveError(
            f"{label}: the archive holds no posts",
            hint="check you passed the right account's archive (data/tweets.js lists its posts)",
        )
    return posts
