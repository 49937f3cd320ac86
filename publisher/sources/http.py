"""A polite HTTP client and a raw-page cache shared by the live sources (X, Bluesky, Mastodon).

Polite means: timeouts on every request, a few retries with exponential backoff on 5xx answers
and connection errors, and on HTTP 429 a countdown until the service's reset time when that is
under a minute (else a clean `RateLimitError` naming the reset time). Tokens live only in the
request headers: no message, log line or cache file ever holds them. Guarded: inside
`addresses.guarded` (the web creator) every request, redirects included, goes through the
address check of `addresses.py`; one answer is read up to `limits.MAX_RESPONSE_BYTES`.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from .. import atomic, console
from ..errors import FetchError, RateLimitError
from . import addresses, limits

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIES = 3  # extra tries after a 5xx or a connection error
BACKOFF_S = 1.0  # first backoff; doubles each try
MAX_WAIT_S = 60.0  # longest 429 wait we sit through before giving up
MAX_RATE_WAITS = 5  # 429 waits per request, so a misbehaving server cannot keep us forever
MAX_PAGES = 10_000  # hard stop for paging, whatever a server says
MAX_REDIRECTS = 5  # redirects followed per request
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
USER_AGENT = "hf-tweetbot (+https://github.com/huggingface/hf-tweetbot)"

# Module-level so tests can monkeypatch them instead of really sleeping.
sleep: Callable[[float], None] = time.sleep
now: Callable[[], float] = time.time


def reset_unix(value: str) -> float | None:
    """Parse a reset header holding unix seconds (X `x-rate-limit-reset`, Bluesky `ratelimit-reset`)."""
    try:
        return float(value)
    except ValueError:
        return None


def reset_iso(value: str) -> float | None:
    """Parse a reset header holding an ISO 8601 time (Mastodon `X-RateLimit-Reset`)."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def utc_text(ts: float) -> str:
    """A unix time as `YYYY-MM-DD HH:MM:SS UTC`."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def json_body(resp: httpx.Response) -> Any:
    """The response's JSON body, or None when it is not JSON (an HTML error page, say)."""
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def client(
    transport: httpx.BaseTransport | None = None, timeout: httpx.Timeout = TIMEOUT, **kw: Any
) -> httpx.Client:
    """An httpx client that follows a few redirects; inside `addresses.guarded`, every request it
    sends (each redirect too) is checked and pinned, and no proxy from the environment is used.

    Args:
        transport: an httpx transport, for tests (wrapped by the guard when one is on).
        timeout: per request.
        **kw: more `httpx.Client` arguments (base_url, headers).
    """
    policy = addresses.current()
    if policy is not None:
        transport = addresses.GuardedTransport(policy, transport)
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=policy is None,
        **kw,
    )


def read_capped(
    http: httpx.Client, url: str, params: dict[str, Any] | None = None
) -> httpx.Response:
    """GET `url`, its body read up to `limits.MAX_RESPONSE_BYTES`.

    Raises:
        FetchError: the server sent more than that.
    """
    if not url.startswith("/"):  # a path is joined to the client's base, read already
        addresses.url_of(url)
    with http.stream("GET", url, params=params) as resp:
        body = bytearray()
        for chunk in resp.iter_bytes():
            body += chunk
            if len(body) > limits.MAX_RESPONSE_BYTES:
                raise FetchError(
                    f"{resp.url.host} sent more than {limits.MAX_RESPONSE_BYTES >> 20} MB for "
                    "one answer: refused",
                    hint="check the server's address",
                )
    # The body is decoded already: the new response must not decode it a second time.
    headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        resp.status_code, headers=headers, content=bytes(body), request=resp.request
    )


class Api:
    """An httpx client for one service, with timeouts, retries and 429 handling.

    Args:
        service: the service's name for messages ("X", "Bluesky", "Mastodon").
        base_url: scheme and host (and port), e.g. `https://api.x.com`.
        reset_header: the header naming when a rate limit resets.
        parse_reset: turns that header's value into unix seconds.
        headers: extra request headers (the Authorization header goes here, never in a URL).
        progress: show the 429 countdown.
        transport: an httpx transport, for tests.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        reset_header: str,
        parse_reset: Callable[[str], float | None] = reset_unix,
        headers: dict[str, str] | None = None,
        progress: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.host = addresses.url_of(base_url).host or base_url
        self.reset_header = reset_header
        self.parse_reset = parse_reset
        self.progress = progress
        self._client = client(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            transport=transport,
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET `path`, retrying 5xx answers and connection errors, waiting out short 429s.

        Returns:
            The response; any status below 500 other than 429 is the caller's to judge.

        Raises:
            FetchError: the service could not be reached or kept failing.
            RateLimitError: the rate limit resets more than a minute from now.
        """
        failures = rate_waits = 0
        while True:
            try:
                resp = read_capped(self._client, path, params)
            except httpx.HTTPError as e:
                # Only the exception's type: its text may echo request details.
                problem = f"cannot reach {self.host} ({type(e).__name__})"
                failures = self._backoff(failures, problem)
                continue
            if resp.status_code == 429 and rate_waits < MAX_RATE_WAITS:
                self._wait_for_reset(resp)
                rate_waits += 1
                continue
            if resp.status_code == 429:
                raise RateLimitError(
                    f"{self.service} kept answering HTTP 429 (rate limited)",
                    hint="wait a few minutes and run the same command again",
                )
            if resp.status_code >= 500:
                problem = f"{self.host} answered HTTP {resp.status_code}"
                failures = self._backoff(failures, problem)
                continue
            return resp

    def _backoff(self, failures: int, problem: str) -> int:
        if failures >= RETRIES:
            raise FetchError(
                f"{self.service}: {problem}, {failures + 1} tries",
                hint="check your connection and try again later",
            )
        sleep(BACKOFF_S * 2**failures)
        return failures + 1

    def _wait_for_reset(self, resp: httpx.Response) -> None:
        value = resp.headers.get(self.reset_header)
        reset = self.parse_reset(value) if value else None
        if reset is None:
            # No usable reset header: Retry-After (seconds) if any, else a short pause.
            retry_after = resp.headers.get("retry-after", "")
            wait = float(retry_after) if retry_after.isdigit() else 5.0
        else:
            wait = reset - now()
        if wait > MAX_WAIT_S:
            raise RateLimitError(
                f"{self.service} rate limit reached; it resets at {utc_text(now() + wait)}",
                hint="run the same command again after that time (pages already fetched are cached)",
            )
        self._countdown(max(1, math.ceil(wait)))

    def _countdown(self, seconds: int) -> None:
        if self.progress:
            console.say(f"{self.service} rate limit: waiting {seconds} s")
        for left in range(seconds, 0, -1):
            if self.progress and left != seconds and left % 10 == 0:
                console.say(f"{self.service} rate limit: {left} s left")
            sleep(1)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


