"""A loopback HTTP server that replays canned API responses, for the live-source tests.

Each path gets a queue of replies (the last one repeats) or a function of the request, so a
test can script paging, a 429 then success, or an error body, in each API's real format.
Every request is recorded, so a test can check what was sent and how often.

`Timeline` and `serve_x`, `serve_bsky`, `serve_mastodon` are stand-ins for the live APIs on top
of it: accounts whose posts grow, served in each API's real format and paging (X
`pagination_token` and `since_id`, Bluesky `cursor`, Mastodon `max_id` and `since_id`).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# --- The server: canned replies per path, every request recorded.

DATA = Path(__file__).resolve().parent / "data"  # recorded real responses


def load(rel: str) -> Any:
    """A recorded response under `testkit/fakes/data/`."""
    return json.loads((DATA / rel).read_text(encoding="utf-8"))


@dataclass
class Reply:
    """One canned answer: a status, a JSON (or text) body and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass
class Request:
    """What the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


Route = Callable[[Request], Reply]


class ApiServer:
    """Routes `GET path` to scripted replies; unknown paths answer 404 with an HTML page."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.url = ""

    def add(self, path: str, *replies: Reply) -> None:
        """Answer `path` with `replies` in turn; the last one repeats."""
        queue = list(replies)

        def route(_req: Request) -> Reply:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = route

    def route(self, path: str, fn: Route) -> None:
        """Answer `path` with `fn(request)`."""
        self.routes[path] = fn

    def hits(self, path: str) -> list[Request]:
        """The requests made to `path`, in order."""
        return [r for r in self.requests if r.path == path]

    def _handle(self, req: Request) -> Reply:
        self.requests.append(req)
        route = self.routes.get(req.path)
        if route is None:
            return Reply("<html><body><h1>404 Not Found</h1></body></html>", status=404)
        return route(req)


def _handler(server: ApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            req = Request(url.path, query, {k.lower(): v for k, v in self.headers.items()})
            reply = server._handle(req)
            body, ctype = reply.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def serve() -> Iterator[ApiServer]:
    """Run an `ApiServer` on 127.0.0.1 (a free port) for the duration of the block."""
    api = ApiServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    httpd.daemon_threads = True
    api.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield api
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class Listener:
    """A loopback TCP listener that records every connection made to it (and answers HTTP 200).

    The SSRF tests point forbidden addresses at it: a refusal made before any connection leaves
    `connections` empty.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        import socket

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []  # what each connection sent first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                self.connections.append(data)
                body = b"listener"
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                with contextlib.suppress(OSError):
                    conn.sendall(head.encode() + body)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


# --- Timelines that grow: X, Bluesky and Mastodon stand-ins (for `update` and the web creator).

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
        meta: dict[str, Any] = {"result_count": len(data)}
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
        body: dict[str, Any] = {"feed": items}
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
