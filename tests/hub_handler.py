"""HTTP routes of the test Hub (see hub_server.py for the state and the protocol summary;
hub_files.py for a repo's contents; hub_lfs.py for the LFS batch API, the storage host and the
Hub's LFS rules; hub_reply.py for the answers' shape)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from hub_files import FileRoutes, entry
from hub_lfs import LfsRoutes, stored_in_lfs
from hub_reply import BAD_TOKEN, Reply, err
from hub_server import (
    TYPES,
    URL_PREFIX,
    HubState,
    Logged,
    Repo,
    Token,
    front_matter,
    git_blob_sha,
    iso,
)

API_REPO = re.compile(r"^/api/(models|datasets|spaces)/([^/]+)/([^/]+)(?:/(.*))?$")
LFS_API = re.compile(
    r"^/(?:(datasets|spaces)/)?([^/]+)/([^/]+?)\.git/info/lfs/objects/(batch|verify)$"
)
RESOLVE = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def make_handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to `state`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_HEAD(self) -> None:
            self._handle("HEAD")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            hdrs = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
            entry = Logged(method, url.path, hdrs, b"")
            with state.lock:
                state.log.append(entry)
                fault = next(
                    (
                        f
                        for f in state.faults
                        if f.times > 0 and f.method == method and re.search(f.path, url.path)
                    ),
                    None,
                )
                if fault:
                    fault.times -= 1
            try:
                if fault and fault.drop:  # the connection dies half-way through the upload
                    entry.body, entry.status = self._read_body(half=True), -1
                    self.close_connection = True
                    return
                entry.body = body = self._read_body()
                if fault and fault.delay:
                    time.sleep(fault.delay)
                elif fault:
                    extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}  # fmt: skip
                    raise err(fault.status, "Internal Error - injected by the test", **extra)
                route = Route(state, method, url.path, parse_qs(url.query), self.headers, body)
                raise route.dispatch()
            except Reply as r:
                entry.status = r.status
                self._send(method, r)
            except Exception as e:  # a server bug: never 5xx, which the client would retry for long
                entry.status = 400
                self._send(method, err(400, f"test server bug: {type(e).__name__}: {e}"))

        def _read_body(self, half: bool = False) -> bytes:
            """The request body (Content-Length or chunked); `half`: stop in the middle."""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                    if half:
                        return b"".join(chunks)
            size = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(size // 2 if half else size) if size else b""

        def _send(self, method: str, r: Reply) -> None:
            data = r.body if isinstance(r.body, bytes) else json.dumps(r.body).encode()
            self.send_response(r.status)
            headers = {"Content-Type": "application/json", **r.headers}
            headers.setdefault("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(data)

    return Handler


class Route(LfsRoutes, FileRoutes):
    """One request: authenticate, find the repo, answer (always by raising `Reply`)."""

    def __init__(
        self, state: HubState, method: str, path: str, query: dict, headers: Any, body: bytes
    ):
        self.s, self.method, self.path, self.query, self.body = state, method, path, query, body
        self.headers = headers
        host = headers.get("Host", "127.0.0.1")
        self.endpoint, self.port = f"http://{host}", host.rpartition(":")[2]
        self.tok: Token | None = None

    def dispatch(self) -> Reply:
        m, p = self.method, self.path
        if p.startswith("/lfs-storage/"):  # the storage host: signed URLs, never a token
            return self.storage()
        tok = self.s.token_of(self.headers)
        if tok is False:
            raise err(401, BAD_TOKEN)
        self.tok = tok  # type: ignore[assignment]
        if mt := LFS_API.match(p):
            kind, ns, name, op = mt.groups()
            return self.lfs_api(TYPES.get(kind or "models", "model"), f"{ns}/{name}", op)
        if p == "/api/whoami-v2" and m == "GET":
            if self.tok is None:
                raise err(401, BAD_TOKEN)
            return Reply(200, self.s.whoami(self.tok))
        if p == "/api/validate-yaml" and m == "POST":
            _, problem = front_matter(json.loads(self.body).get("content", ""))
            if problem:
                return Reply(400, {"errors": [{"message": problem}], "warnings": []})
            return Reply(200, {"errors": [], "warnings": []})
        if p == "/api/repos/create" and m == "POST":
            return self.create(json.loads(self.body))
        if mt := API_REPO.match(p):
            kind, ns, name, rest = mt.groups()
            return self.api(TYPES[kind], f"{unquote(ns)}/{unquote(name)}", rest or "")
        if (mt := RESOLVE.match(p)) and m in ("GET", "HEAD"):
            kind, ns, name, rev, file = mt.groups()
            repo = self.readable(TYPES.get(kind or "models", "model"), f"{ns}/{name}")
            return self.resolve(repo, unquote(rev), unquote(file))
        raise err(404, f"no route for {m} {p}")

    # -- helpers ------------------------------------------------------------------------------
    def readable(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.s.repo(repo_type, repo_id)
        if repo is None or not self.s.can_read(self.tok, repo):
            raise err(404, "Repository not found", "RepoNotFound")
        return repo

    def writable(self, repo: Repo, create_pr: bool = False) -> None:
        ok = self.s.can_write(self.tok, repo.type, repo.id)
        if not ok and create_pr and isinstance(self.tok, Token) and self.tok.role != "read":
            ok = True  # anyone who can read may open a pull request with a write-capable token
        if not ok:
            who = self.tok.user if self.tok else "anonymous"
            raise err(
                403, f"You don't have the rights to write to {repo.type} {repo.id} (as {who})"
            )

    def commit_of(self, repo: Repo, rev: str) -> str:
        if rev in repo.refs:
            return repo.refs[rev]
        if re.fullmatch(r"[0-9a-f]{40}", rev) and rev in repo.commits:
            return rev
        raise err(404, f"Invalid rev id: {rev}", "RevisionNotFound")

    def url(self, repo: Repo) -> str:
        return f"{self.endpoint}/{URL_PREFIX[repo.type]}{repo.id}"

    # -- routes -------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> Reply:
        if self.tok is None:
            raise err(401, BAD_TOKEN)
        repo_type = body.get("type") or "model"
        ns = body.get("organization") or self.tok.user
        name = body.get("name") or ""
        repo_id = f"{ns}/{name}"
        if not NAME_RE.match(name) or "--" in name or ".." in name:
            raise err(400, f"Invalid repo name: {name}")
        existing = self.s.repo(repo_type, repo_id)
        if existing is not None and self.s.can_read(self.tok, existing):
            raise Reply(
                409,
                {"error": f"You already created this {repo_type} repo", "url": self.url(existing)},
            )
        if not self.s.can_write(self.tok, repo_type, repo_id):
            raise err(
                403,
                f'You don\'t have the rights to create a {repo_type} under the namespace "{ns}"',
            )
        if repo_type == "space" and body.get("sdk") not in (
            "gradio",
            "docker",
            "static",
            "streamlit",
        ):
            raise err(400, "Invalid sdk")
        private = body.get("visibility") == "private" or bool(body.get("private"))
        with self.s.lock:
            repo = self.s._create(repo_type, repo_id, private, body.get("sdk"))
            repo.hardware = body.get("hardware")
        return Reply(
            200,
            {
                "url": self.url(repo),
                "name": repo_id,
                "id": hashlib.md5(repo_id.encode()).hexdigest()[:24],
            },
        )

    def api(self, repo_type: str, repo_id: str, rest: str) -> Reply:
        repo = self.readable(repo_type, repo_id)
        action, _, arg = rest.partition("/")
        if action == "variables" and repo_type == "space":
            if self.method == "POST":
                self.writable(repo)
                body = json.loads(self.body)
                repo.variables[body["key"]] = body["value"]
            return Reply(
                200, {k: {"value": v, "updatedAt": iso()} for k, v in repo.variables.items()}
            )
        if action == "hardware" and repo_type == "space" and self.method == "POST":
            self.writable(repo)
            repo.hardware = json.loads(self.body)["flavor"]
            hardware = {"current": "cpu-basic", "requested": repo.hardware}
            return Reply(200, {"stage": "BUILDING", "hardware": hardware})
        if action == "secrets" and repo_type == "space" and self.method == "POST":
            self.writable(repo)
            body = json.loads(self.body)
            repo.secrets[body["key"]] = body["value"]
            return Reply(200, {})
        rev, _, sub = arg.partition("/")
        rev = unquote(rev) if rev else "main"
        if action in ("", "revision") and self.method == "GET":
            return self.info(repo, self.commit_of(repo, rev))
        if action == "tree" and self.method == "GET":
            return self.tree(repo, self.commit_of(repo, rev), unquote(sub).strip("/"))
        if action == "paths-info" and self.method == "POST":
            commit = repo.commits[self.commit_of(repo, rev)]
            paths = parse_qs(self.body.decode()).get("paths", [])
            return Reply(200, [e for p in paths if (e := entry(commit, p)) is not None])
        create_pr = self.query.get("create_pr", ["0"])[0] == "1"
        if action == "preupload" and self.method == "POST":
            self.writable(repo, create_pr)
            head = repo.commits[self.commit_of(repo, rev)]
            attrs = head.files.get(".gitattributes", b"")
            out = []
            for f in json.loads(self.body)["files"]:
                path, sample = f["path"], base64.b64decode(f.get("sample", ""))
                lfs = stored_in_lfs(path, int(f.get("size", 0)), sample, attrs)
                mode = "lfs" if lfs else "regular"
                info = {"path": path, "uploadMode": mode, "shouldIgnore": False}
                if path in head.files:  # the client skips a file whose oid it computes alike
                    data = head.files[path]
                    lfs_oid = hashlib.sha256(data).hexdigest()
                    info["oid"] = lfs_oid if path in head.lfs else git_blob_sha(data)
                out.append(info)
            return Reply(200, {"files": out, "commitOid": repo.refs["main"]})
        if action == "commit" and self.method == "POST":
            self.writable(repo, create_pr)
            return self.commit(repo, rev, create_pr)
        raise err(404, f"no route for {self.method} {self.path}")
