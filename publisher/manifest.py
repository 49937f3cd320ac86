"""`bot.json`: the manifest every stage reads and writes.

It is a stable contract (issue "Foundation"): keys are only ever added, never renamed.
It never holds a secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ManifestError

MANIFEST_NAME = "bot.json"
DEFAULT_WIDGET_TEXT = "My dream is"
# Why entries were not trained on (`users[].skipped`), beside huggingtweets' four counts.
SKIP_REASONS = (
    "malformed",
    "too_long",
    "unencodable",
    "duplicate",
    "edited",
    "circle",
    "community",
    "private",
    "content_warning",
)


def _no_skips() -> dict[str, int]:
    return dict.fromkeys(SKIP_REASONS, 0)


@dataclass
class UserStats:
    """One user of the bot and the huggingtweets counts of their posts."""

    handle: str
    name: str
    avatar_url: str | None  # http(s) URL, a file in the model repo (e.g. "avatar_ada.jpg"), or None
    source: str
    tweets_downloaded: int = 0
    retweets: int = 0
    short_tweets: int = 0
    tweets_kept: int = 0
    # Added by `hf-tweetbot update`'s bookkeeping: the USER argument as given (what to gather
    # again), and the newest post seen (source id and ISO time), where new posts start.
    spec: str | None = None
    newest_id: str | None = None
    newest_at: str | None = None
    # Entries not trained on, by reason: malformed, too_long, unencodable (read but unusable,
    # not in tweets_downloaded), duplicate (copies among tweets_kept, trained on once), and
    # what a source leaves out unread: edited (earlier versions), circle, community, private
    # (followers-only, direct) and content_warning (`clean.Skipped`).
    skipped: dict[str, int] = field(default_factory=_no_skips)
    # The account is protected (archive protected-history, X `protected`, Mastodon `locked`):
    # its bot is pushed privately unless `--public-ok`.
    protected: bool = False


@dataclass
class Tracking:
    """Experiment-tracker run URLs (W&B), or None when not tracked there."""

    preprocess_run: str | None = None
    train_run: str | None = None


@dataclass
class Metrics:
    """Validation loss/perplexity before and after fine-tuning, and training throughput."""

    eval_loss_before: float | None = None
    eval_loss_after: float | None = None
    perplexity_before: float | None = None
    perplexity_after: float | None = None
    train_tokens: int | None = None
    train_seconds: float | None = None
    tokens_per_second: float | None = None


@dataclass
class Manifest:
    """The whole `bot.json`."""

    model_name: str
    base_model: str
    users: list[UserStats]
    repo_id: str | None = None
    widget_text: str = DEFAULT_WIDGET_TEXT
    thumbnail: str | None = None
    tracking: Tracking = field(default_factory=Tracking)
    metrics: Metrics = field(default_factory=Metrics)
    # Added by later stages; null until then.
    dataset_repo_id: str | None = None
    space_repo_id: str | None = None
    # "exact" (the huggingtweets card) or "full" (adds base_model, model-index, ...).
    card_metadata: str = "exact"
    # How DIR/data/ was built, so `train` knows when it must re-tokenize.
    data: dict[str, Any] = field(default_factory=dict)
    # The posts drawn for the thumbnail (prompt + continuation), shown as widget outputs.
    predictions: list[str] = field(default_factory=list)
    # How the model was trained when not fully fine-tuned: {"method": "lora", "r", "alpha",
    # "targets", "repo": "merged" | "adapter"}; None for full fine-tuning.
    adapter: dict[str, Any] | None = None
    # The base model has a chat template (instruct/chat); the bot was trained on plain posts.
    base_is_chat: bool = False
    # `hf-tweetbot update` runs, oldest first: when, what was added, perplexities before/after.
    updates: list[dict[str, Any]] = field(default_factory=list)
    # GGUF files pushed to the model repo (`push --gguf`), by name.
    gguf_files: list[str] = field(default_factory=list)
    # `hf-tweetbot eval`'s figures (also DIR/repo/quality.json); None until measured.
    quality: dict[str, Any] | None = None
    # mask_mentions, mentions_masked (prepare); allow_copies (the copy guard is off).
    privacy: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        try:
            # bot.json files written before `skipped` existed load with zeros.
            users = [
                UserStats(**{**u, "skipped": {**_no_skips(), **(u.get("skipped") or {})}})
                for u in d["users"]
            ]
            return cls(
                model_name=d["model_name"],
                base_model=d["base_model"],
                users=users,
                repo_id=d.get("repo_id"),
                widget_text=d.get("widget_text") or DEFAULT_WIDGET_TEXT,
                thumbnail=d.get("thumbnail"),
                tracking=Tracking(**(d.get("tracking") or {})),
                metrics=Metrics(**(d.get("metrics") or {})),
                dataset_repo_id=d.get("dataset_repo_id"),
                space_repo_id=d.get("space_repo_id"),
                card_metadata=d.get("card_metadata") or "exact",
                data=d.get("data") or {},
                predictions=[str(p) for p in d.get("predictions") or []],
                adapter=d.get("adapter"),
                base_is_chat=bool(d.get("base_is_chat")),
                updates=d.get("updates") or [],
                gguf_files=list(d.get("gguf_files") or []),
                quality=d.get("quality"),
                privacy=d.get("privacy") or {},
            )
        except (KeyError, TypeError) as e:
            raise ManifestError(
                f"bot.json is incomplete or has unknown keys: {e}",
                hint="it is written by `hf-tweetbot prepare USER --out DIR`; run that again",
            ) from e

    @property
    def handles(self) -> list[str]:
        return [u.handle for u in self.users]


def model_name_for(handles: list[str]) -> str:
    """huggingtweets' naming: lower-cased handles, sorted, joined by '-'."""
    return "-".join(sorted(h.lower() for h in handles))


def manifest_path(bot: Path) -> Path:
    """Accept a bot folder or a path to its bot.json."""
    bot = Path(bot)
    return bot if bot.suffix == ".json" else bot / MANIFEST_NAME


def load(bot: Path) -> Manifest:
    """Read `bot.json` from a bot folder (or the file itself).

    Raises:
        ManifestError: missing or unreadable, with a hint to run `prepare`.
    """
    path = manifest_path(bot)
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no bot.json here", hint="run `hf-tweetbot prepare USER --out DIR` first"
        ) from None
    except json.JSONDecodeError as e:
        raise ManifestError(
            f"{path}: invalid JSON ({e.msg} at line {e.lineno})",
            hint="it is written by `hf-tweetbot prepare USER --out DIR`; run that again",
        ) from e


def save(manifest: Manifest, bot: Path) -> Path:
    """Write `bot.json` atomically (temp file + rename), so a crash never leaves half a file."""
    path = manifest_path(bot)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder, then rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` through a temp file in the same folder, then rename.

    Args:
        path: the file to write.
        data: its new content.
        mode: permission bits of the new file; None keeps mkstemp's (owner only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
