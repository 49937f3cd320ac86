"""Mastodon: a user's public posts and boosts from their own instance, no login needed.

`mastodon:@user@instance` (https) or `mastodon:https://instance/@user` (the URL's scheme and
port are kept, so self-hosted and test servers work). Calls `GET /api/v1/accounts/lookup?acct=`,
then `GET /api/v1/accounts/:id/statuses` until a page comes back empty, paged by the cursor of
its `Link: rel="next"` header (on the instance's own host only), else by `max_id`.
Status `content` is HTML; it becomes the text its author typed (`mastodon_html.py`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import FetchError
from . import Gathered, Post, Profile, SourceOptions, addresses, limits
from .http import Api, PageCache, fetch_pages, json_body, progress_bar, reset_iso
from .mastodon_html import html_to_text
from .spec import MASTODON_FORMS, UserSpec


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
    """Download a user's profile and public statuses from their Mastodon instance.

    Args:
        spec: a `mastodon` USER (`mastodon:@user@instance` or `mastodon:https://instance/@user`).
        opts: cache folder, `max_posts`, refresh, progress.

    Returns:
        The profile and posts as plain text, newest first; boosts flagged.

    Raises:
        FetchError: unknown or suspended account, an instance that requires login, a host
            that is not Mastodon, network failure.
    """
    base, user = spec.instance or "", spec.account or ""
    addresses.url_of(base)  # a host spelled as no request can be sent to is one line
    key = f"{user}@{urlsplit(base).netloc}" + (f"_{opts.since.key()}" if opts.since else "")
    cache = PageCache(opts.raw_dir, "mastodon", key, opts.refresh)
    cached = cache.load(opts.max_posts)
    if cached is None:
        since = opts.since.id if opts.since and (opts.since.id or "").isdigit() else None
        cached = _download(base, user, opts.max_posts, cache, opts.progress, since)
    account, pages = cached
    # html_to_text unescapes each status's entities, once.
    g = Gathered(_profile(account), escaped=False)
    g.posts = _posts(pages, g.skipped)[: opts.max_posts]
    return g


def _download(
    base: str, user: str, max_posts: int, cache: PageCache, progress: bool, since_id: str | None
) -> tuple[Any, list[Any]]:
    host = urlsplit(base).netloc
    who = f"@{user}@{host}"
    with Api(
        "Mastodon", base, reset_header="x-ratelimit-reset", parse_reset=reset_iso, progress=progress
    ) as api:
        resp = api.get("/api/v1/accounts/lookup", params={"acct": user})
        account = _check(resp, who)
        if not isinstance(account, dict) or "id" not in account:
            raise _not_mastodon(who, host)
        if account.get("suspended"):
            raise FetchError(f"{who}: this Mastodon account is suspended")
        cache.start()
        path = f"/api/v1/accounts/{account['id']}/statuses"
        link: dict[str, Any] = {}  # the cursor of the last page's `Link: <...>; rel="next"`

        def get_page(params: dict[str, Any]) -> Any:
            # `since_id` (update): newest first, as the first fetch pages, down to the known post.
            extra = {"since_id": since_id} if since_id else {}
            resp = api.get(path, params={"limit": 40, **extra, **params})
            page = _check(resp, who)
            if not isinstance(page, list):
                raise _not_mastodon(who, host)
            link["next"] = _next_link(resp, base, who)
            return page

        def next_params(page: list[dict[str, Any]]) -> dict[str, Any] | None:
            return link["next"] if link["next"] is not None else _next(page)

        with progress_bar(f"Mastodon {who}", max_posts, progress) as bar:
            pages, exhausted = fetch_pages(
                get_page, next_params, len, cache=cache, max_posts=max_posts, bar=bar
            )
    cache.finish(account, exhausted=exhausted, max_posts=max_posts)
    return account, pages


def _next(page: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"max_id": page[-1]["id"]} if page and "id" in page[-1] else None


def _next_link(resp: Any, base: str, who: str) -> dict[str, Any] | None:
    """The query of the answer's `Link: <URL>; rel="next"` (Mastodon's own paging, which knows
    about statuses it filtered out), or None without one.

    Only the cursor is taken (the statuses path stays ours), and only from a link on the
    instance's own scheme, host and port.

    Raises:
        FetchError: the next page is on another host (nothing is sent there).
    """
    target = (resp.links.get("next") or {}).get("url")
    if not target:
        return None
    url, home = addresses.url_of(target, resp.url), httpx.URL(base)
    if (url.scheme, url.host, url.port) != (home.scheme, home.host, home.port):
        raise FetchError(
            f"{who}: its next page is on another host ({url.netloc.decode()}): refused",
            hint="a Mastodon instance pages on its own host; check the instance's address",
        )
    return dict(url.params.multi_items())


def _not_mastodon(who: str, host: str) -> FetchError:
    return FetchError(
        f"{who}: {host} does not answer the Mastodon API (not a Mastodon server?)",
        hint=f"check the instance name; pass {MASTODON_FORMS}",
    )


def _check(resp: Any, who: str) -> Any:
    """Turn Mastodon's error answers (`{"error": "..."}`) into FetchError."""
    body = json_body(resp)
    status = resp.status_code
    host = resp.url.netloc.decode()
    if status < 400:
        if body is None:
            raise _not_mastodon(who, host)
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if error is None:  # an HTML 404 page, or some other server entirely
        raise _not_mastodon(who, host)
    if status in (401, 403):
        raise FetchError(
            f"{who}: {host} requires login to read its accounts (HTTP {status}: {error})",
            hint="this instance hides its API from visitors; save the posts as a .jsonl or .csv "
            "file with a text column and pass HANDLE=path/to/posts.csv instead",
        )
    if status == 404:
        raise FetchError(f"{who}: no such Mastodon account", hint="check the user and instance")
    if status == 410:
        raise FetchError(f"{who}: this Mastodon account is suspended or gone")
    raise FetchError(f"{who}: {host} answered HTTP {status}: {' '.join(str(error).split())[:200]}")


def _profile(account: dict[str, Any]) -> Profile:
    username = account.get("username") or str(account.get("acct", "")).split("@")[0]
    name = (account.get("display_name") or "").strip() or username
    return Profile(
        handle=username,
        name=name,
        source="mastodon",
        avatar_url=account.get("avatar"),
        protected=account.get("locked") is True,
    )


def _posts(pages: list[list[dict[str, Any]]], skipped: dict[str, int]) -> list[Post]:
    """The statuses of `pages` as posts; one whose HTML is over the cap is counted unparsed."""
    posts = []
    for page in pages:
        for status in page:
            boost = status.get("reblog")
            shown = boost if isinstance(boost, dict) else status
            content = shown.get("content") or ""
            if len(content) > limits.MAX_HTML_CHARS:
                skipped["too_long"] = skipped.get("too_long", 0) + 1
                continue
            posts.append(
                Post(
                    text=html_to_text(content),
                    created_at=status.get("created_at"),
                    is_repost=boost is not None,
                    id=str(status["id"]) if status.get("id") is not None else None,
                )
            )
    return posts
