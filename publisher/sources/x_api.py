"""X API v2: a user's most recent posts (up to 3,200) with an app's bearer token.

`x:HANDLE`, `@HANDLE` or a bare `HANDLE`. Reads `X_BEARER_TOKEN`; the endpoint is
`HF_TWEETBOT_X_API_URL` (default https://api.x.com). Two calls: `GET /2/users/by/username/:u`,
then `GET /2/users/:id/tweets` paged with `pagination_token` until `meta.next_token` is gone.
A post over 280 characters comes with its `text` cut; its whole text is `note_tweet.text`,
sent only when asked for (`tweet.fields=note_tweet`). Both are HTML-escaped alike.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import FetchError, SourceError
from . import Gathered, Post, Profile, SourceOptions
from .http import Api, PageCache, fetch_pages, json_body, progress_bar, reset_unix
from .spec import UserSpec

DEFAULT_URL = "https://api.x.com"
URL_ENV = "HF_TWEETBOT_X_API_URL"
TOKEN_ENV = "X_BEARER_TOKEN"
API_CAP = 3200  # the user timeline endpoint never goes further back
_ARCHIVE_HINT = "or download the account's X archive and pass HANDLE=path/to/archive.zip"


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
    """Download a user's profile and posts from the X API v2.

    Args:
        spec: an `x` USER (`x:HANDLE`, `@HANDLE` or `HANDLE`).
        opts: cache folder, `max_posts` (capped at 3,200), refresh, progress.

    Returns:
        The profile (avatar at 400x400) and the posts, newest first, retweets flagged.

    Raises:
        SourceError: no token.
        FetchError: unknown, suspended or protected account; token refused; network failure.
    """
    handle = spec.account or ""
    max_posts = min(opts.max_posts, API_CAP)
    since = opts.since.id if opts.since and (opts.since.id or "").isdigit() else None
    key = f"{handle}_{opts.since.key()}" if opts.since else handle
    cache = PageCache(opts.raw_dir, "x", key, opts.refresh)
    cached = cache.load(max_posts)
    if cached is None:
        cached = _download(spec, handle, max_posts, cache, opts.progress, since)
    user, pages = cached
    return Gathered(_profile(user), _posts(pages)[:max_posts])


def _token(spec: UserSpec, handle: str) -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        lead = f"no file or folder named {spec}, and " if spec.shown == handle else ""
        raise SourceError(
            f"{spec}: {lead}reading @{handle}'s posts from the X API needs {TOKEN_ENV}",
            hint=f"export {TOKEN_ENV}=... (an X API bearer token, Basic tier or above), "
            + _ARCHIVE_HINT,
        )
    # httpx would quote an illegal header value in its error, token included.
    if not token.isascii() or not token.isprintable() or " " in token:
        raise SourceError(
            f"{TOKEN_ENV} is malformed (spaces or control characters)",
            hint="copy the bearer token again from the X developer portal",
        )
    return token


def _download(
    spec: UserSpec,
    handle: str,
    max_posts: int,
    cache: PageCache,
    progress: bool,
    since_id: str | None,
) -> tuple[Any, list[Any]]:
    token = _token(spec, handle)
    base = os.environ.get(URL_ENV) or DEFAULT_URL
    auth = {"Authorization": f"Bearer {token}"}
    with Api(
        "X",
        base,
        reset_header="x-rate-limit-reset",
        parse_reset=reset_unix,
        headers=auth,
        progress=progress,
    ) as api:
        resp = api.get(
            f"/2/users/by/username/{handle}",
            params={"user.fields": "name,profile_image_url,protected"},
        )
        user = _check(resp, handle).get("data")
        if not isinstance(user, dict) or "id" not in user:
            raise FetchError(f"@{handle}: the X API answered without a user", hint=_ARCHIVE_HINT)
        if user.get("protected"):
            raise _protected(handle)
        cache.start()
        path = f"/2/users/{user['id']}/tweets"
        base_params = {
            "max_results": 100,
            "tweet.fields": "created_at,referenced_tweets,entities,note_tweet",
            # `update`: only posts after the newest one the bot has (the API filters them).
            **({"since_id": since_id} if since_id else {}),
        }

        def get_page(params: dict[str, Any]) -> Any:
            return _check(api.get(path, params={**base_params, **params}), handle)

        with progress_bar(f"X @{handle}", max_posts, progress) as bar:
            pages, exhausted = fetch_pages(
                get_page,
                _next,
                lambda p: len(p.get("data") or []),
                cache=cache,
                max_posts=max_posts,
                bar=bar,
            )
    cache.finish(user, exhausted=exhausted, max_posts=max_posts)
    return user, pages


def _next(page: dict[str, Any]) -> dict[str, Any] | None:
    token = (page.get("meta") or {}).get("next_token")
    return {"pagination_token": token} if token else None


def _protected(handle: str) -> FetchError:
    return FetchError(
        f"@{handle}'s posts are protected: the X API only shows them to approved followers",
        hint="ask the account owner for their X archive and pass HANDLE=path/to/archive.zip",
    )


def _check(resp: Any, handle: str) -> dict[str, Any]:
    """Turn X's error answers (HTTP errors, or errors in a 200 without data) into FetchError."""
    body = json_body(resp)
    if resp.status_code == 401:
        raise FetchError(
            f"X refused {TOKEN_ENV} (HTTP 401 Unauthorized)",
            hint=f"create a new bearer token in the X developer portal and export {TOKEN_ENV}",
        )
    if resp.status_code in (402, 403):
        raise _tier_error(resp.status_code, body if isinstance(body, dict) else {})
    if not isinstance(body, dict):
        raise FetchError(
            f"X API: HTTP {resp.status_code} with a body that is not JSON from {resp.url.host}",
            hint=f"check {URL_ENV} (default {DEFAULT_URL})",
        )
    if resp.status_code >= 400:
        detail = body.get("detail") or body.get("title") or "request refused"
        raise FetchError(f"X API: HTTP {resp.status_code} for @{handle}: {_one_line(detail)}")
    errors = body.get("errors") or []
    if "data" in body or "meta" in body or not errors:
        return body  # partial errors beside data (a deleted quoted tweet, ...) are harmless
    raise _user_error(errors[0], handle)


