"""A Hub-compatible HTTP server for tests, driven by the real huggingface_hub client.

It follows the Hub's wire protocol as huggingface_hub 2.x speaks it: `whoami-v2`, `repos/create`
(409 when the repo exists), repo info with a 40-hex `sha` and `siblings`, `tree` and
`paths-info`, `validate-yaml`, `preupload` (`lfs` or `regular` as the Hub decides, with the
existing file's `oid` so the client skips unchanged files), the LFS batch API with upload and
verify, NDJSON `commit` (with `parentCommit`, `create_pr`, `lfsFile` lines naming
verified objects only; binary or large files sent inline are refused as on the Hub), Space
variables and hardware, and `resolve` downloads with `X-Repo-Commit`, `ETag` and
`Content-Length` (HEAD too; LFS files redirect to storage with `X-Linked-Etag`/`X-Linked-Size`).
Errors carry `X-Error-Code` / `X-Error-Message` as the Hub's do.

Tokens, users and orgs are configurable per test; `fail()` injects status codes (with
`Retry-After`), connections dropped in the middle of a request, or delays; `log` keeps every
request (the Authorization header excepted) so tests can scan everything uploaded for a secret
and count requests by `kind`. Repos live in memory with git-like commit shas; each repo keeps
its verified LFS objects by sha256. The client must run with `HF_HUB_DISABLE_XET=1`: a Xet
storage server is out of reach, as it is for every Hub mirror.

One module: the repos' state and the server (`HubServer`, `Token`), the HTTP routes, a repo's
contents (info, trees, commits, downloads), Git LFS as the Hub speaks it (the batch API, the
signed storage host, the Hub's LFS rules) and the shape of the Hub's answers and errors.
Hugging Face Jobs (`/api/jobs/...`) are in `jobs_server.py`, whose jobs run for real.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import yaml

from .jobs_server import JobsRoutes, JobsState
from .replies import Reply, err

# --- The Hub's answers: a reply raised from inside a route, and the Hub's error shape
# (`{"error": ...}` with `X-Error-Message` and `X-Error-Code`, which huggingface_hub reads).

BAD_TOKEN = "Invalid credentials in Authorization header"


# --- Git LFS as the Hub speaks it.
#
# The Hub decides per file at `preupload`: LFS for what its `.gitattributes` routes to LFS, for
# binary files (a NUL byte in the first 512 bytes the client sends as `sample`) and for files of
# 10 MB or more; everything else is a regular git blob sent inline in the commit. LFS objects go
# through the batch API (`{repo}.git/info/lfs/objects/batch`, `basic` transfer): the answer
# carries an `upload` action (a signed storage URL on another host, `localhost`, so the client
# treats it as S3 and sends no token) and a `verify` action back on the Hub; objects the repo
# already holds come back without `actions`, which is how the client skips them. A commit's
# `lfsFile` lines may name verified objects only. Downloads of LFS files answer 302 to a signed
# storage URL with `X-Linked-Etag` (the sha256) and `X-Linked-Size`, as huggingface.co does.

LFS_MIN_SIZE = 10 * 1000 * 1000  # the Hub's "10 MB": larger files must go through LFS
STORAGE_HOST = "localhost"  # another origin than 127.0.0.1: the client strips the token there
# The Hub's default .gitattributes of a new repo (abridged only of exotic formats).
GITATTRIBUTES = "".join(
    f"{p} filter=lfs diff=lfs merge=lfs -text\n"
    for p in (
        "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gguf", "*.gz", "*.h5",
        "*.joblib", "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx",
        "*.ot", "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar",
        "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm",
        "*.xz", "*.zip", "*.zst", "*tfevents*",
    )
).encode()  # fmt: skip


def lfs_patterns(gitattributes: bytes) -> list[str]:
    """The path patterns a `.gitattributes` routes to LFS (`filter=lfs`)."""
    out = []
    for line in gitattributes.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) > 1 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            out.append(parts[0])
    return out


def matches(pattern: str, path: str) -> bool:
    """gitattributes matching: a pattern without '/' matches the file name at any depth."""
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(path, pattern.replace("**/", "*"))


def stored_in_lfs(path: str, size: int, sample: bytes, gitattributes: bytes) -> bool:
    """Whether the Hub stores this file in LFS (the `preupload` answer `lfs`)."""
    if size >= LFS_MIN_SIZE or b"\0" in sample[:512]:
        return True
    return any(matches(p, path) for p in lfs_patterns(gitattributes))


def pointer(data: bytes) -> bytes:
    """The git LFS pointer file that git stores in place of `data`."""
    oid = hashlib.sha256(data).hexdigest()
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
    )


def sign(secret: bytes, *parts: Any) -> str:
    """The signature of a storage URL (what S3's presigned URLs carry)."""
    msg = "\n".join(str(p) for p in parts).encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def storage_url(port: str, secret: bytes, op: str, repo_key: str, oid: str, size: int) -> str:
    """A signed URL on the storage host for `op` ("put" or "get") of one object."""
    query = urlencode({"X-Size": size, "X-Signature": sign(secret, op, repo_key, oid, size)})
    return f"http://{STORAGE_HOST}:{port}/lfs-storage/{repo_key}/{oid}?{query}"


def batch_answer(objects: list[dict[str, Any]], have: dict[str, bytes], upload_url: Any, verify_url: str) -> dict[str, Any]:  # fmt: skip
    """The LFS batch answer: no `actions` for what the repo holds, upload + verify otherwise."""
    out = []
    for obj in objects:
        oid, size = obj.get("oid"), obj.get("size")
        if not isinstance(oid, str) or len(oid) != 64 or not isinstance(size, int) or size < 0:
            out.append({"oid": str(oid), "size": -1, "error": {"code": 422, "message": "bad object"}})  # fmt: skip
        elif oid in have and len(have[oid]) == size:
            out.append({"oid": oid, "size": size})
        else:
            actions = {"upload": {"href": upload_url(oid, size)}, "verify": {"href": verify_url}}
            out.append({"oid": oid, "size": size, "authenticated": True, "actions": actions})
    return {"transfer": "basic", "objects": out}


class LfsRoutes:
    """The LFS routes of `Route` (a mixin: it uses the route's state and helpers)."""

    s: Any
    method: str
    path: str
    body: bytes
    headers: Any
    query: dict[str, list[str]]
    endpoint: str
    port: str
    tok: Any

    def lfs_api(self, repo_type: str, repo_id: str, op: str) -> Any:
        """POST `{repo}.git/info/lfs/objects/batch` and `.../verify`."""
        if self.method != "POST":
            raise err(405, "method not allowed")
        if self.tok is None:
            raise err(401, BAD_TOKEN)
        repo = self.readable(repo_type, repo_id)  # type: ignore[attr-defined]
        # Anyone who may open a pull request may upload the objects it will reference.
        self.writable(repo, create_pr=True)  # type: ignore[attr-defined]
        body = json.loads(self.body)
        key = f"{repo.type}/{repo.id}"
        if op == "verify":
            oid, size = body.get("oid", ""), body.get("size")
            data = repo.staged.get(oid, repo.lfs.get(oid))
            if data is None:
                raise err(404, f"Object {oid[:12]} not found: upload it first")
            if len(data) != size:
                raise err(422, f"Object {oid[:12]} has {len(data)} bytes, not {size}")
            repo.lfs[oid] = repo.staged.pop(oid, data)
            return Reply(200, {"success": True})
        if body.get("operation") != "upload" or "basic" not in body.get("transfers", ["basic"]):
            raise err(422, "this server offers the basic upload transfer only")

        def upload_url(oid: str, size: int) -> str:
            return storage_url(self.port, self.s.secret, "put", key, oid, size)

        prefix = "" if repo.type == "model" else f"{repo.type}s/"
        verify = f"{self.endpoint}/{prefix}{repo.id}.git/info/lfs/objects/verify"
        with self.s.lock:
            answer = batch_answer(body.get("objects") or [], repo.lfs, upload_url, verify)
        return Reply(200, answer, {"Content-Type": "application/vnd.git-lfs+json"})

    def storage(self) -> Any:
        """The storage host (S3's role): PUT and GET of objects by signed URL, never a token."""
        parts = self.path.split("/")
        if len(parts) != 6 or self.headers.get("Authorization"):
            raise err(400, "Only one auth mechanism allowed: the signed URL, no Authorization")
        repo_type, ns, name, oid = parts[2:]
        key = f"{repo_type}/{ns}/{name}"
        size = int(self.query.get("X-Size", ["-1"])[0])
        op = "put" if self.method == "PUT" else "get"
        if self.query.get("X-Signature", [""])[0] != sign(self.s.secret, op, key, oid, size):
            raise err(403, "SignatureDoesNotMatch")
        repo = self.s.repos.get((repo_type, f"{ns}/{name}"))
        if repo is None:
            raise err(404, "NoSuchBucket")
        if op == "put":
            if len(self.body) != size:
                raise err(400, f"IncompleteBody: {len(self.body)} bytes of {size}")
            if hashlib.sha256(self.body).hexdigest() != oid:
                raise err(400, "BadDigest: the content does not match its sha256")
            with self.s.lock:
                repo.staged[oid] = self.body
            return Reply(200, b"", {"ETag": f'"{oid}"'})
        data = repo.lfs.get(oid)
        if data is None:
            raise err(404, "NoSuchKey")
        start = _range_start(self.headers.get("Range"))
        headers = {"Content-Type": "application/octet-stream", "ETag": f'"{oid}"', "Accept-Ranges": "bytes"}  # fmt: skip
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return Reply(206, data[start:], headers)
        return Reply(200, data, headers)

    def lfs_redirect(self, repo: Any, commit_oid: str, data: bytes) -> Any:
        """`resolve` of an LFS file: 302 to the storage host, the file's metadata in headers."""

        oid = hashlib.sha256(data).hexdigest()
        url = storage_url(self.port, self.s.secret, "get", f"{repo.type}/{repo.id}", oid, len(data))
        return Reply(
            302,
            f"Found. Redirecting to {url}".encode(),
            {
                "Location": url,
                "X-Repo-Commit": commit_oid,
                "X-Linked-Etag": f'"{oid}"',
                "X-Linked-Size": str(len(data)),
                "ETag": f'"{git_blob_sha(pointer(data))}"',
                "Content-Type": "text/plain; charset=utf-8",
            },
        )


def _range_start(header: str | None) -> int:
    """The first byte of a `Range: bytes=N-` request (resumed downloads), else 0."""
    if header and header.startswith("bytes=") and header[6:].split("-")[0].isdigit():
        return int(header[6:].split("-")[0])
    return 0


# --- The Hub's state (users, tokens, repos, commits) and the server.

TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def git_blob_sha(data: bytes) -> str:
    """The git object id of a blob, as the Hub reports it for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Token:
    """An access token: its owner, role ("read", "write" or "fineGrained") and fine-grained scopes."""

    user: str
    role: str = "write"
    scoped: list[dict[str, Any]] = field(default_factory=list)
    global_perms: list[str] = field(default_factory=list)  # fine-grained: e.g. "job.write"


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    files: dict[str, bytes]
    lfs: frozenset[str] = frozenset()  # paths stored in LFS (listed with their pointer)


@dataclass
class Repo:
    type: str
    id: str
    private: bool = False
    sdk: str | None = None
    refs: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    hardware: str | None = None
    lfs: dict[str, bytes] = field(default_factory=dict)  # verified LFS objects by sha256
    staged: dict[str, bytes] = field(default_factory=dict)  # uploaded, not yet verified
    secrets: dict[str, str] = field(default_factory=dict)  # Space secrets: written, never read back


@dataclass
class Fault:
    path: str  # regex searched in the request path
    method: str
    times: int
    status: int = 500
    drop: bool = False  # close the connection half-way through reading the request body
    delay: float = 0.0
    retry_after: int | None = None  # seconds, sent as `Retry-After` with the status


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0

    @property
    def kind(self) -> str:
        """What the request is: preupload, lfs-batch, lfs-upload, lfs-verify, lfs-download, commit..."""
        if self.path.startswith("/lfs-storage/"):
            return "lfs-upload" if self.method == "PUT" else "lfs-download"
        for tail, kind in (("/objects/batch", "lfs-batch"), ("/objects/verify", "lfs-verify")):
            if self.path.endswith(tail):
                return kind
        for part, kind in (("/preupload/", "preupload"), ("/commit/", "commit"), ("/resolve/", "resolve")):  # fmt: skip
            if part in self.path:
                return kind
        return "api"


class HubState:
    """Everything the server knows; tests configure and inspect it."""

    jobs: JobsState

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.secret = os.urandom(16)  # signs storage URLs
        self.reset()

    def reset(self) -> None:
        """Default world: alice (tokens `hf_good` write, `hf_read` read) in org `acme`; bob owns `bob/*`."""
        with self.lock:
            self.tokens: dict[str, Token] = {
                "hf_good": Token("alice"),
                "hf_read": Token("alice", role="read"),
                "hf_bob": Token("bob"),
            }
            self.orgs: dict[str, dict[str, str]] = {
                "acme": {"alice": "write"},
                "bobcorp": {"bob": "admin"},
            }
            self.repos: dict[tuple[str, str], Repo] = {}
            self.faults: list[Fault] = []
            self.log: list[Logged] = []
            if getattr(self, "jobs", None) is not None:
                self.jobs.stop_all()
            self.jobs = JobsState()

    # -- configuration ------------------------------------------------------------------------
    def fail(self, path: str, times: int = 1, status: int = 500, method: str = "POST", drop: bool = False, delay: float = 0.0, retry_after: int | None = None) -> None:  # fmt: skip
        """Make the next `times` requests whose path matches `path` fail (status, drop or delay)."""
        with self.lock:
            self.faults.append(Fault(path, method, times, status, drop, delay, retry_after))

    def seed(
        self, repo_type: str, repo_id: str, files: dict[str, bytes], private: bool = False
    ) -> Repo:
        """Create a repo with one commit holding `files` (e.g. a repo of someone else)."""
        with self.lock:
            repo = self._create(
                repo_type, repo_id, private, "gradio" if repo_type == "space" else None
            )
            self._commit(repo, "main", "seed", {**repo.commits[repo.refs["main"]].files, **files})
            return repo

    # -- inspection ---------------------------------------------------------------------------
    def repo(self, repo_type: str, repo_id: str) -> Repo | None:
        return self.repos.get((repo_type, repo_id))

    def history(self, repo_type: str, repo_id: str, ref: str = "main") -> list[Commit]:
        """Commits reachable from `ref`, newest first."""
        repo = self.repos[(repo_type, repo_id)]
        out, oid = [], repo.refs.get(ref)
        while oid:
            out.append(repo.commits[oid])
            oid = repo.commits[oid].parent
        return out

    def files(self, repo_type: str, repo_id: str, ref: str = "main") -> dict[str, bytes]:
        repo = self.repos[(repo_type, repo_id)]
        return dict(repo.commits[repo.refs[ref]].files)

    def lfs_files(self, repo_type: str, repo_id: str, ref: str = "main") -> set[str]:
        """Paths stored in LFS at `ref`."""
        repo = self.repos[(repo_type, repo_id)]
        return set(repo.commits[repo.refs[ref]].lfs)

    def requests(self, kind: str, since: int = 0, status: int | None = None) -> list[Logged]:
        """Logged requests of one `Logged.kind` (from log index `since`; of one status)."""
        return [
            e for e in self.log[since:] if e.kind == kind and (status is None or e.status == status)
        ]

    def uploaded(self) -> list[bytes]:
        """Every request body, plus every file content decoded from commit payloads."""
        out = []
        for entry in self.log:
            out.append(entry.body)
            if "/commit/" in entry.path:
                for line in entry.body.splitlines():
                    value = json.loads(line).get("value", {})
                    if "content" in value:
                        out.append(base64.b64decode(value["content"]))
        return out

    # -- internals ----------------------------------------------------------------------------
    def _create(self, repo_type: str, repo_id: str, private: bool, sdk: str | None) -> Repo:
        repo = Repo(repo_type, repo_id, private, sdk)
        self.repos[(repo_type, repo_id)] = repo
        self._commit(repo, "main", "initial commit", {".gitattributes": GITATTRIBUTES})
        return repo

    def _commit(self, repo: Repo, ref: str, title: str, files: dict[str, bytes], lfs: set[str] | None = None) -> Commit:  # fmt: skip
        """A new commit on `ref`; `lfs` None: files stored as the Hub would (seeded repos)."""
        parent = repo.refs.get(ref)
        if lfs is None:
            attrs = files.get(".gitattributes", b"")
            lfs = {p for p, b in files.items() if stored_in_lfs(p, len(b), b[:512], attrs)}
            repo.lfs.update({hashlib.sha256(files[p]).hexdigest(): files[p] for p in lfs})
        tree = "".join(f"{p}:{git_blob_sha(b)}\n" for p, b in sorted(files.items()))
        seed = f"{repo.type}/{repo.id}\n{parent}\n{title}\n{tree}{next(self._ids)}"
        oid = hashlib.sha1(seed.encode()).hexdigest()
        commit = Commit(oid, parent, title, files, frozenset(lfs))
        repo.commits[commit.oid] = commit
        repo.refs[ref] = commit.oid
        return commit

    def token_of(self, headers: Any) -> Token | None | bool:
        """The Token for the request; None when anonymous, False when the token is unknown."""
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        return self.tokens.get(auth[len("Bearer ") :], False)

    def namespaces(self, tok: Token) -> dict[str, str]:
        """namespace -> "write" or "read" for the token's owner (before token scopes)."""
        out = {tok.user: "write"}
        for org, members in self.orgs.items():
            if tok.user in members:
                out[org] = (
                    "write" if members[tok.user] in ("write", "admin", "contributor") else "read"
                )
        return out

    def can_write(self, tok: Token | None | bool, repo_type: str, repo_id: str) -> bool:
        if not isinstance(tok, Token) or tok.role == "read":
            return False
        ns = repo_id.split("/")[0]
        if self.namespaces(tok).get(ns) != "write":
            return False
        if tok.role != "fineGrained":
            return True
        for scope in tok.scoped:
            ent, perms = scope["entity"], scope.get("permissions", [])
            if "repo.write" in perms and (
                (ent["type"] in ("user", "org") and ent["name"] == ns)
                or (ent["type"] == repo_type and ent["name"] == repo_id)
            ):
                return True
        return False

    def can_read(self, tok: Token | None | bool, repo: Repo) -> bool:
        if not repo.private:
            return True
        return isinstance(tok, Token) and repo.id.split("/")[0] in self.namespaces(tok)

    def whoami(self, tok: Token) -> dict[str, Any]:
        orgs = [
            {"type": "org", "name": org, "fullname": org.title(), "roleInOrg": members[tok.user]}
            for org, members in self.orgs.items()
            if tok.user in members
        ]
        access: dict[str, Any] = {"displayName": "tests", "role": tok.role}
        if tok.role == "fineGrained":
            access["fineGrained"] = {
                "canReadGatedRepos": False,
                "global": tok.global_perms,
                "scoped": tok.scoped,
            }
        return {
            "type": "user",
            "id": hashlib.md5(tok.user.encode()).hexdigest()[:24],
            "name": tok.user,
            "fullname": tok.user.title(),
            "avatarUrl": f"/avatars/{tok.user}.svg",  # as the Hub's (gradio's mocked sign-in reads it)
            "isPro": False,
            "canPay": self.jobs.credit or self.jobs.claims_credit,
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": access},
        }


def front_matter(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """(metadata, error) of a README's YAML front matter."""
    m = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not m:
        return None, None
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        return None, str(e).splitlines()[0]
    return (data if isinstance(data, dict) else None), (
        None if isinstance(data, dict) else "not a mapping"
    )


class HubServer:
    """The server in a background thread on 127.0.0.1:`port`."""

    def __init__(self, port: int) -> None:

        self.state = HubState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self) -> HubServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts or time.time(), tz=timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )


