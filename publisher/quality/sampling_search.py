"""Sampling fitted to each bot: the setting whose posts pass best for the person's, as fluently.

huggingtweets sampled every bot the same way (temperature 1, top-p 0.95, top-k 50). Truncation
cuts the long tail of ways a post can begin, so the likeliest beginning (for many people an
@mention) comes out more often than the person writes it; and a bot that learned its posts by
heart does better with more randomness. `search_sampling` draws `POSTS` posts at each setting
of a small grid (`grid`), all from the same seed: huggingtweets', and temperatures
`TEMPERATURES` with top-p 0.95, top-p 1 (top-k 50), no truncation at all, or min-p `MIN_P`,
each with the post's first token drawn from the whole distribution and reweighted so that the
share of replies is the person's (`space/sampling.py`, `reply_share`). It picks the setting the
reader (`blind.judge`) tells apart least among those that copy no more posts than
huggingtweets' and read about as fluently as the person (`fluency.py`), so indistinguishability
is not bought with word salad. The grid's best is partly the luck of its draw (a draw of a few
dozen posts moves a score by about 0.05), so `evaluate.py` draws it again on fresh posts and
keeps it only when it beats `keeping_setting` (huggingtweets' truncation, the proportions kept)
by `MIN_GAIN` there, copying no more.

The setting goes into the model repo's `generation_config.json` (and huggingtweets'
`task_specific_params` in `config.json`), where every place the bot writes by default reads it:
the Space's sliders, `generate`, the thumbnail, the card's widget, the GGUF file and Modelfile
(those two carry temperature, top-p, top-k and min-p: llama.cpp and Ollama cannot draw the first
token untruncated nor reweight it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import atomic
from ..bot import layout
from ..space import sampling
from .blind import blind_test, judge, told_apart
from .measures import CopyCheck

TEMPERATURES = (0.9, 1.0, 1.1)
MIN_P = 0.05
POSTS = 64  # drawn at each setting, at most (and as many held-out posts)
MIN_GAIN = 0.03  # the reader's accuracy a setting must beat the default's by to be chosen
KEYS = ("temperature", "top_p", "top_k", "min_p", "untruncated_start", "reply_share")

Fluency = Callable[[list[str]], dict[str, Any]]  # posts -> `fluency.judge_fluency`'s figures


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
    fluency: float | None = None  # the base model's median perplexity per post
    fluent: bool = True  # within the person's middle half (`fluency.py`)

    def setting(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in KEYS}


def default_setting() -> dict[str, Any]:
    """huggingtweets' sampling: temperature 1, top-p 0.95, top-k 50, nothing else."""
    return {"temperature": float(sampling.DEFAULTS["temperature"]),
            "top_p": float(sampling.DEFAULTS["top_p"]), "top_k": int(sampling.TOP_K),
            **sampling.EXTRA_DEFAULTS}  # fmt: skip


def keeping_setting(reply_share: float) -> dict[str, Any]:
    """huggingtweets' truncation with the proportions kept: the first token drawn untruncated,
    replies as often as the person's (`reply_share`)."""
    return {**default_setting(), "untruncated_start": 1, "reply_share": round(reply_share, 4)}


def grid(reply_share: float) -> list[dict[str, Any]]:
    """huggingtweets' setting, then each temperature with each truncation, proportions kept."""
    keep = keeping_setting(reply_share)
    cuts = (
        {"top_p": 0.95, "top_k": 50, "min_p": 0.0},
        {"top_p": 1.0, "top_k": 50, "min_p": 0.0},
        {"top_p": 1.0, "top_k": 0, "min_p": 0.0},
        {"top_p": 1.0, "top_k": 0, "min_p": MIN_P},
    )
    return [default_setting()] + [
        {**keep, "temperature": t, **c} for t in TEMPERATURES for c in cuts
    ]


