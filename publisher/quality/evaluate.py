"""`hf-tweetbot eval DIR`: measure how the bot writes, fit its sampling, write the copy guard.

Everything is measured the way the bot is used. Perplexity scores each held-out post on its own
from a bare EOS (posts attention, `train.evaluate` itself), for the base model and the bot.
Samples come from a bare EOS with huggingtweets' sampling (temperature 1, top-p 0.95, top-k 50,
60 new tokens), in seeded batches, so the same bot gives the same figures. They are then
compared with the training posts span by span (memorisation, `span.py`), word by word
(variety), with held-out posts by a style classifier and a reader of n-grams (the blind test,
`blind.py`) and kind by kind (`proportions.py`), and passed through the copy guard that ships
with the model. Last, the sampling is fitted to the bot (`sampling_search.py`) and written into
its `generation_config.json`; the posts drawn at the fitted setting are scored the same way, and
read by the base model (`fluency.py`). Each draw of posts is scored on every figure at once, and
the search's grid is no larger than it would be without them: the figures cost little beside
drawing the posts.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from .. import atomic, base_models, console, dataset
from ..bot import layout, manifest
from ..bot.locate import locate
from ..bot.posts import read_texts
from ..errors import BaseModelError
from ..space import draw
from ..space import guard as space_guard
from ..space.bot_info import QUALITY_FILE
from ..space.load import bf16_supported, load_bot
from ..train import evaluate as train_evaluate
from ..train.attention import setup, use_posts_attention
from ..train.loop import TrainConfig
from ..train.lora import load_start
from ..train.loss import LossModel
from .blind import blind_test, judge, vocabulary
from .config import QualityConfig
from .fluency import judge_fluency, post_perplexities
from .guard import build_guard
from .language_fit import TokenizerFit, tokenizer_fit
from .measures import CopyCheck, distinct_n, fold, longest_shared
from .proportions import compare, share
from .report import setting_words
from .sampling_search import (
    POSTS,
    Draw,
    Trial,
    adopt,
    choose,
    current_setting,
    default_setting,
    describe,
    grid,
    search_sampling,
    trial,
    write_setting,
)

Say = Callable[[str], None]
Fluency = Callable[[list[str]], dict[str, Any]]  # posts -> `fluency.judge_fluency`'s figures


@dataclass
class Quality:
    """The `quality` block of bot.json and `DIR/repo/quality.json` (a stable contract)."""

    samples: int
    seed: int
    max_new_tokens: int
    span_tokens: int
    perplexity: dict[str, Any]  # base, bot: per token, each held-out post from a bare EOS
    memorisation: dict[str, Any]  # copied_span_rate, exact_copy_rate, longest_span
    variety: dict[str, Any]  # distinct_2_samples, distinct_2_posts
    tokenizer: dict[str, Any]  # TokenizerFit
    guard: dict[str, Any]  # enabled, file, spans, short_posts, bytes, flagged_rate, copies_shown
    seconds: dict[str, float] = field(default_factory=dict)
    span_chars: int = 0  # a span also covers this many characters (10 tokens of English)
    blind_test: dict[str, Any] = field(default_factory=dict)  # `BlindTest` at the default
    # default (huggingtweets'), fitted: the setting's keys (`sampling_search.KEYS`) with judge,
    # blind_test, copy_rate and fluency; grid: every trial; confirmation: the fresh draws
    sampling: dict[str, Any] = field(default_factory=dict)
    # huggingtweets', fitted: the reader's `Judgement`, the kinds of post against the person's
    # (`proportions.compare`), the base model's reading (`fluency.judge_fluency`)
    judge: dict[str, Any] = field(default_factory=dict)
    proportions: dict[str, Any] = field(default_factory=dict)
    fluency: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _OneProcess:
    """What `train.evaluate` needs of an Accelerator, for this one process on the CPU/GPU."""

    process_index, num_processes = 0, 1

    def __init__(self, device: Any) -> None:
        self.device = device

    def reduce(self, tensor: Any, reduction: str = "sum") -> Any:
        return tensor


def perplexity(model: Any, tokenizer: Any, texts: list[str], block_size: int) -> float | None:
    """exp(mean loss per token) over `texts`, each post scored alone from a bare EOS.

    Runs under bf16 autocast where the hardware has it, as training's own evaluation does.
    """
    if not texts:
        return None
    blocks = dataset.pack(texts, tokenizer, block_size)["input_ids"]
    eos_id = setup(model, tokenizer, "posts")
    device = next(model.parameters()).device
    bf16 = bf16_supported(device.type)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        loss = train_evaluate(LossModel(model), blocks, _OneProcess(device), 1,
                              tokenizer.pad_token_id, eos_id)  # fmt: skip
    use_posts_attention(model, False)
    return round(math.exp(min(loss, 50.0)), 3)


class BaseModel:
    """The bot's base model, loaded once when first needed (fluency, then perplexity)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loaded: tuple[Any, Any] | None = None

    def get(self) -> tuple[Any, Any]:
        """(model, tokenizer); raises BaseModelError where it cannot load."""
        if self._loaded is None:
            self._loaded = base_models.load_base(self.name)
        return self._loaded