# --- A repo's contents: model info, trees, commits and downloads.


class FileRoutes:
    """The content routes of `Route` (a mixin: it uses the route's state and helpers)."""

    s: Any
    method: str
    path: str
    body: bytes
    query: dict[str, list[str]]
    commit_of: Callable[[Repo, str], str]
    url: Callable[[Repo], str]
    lfs_redirect: Callable[[Any, str, bytes], Any]

    def info(self, repo: Repo, oid: str) -> Reply:
        commit = repo.commits[oid]
        files = commit.files
        blobs = self.query.get("blobs", [""])[0].lower() == "true"
        siblings: list[dict[str, Any]] = [{"rfilename": p} for p in sorted(files)]
        if blobs:
            for sib in siblings:
                e = entry(commit, sib["rfilename"]) or {}
                sib.update(size=e["size"], blobId=e["oid"])
                if "lfs" in e:
                    lfs = e["lfs"]
                    sib["lfs"] = {"size": lfs["size"], "sha256": lfs["oid"], "pointerSize": lfs["pointerSize"]}  # fmt: skip
        meta, _ = front_matter(files.get("README.md", b"").decode("utf-8", "replace"))
        body: dict[str, Any] = {
            "_id": hashlib.md5(repo.id.encode()).hexdigest()[:24],
            "id": repo.id,
            "author": repo.id.split("/")[0],
            "sha": oid,
            "lastModified": iso(),
            "createdAt": iso(),
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list((meta or {}).get("tags") or []),
            "siblings": siblings,
        }
        if meta:
            body["cardData"] = meta
        if repo.type == "model" and meta:
            body["pipeline_tag"] = meta.get("pipeline_tag")
            body["library_name"] = meta.get("library_name")
        if repo.type == "space":
            body["sdk"] = repo.sdk
        return Reply(200, body)

    def tree(self, repo: Repo, oid: str, prefix: str) -> Reply:
        commit = repo.commits[oid]
        files = commit.files
        recursive = self.query.get("recursive", ["false"])[0].lower() == "true"
        base = f"{prefix}/" if prefix else ""
        under = [p for p in files if p.startswith(base)]
        if prefix and not under:
            raise err(404, f"{prefix} does not exist", "EntryNotFound")
        paths: set[str] = set()
        for p in under:
            parts = p[len(base) :].split("/")
            depth = len(parts) if recursive else 1
            for i in range(1, depth + 1):
                paths.add(base + "/".join(parts[:i]))
        out = [entry(commit, p) for p in sorted(paths)]
        return Reply(200, [e for e in out if e is not None])

    def commit(self, repo: Repo, rev: str, create_pr: bool) -> Reply:
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise err(400, "first line must be the commit header")
        header = lines[0]["value"]
        with self.s.lock:
            head = self.commit_of(repo, rev)
            if rev not in repo.refs:
                raise err(400, "commits go to a branch")
            parent = header.get("parentCommit")
            if parent and not head.startswith(parent):
                raise err(412, "A commit has happened since. Please refresh and try again.")
            files, lfs = self.apply(repo, head, lines[1:])
            ref, pr_url = rev, None
            if create_pr:
                num = 1 + sum(r.startswith("refs/pr/") for r in repo.refs)
                ref, pr_url = f"refs/pr/{num}", f"{self.url(repo)}/discussions/{num}"
                repo.refs[ref] = head
            commit = self.s._commit(repo, ref, header.get("summary", ""), files, lfs)
        return Reply(200, {
            "success": True,
            "commitOid": commit.oid,
            "commitUrl": f"{self.url(repo)}/commit/{commit.oid}",
            "hookOutput": "",
            "pullRequestUrl": pr_url,
        })  # fmt: skip

    def apply(self, repo: Repo, head: str, ops: list[dict[str, Any]]) -> tuple[dict[str, bytes], set[str]]:  # fmt: skip
        """The files and LFS paths after a commit's operations, refused as the Hub refuses."""
        files, lfs = dict(repo.commits[head].files), set(repo.commits[head].lfs)
        for op in ops:
            key, value = op["key"], op["value"]
            path = value["path"]
            if key == "file":
                data = base64.b64decode(value["content"])
                if data and stored_in_lfs(path, len(data), data[:512], b""):  # binary or large
                    raise err(400, f"Your push was rejected because it contains binary files or files larger than 10 MB ({path}). Please use LFS (https://huggingface.co/docs/hub/xet) to store them.")  # fmt: skip
                files[path] = data
                lfs.discard(path)
            elif key == "lfsFile":
                stored = repo.lfs.get(value.get("oid", ""))
                if stored is None or value.get("size", len(stored)) != len(stored):
                    raise err(422, f"Your push was rejected because an LFS pointer pointed to a file that does not exist ({path}, oid {str(value.get('oid'))[:12]})")  # fmt: skip
                files[path] = stored
                lfs.add(path)
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise err(404, "A file with this name doesn't exist", "EntryNotFound")
                lfs.discard(path)
            elif key == "deletedFolder":
                files = {p: b for p, b in files.items() if not p.startswith(path.rstrip("/") + "/")}  # fmt: skip
                lfs &= set(files)
            else:
                raise err(400, f"unsupported commit operation {key!r}")
        return files, lfs

    def resolve(self, repo: Repo, rev: str, file: str) -> Reply:
        oid = self.commit_of(repo, rev)
        commit = repo.commits[oid]
        files = commit.files
        if file not in files:
            raise err(404, "Entry not found", "EntryNotFound", **{"X-Repo-Commit": oid})
        data = files[file]
        if file in commit.lfs:
            return self.lfs_redirect(repo, oid, data)
        headers = {
            "X-Repo-Commit": oid,
            "ETag": f'"{git_blob_sha(data)}"',
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Content-Length": str(len(data)),
        }
        return Reply(200, data, headers)


