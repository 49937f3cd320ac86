"""The creator's limits, each session's private work folder, and what a person may ask it to read.

A page served to strangers must never read the server's own files: typed sources are only the
live forms (`bsky:`, `mastodon:`, an X handle when this server has an X API bearer token), and
anything else comes in as an upload. Each session works in its own folder, named by 128 random
bits under one root that gradio never serves; uploads are moved into it at once, out of gradio's
shared cache, and the folder is deleted when the session ends (tab closed, or idle for
`session_ttl`) or, for an API call, when the call returns.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import LimitError, SourceError, UsageError
from ..pipeline import MAX_USERS
from ..sources.addresses import AddressPolicy
from ..sources.spec import UserSpec, live

# X and Mastodon archives, Bluesky repository exports, files of posts.
UPLOAD_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".car", ".jsonl", ".csv")
MAX_TYPED_CHARS = 1000  # what the live-sources box takes (three accounts need far less)


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    items = tuple(s.strip() for s in os.environ.get(name, "").split(",") if s.strip())
    return items or default


@dataclass
class WebConfig:
    """What one creator app allows; shown to people before they start."""

    # The base models offered, the first by default: both small enough for a CPU Space
    # (SmolLM2-135M trains the sample archive in about a minute on 2 cores).
    base_models: tuple[str, ...] = ("smollm2", "openai-community/gpt2")
    time_budget: float = (
        600.0  # seconds of training per bot; then it stops and keeps what it learned
    )
    max_upload_mb: int = 100  # per uploaded file (an archive of ~300k posts)
    max_steps: int = 2000  # the most optimizer steps one may ask for (0 = the defaults)
    max_posts: int = 3200  # per account from a live API, as huggingtweets
    uploads_per_hour: int = 30  # files uploaded per client address
    reads_per_hour: int = 20  # readings of posts per client address (the page and /create)
    # Readings of posts, each in a process of its own (`readings.py`): one per client address at
    # once; `concurrent_reads` new ones at once, as one that has run `read_slot_seconds` (of CPU
    # or wall-clock time) gives its place to the next and goes on; `max_reads` in all.
    concurrent_reads: int = 2
    max_reads: int = 4
    read_slot_seconds: float = 2.0
    read_cpu_seconds: float = 120.0  # CPU time one reading may take (a 1M-post archive: ~45 s)
    read_memory_mb: int = 2048  # memory one reading may take beyond the reader's own start
    trainings_per_hour: int = 4  # trainings per client address, whether they ran or waited
    line_per_address: int = 2  # trainings of one client address in line or training at once
    line_size: int = 20  # trainings waiting at once, all visitors
    session_ttl: float = 3600.0  # an idle session's files are deleted after this many seconds
    workdir: Path | None = None  # where sessions' folders go (default: a private temp folder)
    # Networks (CIDR) the sources a visitor names may reach besides public addresses, e.g. a
    # Mastodon instance on the operator's LAN; by default loopback, private, link-local and other
    # non-public addresses are refused (`publisher/sources/addresses.py`).
    allow_networks: tuple[str, ...] = ()
    # On a Hugging Face Space people sign in and publish with their own token; the Space's
    # own HF_TOKEN, if any, is never used for them.
    on_space: bool = field(default_factory=lambda: bool(os.environ.get("SPACE_ID")))
    # The client address is the last public one in X-Forwarded-For (a Space's proxy appends it).
    trust_forwarded: bool = field(default_factory=lambda: bool(os.environ.get("SPACE_ID")))

    @classmethod
    def from_env(cls, base: WebConfig | None = None) -> WebConfig:
        """`base` (or the defaults), changed by `HF_TWEETBOT_WEB_BASE_MODELS` (comma-separated),
        `HF_TWEETBOT_WEB_TIME_BUDGET` (minutes) and `HF_TWEETBOT_WEB_ALLOW_NETWORKS`
        (comma-separated CIDRs): how a Space's variables configure it."""
        cfg = replace(base) if base is not None else cls()
        cfg.base_models = _env_list("HF_TWEETBOT_WEB_BASE_MODELS", cfg.base_models)
        cfg.allow_networks = _env_list("HF_TWEETBOT_WEB_ALLOW_NETWORKS", cfg.allow_networks)
        budget = os.environ.get("HF_TWEETBOT_WEB_TIME_BUDGET")
        if budget:
            cfg.time_budget = float(budget) * 60
        return cfg

    def address_policy(self) -> AddressPolicy:
        """What the sources a visitor names may reach: public addresses and `allow_networks`.

        Raises:
            UsageError: an allowed network is not a CIDR.
        """
        return AddressPolicy.parse(self.allow_networks)

    def root(self) -> Path:
        """The folder holding every session's folder (created private, removed at exit)."""
        global _ROOT
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
            return self.workdir
        if _ROOT is None:
            _ROOT = Path(tempfile.mkdtemp(prefix="hf-tweetbot-web-"))
            atexit.register(shutil.rmtree, _ROOT, True)
        return _ROOT


