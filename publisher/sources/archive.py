"""Read posts from an X/Twitter account archive: the `.zip`, its extracted folder, or a `tweets.js`.

Archive data files are JavaScript assignments (`window.YTD.tweets.part0 = [...]`); everything
after the first `=` is JSON, so it is parsed as JSON and never evaluated. `tweets.js` and its
`-partN` siblings hold the posts; `archive_posts.py` settles edits, long posts (`note-tweet.js`),
Twitter Circle posts and deleted ones; posts made in X Communities (`community-tweet.js`) are
read only with `SourceOptions.include_community`, and counted otherwise. Zips are read member
by member in memory, never extracted, and refused outright when an entry could escape a folder
(zip slip) or inflate past the caps of `limits.py` (zip bomb). Only posts, the account's names
and its avatar are taken; the avatar only once Pillow has decoded it as an image of a sane size,
and it is saved under the extension of what it really is.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ArchiveError
from . import Gathered, Post, Profile, SourceOptions, limits, name_hint
from .archive_files import (
    DirReader,
    Reader,
    ZipReader,
    account_handle,
    local_archive,
    real_path,
    unsafe,
)
from .archive_js import TOO_LONG, iter_js_array, parse_js
from .archive_posts import Entries, notes_of, settle
from .spec import UserSpec

_TWEETS_RE = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")  # X allows 15; older and test accounts more
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


def _part_files(reader: Reader, folder: str, stem: str) -> list[str]:
    """`FOLDER/STEM.js` and its `STEM-partN.js` siblings, in part order."""
    pattern = re.compile(re.escape(stem) + r"(?:-part(\d+))?\.js")
    found = []
    for name in reader.files(folder):
        m = pattern.fullmatch(name[len(folder) :])
        if m:
            found.append((int(m.group(1) or 0), name))
    return [name for _, name in sorted(found)]


def _items(reader: Reader, names: list[str]) -> Iterable[Any]:
    for name in names:
        yield from iter_js_array(reader.chunks(name), f"{reader.label}: {name}")


def _ids(items: Iterable[Any]) -> set[str]:
    """The ids of the tweets among `items` (`{"tweet": {"id_str": ...}}`)."""
    ids = set()
    for item in items:
        obj = item.get("tweet", item) if isinstance(item, dict) else None
        pid = obj.get("id_str", obj.get("id")) if isinstance(obj, dict) else None
        if isinstance(pid, (str, int)) and pid != "":
            ids.add(str(pid))
    return ids


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


def _posts(items: Iterable[Any], label: str, g: Gathered, entries: Entries) -> None:
    """Append the posts among `items` to `g.posts`; count what is not one in `g.skipped`.

    Posts in an edit chain or ending in `…` are noted in `entries` for `archive_posts.settle`.
    """
    posts, skipped = g.posts, g.skipped
    for item in items:
        if item is TOO_LONG:
            skipped["too_long"] = skipped.get("too_long", 0) + 1
            continue
        # 2019+ archives wrap each tweet as {"tweet": {...}}; the oldest ones do not.
        obj = item.get("tweet", item) if isinstance(item, dict) else None
        text = obj.get("full_text") if isinstance(obj, dict) else None
        if isinstance(obj, dict) and not isinstance(text, str):
            text = obj.get("text")
        if not isinstance(obj, dict) or not isinstance(text, str):
            skipped["malformed"] = skipped.get("malformed", 0) + 1
            continue
        if len(posts) >= limits.MAX_POSTS:
            raise ArchiveError(
                f"{label}: more than {limits.MAX_POSTS:,} posts; hf-tweetbot reads at most "
                "that many per user",
                hint='put the posts you want in a .jsonl file (one {"text": ...} a line) '
                "and pass that",
            )
        pid = obj.get("id_str", obj.get("id"))
        pid = str(pid) if isinstance(pid, (str, int)) and pid != "" else None
        edit_info = obj.get("edit_info")
        if edit_info is not None:  # inline: this runs for every post of a 2022+ archive
            initial = edit_info.get("initial") if type(edit_info) is dict else None
            ids = initial.get("editTweetIds") if type(initial) is dict else None
            if type(ids) is list and len(ids) <= 1:
                edit_info = None  # never edited, as most posts
        if edit_info is not None or "…" in text:
            entries.see(len(posts), edit_info, pid, text)
        posts.append(Post(text=text, created_at=_iso(obj.get("created_at")), id=pid))


def _first(data: Any, key: str) -> dict[str, Any]:
    """`[{"account": {...}}]` -> `{...}` (or {} when the shape is unexpected)."""
    if isinstance(data, list) and data and isinstance(data[0], dict):
        inner = data[0].get(key, data[0])
        return inner if isinstance(inner, dict) else {}
    return {}


def _load(reader: Reader, name: str) -> Any:
    data = reader.read(name)
    return None if data is None else parse_js(data, f"{reader.label}: {name}")


def _avatar(reader: Reader, folder: str, url: Any, g: Gathered) -> None:
    """Fill the profile's avatar from profile.js's `avatarMediaUrl` (URL or path in the archive)."""
    if not isinstance(url, str) or not url:
        return
    if url.startswith(("http://", "https://")):
        g.profile.avatar_url = url
        return
    rel = url.replace("\\", "/").removeprefix("./")
    if unsafe(rel):
        raise ArchiveError(
            f"{reader.label}: profile.js avatar path {url!r} points outside the archive",
            hint="use the archive exactly as X delivered it",
        )
    root = folder[: -len("data/")] if folder.endswith("data/") else folder
    for name in dict.fromkeys((root + rel, folder + rel)):
        if take_avatar(g, reader, name):
            return


def take_avatar(g: Gathered, reader: Reader, name: str) -> bool:
    """Make the archive's file `name` the profile's avatar when it is a whole image; else warn,
    naming it. Its size is checked from its header before it is read, and its read is capped.

    Returns:
        Whether the archive holds `name` (and it is not empty).
    """
    data = reader.read_at_most(name, limits.MAX_AVATAR_BYTES)
    if not data:
        return False
    where = f"{reader.label}: {name}"
    if isinstance(data, int):
        g.warnings.append(
            f"{where}: {data:,} bytes, over the {limits.MAX_AVATAR_BYTES:,} allowed for an avatar; "
            "the bot has no avatar"
        )
        return True
    ext, problem = image_type(data)
    if ext is None:
        g.warnings.append(f"{where}: {problem}; the bot has no avatar")
    else:
        g.profile.avatar_bytes, g.profile.avatar_ext = data, ext
    return True


def image_type(data: bytes) -> tuple[str | None, str]:
    """The file extension for an avatar's bytes, or (None, what is wrong with them).

    The bytes are decoded in full: an avatar is copied into the model repo and drawn into the
    thumbnail, so anything but a whole image of a sane size stays out.
    """
    from PIL import Image

    if len(data) > limits.MAX_AVATAR_BYTES:
        return (
            None,
            f"{len(data):,} bytes, over the {limits.MAX_AVATAR_BYTES:,} allowed for an avatar",
        )
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in limits.AVATAR_TYPES:
                return None, f"not a JPEG, PNG, GIF or WebP image ({im.format})"
            if im.width * im.height > limits.MAX_AVATAR_PIXELS:
                return None, f"an image of {im.width}x{im.height} pixels, too large for an avatar"
            im.load()
            return limits.AVATAR_TYPES[im.format], ""
    except Image.DecompressionBombError:  # Pillow's own, far higher, cap
        return None, "an image of too many pixels, too large for an avatar"
    except Exception as e:  # Pillow raises many types on hostile bytes; none may stop the run
        return None, f"not a readable image ({type(e).__name__})"


def _profile(reader: Reader, folder: str, handle: str | None, g: Gathered) -> None:
    account = _first(_load(reader, folder + "account.js"), "account")
    if not account:  # fall back on the manifest's userInfo
        manifest = _load(reader, folder + "manifest.js")
        info = manifest.get("userInfo", {}) if isinstance(manifest, dict) else {}
        account = {"username": info.get("userName"), "accountDisplayName": info.get("displayName")}
    handle = account_handle(reader, handle, account.get("username"), "data/account.js",
                            lambda h: bool(_X_HANDLE.fullmatch(h)),
                            "an X handle (letters, digits and _)")  # fmt: skip
    name = account.get("accountDisplayName")
    name = name if isinstance(name, str) and name else handle
    g.profile = Profile(handle=handle, name=name, source="archive")
    info = _first(_load(reader, folder + "profile.js"), "profile")
    _avatar(reader, folder, info.get("avatarMediaUrl"), g)


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
        if (path / "data").is_symlink():
            real_path(path / "data", f"{path}: data")  # a loop or a dangling link: one line
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


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
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
    handle, raw = spec.handle, spec.shown
    path = local_archive(
        spec.file,
        raw,
        "pass the path of the archive .zip from X (or HANDLE=PATH), or a live "
        "account: x:HANDLE, bsky:HANDLE, mastodon:@user@instance",
    )
    if path.is_file() and path.suffix.lower() == ".js":
        if handle is None:
            raise ArchiveError(
                f"{raw}: a bare tweets.js does not say whose posts these are",
                hint=f"{name_hint(raw)} (or pass the whole .zip)",
            )
        real = real_path(path, raw)  # the user named this file: follow its links
        g = Gathered(Profile(handle=handle, name=handle, source="archive"))
        entries = Entries()
        _posts(iter_js_array(DirReader(real.parent).chunks(real.name), raw), raw, g, entries)
        settle(g, entries, set(), [], set())
        _require_posts(g, raw)
        return g
    reader, folders = _open(path)
    try:
        parts = _tweet_files(reader, folders)
        if not parts:
            raise ArchiveError(
                f"{raw}: no data/tweets.js (or tweet.js) inside; this is not an X archive",
                hint="pass the .zip from X's 'Download an archive of your data', unmodified",
            )
        g = Gathered(Profile(handle="", name="", source="archive"))
        entries = Entries()
        for name in parts:
            label = f"{reader.label}: {name}"
            _posts(iter_js_array(reader.chunks(name), label), label, g, entries)
        folder = parts[0].rpartition("/")[0] + "/" if "/" in parts[0] else ""
        _community(reader, folder, g, entries, opts.include_community)
        circle = _ids(_items(reader, _part_files(reader, folder, "twitter-circle-tweet")))
        notes = notes_of(_items(reader, _part_files(reader, folder, "note-tweet")))
        settle(g, entries, circle, notes, deleted_ids(reader, folder))
        _require_posts(g, raw)
        _profile(reader, folder, handle, g)
        g.profile.protected = protected(reader, folder)
        return g
    finally:
        reader.close()


def _community(reader: Reader, folder: str, g: Gathered, entries: Entries, read: bool) -> None:
    """Posts made in X Communities (`community-tweet.js`, not in tweets.js): read when asked,
    else counted (`community`)."""
    names = _part_files(reader, folder, "community-tweet")
    if read:
        for name in names:
            label = f"{reader.label}: {name}"
            _posts(iter_js_array(reader.chunks(name), label), label, g, entries)
    elif names:
        n = len(_ids(_items(reader, names)))
        if n:
            g.skipped["community"] = g.skipped.get("community", 0) + n


def _require_posts(g: Gathered, label: str) -> None:
    if not g.posts:
        skipped = ", ".join(f"{n} {why.replace('_', ' ')}" for why, n in g.skipped.items())
        raise ArchiveError(
            f"{label}: the archive holds no posts"
            + (f" ({skipped} entries skipped)" if skipped else ""),
            hint="check you passed the right account's archive (data/tweets.js lists its posts)",
        )
