"""A repo's contents on the test Hub: model info, trees, commits and downloads (hub_handler.py
routes to these; hub_lfs.py serves the LFS objects they point to)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from hub_lfs import pointer, stored_in_lfs
from hub_reply import Reply, err
from hub_server import Commit, Repo, front_matter, git_blob_sha, iso


class FileRoutes:
    """The content routes of `hub_handler.Route` (a mixin: it uses the route's state and helpers)."""

    s: Any
    method: str
    path: str
    body: bytes
    query: dict[str, list[str]]

    def info(self, repo: Repo, oid: str) -> Reply:
        commit = repo.commits[oid]
        files = commit.files
        blobs = self.query.get("blobs", [""])[0].lower() == "true"
        siblings = [{"rfilename": p} for p in sorted(files)]
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
                data = repo.lfs.get(value.get("oid", ""))
                if data is None or value.get("size", len(data)) != len(data):
                    raise err(422, f"Your push was rejected because an LFS pointer pointed to a file that does not exist ({path}, oid {str(value.get('oid'))[:12]})")  # fmt: skip
                files[path] = data
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
