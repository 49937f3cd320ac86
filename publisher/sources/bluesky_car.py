"""Read a Bluesky account from its repository export: the `.car` of Settings > Export my data.

The file is a CAR (content-addressed archive) of DAG-CBOR blocks, decoded by `libipld` (the
maintained Rust IPLD library that the AT Protocol's Python SDK uses), never by hand. Following
the AT Protocol repository spec, the CAR's root is the signed commit (`did`, `data`: the root of
the Merkle Search Tree); the tree's nodes (`l`: left subtree, `e`: entries `p` prefix length,
`k` key suffix, `v` record, `t` right subtree) map each `collection/rkey` to a record block.

`app.bsky.feed.post` records are the posts (replies included); `app.bsky.feed.repost` records
count as retweets; `app.bsky.actor.profile/self` gives the display name. Everything else (likes,
follows, blocks, lists) is no post and is passed over. The export holds neither the handle (it
lives in the DID document) nor any image, so the handle comes from `HANDLE=PATH`, or a file named
after it, or else the account's DID; the bot has no avatar.

A file that is not a CAR, one cut short, a block that does not decode, or a tree that does not
hold together is refused in one line; the file is read under `limits.MAX_MEMBER_BYTES`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import libipld

from ..errors import ArchiveError
from . import Gathered, Post, Profile, SourceOptions, limits, name_hint, split_spec
from .archive_files import real_path
from .bluesky import HANDLE, record_text

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile/self"
_DID = re.compile(r"did:[a-z]+:([A-Za-z0-9._:%-]{1,200})")
_REDOWNLOAD = "download it again: Bluesky Settings > Account > Export my data"
_AS_DELIVERED = "pass the export exactly as Bluesky delivered it"


def fetch(spec: str, opts: SourceOptions) -> Gathered:
    """Read every post and repost of a Bluesky repository export.

    Args:
        spec: `PATH` or `HANDLE=PATH` of the `.car` file.
        opts: shared source options (a local file: no cap, no cache).

    Returns:
        The profile (handle, display name) and the posts in the repository's key order (oldest
        first); reposts flagged.

    Raises:
        ArchiveError: a missing, unreadable or malformed file; nothing is written.
    """
    handle, raw = split_spec(spec)
    path = Path(raw).expanduser()
    if path.is_symlink():
        path = real_path(path, raw, _AS_DELIVERED)  # a loop or a dangling link: one line
    if not path.is_file():
        raise ArchiveError(f"{raw}: no such file", hint="pass the .car file Bluesky exported")
    size = path.stat().st_size
    if size > limits.MAX_MEMBER_BYTES:
        raise ArchiveError(
            f"{raw}: {size:,} bytes, over the {limits.MAX_MEMBER_BYTES:,} a file may hold",
            hint=_AS_DELIVERED,
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ArchiveError(f"{raw}: cannot be read ({e.strerror})", hint=_REDOWNLOAD) from None
    header, blocks = _decode(data, raw)
    did, records = _walk(header, blocks, raw)
    g = Gathered(Profile(handle="", name="", source="bluesky_car"), escaped=False)  # plain text
    name = ""
    for key, record in records:
        collection = key.partition("/")[0]
        if key == PROFILE and isinstance(record, dict):
            shown = record.get("displayName")
            name = shown.strip() if isinstance(shown, str) else ""
        elif collection in (POST, REPOST):
            _add(g, key, record, did, raw)
    if not g.posts:
        raise ArchiveError(
            f"{raw}: the repository holds no posts",
            hint="check you exported the right account (Settings > Account > Export my data)",
        )
    g.profile.handle = handle or _handle(path, raw, did, g)
    g.profile.name = name or g.profile.handle
    return g


def _decode(data: bytes, label: str) -> tuple[Any, dict[bytes, Any]]:
    """The CAR's header and its blocks by CID, or one line saying why not."""
    try:
        return libipld.decode_car(data)
    except RecursionError:
        raise ArchiveError(
            f"{label}: a block of the CAR file nests too deeply to decode", hint=_REDOWNLOAD
        ) from None
    except (ValueError, TypeError, OverflowError, MemoryError) as e:
        why = " ".join(str(e).split())[:200]
        if "header" in why.lower():
            problem = f"not a CAR file (a Bluesky repository export): {why}"
        elif "end of data" in why.lower() or _cut_short(data):
            problem = "the CAR file is truncated: it ends inside a block"
        else:
            problem = f"a block of the CAR file does not decode ({why})"
        raise ArchiveError(f"{label}: {problem}", hint=_REDOWNLOAD) from None


