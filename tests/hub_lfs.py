"""Git LFS as the Hub speaks it, for the test Hub (hub_server.py, hub_handler.py, hub_files.py).

The Hub decides per file at `preupload`: LFS for what its `.gitattributes` routes to LFS, for
binary files (a NUL byte in the first 512 bytes the client sends as `sample`) and for files of
10 MB or more; everything else is a regular git blob sent inline in the commit. LFS objects go
through the batch API (`{repo}.git/info/lfs/objects/batch`, `basic` transfer): the answer
carries an `upload` action (a signed storage URL on another host, `localhost`, so the client
treats it as S3 and sends no token) and a `verify` action back on the Hub; objects the repo
already holds come back without `actions`, which is how the client skips them. A commit's
`lfsFile` lines may name verified objects only. Downloads of LFS files answer 302 to a signed
storage URL with `X-Linked-Etag` (the sha256) and `X-Linked-Size`, as huggingface.co does.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from hub_reply import BAD_TOKEN, Reply, err

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
    """The LFS routes of `hub_handler.Route` (a mixin: it uses the route's state and helpers)."""

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
        from hub_server import git_blob_sha  # hub_server imports this module

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
