"""Sampling fitted to each bot: the setting whose posts pass best for the person's, as fluently.

huggingtweets sampled every bot the same way (temperature 1, top-p 0.95, top-k 50). Truncation
cuts the long tail of ways a post can begin, so the likeliest beginning (for many people an
@mention) comes out more often than the person writes it, or the rarer one never; and a bot that
learned its posts by heart does better with more randomness. So every setting of the grid
(`grid`) but huggingtweets' keeps the way posts begin: the first token drawn from the whole
distribution and reweighted so that the share of replies is the person's (`space/draw.py`,
`untruncated_start`, `reply_share`); the rest of the post is drawn at the setting's temperature
and truncation: top-p 0.95 or 1 (top-k 50), none at all, or min-p `MIN_P` (which lets a
higher temperature stay fluent).

`search_sampling` draws `POSTS` posts at each setting, all from the same seed (huggingtweets'
posts are those eval already drew), and `choose` picks the one the reader (`blind.judge`) tells
apart least among those that copy no more posts than huggingtweets'. The grid's best is partly
the luck of its draw (a draw of a few dozen posts moves a score by about 0.05), so eval draws
it again on fresh posts and keeps it only when, there, it beats the grid's first setting
(huggingtweets' truncation, the beginning kept: `keeping_setting`) by `MIN_GAIN`, copies no
more, and reads no rougher than the person (`fluency.py`): indistinguishability is not bought
with word salad. Otherwise the first setting is kept.

The setting goes into the model repo's `generation_config.json` (and huggingtweets'
`task_specific_params` in `config.json`), where every place the bot writes by default reads it:
the Space's sliders, `generate`, the thumbnail, the card's widget, the GGUF file and Modelfile
(those two carry temperature, top-p, top-k and min-p: llama.cpp and Ollama cannot draw the first
token untruncated nor reweight it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import atomic
from ..bot import layout
from ..space.draw import DEFAULTS, EXTRA_DEFAULTS, TOP_K, DrawSettings, extra_setting, sample
from .blind import blind_test, judge, told_apart
from .measures import CopyCheck
from .report import setting_words

MIN_P = 0.05
POSTS = 64  # drawn at each setting, at most (and as many held-out posts)
MIN_GAIN = 0.03  # the reader's accuracy a setting must beat the first one's by to be chosen
KEYS = ("temperature", "top_p", "top_k", "min_p", "untruncated_start", "reply_share")


@dataclass
class Trial:
    """One setting of the grid and how its posts fared."""

    temperature: float
    top_p: float
    top_k: int
    judge: float | None  # the reader's accuracy (`blind.judge`; 0.5: indistinguishable)
    copy_rate: float  # share of the posts repeating a span of a training post
    min_p: float = 0.0
    untruncated_start: int = 0
    reply_share: float = -1.0
    blind_test: float | None = None  # the style features alone (`blind.blind_test`)

    def setting(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in KEYS}


@dataclass
class Draw:
    """A trial's figures and the posts they were measured on."""

    trial: Trial
    posts: list[str] = field(default_factory=list)
    seed: int = 0  # the posts' and the reader's


def default_setting() -> dict[str, Any]:
    """huggingtweets' sampling: temperature 1, top-p 0.95, top-k 50, nothing else."""
    return {"temperature": float(DEFAULTS["temperature"]), "top_p": float(DEFAULTS["top_p"]),
            "top_k": int(TOP_K), **EXTRA_DEFAULTS}  # fmt: skip


def keeping_setting(reply_share: float) -> dict[str, Any]:
    """huggingtweets' truncation with the way posts begin kept: the first token drawn
    untruncated, replies as often as the person's (`reply_share`)."""
    return {**default_setting(), "untruncated_start": 1, "reply_share": round(reply_share, 4)}


def grid(reply_share: float) -> list[dict[str, Any]]:
    """huggingtweets' setting (the reference), then `keeping_setting` (the fallback), then five
    more temperatures and truncations, all keeping the way posts begin: seven settings to
    draw, and one fresh draw of the best, as many draws as a grid of temperature and top-p."""
    keep = keeping_setting(reply_share)
    whole = {"top_p": 1.0, "top_k": 0}
    return [
        default_setting(),
        keep,
        {**keep, "top_p": 1.0},
        {**keep, "top_p": 1.0, "temperature": 1.1},
        {**keep, **whole},
        {**keep, **whole, "temperature": 0.9},
        {**keep, **whole, "min_p": MIN_P, "temperature": 1.2},
    ]