def describe_setting(setting: dict[str, Any]) -> str:
    """A setting in a few words: "temperature 1, top-p 0.95, top-k 50"."""
    words = [f"temperature {setting['temperature']:g}"]
    if setting.get("top_p", 1.0) < 1.0:
        words.append(f"top-p {setting['top_p']:g}")
    if setting.get("top_k", 0):
        words.append(f"top-k {setting['top_k']}")
    if setting.get("min_p", 0.0):
        words.append(f"min-p {setting['min_p']:g}")
    if len(words) == 1:
        words.append("untruncated")
    return ", ".join(words)


def trial(model: Any, tok: Any, real: list[str], check: CopyCheck, vocab: frozenset[str],
          setting: dict[str, Any], seed: int, max_new_tokens: int,
          fluent: Fluency | None = None, n: int | None = None) -> tuple[Trial, list[str]]:  # fmt: skip
    """Draw `n` (default `len(real)`) posts from a bare EOS at `setting`; judge them.

    Returns:
        (the trial's figures, its posts).
    """
    posts = sampling.generate_posts(model, tok, "", n=n or len(real),
                                    max_new_tokens=max_new_tokens, seed=seed, **setting)  # fmt: skip
    flu = fluent(posts) if fluent else {}
    return Trial(**setting, judge=judge(real, posts, vocab, seed).accuracy,
                 copy_rate=round(check.rate(posts), 4),
                 blind_test=blind_test(real, posts, vocab, seed).accuracy,
                 fluency=flu.get("bot"), fluent=flu.get("within", True)), posts  # fmt: skip


def search_sampling(model: Any, tok: Any, real: list[str], check: CopyCheck,
                    vocab: frozenset[str], reply_share: float, seed: int = 0,
                    max_new_tokens: int = 60, fluent: Fluency | None = None,
                    say: Callable[[str], None] | None = None) -> tuple[dict[str, Any], list[Trial]]:  # fmt: skip
    """The grid's setting whose posts were hardest to tell from `real`, copying no more,
    as fluent as the person.

    Args:
        model, tok: the bot.
        real: held-out posts of the person (as many posts are drawn at each setting).
        check: which posts copy a training post.
        vocab: the person's words (`blind.vocabulary` of the training posts).
        reply_share: the person's share of replies (training posts).
        seed: every setting draws from this seed (the differences are the settings').
        max_new_tokens: length of each post, as eval's samples.
        fluent: the base model's verdict on a list of posts (None: not measured).
        say: told each setting as it is tried (each takes seconds to minutes on a CPU).

    Returns:
        (the grid's best setting, every trial of the grid).
    """
    settings = grid(reply_share)
    trials = []
    for i, setting in enumerate(settings, 1):
        if say:
            say(f"  sampling setting {i} of {len(settings)}: {describe_setting(setting)}")
        trials.append(trial(model, tok, real[:POSTS], check, vocab, setting, seed,
                            max_new_tokens, fluent)[0])  # fmt: skip
    return choose(trials), trials


def choose(trials: list[Trial]) -> dict[str, Any]:
    """The setting of the trial the reader told apart least, among those copying no more than
    huggingtweets' and as fluent as the person (ties: the first of the grid)."""
    base = default_setting()
    ref = next((x for x in trials if x.setting() == base), None)
    if ref is None or ref.judge is None:
        return base
    fair = [x for x in trials if x.judge is not None and x.copy_rate <= ref.copy_rate and x.fluent]
    if not fair:
        return base
    return min(fair, key=lambda x: told_apart(x.judge or 0.0)).setting()


def adopt(again: Trial, default_judge: float | None, default_copy_rate: float) -> bool:
    """Whether a setting measured again on fresh posts (`again`) beats the default's figures by
    `MIN_GAIN` of the reader's accuracy, copying no more and as fluent as the person."""
    return (again.judge is not None and default_judge is not None and again.fluent
            and told_apart(again.judge) <= told_apart(default_judge) - MIN_GAIN
            and again.copy_rate <= default_copy_rate)  # fmt: skip


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
    return {**three, **sampling.extra_setting(gen)}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe(trials: list[Trial]) -> list[dict[str, Any]]:
    """The grid as JSON rows."""
    return [asdict(t) for t in trials]
