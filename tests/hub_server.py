"""A Hub-compatible HTTP server for tests, driven by the real huggingface_hub client.

It follows the Hub's wire protocol as huggingface_hub 2.x speaks it: `whoami-v2`, `repos/create`
(409 when the repo exists), repo info with a 40-hex `sha` and `siblings`, `tree` and
`paths-info`, `validate-yaml`, `preupload` (`lfs` or `regular` as the Hub decides, with the
existing file's `oid` so the client skips unchanged files), the LFS batch API with upload and
verify (hub_lfs.py), NDJSON `commit` (with `parentCommit`, `create_pr`, `lfsFile` lines naming
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
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from typing import Any

import yaml
from hub_lfs import GITATTRIBUTES, stored_in_lfs

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
            access["fineGrained"] = {"canReadGatedRepos": False, "global": [], "scoped": tok.scoped}
        return {
            "type": "user",
            "id": hashlib.md5(tok.user.encode()).hexdigest()[:24],
            "name": tok.user,
            "fullname": tok.user.title(),
            "avatarUrl": f"/avatars/{tok.user}.svg",  # as the Hub's (gradio's mocked sign-in reads it)
            "isPro": False,
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
        from hub_handler import make_handler  # local module beside this one

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