_ROOT: Path | None = None


class Workspace:
    """One session's folder: its uploads, live-source caches and the bot being made.

    Args:
        root: the folder of all sessions.
    """

    def __init__(self, root: Path) -> None:
        self.id = secrets.token_hex(16)
        self.path = root / self.id
        self.path.mkdir(mode=0o700)
        self.bot_dir = self.path / "bot"
        self.lock = threading.Lock()  # one job at a time per session
        self.closed = threading.Event()  # set when the session ends: running work stops
        self.touched = time.monotonic()

    def adopt_upload(self, src: str | Path) -> Path:
        """Move an uploaded file out of gradio's cache into this folder.

        gradio keeps one copy per content: two visitors who upload the same file at once are
        handed one path. The first takes the file; the second gets a copy of what the first took
        (for `TWIN_SECONDS`, while the first still has it).

        Returns:
            Its new path (the original name kept, for messages and the handle).
        """
        src = Path(src)
        dest_dir = self.path / "uploads" / secrets.token_hex(4)
        dest = dest_dir / src.name
        with _ADOPTED_LOCK:
            now = time.monotonic()
            for old in [k for k, (t, _) in _ADOPTED.items() if now - t > TWIN_SECONDS]:
                del _ADOPTED[old]
            if src.is_file():
                dest_dir.mkdir(parents=True)
                shutil.move(src, dest)
                _remove_empty(src.parent)
                _ADOPTED[src] = (now, dest)
                return dest
            twin = _ADOPTED.get(src)
            try:
                if twin is None:
                    raise FileNotFoundError(src)
                dest_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(twin[1], dest)
            except OSError:
                raise SourceError(
                    f"{src.name}: the upload is gone", hint="upload the file again"
                ) from None
        return dest

    @staticmethod
    def check_upload(dest: Path, max_mb: int) -> None:
        """Refuse files that are neither archives nor posts files, or over the size limit."""
        if not dest.name.lower().endswith(UPLOAD_SUFFIXES):
            raise SourceError(
                f"{dest.name}: not an archive (X or Mastodon .zip, Mastodon .tar.gz, Bluesky "
                ".car) nor a posts file (.jsonl, .csv)",
                hint="upload the .zip that X's 'Download an archive of your data' gives you",
            )
        if dest.stat().st_size > max_mb * 1024 * 1024:
            raise SourceError(
                f"{dest.name}: {dest.stat().st_size / 2**20:.0f} MB, over this page's {max_mb} MB limit",
                hint="run `hf-tweetbot publish` on your own machine for bigger archives",
            )

    def clear_uploads(self) -> None:
        """Delete the uploaded files (they are read once, by `prepare`)."""
        shutil.rmtree(self.path / "uploads", ignore_errors=True)

    def scrub(self, text: str) -> str:
        """`text` without this folder's path: people see their file names, not the server's."""
        text = re.sub(
            re.escape(f"{self.path / 'uploads'}{os.sep}") + r"[0-9a-f]{8}" + re.escape(os.sep),
            "",
            text,
        )
        return text.replace(f"{self.path}{os.sep}", "").replace(str(self.path), ".")

    @contextlib.contextmanager
    def busy(self) -> Iterator[Workspace]:
        """Hold the workspace for one job; a session that ended meanwhile is deleted after it.

        Raises:
            UsageError: the session is already running another job.
        """
        if not self.lock.acquire(blocking=False):
            raise UsageError(
                "this page is still working on your last request", hint="wait for it to finish"
            )
        self.touched = time.monotonic()
        try:
            yield self
        finally:
            self.touched = time.monotonic()
            self.lock.release()
            if self.closed.is_set():  # the tab was closed during the job
                shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        """End the session: running work stops at its next step; the folder is deleted once free."""
        self.closed.set()
        if self.lock.acquire(blocking=False):
            try:
                shutil.rmtree(self.path, ignore_errors=True)
            finally:
                self.lock.release()


