"""Bluesky: a user's posts and reposts from the public AppView, no login needed.

`bsky:HANDLE` (`bsky:someone.bsky.social`, `bsky:@someone.bsky.social`, `bsky:did:plc:...`; a
handle without a dot gets `.bsky.social`). The endpoint is `HF_TWEETBOT_BSKY_API_URL` (default
https://public.api.bsky.app): `app.bsky.actor.getProfile`, then `app.bsky.feed.getAuthorFeed`
paged with `cursor` until it is absent.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import FetchError
from . import Gathered, Post, Profile, SourceOptions
from .http import Api, PageCache, fetch_pages, json_body, progress_bar, reset_unix
from .since import is_newer
from .spec import UserSpec

DEFAULT_URL = "https://public.api.bsky.app"
LINK = "app.bsky.richtext.facet#link"
URL_ENV = "HF_TWEETBOT_BSKY_API_URL"
REPOST = "app.bsky.feed.defs#reasonRepost"
PIN = "app.bsky.feed.defs#reasonPin"
_NOT_FOUND_HINT = "check the handle as shown on bsky.app (e.g. bsky:someone.bsky.social)"


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
    """Download a user's profile and author feed from Bluesky's public AppView.

    Args:
        spec: a `bsky` USER (`bsky:HANDLE` or `bsky:DID`).
        opts: cache folder, `max_posts`, refresh, progress.

    Returns:
        The profile and posts, newest first; reposts flagged; a pinned post counted once.

    Raises:
        FetchError: unknown, suspended or deactivated account; network failure.
    """
    actor = spec.account or ""
    key = f"{actor}_{opts.since.key()}" if opts.since else actor
    cache = PageCache(opts.raw_dir, "bsky", key, opts.refresh)
    cached = cache.load(opts.max_posts)
    if cached is None:
        cached = _download(actor, opts.max_posts, cache, opts.progress, opts.since)
    profile, pages = cached
    posts = _posts(pages, profile.get("did"))[: opts.max_posts]
    return Gathered(_profile(profile), posts, escaped=False)  # record text is plain text


def _download(
    actor: str, max_posts: int, cache: PageCache, progress: bool, since: Any = None
) -> tuple[Any, list]:
    base = os.environ.get(URL_ENV) or DEFAULT_URL
    with Api(
        "Bluesky", base, reset_header="ratelimit-reset", parse_reset=reset_unix, progress=progress
    ) as api:
        resp = api.get("/xrpc/app.bsky.actor.getProfile", params={"actor": actor})
        profile = _check(resp, actor)
        if not profile.get("did"):
            raise FetchError(f"bsky:{actor}: the AppView answered without a profile")
        cache.start()

        def get_page(params: dict[str, Any]) -> Any:
            query = {"actor": profile["did"], "limit": 100, **params}
            return _check(api.get("/xrpc/app.bsky.feed.getAuthorFeed", params=query), actor)

        with progress_bar(f"Bluesky {actor}", max_posts, progress) as bar:
            pages, exhausted = fetch_pages(
                get_page,
                _stop_at(since, profile["did"]),
                _count,
                cache=cache,
                max_posts=max_posts,
                bar=bar,
            )
    cache.finish(profile, exhausted=exhausted, max_posts=max_posts)
    return profile, pages


def _next(page: dict[str, Any]) -> dict[str, Any] | None:
    cursor = page.get("cursor")
    return {"cursor": cursor} if cursor else None


def _stop_at(since: Any, did: str) -> Any:
    """The next page's params, or None once a page reaches a post the bot already has.

    getAuthorFeed has no `since` parameter: the feed is newest first, so the first page that
    holds a known post is the last one worth fetching (`update`).
    """
    if since is None:
        return _next

    def next_params(page: dict[str, Any]) -> dict[str, Any] | None:
        if any(not is_newer(p, since) for p in _posts([page], did)):
            return None
        return _next(page)

    return next_params


def _count(page: dict[str, Any]) -> int:
    return sum(1 for item in page.get("feed") or [] if not _is_pin(item))


def _is_pin(item: dict[str, Any]) -> bool:
    return (item.get("reason") or {}).get("$type") == PIN


def _check(resp: Any, actor: str) -> dict[str, Any]:
    """Turn the AppView's XRPC errors (`{"error": ..., "message": ...}`) into FetchError."""
    body = json_body(resp)
    if not isinstance(body, dict):
        raise FetchError(
            f"bsky:{actor}: {resp.url.host} answered HTTP {resp.status_code} without JSON: "
            "not a Bluesky AppView",
            hint=f"unset {URL_ENV} to use {DEFAULT_URL}",
        )
    if resp.status_code < 400:
        return body
    code = str(body.get("error") or "")
    message = " ".join(str(body.get("message") or "").split())[:200]
    if code == "AccountTakedown":
        raise FetchError(f"bsky:{actor}: this Bluesky account is suspended ({message})")
    if code == "AccountDeactivated":
        raise FetchError(f"bsky:{actor}: this Bluesky account is deactivated")
    if code in ("BlockedActor", "BlockedByActor"):
        raise FetchError(f"bsky:{actor}: this Bluesky account's posts are blocked ({message})")
    if "not found" in message.lower() or "unable to resolve" in message.lower():
        raise FetchError(f"bsky:{actor}: no such Bluesky account", hint=_NOT_FOUND_HINT)
    raise FetchError(f"bsky:{actor}: Bluesky answered HTTP {resp.status_code} {code}: {message}")


