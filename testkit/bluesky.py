"""A Bluesky repository export (`com.atproto.sync.getRepo`, what Settings > Export my data
saves as `repo.car`), following the AT Protocol repository spec: a CAR v1 whose root is the
commit (`did`, `version` 3, `data`, `rev`, `prev`, `sig`), the Merkle Search Tree (keys
`collection/rkey` with TID rkeys, layer = leading zero bits of SHA-256(key) / 2, nodes `l`
and `e` of `p`, `k`, `v`, `t`, empty intermediate nodes included) and the record blocks.
Blocks are DAG-CBOR encoded by `libipld` (the library that reads them); CIDs are CIDv1,
dag-cbor, sha2-256; the CAR framing (an unsigned-varint length before the header and before
each CID and block) is the CAR v1 spec's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

START = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)

_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def tid(when: datetime, clock: int = 7) -> str:
    """A record key: the TID of `when` (microseconds since 1970, 10 bits of clock id)."""
    n = (int(when.timestamp() * 1_000_000) << 10) | (clock & 0x3FF)
    return "".join(_B32[(n >> (5 * i)) & 31] for i in range(12, -1, -1))


def cid_of(block: bytes) -> bytes:
    """CIDv1, codec dag-cbor (0x71), multihash sha2-256 (0x12, 32 bytes)."""
    return bytes([0x01, 0x71, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _cid_text(uri: str) -> str:
    """A strong reference's `cid`: a CID as text (made up here from the URI)."""
    import libipld

    return libipld.encode_cid(cid_of(uri.encode()))


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _layer(key: bytes) -> int:
    zeros = 0
    for byte in hashlib.sha256(key).digest():
        if byte:
            zeros += 8 - byte.bit_length()
            break
        zeros += 8
    return zeros // 2


@dataclass
class Repo:
    """A Bluesky repository: records by `collection/rkey`, written out as the export's CAR."""

    did: str = "did:plc:wr3nc4ll0w4yl1ghth0us3k3"
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def post(self, text: str, when: datetime, **extra: Any) -> str:
        key = f"app.bsky.feed.post/{tid(when)}"
        created = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.records[key] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created,
                             "langs": ["en"], **extra}  # fmt: skip
        return f"at://{self.did}/{key}"

    def repost(self, uri: str, when: datetime) -> None:
        subject = {"uri": uri, "cid": _cid_text(uri)}
        self.records[f"app.bsky.feed.repost/{tid(when)}"] = {
            "$type": "app.bsky.feed.repost", "subject": subject,
            "createdAt": when.strftime("%Y-%m-%dT%H:%M:%S.000Z")}  # fmt: skip

    def like(self, uri: str, when: datetime) -> None:
        self.records[f"app.bsky.feed.like/{tid(when)}"] = {
            "$type": "app.bsky.feed.like", "subject": {"uri": uri, "cid": _cid_text(uri)},
            "createdAt": when.strftime("%Y-%m-%dT%H:%M:%S.000Z")}  # fmt: skip

    def profile(self, name: str) -> None:
        self.records["app.bsky.actor.profile/self"] = {
            "$type": "app.bsky.actor.profile", "displayName": name,
            "description": "Keeper of the light at Gull Point."}  # fmt: skip

    def blocks(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """(the commit's CID, every block as (CID, bytes): commit, tree nodes, records)."""
        import libipld

        out: list[tuple[bytes, bytes]] = []

        def put(value: Any) -> bytes:
            data = libipld.encode_dag_cbor(value)
            cid = cid_of(data)
            out.append((cid, data))
            return cid

        leaves = [(k.encode(), put(v)) for k, v in sorted(self.records.items())]
        top = max((_layer(k) for k, _ in leaves), default=0)
        root = self._node(leaves, top, put)
        commit = {"did": self.did, "version": 3, "data": root, "rev": tid(START),
                  "prev": None, "sig": bytes(64)}  # fmt: skip
        commit_cid = put(commit)
        out.insert(0, out.pop())  # the commit first, as a PDS writes it
        return commit_cid, out

    def _node(self, leaves: list[tuple[bytes, bytes]], layer: int, put: Any) -> bytes:
        """The tree node at `layer` over `leaves` (every key's layer at most `layer`)."""
        entries: list[dict[str, Any]] = []
        left: bytes | None = None
        below: list[tuple[bytes, bytes]] = []
        prev = b""
        for key, value in leaves:
            if _layer(key) < layer:
                below.append((key, value))
                continue
            sub = self._node(below, layer - 1, put) if below else None
            if entries:
                entries[-1]["t"] = sub
            else:
                left = sub
            below = []
            p = 0
            while p < min(len(prev), len(key)) and prev[p] == key[p]:
                p += 1
            entries.append({"p": p, "k": key[p:], "v": value, "t": None})
            prev = key
        if below:
            sub = self._node(below, layer - 1, put)
            if entries:
                entries[-1]["t"] = sub
            else:
                left = sub
        return put({"l": left, "e": entries})

    def car(self) -> bytes:
        """The repository export, a CAR v1 file."""
        return car_file(*self.blocks())


def car_file(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    """A CAR v1 file of `blocks` ((CID, bytes) pairs) whose root is the block `root`."""
    import libipld

    header = libipld.encode_dag_cbor({"version": 1, "roots": [root]})
    parts = [varint(len(header)), header]
    for cid, data in blocks:
        parts += [varint(len(cid) + len(data)), cid, data]
    return b"".join(parts)


def commit_block(did: str, tree: bytes) -> tuple[bytes, bytes]:
    """(CID, bytes) of a signed commit (its signature zeros) whose tree's root is `tree`."""
    import libipld

    data = libipld.encode_dag_cbor({"did": did, "version": 3, "data": tree, "rev": tid(START),
                                    "prev": None, "sig": bytes(64)})  # fmt: skip
    return cid_of(data), data


def sample_repo(n: int = 40) -> Repo:
    """A repository of `n` posts, a repost and a like of another account's post, a profile."""
    repo = Repo()
    repo.profile("Wren Calloway")
    words = "the lamp turned all night over a calm grey sea while gulls slept".split()  # noqa: SIM905
    for i in range(n):
        when = START + timedelta(hours=5 * i, seconds=i)
        text = f"Night {i}: " + " ".join(words[(i + j) % len(words)] for j in range(9))
        repo.post(text, when)
    other = "at://did:plc:0th3r4cc0unt0fs0m30n33ls3/app.bsky.feed.post/3kabcdefghij2"
    repo.repost(other, START + timedelta(days=30))
    repo.like(other, START + timedelta(days=30, minutes=1))
    return repo
