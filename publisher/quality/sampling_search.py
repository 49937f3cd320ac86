"""Sampling fitted to each bot: the temperature and top-p whose posts pass best for the person's.

huggingtweets sampled every bot the same way (temperature 1, top-p 0.95, top-k 50). A bot that
learned its posts by heart does better with more randomness, which also makes it copy less;
how much shows in the blind test (`blind.py`). `search_sampling` draws `POSTS` posts at each
setting of a small grid (`TEMPERATURES` x `TOP_PS`, top-k 50), all from the same seed, and picks
the setting the classifier tells apart least among those that copy no more posts than the
default does. The grid's best is partly the luck of its draw (the score of one draw of a few
dozen posts varies by about 0.05), so `adopt` measures it again on fresh posts and takes it only
when it beats the default by `MIN_GAIN` there, copying no more; the figures reported are those
fresh ones (`evaluate.py`).

The setting goes into the model repo's `generation_config.json` (and huggingtweets'
`task_specific_params` in `config.json`), where every place the bot writes by default reads it:
the Space's sliders, `generate`, the thumbnail, the card's widget, the GGUF file and Modelfile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import atomic
from ..bot import layout
from ..space.draw import DEFAULTS, TOP_K, DrawSettings, sample
from .blind import blind_test, told_apart
from .measures import CopyCheck

TEMPERATURES = (0.9, 1.0, 1.1, 1.2)
TOP_PS = (0.95, 1.0)
POSTS = 64  # drawn at each setting, at most (and as many held-out posts)
MIN_GAIN = 0.03  # blind-test accuracy a setting must beat the default's by to be chosen


@dataclass
class Trial:
    """One setting of the grid and how its posts fared."""

    temperature: float
    top_p: float
    top_k: int
    blind_test: float | None  # the classifier's accuracy (0.5: indistinguishable)
    copy_rate: float  # share of the posts repeating a span of a training post

    def setting(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k}


def default_setting() -> dict[str, Any]:
    """huggingtweets' sampling: temperature 1, top-p 0.95, top-k 50."""
    return {"temperature": float(DEFAULTS["temperature"]), "top_p": float(DEFAULTS["top_p"]),
            "top_k": int(TOP_K)}  # fmt: skip


def trial(model: Any, tok: Any, real: list[str], check: CopyCheck, vocab: frozenset[str],
          setting: dict[str, Any], seed: int, max_new_tokens: int) -> Trial:  # fmt: skip
    """Draw `len(real)` posts from a bare EOS at `setting`; blind test and copy rate."""
    posts = sample(model, tok, DrawSettings(n=len(real), max_new_tokens=max_new_tokens, seed=seed,
                                            **setting))  # fmt: skip
    return Trial(setting["temperature"], setting["top_p"], setting["top_k"],
                 blind_test(real, posts, vocab, seed).accuracy, round(check.rate(posts), 4))  # fmt: skip


def search_sampling(model: Any, tok: Any, real: list[str], check: CopyCheck,
                    vocab: frozenset[str], seed: int = 0, max_new_tokens: int = 60,
                    say: Callable[[str], None] | None = None) -> tuple[dict[str, Any], list[Trial]]:  # fmt: skip
    """The grid's setting whose posts were hardest to tell from `real`, copying no more.

    Args:
        model, tok: the bot.
        real: held-out posts of the person (as many posts are drawn at each setting).
        check: which posts copy a training post.
        vocab: the person's words (`blind.vocabulary` of the training posts).
        seed: every setting draws from this seed (the differences are the settings').
        max_new_tokens: length of each post, as eval's samples.
        say: told each setting as it is tried (each takes seconds to minutes on a CPU).

    Returns:
        (the grid's best setting, every trial of the grid).
    """
    base = default_setting()
    grid = [{**base, "temperature": t, "top_p": p} for t in TEMPERATURES for p in TOP_PS]
    trials = []
    for i, setting in enumerate(grid, 1):
        if say:
            say(f"  sampling setting {i} of {len(grid)}: temperature {setting['temperature']:g}, "
                f"top-p {setting['top_p']:g}")  # fmt: skip
        trials.append(trial(model, tok, real[:POSTS], check, vocab, setting, seed, max_new_tokens))
    return choose(trials), trials


def choose(trials: list[Trial]) -> dict[str, Any]:
    """The setting of the trial the classifier told apart least, among those copying no more
    than the default's (ties: the one nearest the default)."""
    base = default_setting()
    ref = next((x for x in trials if x.setting() == base), None)
    if ref is None or ref.blind_test is None:
        return base
    fair = [x for x in trials if x.blind_test is not None and x.copy_rate <= ref.copy_rate]

    def rank(x: Trial) -> tuple[float, float]:  # told apart least, then nearest the default
        return told_apart(x.blind_test or 0.0), abs(x.temperature - 1) + abs(x.top_p - 0.95)

    return min(fair, key=rank).setting()


def adopt(again: Trial, default_blind: float, default_copy_rate: float) -> bool:
    """Whether a setting measured again on fresh posts (`again`) beats the default's figures by
    `MIN_GAIN` of blind-test accuracy, copying no more."""
    return (again.blind_test is not None
            and told_apart(again.blind_test) <= told_apart(default_blind) - MIN_GAIN
            and again.copy_rate <= default_copy_rate)  # fmt: skip


def write_setting(repo: Path, setting: dict[str, Any]) -> None:
    """Write the sampling setting into `generation_config.json` and `config.json` of `repo`.

    Only the sampling keys change; a repo without those files (an adapter) gets a
    `generation_config.json` holding them.
    """
    gen_path = repo / layout.GENERATION_CONFIG
    gen = _read(gen_path) or {"do_sample": True}
    gen.update({"do_sample": True, **setting})
    atomic.write_text(gen_path, json.dumps(gen, indent=2, sort_keys=True) + "\n")
    cfg_path = repo / layout.MODEL_CONFIG
    cfg = _read(cfg_path)
    task = ((cfg or {}).get("task_specific_params") or {}).get("text-generation")
    if cfg is not None and isinstance(task, dict):
        task.update({k: setting[k] for k in ("temperature", "top_p")})
        atomic.write_text(cfg_path, json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def current_setting(repo: Path) -> dict[str, Any]:
    """The sampling setting `repo`'s `generation_config.json` holds (huggingtweets' if none)."""
    gen = _read(repo / layout.GENERATION_CONFIG) or {}
    base = default_setting()
    if not gen.get("do_sample"):
        return base
    return {k: gen.get(k, v) for k, v in base.items()}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe(trials: list[Trial]) -> list[dict[str, Any]]:
    """The grid as JSON rows."""
    return [asdict(t) for t in trials]