def _cut_short(data: bytes) -> bool:
    """Whether the CAR's last section runs past the file's end: each section (the header, then
    each block) is an unsigned-varint length and that many bytes. Only asked once `libipld`
    failed on a block, to tell a file cut short from a damaged one."""
    pos = 0
    while pos < len(data):
        length, shift = 0, 0
        while True:
            if pos >= len(data):
                return True
            byte = data[pos]
            length |= (byte & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if byte < 0x80:
                break
            if shift > 63:
                return False  # not a length at all: damage, not a cut
        pos += length
    return pos > len(data)


def _walk(header: Any, blocks: dict[bytes, Any], label: str) -> tuple[str, list[tuple[str, Any]]]:
    """(the account's DID, every (collection/rkey, record) of the commit's tree, in key order)."""
    roots = header.get("roots") if isinstance(header, dict) else None
    root = roots[0] if isinstance(roots, list) and roots else None
    commit = blocks.get(root) if isinstance(root, bytes) else None
    did = commit.get("did") if isinstance(commit, dict) else None
    tree = commit.get("data") if isinstance(commit, dict) else None
    if not isinstance(did, str) or not _DID.fullmatch(did) or not isinstance(tree, bytes):
        raise ArchiveError(
            f"{label}: a CAR file, but not a Bluesky repository (its root is no signed commit)",
            hint=_REDOWNLOAD,
        )
    records: list[tuple[str, Any]] = []
    missing = 0
    seen: set[bytes] = set()
    # Depth-first, in key order: a stack of what is left to do, a node or an entry's record.
    todo: list[tuple[str, Any]] = [("node", tree)]
    while todo:
        kind, item = todo.pop()
        if kind == "record":
            key, cid = item
            if cid not in blocks:
                missing += 1
            else:
                records.append((key, blocks[cid]))
            continue
        if item in seen:
            raise _malformed(label, "a tree node is reached twice")
        seen.add(item)
        node = blocks.get(item)
        if node is None:
            missing += 1
            continue
        steps = _node_steps(node, label)
        todo.extend(reversed(steps))
    if missing:
        raise ArchiveError(
            f"{label}: the export is incomplete ({missing:,} blocks of its tree are missing); "
            "it was cut short",
            hint=_REDOWNLOAD,
        )
    return did, records


def _node_steps(node: Any, label: str) -> list[tuple[str, Any]]:
    """A tree node's work, in key order: its left subtree, then each entry and its right one."""
    entries = node.get("e") if isinstance(node, dict) else None
    left = node.get("l") if isinstance(node, dict) else None
    if not isinstance(entries, list) or not (left is None or isinstance(left, bytes)):
        raise _malformed(label, "a tree node is not a Merkle Search Tree node")
    steps: list[tuple[str, Any]] = [("node", left)] if left is not None else []
    key = b""
    for entry in entries:
        if not isinstance(entry, dict):
            raise _malformed(label, "a tree entry is not a map")
        prefix, suffix, value, right = (
            entry.get("p"),
            entry.get("k"),
            entry.get("v"),
            entry.get("t"),
        )
        if (
            type(prefix) is not int
            or not 0 <= prefix <= len(key)
            or not isinstance(suffix, bytes)
            or not isinstance(value, bytes)
            or not (right is None or isinstance(right, bytes))
        ):
            raise _malformed(label, "a tree entry lacks its key or record")
        key = key[:prefix] + suffix
        steps.append(("record", (key.decode("utf-8", "replace"), value)))
        if right is not None:
            steps.append(("node", right))
    return steps


def _malformed(label: str, what: str) -> ArchiveError:
    return ArchiveError(f"{label}: {what}; the export is damaged", hint=_REDOWNLOAD)


def _add(g: Gathered, key: str, record: Any, did: str, label: str) -> None:
    """Append a post or repost record to `g.posts` (a record that is neither is `malformed`)."""
    if len(g.posts) >= limits.MAX_POSTS:
        raise ArchiveError(
            f"{label}: more than {limits.MAX_POSTS:,} posts; hf-tweetbot reads at most that "
            "many per user",
            hint='put the posts you want in a .jsonl file (one {"text": ...} a line) and pass that',
        )
    when = record.get("createdAt") if isinstance(record, dict) else None
    when = when if isinstance(when, str) else None
    uri = f"at://{did}/{key}"
    if key.startswith(REPOST + "/") and isinstance(record, dict):
        subject = record.get("subject")
        reposted = subject.get("uri") if isinstance(subject, dict) else None
        # The reposted post's URI, as the live feed names a repost.
        pid = reposted if isinstance(reposted, str) and reposted else uri
        g.posts.append(Post(text="", created_at=when, is_repost=True, id=pid))
    elif isinstance(record, dict) and isinstance(record.get("text"), str):
        g.posts.append(Post(text=record_text(record), created_at=when, id=uri))
    else:
        g.skipped["malformed"] = g.skipped.get("malformed", 0) + 1


def _handle(path: Path, raw: str, did: str, g: Gathered) -> str:
    """A file named after the handle (`alice.bsky.social.car`), else the DID's own part."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if HANDLE.fullmatch(stem):
        return stem.lower()
    m = _DID.fullmatch(did)
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", m.group(1) if m else did).strip("_.-")[:64]
    g.warnings.append(
        f"{path.name}: a Bluesky export does not hold the account's handle; the bot is named "
        f"after its DID ({did}); {name_hint(raw)}"
    )
    return ident or "bluesky"