def _tier_error(status: int, body: dict[str, Any]) -> FetchError:
    reason = body.get("reason") or body.get("title") or "Forbidden"
    return FetchError(
        f"X refused {TOKEN_ENV} for reading timelines (HTTP {status} {reason}): "
        "the app's access tier does not include it",
        hint="use a token from an app with read access (Basic tier or above) attached to a "
        "Project, " + _ARCHIVE_HINT,
    )


def _user_error(err: dict[str, Any], handle: str) -> FetchError:
    title = str(err.get("title", ""))
    detail = str(err.get("detail", ""))
    if title == "Not Found Error":
        return FetchError(f"@{handle}: no such X account", hint="check the spelling of the handle")
    if "suspended" in detail.lower():
        return FetchError(f"@{handle}: this X account is suspended", hint=_ARCHIVE_HINT)
    if title == "Authorization Error":
        return _protected(handle)
    return FetchError(f"X API error for @{handle}: {_one_line(title)}: {_one_line(detail)}")


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())[:300]


def _profile(user: dict[str, Any]) -> Profile:
    avatar = user.get("profile_image_url")
    if avatar:
        # `_normal` is a 48x48 thumbnail; the same image exists at 400x400.
        avatar = re.sub(r"_normal(\.\w+)?$", r"_400x400\1", avatar)
    username = user.get("username") or ""
    return Profile(
        handle=username,
        name=user.get("name") or username,
        source="x",
        avatar_url=avatar,
        protected=user.get("protected") is True,
    )


def _posts(pages: list[dict[str, Any]]) -> list[Post]:
    posts = []
    for page in pages:
        for tweet in page.get("data") or []:
            text = tweet.get("text") or ""
            refs = tweet.get("referenced_tweets") or []
            retweet = any(r.get("type") == "retweeted" for r in refs) or text.startswith("RT @")
            note = tweet.get("note_tweet")
            if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
                text = note["text"]  # a long post's whole text; `text` is cut at 280
            pid = tweet.get("id")
            posts.append(
                Post(
                    text=text,
                    created_at=tweet.get("created_at"),
                    is_repost=retweet,
                    id=str(pid) if pid else None,
                )
            )
    return posts
