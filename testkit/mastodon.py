"""A Mastodon archive, as Mastodon's `BackupService` writes it: `outbox.json` (an
ActivityStreams `OrderedCollection` of the activities of `ActivityPub::ActivitySerializer`,
each without `@context`), `actor.json` (`ActivityPub::ActorSerializer`, its `icon.url` and
`outbox` rewritten to the files beside it) and the avatar; a `.zip` (4.2 and later) or a
`.tar.gz` (before, media first). Addressing follows `ActivityPub::TagManager`: public `to`
the Public collection, unlisted `cc` it, followers-only `to` the followers, direct `to` the
people mentioned. Content is status HTML as `TextFormatter` renders it.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE = "https://mastodon.example"
START = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


@dataclass
class Status:
    """One status of a Mastodon account, as its author wrote it."""

    html: str  # `content`, as TextFormatter renders it
    visibility: str = "public"  # public, unlisted, private (followers-only), direct
    cw: str | None = None  # the content warning (`summary`)
    boost_of: str | None = None  # another status's URI: an Announce


def status_html(text: str) -> str:
    """Plain text rendered as Mastodon does for text without links: paragraphs, `<br />`."""
    from html import escape

    paragraphs = text.split("\n\n")
    return "".join(
        "<p>" + "<br />".join(escape(line, quote=True).replace("&#x27;", "&#39;") for line in p.split("\n")) + "</p>"  # noqa: E501
        for p in paragraphs
    )  # fmt: skip


def _addressing(user: str, visibility: str) -> tuple[list[str], list[str]]:
    actor = f"{BASE}/users/{user}"
    followers, mentioned = f"{actor}/followers", [f"{BASE}/users/friend"]
    return {
        "public": ([PUBLIC], [followers]),
        "unlisted": ([followers], [PUBLIC]),
        "private": ([followers], mentioned),
        "direct": (mentioned, []),
    }[visibility]


def outbox(user: str, statuses: list[Status]) -> dict[str, Any]:
    """`outbox.json` of `statuses`, oldest first, with ids increasing as Mastodon's do."""
    actor = f"{BASE}/users/{user}"
    items = []
    for i, s in enumerate(statuses):
        sid = str(112_000_000_000_000_000 + i * 1_000_003)
        when = (START + timedelta(hours=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        to, cc = _addressing(user, s.visibility)
        uri = f"{actor}/statuses/{sid}"
        activity: dict[str, Any] = {"id": f"{uri}/activity", "actor": actor, "published": when,
                                    "to": to, "cc": cc}  # fmt: skip
        if s.boost_of:
            activity |= {"type": "Announce", "object": s.boost_of}
        else:
            activity |= {"type": "Create", "object": {
                "id": uri, "type": "Note", "summary": s.cw, "inReplyTo": None, "published": when,
                "url": f"{BASE}/@{user}/{sid}", "attributedTo": actor, "to": to, "cc": cc,
                "sensitive": s.cw is not None, "atomUri": uri, "inReplyToAtomUri": None,
                "conversation": f"tag:mastodon.example,2024:objectId={sid}:objectType=Conversation",
                "content": s.html, "contentMap": {"en": s.html}, "attachment": [], "tag": [],
                "replies": {"id": f"{uri}/replies", "type": "Collection", "first": {
                    "type": "CollectionPage", "next": f"{uri}/replies?only_other_accounts=true&page=true",
                    "partOf": f"{uri}/replies", "items": []}},
            }}  # fmt: skip
        items.append(activity)
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json",
            "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items}  # fmt: skip


def actor(user: str, name: str, avatar: str | None = "avatar.png", locked: bool = False) -> dict[str, Any]:  # fmt: skip
    """`actor.json`, as the archive rewrites it (avatar, outbox, likes and bookmarks local)."""
    uri = f"{BASE}/users/{user}"
    out: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri, "type": "Person", "following": f"{uri}/following",
        "followers": f"{uri}/followers", "inbox": f"{uri}/inbox", "outbox": "outbox.json",
        "featured": f"{uri}/collections/featured", "preferredUsername": user, "name": name,
        "summary": "<p>Keeper of the light at Gull Point.</p>", "url": f"{BASE}/@{user}",
        "manuallyApprovesFollowers": locked, "discoverable": True,
        "published": "2022-11-05T00:00:00Z", "likes": "likes.json", "bookmarks": "bookmarks.json",
    }  # fmt: skip
    if avatar:
        out["icon"] = {"type": "Image", "mediaType": "image/png", "url": avatar}
    return out


def mastodon_files(user: str, name: str, statuses: list[Status], avatar: bytes | None = None,
                   locked: bool = False) -> dict[str, bytes]:  # fmt: skip
    """The members of a Mastodon archive, by name."""
    files = {
        "outbox.json": json.dumps(outbox(user, statuses)).encode(),
        "likes.json": json.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                                  "id": "likes.json", "type": "OrderedCollection",
                                  "orderedItems": []}).encode(),  # fmt: skip
        "bookmarks.json": json.dumps({"@context": "https://www.w3.org/ns/activitystreams",
                                      "id": "bookmarks.json", "type": "OrderedCollection",
                                      "orderedItems": []}).encode(),  # fmt: skip
        "actor.json": json.dumps(actor(user, name, "avatar.png" if avatar else None, locked)).encode(),
    }  # fmt: skip
    if avatar:
        files["avatar.png"] = avatar
    return files


def write_mastodon_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def write_mastodon_targz(path: Path, files: dict[str, bytes], media: dict[str, bytes] | None = None) -> Path:  # fmt: skip
    """The `.tar.gz` of Mastodon before 4.2: media first (under the server's own paths), then
    outbox, likes, bookmarks, avatar and actor."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {**(media or {}), **files}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o444
            tar.addfile(info, io.BytesIO(data))
    return path