def _perplexities(m: manifest.Manifest, repo: Path, val: list[str], base: BaseModel,
                  say: Say) -> dict[str, Any]:  # fmt: skip
    block = int(m.data.get("block_size", 1024))
    out: dict[str, Any] = {}
    for name, source in (("base", None), ("bot", repo)):
        try:
            if source is None:
                model, tok = base.get()
            else:  # full weights or an adapter (`--push-adapter`) on its base
                model, tok = load_start(m.base_model, TrainConfig(init_from=source))
        except BaseModelError as e:  # e.g. a Hub base model and no network: say so, go on
            say(f"Warning: no base-model perplexity ({e.message})")
            out[name] = None
            continue
        limit = getattr(model.config, "max_position_embeddings", None)
        size = dataset.effective_block_size(tok, block, limit)
        out[name] = perplexity(model, tok, val, size)
        del model
    return out


def draw_samples(model: Any, tok: Any, cfg: QualityConfig) -> list[str]:
    """`cfg.samples` posts from a bare EOS with huggingtweets' sampling, seeded batch by batch."""
    posts: list[str] = []
    for b, start in enumerate(range(0, cfg.samples, cfg.batch)):
        n = min(cfg.batch, cfg.samples - start)
        batch = draw.DrawSettings(n=n, max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + b,
                                  **default_setting())  # fmt: skip
        posts += draw.sample(model, tok, batch)
    return posts


def memorisation(samples: list[str], train: list[str], tok: Any,
                 check: CopyCheck | None = None) -> dict[str, Any]:  # fmt: skip
    """Share of samples holding a span of a training post, equal to one, longest token run."""
    check = check or CopyCheck(train, tok)
    copied = sum(check.copied(samples))
    ids = dataset.encode(tok, [fold(s) for s in samples])
    folded = {fold(t) for t in train}
    exact = sum(fold(s) in folded for s in samples)
    n = max(len(samples), 1)
    return {"copied_span_rate": round(copied / n, 4), "exact_copy_rate": round(exact / n, 4),
            "longest_span": longest_shared(check.corpus, ids)}  # fmt: skip


def held_out(val: list[str], n: int, seed: int) -> list[str]:
    """At most `n` held-out posts, drawn with `seed`: the real side of the blind test."""
    return val if len(val) <= n else random.Random(seed).sample(val, n)


@dataclass
class _Samples:
    """What the posts drawn at huggingtweets' sampling showed."""

    posts: list[str] = field(default_factory=list)
    memorisation: dict[str, Any] = field(default_factory=dict)
    variety: dict[str, Any] = field(default_factory=dict)
    guard: dict[str, Any] = field(default_factory=dict)


def _samples_block(model: Any, tok: Any, guard: Any, train: list[str], cfg: QualityConfig,
                   allow: bool, check: CopyCheck) -> _Samples:  # fmt: skip
    """Memorisation, variety and guard figures of `cfg.samples` posts (none: empty)."""
    if cfg.samples <= 0:
        return _Samples()
    samples = draw_samples(model, tok, cfg)
    flagged = sum(guard.copies(tok, s) for s in samples)
    again = draw.DrawSettings(max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + 10_000,
                              **default_setting())  # fmt: skip
    kept = draw.redraw(model, tok, again, None if allow else guard, samples)
    shown = sum(guard.copies(tok, s) for s in kept.posts)
    real = random.Random(cfg.seed).sample(train, min(len(train), cfg.samples))
    variety = {"distinct_2_samples": round(distinct_n(samples), 4),
               "distinct_2_posts": round(distinct_n(real), 4)}  # fmt: skip
    n = len(samples)
    checked = {"flagged_rate": round(flagged / n, 4), "redrawn": kept.redrawn,
               "copies_shown_rate": round(shown / n, 4)}  # fmt: skip
    return _Samples(samples, memorisation(samples, train, tok, check), variety, checked)