def trial(model: Any, tok: Any, real: list[str], check: CopyCheck, vocab: frozenset[str],
          setting: dict[str, Any], seed: int, max_new_tokens: int,
          posts: list[str] | None = None, n: int | None = None) -> Draw:  # fmt: skip
    """Draw `n` (default `len(real)`) posts from a bare EOS at `setting` (or take `posts`, drawn
    at it already); score them all on those posts: the reader, the style features, copies."""
    if posts is None:
        asked = DrawSettings(n=n or len(real), max_new_tokens=max_new_tokens, seed=seed, **setting)
        posts = sample(model, tok, asked)
    read = judge(real, posts, vocab, seed, reasons=False)
    return Draw(Trial(**setting, judge=read.accuracy, copy_rate=round(check.rate(posts), 4),
                      blind_test=blind_test(real, posts, vocab, seed).accuracy), posts, seed)  # fmt: skip


def search_sampling(model: Any, tok: Any, real: list[str], check: CopyCheck,
                    vocab: frozenset[str], reply_share: float, seed: int = 0,
                    max_new_tokens: int = 60, reference: list[str] | None = None,
                    say: Callable[[str], None] | None = None) -> list[Draw]:  # fmt: skip
    """Every setting of the grid, its posts and how they fared.

    Args:
        model, tok: the bot.
        real: held-out posts of the person (as many posts, at most `POSTS`, are drawn).
        check: which posts copy a training post.
        vocab: the person's words (`blind.vocabulary` of the training posts).
        reply_share: the person's share of replies (training posts).
        seed: every setting draws from this seed (the differences are the settings').
        max_new_tokens: length of each post, as eval's samples.
        reference: posts already drawn at huggingtweets' setting (not drawn again).
        say: told each setting as it is tried (each takes seconds to a minute on a CPU).

    Returns:
        The draws, in the grid's order.
    """
    settings, real = grid(reply_share), real[:POSTS]
    draws = []
    for i, setting in enumerate(settings, 1):
        if say:
            say(f"  sampling setting {i} of {len(settings)}: {setting_words(setting)}")
        posts = reference[: len(real)] if reference and setting == default_setting() else None
        draws.append(trial(model, tok, real, check, vocab, setting, seed, max_new_tokens, posts))
    return draws


def choose(trials: list[Trial]) -> dict[str, Any]:
    """The setting of the trial the reader told apart least, among those that keep the way posts
    begin and copy no more than huggingtweets' (ties: the first of the grid; none: the first
    that keeps it)."""
    base = default_setting()
    ref = next((x for x in trials if x.setting() == base), None)
    kept = [x for x in trials if x.setting() != base]
    if not kept:
        return base
    fair = [x for x in kept if x.judge is not None
            and (ref is None or x.copy_rate <= ref.copy_rate)]  # fmt: skip
    if not fair or ref is None or ref.judge is None:
        return kept[0].setting()
    return min(fair, key=lambda x: told_apart(x.judge or 0.0)).setting()


def adopt(again: Trial, first: Trial, rougher: bool) -> bool:
    """Whether a setting measured again on fresh posts (`again`) beats the grid's first setting
    (`first`) by `MIN_GAIN` of the reader's accuracy, copying no more, no rougher than the
    person writes."""
    return (again.judge is not None and first.judge is not None and not rougher
            and told_apart(again.judge) <= told_apart(first.judge) - MIN_GAIN
            and again.copy_rate <= first.copy_rate)  # fmt: skip


def write_setting(repo: Path, setting: dict[str, Any]) -> None:
    """Write the sampling setting into `generation_config.json` and `config.json` of `repo`.

    Only the sampling keys change; a repo without those files (an adapter) gets a
    `generation_config.json` holding them.
    """
    gen_path = repo / layout.GENERATION_CONFIG
    gen = _read(gen_path) or {"do_sample": True}
    gen.update({"do_sample": True, **{k: setting[k] for k in KEYS if k in setting}})
    atomic.write_text(gen_path, json.dumps(gen, indent=2, sort_keys=True) + "\n")
    cfg_path = repo / layout.MODEL_CONFIG
    cfg = _read(cfg_path)
    task = ((cfg or {}).get("task_specific_params") or {}).get("text-generation")
    if cfg is not None and isinstance(task, dict):
        task.update({k: setting[k] for k in ("temperature", "top_p")})
        atomic.write_text(cfg_path, json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def current_setting(repo: Path) -> dict[str, Any]:
    """The sampling setting `repo`'s `generation_config.json` holds (huggingtweets' if none; a
    key it lacks, as a bot made before the key existed, is huggingtweets')."""
    gen = _read(repo / layout.GENERATION_CONFIG) or {}
    base = default_setting()
    if not gen.get("do_sample"):
        return base
    three = {k: gen.get(k, base[k]) for k in ("temperature", "top_p", "top_k")}
    return {**three, **extra_setting(gen)}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe(trials: list[Trial]) -> list[dict[str, Any]]:
    """The grid as JSON rows."""
    return [asdict(t) for t in trials]