def discard_uploads(files: list[str]) -> None:
    """Delete uploads a refused request never read (each from its folder in gradio's cache)."""
    for name in files:
        path = Path(name)
        with contextlib.suppress(OSError):
            path.unlink()
        _remove_empty(path.parent)


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty or already gone: gradio's cleaner owns it
        folder.rmdir()


# Uploads taken out of gradio's cache lately: their cache path -> (when, where they went).
_ADOPTED: dict[Path, tuple[float, Path]] = {}
_ADOPTED_LOCK = threading.Lock()
TWIN_SECONDS = 60.0

_SESSIONS: dict[str, Workspace] = {}  # by gradio session hash
_SESSIONS_LOCK = threading.Lock()


def open_workspace(cfg: WebConfig, session: str) -> Workspace:
    """The session's workspace, or a new one; workspaces idle past `session_ttl` are closed.

    Args:
        cfg: the app's limits (the root folder, the time to live).
        session: gradio's session hash (one per open page).
    """
    now = time.monotonic()
    with _SESSIONS_LOCK:
        stale = [k for k, w in _SESSIONS.items() if now - w.touched > cfg.session_ttl]
        for key in stale:
            _SESSIONS.pop(key).close()
        ws = _SESSIONS.get(session)
        if ws is None or ws.closed.is_set():
            ws = _SESSIONS[session] = Workspace(cfg.root())
        ws.touched = now
        return ws


def find_workspace(session: str) -> Workspace | None:
    """The session's open workspace, if it has one."""
    with _SESSIONS_LOCK:
        ws = _SESSIONS.get(session)
    return ws if ws is not None and not ws.closed.is_set() else None


def close_workspace(session: str) -> None:
    """Stop the session's work and delete its files (the page calls this when a tab closes)."""
    with _SESSIONS_LOCK:
        ws = _SESSIONS.pop(session, None)
    if ws is not None:
        ws.close()


def typed_sources(text: str, x_api: bool, limit: int = MAX_USERS) -> list[UserSpec]:
    """The live sources typed in the page, each made explicit; anything else is refused.

    Args:
        text: sources separated by commas, spaces or new lines.
        x_api: whether this server has an X API bearer token (`X_BEARER_TOKEN`).
        limit: the most sources one request may name.

    Returns:
        The live USERs (`bsky:...`, `mastodon:...`, an X handle with or without `x:` or `@`).

    Raises:
        UsageError: a path or `HANDLE=PATH` form (never read from a page), or an X handle
            without a bearer token.
        SourceError: a live form naming no account (`bsky:not a handle`).
        LimitError: more than `limit` sources, or more text than `MAX_TYPED_CHARS`.
    """
    hint = "type up to three accounts, separated by spaces or commas"
    text = text.strip()
    if len(text) > MAX_TYPED_CHARS:
        raise LimitError(
            f"{len(text):,} characters typed as live sources, over this page's {MAX_TYPED_CHARS:,}",
            hint=hint,
        )
    items = [item for item in re.split(r"[\s,]+", text) if item]
    if len(items) > limit:
        raise LimitError(
            f"{len(items)} sources typed; this page reads at most {limit} accounts for one bot",
            hint=hint,
        )
    specs = []
    for item in items:
        spec = live(item)
        if spec is not None and (spec.kind != "x" or x_api):
            specs.append(spec)
        elif spec is not None:
            raise UsageError(
                f"{item}: reading X accounts needs an X API bearer token on this server",
                hint="upload the account's archive instead, or use bsky:HANDLE / mastodon:@user@instance",
            )
        else:
            raise UsageError(
                f"{item}: not a source this page can read",
                hint="upload an archive (.zip), or type bsky:HANDLE, mastodon:@user@instance or an X handle",
            )
    return specs