def _base_reader(base: BaseModel, say: Say) -> tuple[Any, Any] | None:
    """The base model and tokenizer, to read posts for fluency (None where it cannot load)."""
    try:
        return base.get()
    except BaseModelError as e:
        say(f"Warning: no fluency figures ({e.message})")
        return None


def _shown(t: Trial, fluency: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**t.setting(), "judge": t.judge, "blind_test": t.blind_test, "copy_rate": t.copy_rate,
            "fluency": (fluency or {}).get("bot")}  # fmt: skip


def _fitted(model: Any, tok: Any, draws: list[Draw], real: list[str], check: CopyCheck,
            vocab: frozenset[str], cfg: QualityConfig, fluent: Fluency,
            say: Say) -> tuple[Draw, Draw, dict[str, Any]]:  # fmt: skip
    """The grid's best drawn again on fresh posts, kept if it beats the grid's first setting
    that keeps the way posts begin (`sampling_search.adopt`), else that one.

    Returns:
        (the setting kept and its posts, the fresh draw, the kept posts' fluency).
    """
    best, first = choose([d.trial for d in draws]), draws[1]
    say(
        f"  the best, {setting_words(best)}, measured again on fresh posts; the base model "
        "reads the person's posts and those of the setting kept (fluency)"
    )
    fresh = trial(model, tok, real[:POSTS], check, vocab, best, cfg.seed + 30_000,
                  cfg.max_new_tokens)  # fmt: skip
    if best == first.trial.setting():
        return fresh, fresh, fluent(fresh.posts)
    if adopt(fresh.trial, first.trial, rougher=False):  # then read: is it word salad?
        flu = fluent(fresh.posts)
        if adopt(fresh.trial, first.trial, flu.get("rougher", False)):
            return fresh, fresh, flu
    return first, fresh, fluent(first.posts)


def _blind_and_sampling(model: Any, tok: Any, drawn: _Samples, train: list[str],
                        val: list[str], check: CopyCheck, cfg: QualityConfig, repo: Path,
                        base_model: BaseModel, say: Say) -> dict[str, Any]:  # fmt: skip
    """The blind tests at huggingtweets' sampling; then the fitted setting, written into `repo`,
    and what its posts look like (the reader, proportions, fluency), all on the same posts.

    Without samples, or with too few held-out posts, the setting `repo` holds is recorded as it is.

    Returns:
        `Quality`'s blind_test, judge, proportions, fluency and sampling.
    """
    out: dict[str, Any] = {"sampling": {"fitted": current_setting(repo)}}
    if not drawn.posts:
        return out
    vocab = vocabulary(train)
    real = held_out(val, len(drawn.posts), cfg.seed)
    blind = blind_test(real, drawn.posts, vocab, cfg.seed)
    out["blind_test"] = blind.to_dict()
    if blind.accuracy is None:
        return out
    ht = judge(real, drawn.posts, vocab, cfg.seed)
    out["judge"] = {"huggingtweets": ht.to_dict()}
    out["proportions"] = {"huggingtweets": compare(drawn.posts, real)}
    if not cfg.fit_sampling:
        return out
    draws = search_sampling(model, tok, real, check, vocab, share(train), cfg.seed + 20_000,
                            cfg.max_new_tokens, drawn.posts, say)  # fmt: skip
    base = _base_reader(base_model, say)
    theirs = post_perplexities(*base, real) if base else []
    fluent: Fluency = lambda posts: (  # noqa: E731
        judge_fluency(post_perplexities(*base, posts), theirs) if base else {}
    )
    chosen, fresh, flu = _fitted(model, tok, draws, real, check, vocab, cfg, fluent, say)
    default = {**default_setting(), "judge": ht.accuracy, "blind_test": blind.accuracy,
               "copy_rate": drawn.memorisation["copied_span_rate"], "fluency": None}  # fmt: skip
    out["sampling"] = {"default": default, "fitted": _shown(chosen.trial, flu),
                       "grid": describe([d.trial for d in draws]),
                       "confirmation": _shown(fresh.trial)}  # fmt: skip
    out["judge"]["fitted"] = judge(real[:POSTS], chosen.posts, vocab, chosen.seed).to_dict()
    out["proportions"]["fitted"] = compare(chosen.posts, real)
    out["fluency"] = {"fitted": flu}
    write_setting(repo, chosen.trial.setting())
    return out