def _profile(p: dict[str, Any]) -> Profile:
    handle = p.get("handle") or p.get("did") or ""
    name = (p.get("displayName") or "").strip() or handle
    return Profile(handle=handle, name=name, source="bsky", avatar_url=p.get("avatar") or None)


def _posts(pages: list[dict[str, Any]], did: str | None) -> list[Post]:
    posts = []
    for page in pages:
        for item in page.get("feed") or []:
            if _is_pin(item):
                # The pinned post also sits at its own date in the feed: count it there only.
                continue
            post = item.get("post") or {}
            record = post.get("record") or {}
            reason = item.get("reason") or {}
            repost = reason.get("$type") == REPOST or (post.get("author") or {}).get("did") != did
            text = record_text(record)
            when = reason.get("indexedAt") if repost else record.get("createdAt")
            posts.append(
                Post(
                    text=text,
                    created_at=when or record.get("createdAt"),
                    is_repost=repost,
                    id=post.get("uri") or None,
                )
            )
    return posts


def record_text(record: dict[str, Any]) -> str:
    """A post record's text as written, each link as its whole address.

    `text` is plain text (no HTML, no entities). The app shortens a long link in it to what it
    shows (`example.com/a/long/pa...`) and keeps the address in a link facet (`facets[].index`
    in UTF-8 bytes, `features[].uri`); the address goes back in its place, so cleaning removes
    the link whole instead of leaving a fragment. Facets that do not fit the text are ignored.

    Args:
        record: an `app.bsky.feed.post` record.
    """
    text = record.get("text")
    if not isinstance(text, str):
        return ""
    facets = record.get("facets")
    if not isinstance(facets, list) or not facets:
        return text
    data = text.encode("utf-8", "surrogatepass")
    links = []
    for facet in facets:
        index = facet.get("index") if isinstance(facet, dict) else None
        features = facet.get("features") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not isinstance(features, list):
            continue
        start, end = index.get("byteStart"), index.get("byteEnd")
        uri = next((f.get("uri") for f in features if isinstance(f, dict) and f.get("$type") == LINK), None)  # fmt: skip
        if (
            isinstance(uri, str)
            and uri.startswith(("http://", "https://"))
            and type(start) is int
            and type(end) is int
            and 0 <= start < end <= len(data)
            and _boundary(data, start)
            and _boundary(data, end)
        ):
            links.append((start, end, uri))
    out, at = [], 0
    for start, end, uri in sorted(links):
        if start < at:
            continue  # overlaps the previous link
        out += [data[at:start], uri.encode("utf-8", "surrogatepass")]
        at = end
    if not out:
        return text
    out.append(data[at:])
    return b"".join(out).decode("utf-8", "surrogatepass")


def _boundary(data: bytes, i: int) -> bool:
    """`i` falls between two UTF-8 characters of `data` (not inside one)."""
    return i == len(data) or data[i] & 0xC0 != 0x80
