"""Timelines that grow: X, Bluesky and Mastodon stand-ins on `api_server`, for `update` tests.

Each account is a list of generated posts, newest first, served in each API's real format and
paging (X `pagination_token` and `since_id`, Bluesky `cursor`, Mastodon `max_id` and
`since_id`). `Timeline.post(n)` adds n newer posts, as a person keeps posting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from api_server import Reply

WORDS = "lighthouse stars bread radio gulls wind night lamp tide fog kettle comet harbour".split()  # noqa: SIM905
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
DID = "did:plc:wrenstandin000000000000"


@dataclass
class Timeline:
    """Posts of one account, newest first: (id number, text, time, is_repost)."""

    seed: int
    posts: list[tuple[int, str, datetime, bool]] = field(default_factory=list)

    def post(self, n: int) -> None:
        """Add `n` newer posts (about one in ten a repost)."""
        rng = random.Random(self.seed + len(self.posts))
        for _ in range(n):
            i = len(self.posts)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(7, 16)))
            text = f"Post {self.seed}-{i}: {words.capitalize()}."
            repost = rng.random() < 0.1
            self.posts.insert(
                0, (10**17 + 1000 * i + self.seed, text, START + timedelta(hours=i), repost)
            )


def _after(tl: Timeline, since: str | None) -> list:
    return [p for p in tl.posts if since is None or p[0] > int(since)]


def serve_x(api, handle: str, tl: Timeline, page: int = 100) -> None:
    """X API v2: user lookup and the user timeline with `since_id` and `pagination_token`."""
    api.add(f"/2/users/by/username/{handle}",
            Reply({"data": {"id": "42", "username": handle, "name": handle.title()}}))  # fmt: skip

    def tweets(req):
        posts = _after(tl, req.query.get("since_id"))
        start = int(req.query.get("pagination_token", 0))
        data = [{"id": str(i), "text": f"RT @other: {t}" if rt else t,
                 "created_at": at.isoformat().replace("+00:00", ".000Z")}
                for i, t, at, rt in posts[start : start + page]]  # fmt: skip
        meta = {"result_count": len(data)}
        if start + page < len(posts):
            meta["next_token"] = str(start + page)
        return Reply({"data": data, "meta": meta} if data else {"meta": meta})

    api.route("/2/users/42/tweets", tweets)


def serve_bsky(api, handle: str, tl: Timeline, page: int = 50) -> None:
    """Bluesky AppView: getProfile and getAuthorFeed with `cursor` (no `since`)."""
    api.add("/xrpc/app.bsky.actor.getProfile",
            Reply({"did": DID, "handle": handle, "displayName": "Wren"}))  # fmt: skip

    def feed(req):
        start = int(req.query.get("cursor", 0))
        items = []
        for i, text, at, rt in tl.posts[start : start + page]:
            when = at.isoformat().replace("+00:00", ".000Z")
            author = "did:plc:someoneelse0000000000000" if rt else DID
            item = {"post": {"uri": f"at://{author}/app.bsky.feed.post/{i}", "author": {"did": author},
                             "record": {"text": text, "createdAt": when}, "indexedAt": when}}  # fmt: skip
            if rt:
                item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": when}
            items.append(item)
        body = {"feed": items}
        if start + page < len(tl.posts):
            body["cursor"] = str(start + page)
        return Reply(body)

    api.route("/xrpc/app.bsky.feed.getAuthorFeed", feed)


def serve_mastodon(api, user: str, tl: Timeline, page: int = 40) -> None:
    """Mastodon: account lookup and statuses with `max_id` and `since_id`, newest first."""
    api.add("/api/v1/accounts/lookup",
            Reply({"id": "7", "username": user, "acct": user, "display_name": user.title()}))  # fmt: skip

    def statuses(req):
        posts = _after(tl, req.query.get("since_id"))
        if "max_id" in req.query:
            posts = [p for p in posts if p[0] < int(req.query["max_id"])]
        out = []
        for i, text, at, rt in posts[:page]:
            shown = {"content": f"<p>{text}</p>"}
            out.append({"id": str(i), "created_at": at.isoformat().replace("+00:00", ".000Z"),
                        "content": "" if rt else shown["content"],
                        "reblog": shown if rt else None})  # fmt: skip
        return Reply(out)

    api.route("/api/v1/accounts/7/statuses", statuses)