class PageCache:
    """Raw response pages under `raw_dir/<source>_<key>/`: `page_0001.json`, ... and `done.json`.

    `done.json` is written last, so a folder without it is an interrupted download and is
    fetched again. With `raw_dir=None` nothing is cached.

    Args:
        raw_dir: the bot's `raw/` folder, or None.
        source: "x", "bsky" or "mastodon".
        key: the account as asked for (a handle, `user@host`).
        refresh: ignore a complete cache and fetch anew.
    """

    def __init__(self, raw_dir: Path | None, source: str, key: str, refresh: bool = False) -> None:
        name = f"{source}_{_UNSAFE.sub('_', key.lower()).strip('_.')}"
        self.dir = Path(raw_dir) / name if raw_dir is not None else None
        self.refresh = refresh
        self.count = 0

    def load(self, max_posts: int) -> tuple[Any, list[Any]] | None:
        """The cached profile and pages, or None when the cache is absent, partial or too short."""
        if self.dir is None or self.refresh:
            return None
        try:
            done = json.loads((self.dir / "done.json").read_text(encoding="utf-8"))
            # A cache made with a smaller --max-posts is too short unless it reached the end.
            if not done["exhausted"] and done["max_posts"] < max_posts:
                return None
            pages = [
                json.loads(self._page(i).read_text(encoding="utf-8"))
                for i in range(1, done["pages"] + 1)
            ]
            return done["profile"], pages
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def start(self) -> None:
        """Forget any earlier (partial or refreshed) download."""
        self.count = 0
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir(parents=True, exist_ok=True)

    def add(self, page: Any) -> None:
        """Save the next raw page."""
        self.count += 1
        if self.dir is not None:
            atomic.write_text(self._page(self.count), json.dumps(page, ensure_ascii=False))

    def finish(self, profile: Any, *, exhausted: bool, max_posts: int) -> None:
        """Mark the download complete, recording the raw profile."""
        if self.dir is None:
            return
        done = {
            "profile": profile,
            "pages": self.count,
            "exhausted": exhausted,
            "max_posts": max_posts,
            "fetched_at": utc_text(now()),
        }
        atomic.write_text(self.dir / "done.json", json.dumps(done, ensure_ascii=False, indent=1))

    def _page(self, i: int) -> Path:
        assert self.dir is not None
        return self.dir / f"page_{i:04d}.json"


def progress_bar(desc: str, total: int, enabled: bool) -> console.Progress:
    """Our progress display on stderr counting posts fetched."""
    return console.Progress(total, desc, unit="post", disable=not enabled)


def fetch_pages(
    get_page: Callable[[dict[str, Any]], Any],
    next_params: Callable[[Any], dict[str, Any] | None],
    count: Callable[[Any], int],
    *,
    cache: PageCache,
    max_posts: int,
    bar: console.Progress,
) -> tuple[list[Any], bool]:
    """Page through a timeline until it ends or `max_posts` posts are in.

    Args:
        get_page: fetches one page given the paging params (`{}` for the first).
        next_params: the params of the page after this one, or None at the end.
        count: how many posts a page holds.
        cache: where each raw page is saved as it arrives.
        max_posts: stop once this many posts are fetched.
        bar: progress bar counting posts.

    Returns:
        The raw pages, and whether the timeline was read to its end.
    """
    pages: list[Any] = []
    params: dict[str, Any] | None = {}
    total = 0
    seen: list[dict[str, Any]] = []
    while params is not None and total < max_posts and len(pages) < MAX_PAGES:
        page = get_page(params)
        n = count(page)
        if n == 0:
            params = None
            break
        pages.append(page)
        cache.add(page)
        bar.update(min(n, max_posts - total))
        total += n
        seen.append(params)
        params = next_params(page)
        if params in seen:  # a server handing back the same cursor would loop forever
            break
    if params is None:  # the timeline ended before max_posts: show the bar full
        bar.total = min(total, max_posts)
        bar.refresh()
    return pages, params is None