def evaluate(bot_dir: Path, cfg: QualityConfig | None = None, say: Say = console.say,
             perplexities: dict[str, Any] | None = None) -> Quality:  # fmt: skip
    """Measure a trained bot, write its copy guard, and record the figures.

    Args:
        bot_dir: a trained bot folder (`bot.json`, `data/`, `repo/`).
        cfg: samples, seed, and whether copies are allowed (`samples=0`: no samples drawn).
        say: where progress lines go.
        perplexities: {"base", "bot"} already measured the same way (by training's own
            post-by-post evaluation), so they are not measured twice.

    Returns:
        The figures, also written to `bot.json` (`quality`) and `DIR/repo/quality.json`.

    Raises:
        ManifestError: the bot is not trained yet.
    """
    cfg = cfg or QualityConfig()
    bot_dir, start = Path(bot_dir), time.perf_counter()
    m = manifest.load(bot_dir)
    repo = layout.repo_dir(bot_dir)
    where = locate(str(bot_dir))  # full weights or an adapter; ManifestError when untrained
    allow = m.privacy.get("allow_copies", False) if cfg.allow_copies is None else cfg.allow_copies
    train_posts, val_posts = read_texts(bot_dir)
    train = [t for ts in train_posts.values() for t in ts]
    val = [t for ts in val_posts.values() for t in ts]
    if cfg.samples > 0:
        say(f"Loading the bot from {where.model_id}...")
        model, tok = load_bot(where.model_id, base=where.base)
    else:  # nothing to sample: the tokenizer is all the guard needs
        model, tok = None, base_models.load_tokenizer(str(repo))
    guard_file = build_guard(bot_dir, tok)
    key = space_guard.load_key(str(repo)) or b""
    guard = space_guard.CopyGuard.read(repo / guard_file.file, key)
    check = CopyCheck(train, tok)
    if cfg.samples > 0:
        say(f"Drawing {cfg.samples} posts from a bare EOS (seed {cfg.seed})...")
    t = time.perf_counter()
    drawn = _samples_block(model, tok, guard, train, cfg, allow, check)
    sampling_s = time.perf_counter() - t
    if drawn.posts and cfg.fit_sampling:
        say(f"Blind test, and the sampling setting whose posts pass best for the person's "
            f"({len(grid(0.0))} settings; minutes on a CPU)...")  # fmt: skip
    t = time.perf_counter()
    base = BaseModel(m.base_model)
    found = _blind_and_sampling(model, tok, drawn, train, val, check, cfg, repo, base, say)
    search_s = time.perf_counter() - t
    del model
    if perplexities is None:
        say("Held-out perplexity, post by post, of the base model and the bot...")
        perplexities = _perplexities(m, repo, val, base, say)
    del base
    fit: TokenizerFit = tokenizer_fit(train + val, tok, cfg.seed)
    q = Quality(
        samples=cfg.samples, seed=cfg.seed, max_new_tokens=cfg.max_new_tokens,
        span_tokens=check.span.tokens, perplexity={"held_out_posts": len(val), **perplexities},
        memorisation=drawn.memorisation, variety=drawn.variety, tokenizer=asdict(fit),
        guard={"enabled": not allow, **asdict(guard_file), **drawn.guard},
        seconds={"sampling": round(sampling_s, 1), "blind_test_and_sampling": round(search_s, 1),
                 "total": round(time.perf_counter() - start, 1)},
        span_chars=check.span.chars, blind_test=found.get("blind_test") or {},
        sampling=found["sampling"], judge=found.get("judge") or {},
        proportions=found.get("proportions") or {}, fluency=found.get("fluency") or {},
    )  # fmt: skip
    save(bot_dir, q, allow)
    return q


def save(bot_dir: Path, q: Quality, allow_copies: bool) -> None:
    """Write `DIR/repo/quality.json` and the `quality` and `privacy` blocks of bot.json."""
    text = json.dumps(q.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic.write_text(layout.repo_dir(bot_dir) / QUALITY_FILE, text)
    m = manifest.load(bot_dir)
    m.quality = q.to_dict()
    m.privacy["allow_copies"] = allow_copies
    manifest.save(m, bot_dir)
