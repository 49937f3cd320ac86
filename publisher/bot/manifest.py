"""`bot.json`: the manifest every stage reads and writes.

It is a stable contract: keys are only ever added, never renamed. A `bot.json` written by a
newer version loads here, and the keys this version does not know are written back unchanged,
wherever they are (top level, `metrics`, `users[]`, ...). It never holds a secret.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from .. import atomic
from ..errors import ManifestError
from . import layout

MANIFEST_NAME = layout.MANIFEST
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
    # Keys of a newer version's bot.json, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Tracking:
    """Experiment-tracker run URLs (W&B), or None when not tracked there."""

    preprocess_run: str | None = None
    train_run: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


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
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


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
    # The epoch chosen in training (`train/choice.py`): per-measurement curves (perplexity,
    # copy rate, blind test), the rule, what was kept and why training stopped; None when the
    # run measured nothing.
    training: dict[str, Any] | None = None
    # The Hugging Face job that trains the bot (`--hf-jobs`): id, namespace, url, flavor,
    # usd_per_hour, repo_id, submitted_at, stage, brought_back; None when trained here.
    hf_job: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        try:
            # bot.json files written before `skipped` existed load with zeros.
            users = []
            for u in d["users"]:
                known, extra = _split(UserStats, u)
                known["skipped"] = {**_no_skips(), **(known.get("skipped") or {})}
                users.append(UserStats(**known, extra=extra))
            known, extra = _split(cls, d)
            known.update(
                users=users,
                widget_text=d.get("widget_text") or DEFAULT_WIDGET_TEXT,
                tracking=_load(Tracking, d.get("tracking") or {}),
                metrics=_load(Metrics, d.get("metrics") or {}),
                card_metadata=d.get("card_metadata") or "exact",
                data=d.get("data") or {},
                predictions=[str(p) for p in d.get("predictions") or []],
                base_is_chat=bool(d.get("base_is_chat")),
                updates=d.get("updates") or [],
                gguf_files=list(d.get("gguf_files") or []),
                privacy=d.get("privacy") or {},
                training=d.get("training"),
            )
            return cls(**known, extra=extra)
        except (KeyError, TypeError, AttributeError) as e:
            raise ManifestError(
                f"bot.json is incomplete: {e}",
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
    return bot if bot.suffix == ".json" else layout.manifest_file(bot)


PREPARE_HINT = "run `hf-tweetbot prepare USER --out DIR` first"


def closest_hint(path: Path, otherwise: str) -> str:
    """'did you mean bots/wrencalloway?' for the nearest bot folder beside a mistyped one (any
    folder where none is a bot's), else `otherwise`."""
    parent = path.expanduser().parent
    try:
        folders = [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return otherwise
    bots = [p for p in folders if (p / MANIFEST_NAME).exists()] or folders
    near = difflib.get_close_matches(path.name, [p.name for p in bots], n=1, cutoff=0.6)
    return f"did you mean {path.with_name(near[0])}?" if near else otherwise


def load(bot: Path) -> Manifest:
    """Read `bot.json` from a bot folder (or the file itself).

    Raises:
        ManifestError: missing or unreadable, with a hint to run `prepare`.
    """
    path = manifest_path(bot)
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        if not path.parent.is_dir():  # a mistyped folder, most often
            raise ManifestError(
                f"no such bot folder: {path.parent}", hint=closest_hint(path.parent, PREPARE_HINT)
            ) from None
        raise ManifestError(f"{path}: no bot.json here", hint=PREPARE_HINT) from None
    except json.JSONDecodeError as e:
        raise ManifestError(
            f"{path}: invalid JSON ({e.msg} at line {e.lineno})",
            hint="it is written by `hf-tweetbot prepare USER --out DIR`; run that again",
        ) from e


def save(manifest: Manifest, bot: Path) -> Path:
    """Write `bot.json` atomically (temp file + rename), so a crash never leaves half a file."""
    path = manifest_path(bot)
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic.write_text(path, text)
    return path


def _split(cls: type, d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`d`'s keys that are fields of dataclass `cls`, and the others (a newer version's)."""
    if not isinstance(d, dict):
        raise TypeError(f"expected an object, got {type(d).__name__}")
    names = {f.name for f in fields(cls)} - {"extra"}
    return ({k: v for k, v in d.items() if k in names},
            {k: v for k, v in d.items() if k not in names})  # fmt: skip


def _load(cls: Any, d: dict[str, Any]) -> Any:
    known, extra = _split(cls, d)
    return cls(**known, extra=extra)


def _plain(obj: Any) -> Any:
    """A dataclass as JSON-ready dicts: its fields in order, then the unknown keys it kept."""
    if is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: _plain(getattr(obj, f.name)) for f in fields(obj) if f.name != "extra"}
        out.update({k: v for k, v in getattr(obj, "extra", {}).items() if k not in out})
        return out
    if isinstance(obj, list):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj
