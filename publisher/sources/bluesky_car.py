"""Read a Bluesky account from its repository export: the `.car` of Settings > Export my data.

The file is a CAR (content-addressed archive) of DAG-CBOR blocks. Its framing is read once for
where each block lies; a block is decoded by `libipld` (the maintained Rust IPLD library that the
AT Protocol's Python SDK uses) only when the commit's tree reaches it, once its bytes are checked
against its CID (a SHA-256) and its objects counted under `limits.MAX_BLOCK_OBJECTS`. Following
the AT Protocol repository spec, the CAR's root is the signed commit (`did`, `data`: the root of
the Merkle Search Tree); the tree's nodes (`l`: left subtree, `e`: entries `p` prefix length,
`k` key suffix, `v` record, `t` right subtree) map each `collection/rkey` to a record block. A key
is held to the protocol's own syntax as it is spelled out (an NSID of at most 317 characters, a
record key of at most 512), so prefixes cannot make keys grow without end.

`app.bsky.feed.post` records are the posts (replies included); `app.bsky.feed.repost` records
count as retweets; `app.bsky.actor.profile/self` gives the display name. Everything else (likes,
follows, blocks, lists) is no post and is passed over. The export holds neither the handle (it
lives in the DID document) nor any image, so the handle comes from `HANDLE=PATH`, or a file named
after it, or else the account's DID; the bot has no avatar.

A file that is not a CAR, one cut short, a block that does not decode or does not match its CID,
or a tree that does not hold together is refused in one line; the file is read under
`limits.MAX_MEMBER_BYTES`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import libipld

from ..errors import ArchiveError
from . import Gathered, Post, Profile, SourceOptions, limits, name_hint
from .archive_files import real_path
from .bluesky import record_text
from .spec import BSKY_HANDLE, UserSpec

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile/self"
# The AT Protocol's limits on a tree key, `collection/rkey` (atproto.com/specs: NSID, Record Key).
MAX_NSID, MAX_RKEY = 317, 512
MAX_KEY_BYTES = MAX_NSID + 1 + MAX_RKEY
_SEGMENT = r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_NSID = re.compile(rf"{_SEGMENT}(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{{0,62}}")  # fmt: skip
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
WANTED = {POST, REPOST, PROFILE.partition("/")[0]}  # the collections read; the rest is passed over
_DID = re.compile(r"did:[a-z]+:([A-Za-z0-9._:%-]{1,200})")
_REDOWNLOAD = "download it again: Bluesky Settings > Account > Export my data"
_AS_DELIVERED = "pass the export exactly as Bluesky delivered it"


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
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
    handle, raw, path = spec.handle, spec.shown, spec.file
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
    did, records = _walk(_Car(data, raw), raw)
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


class _Car:
    """A CAR file's blocks, found by CID and decoded only when asked for (the tree reaches them).

    The framing (an unsigned-varint length before the header and before each CID and block) is
    read once, keeping each block's place; a block's bytes are checked against its CID (a SHA-256
    multihash) before they are decoded, and a block of more than `limits.MAX_BLOCK_OBJECTS`
    objects is refused before `libipld` builds them.
    """

    def __init__(self, data: bytes, label: str) -> None:
        self.data, self.label = data, label
        self.places: dict[bytes, tuple[int, int]] = {}
        header_end = self._section(0, "header")
        if header_end is None:
            raise ArchiveError(f"{label}: not a CAR file (a Bluesky repository export)", hint=_REDOWNLOAD)  # fmt: skip
        start, end = header_end
        if end - start > limits.MAX_BLOCK_OBJECTS and _objects(data[start:end]) > limits.MAX_BLOCK_OBJECTS:  # fmt: skip
            raise ArchiveError(f"{label}: not a CAR file (a Bluesky repository export)", hint=_REDOWNLOAD)  # fmt: skip
        try:
            header = libipld.decode_dag_cbor(data[start:end])
        except (ValueError, TypeError, OverflowError, RecursionError) as e:
            why = " ".join(str(e).split())[:200]
            raise ArchiveError(
                f"{label}: not a CAR file (a Bluesky repository export): {why}", hint=_REDOWNLOAD
            ) from None
        roots = header.get("roots") if isinstance(header, dict) else None
        if (
            not isinstance(header, dict)
            or header.get("version") != 1
            or not isinstance(roots, list)
        ):
            raise ArchiveError(
                f"{label}: not a CAR file (a Bluesky repository export): its header is no CAR v1 header",
                hint=_REDOWNLOAD,
            )
        self.roots = roots
        pos = end
        while pos < len(data):
            section = self._section(pos, "block")
            assert section is not None
            start, end = section
            cid_end = _cid_end(data, start, end)
            if cid_end is None:
                raise ArchiveError(f"{label}: a block of the CAR file does not decode (its CID is not a CID)", hint=_REDOWNLOAD)  # fmt: skip
            self.places.setdefault(data[start:cid_end], (cid_end, end))
            pos = end

    def _section(self, pos: int, what: str) -> tuple[int, int] | None:
        """(start, end) of the section at `pos`; None for a header that is no CAR's."""
        data = self.data
        length, shift = 0, 0
        while True:
            if pos >= len(data):
                if what == "header":
                    return None
                raise _truncated(self.label)
            byte = data[pos]
            length |= (byte & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if byte < 0x80:
                break
            if shift > 63:
                if what == "header":
                    return None
                raise _malformed(self.label, "a block's length is not a length")
        if pos + length > len(data):
            if what == "header":
                return None
            raise _truncated(self.label)
        return pos, pos + length

    def __contains__(self, cid: Any) -> bool:
        return isinstance(cid, bytes) and cid in self.places

    def get(self, cid: Any) -> Any:
        """The block `cid` names, decoded; None when the file does not hold it."""
        place = self.places.get(cid) if isinstance(cid, bytes) else None
        if place is None:
            return None
        block = self.data[place[0] : place[1]]
        if cid[:4] != _SHA256_DAG_CBOR or hashlib.sha256(block).digest() != cid[4:]:
            raise _malformed(self.label, "a block's bytes do not match its CID (their SHA-256)")
        if len(block) > limits.MAX_BLOCK_OBJECTS and _objects(block) > limits.MAX_BLOCK_OBJECTS:
            raise ArchiveError(
                f"{self.label}: a block of the CAR file holds more than "
                f"{limits.MAX_BLOCK_OBJECTS:,} objects; no post or tree node does",
                hint=_REDOWNLOAD,
            )
        try:
            return libipld.decode_dag_cbor(block)
        except RecursionError:
            raise ArchiveError(
                f"{self.label}: a block of the CAR file nests too deeply to decode",
                hint=_REDOWNLOAD,
            ) from None
        except (ValueError, TypeError, OverflowError, MemoryError) as e:
            why = " ".join(str(e).split())[:200]
            raise ArchiveError(
                f"{self.label}: a block of the CAR file does not decode ({why})", hint=_REDOWNLOAD
            ) from None


# CIDv1, dag-cbor, a SHA-256 multihash of 32 bytes: what every block of a repository is named by.
_SHA256_DAG_CBOR = bytes([0x01, 0x71, 0x12, 0x20])


def _cid_end(data: bytes, pos: int, end: int) -> int | None:
    """Where the CID at the start of a block section ends (CIDv1: version, codec, multihash code,
    digest length, digest; CIDv0: a bare SHA-256 multihash), or None when it is no CID."""
    if data[pos : pos + 2] == b"\x12\x20":
        return pos + 34 if pos + 34 <= end else None
    fields = []
    for _ in range(4):
        value, shift = 0, 0
        while True:
            if pos >= end or shift > 63:
                return None
            byte = data[pos]
            value |= (byte & 0x7F) << shift
            pos, shift = pos + 1, shift + 7
            if byte < 0x80:
                break
        fields.append(value)
    return pos + fields[3] if fields[0] == 1 and pos + fields[3] <= end else None


def _objects(block: bytes) -> int:
    """How many CBOR items `block` holds, counted without building them, stopping once past
    `limits.MAX_BLOCK_OBJECTS` (a count of what is left to read, never a list of it)."""
    count, pos, pending, n = 0, 0, 1, len(block)
    while pending and pos < n and count <= limits.MAX_BLOCK_OBJECTS:
        first = block[pos]
        major, info = first >> 5, first & 0x1F
        pos += 1
        if info < 24:
            arg = info
        elif info <= 27:
            size = 1 << (info - 24)
            arg = int.from_bytes(block[pos : pos + size], "big")
            pos += size
        else:
            return count  # not DAG-CBOR: libipld says why
        count += 1
        pending -= 1
        if major in (2, 3):
            pos += arg
        elif major == 4:
            pending += arg
        elif major == 5:
            pending += 2 * arg
        elif major == 6:
            pending += 1
    return count


def _truncated(label: str) -> ArchiveError:
    return ArchiveError(f"{label}: the CAR file is truncated: it ends inside a block", hint=_REDOWNLOAD)  # fmt: skip


def _walk(car: _Car, label: str) -> tuple[str, list[tuple[str, Any]]]:
    """(the account's DID, every (collection/rkey, record) of the commit's tree, in key order)."""
    root = car.roots[0] if car.roots else None
    commit = car.get(root)
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
            if cid not in car:
                missing += 1
            elif key.partition("/")[0] in WANTED:
                records.append((key, car.get(cid)))
            continue
        if item in seen:
            raise _malformed(label, "a tree node is reached twice")
        seen.add(item)
        node = car.get(item)
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
        if prefix + len(suffix) > MAX_KEY_BYTES:
            raise _malformed(
                label,
                f"a tree key of {prefix + len(suffix):,} bytes: the AT Protocol allows a "
                f"collection of {MAX_NSID} characters and a record key of {MAX_RKEY}",
            )
        key = key[:prefix] + suffix
        steps.append(("record", (_repo_path(key, label), value)))
        if right is not None:
            steps.append(("node", right))
    return steps


def _repo_path(key: bytes, label: str) -> str:
    """A tree key as `collection/rkey`, held to the AT Protocol's syntax for both."""
    collection, slash, rkey = key.decode("ascii", "replace").partition("/")
    if slash and valid_nsid(collection) and valid_rkey(rkey):
        return f"{collection}/{rkey}"
    if len(collection) > MAX_NSID or len(rkey) > MAX_RKEY:
        raise _malformed(
            label,
            f"a tree key of {len(key):,} bytes: the AT Protocol allows a collection of "
            f"{MAX_NSID} characters and a record key of {MAX_RKEY}",
        )
    shown = key[:80].decode("ascii", "replace")
    raise _malformed(label, f"a tree key ({shown!r}) is not a collection and a record key")


def valid_nsid(text: str) -> bool:
    """Whether `text` is an NSID (`app.bsky.feed.post`): at most 317 characters, a reversed
    domain of at least two segments and a name, each segment 1 to 63 characters."""
    return len(text) <= MAX_NSID and _NSID.fullmatch(text) is not None


def valid_rkey(text: str) -> bool:
    """Whether `text` is a record key: 1 to 512 of `A-Za-z0-9.-_:~`, neither `.` nor `..`."""
    return _RKEY.fullmatch(text) is not None and text not in (".", "..")


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
    if BSKY_HANDLE.fullmatch(stem):
        return stem.lower()
    m = _DID.fullmatch(did)
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", m.group(1) if m else did).strip("_.-")[:64]
    g.warnings.append(
        f"{path.name}: a Bluesky export does not hold the account's handle; the bot is named "
        f"after its DID ({did}); {name_hint(raw)}"
    )
    return ident or "bluesky"