def entry(commit: Commit, path: str) -> dict[str, Any] | None:
    """A tree entry (file or directory) as the Hub lists it, or None when absent.

    An LFS file's `oid` is its pointer's git blob id and `lfs` holds the sha256 and size.
    """
    files = commit.files
    if path in commit.lfs:
        data = files[path]
        ptr = pointer(data)
        lfs = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": len(ptr)}  # fmt: skip
        return {"type": "file", "oid": git_blob_sha(ptr), "size": len(data), "path": path, "lfs": lfs}  # fmt: skip
    if path in files:
        return {
            "type": "file",
            "oid": git_blob_sha(files[path]),
            "size": len(files[path]),
            "path": path,
        }
    if any(p.startswith(path + "/") for p in files):
        return {
            "type": "directory",
            "oid": hashlib.sha1(path.encode()).hexdigest(),
            "size": 0,
            "path": path,
        }
    return None


# --- The HTTP routes.

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
                chunks: list[bytes] = []
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


class Route(LfsRoutes, FileRoutes, JobsRoutes):
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
        if p.startswith("/api/jobs/"):
            return self.jobs_api()
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
        if action == "settings" and self.method == "PUT":
            self.writable(repo)
            visibility = json.loads(self.body).get("visibility")
            if visibility in ("public", "private"):
                repo.private = visibility == "private"
            return Reply(200, {})
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
