"""`hf-tweetbot update DIR [USER ...]`: keep a bot alive as its people keep posting.

Each user's source is gathered again from what `bot.json` recorded, asking only for posts after
the newest one the bot has (`sources/since.py`); an archive or file user takes the newer
archive given on the command line (its handle must be the user's). New posts are merged by
their source id (no duplicates), counted and cleaned the huggingtweets way, and split 90/10;
old posts keep their split. Training then continues from the bot's current weights on the new
training posts plus a replay sample of old ones (`REPLAY`), so the bot learns the new posts
without drifting away from the old ones. The learning rate is scaled by the square root of the
new posts' share of all posts (`lr_scale`): a small refresh nudges the weights, a large one
moves them as a first training would; the epochs stay, so the steps scale with the new data.
`--from-scratch` retrains from the base model on every post instead.

The per-post validation loss of the bot on the old and on the new validation posts, before and
after, tells whether it learned the new posts and kept the old (`UpdateResult.perplexity`).
Everything is staged in `DIR/.update-*/` and swapped in only once trained and rendered: a
failed update leaves the bot as it was; with nothing new, nothing is written at all.
"""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import dataset, hub, remote
from ..bot import layout, lock, manifest, outdir
from ..bot.posts import read_rows
from ..clean import Counts
from ..errors import UsageError
from ..flags import flag
from ..hub import PushOptions
from ..pipeline import evaluate_and_guard, push_bot, write_card_and_thumbnail
from ..quality import QualityConfig
from ..remote import JobOptions
from ..sources import SourceOptions
from ..train import TrainConfig
from .measure import losses, ppl
from .news import UserNews, gather_news, split_news

REPLAY = 1.0  # old training posts replayed per new training post (1:1)
MIN_LR_SCALE = 0.25  # even a handful of new posts trains at a quarter of the full rate


@dataclass
class UpdateOptions:
    """What `update` does besides the USER arguments."""

    # retrain from the base model on every post
    from_scratch: bool = flag(False, help="Retrain from the base model on every post instead of continuing.")  # fmt: skip
    sources: SourceOptions = field(default_factory=SourceOptions)
    train: TrainConfig | None = None  # None: the defaults
    push: PushOptions | None = None  # None keeps the bot local
    quality: QualityConfig | None = None  # the measurement after training (None: defaults)
    job: JobOptions | None = None  # train on Hugging Face Jobs (`--hf-jobs`)


@dataclass
class UpdateResult:
    """What an update did: new posts per user, perplexities, the push (None: not pushed)."""

    bot_dir: Path
    users: list[UserNews]
    # {"old"|"new": {"before": ppl, "after": ppl}} on per-post validation loss
    perplexity: dict[str, dict[str, float | None]] = field(default_factory=dict)
    push: Any = None

    @property
    def added(self) -> int:
        return sum(u.counts.tweets_kept for u in self.users)

    @property
    def nothing_new(self) -> bool:
        return self.added == 0


def lr_scale(new: int, total: int) -> float:
    """Learning-rate factor for continued training: sqrt(share of new posts), at least 1/4."""
    return max(MIN_LR_SCALE, min(1.0, math.sqrt(new / max(total, 1))))


def update(bot_dir: Path, specs: list[str], opts: UpdateOptions, say: Any = print) -> UpdateResult:
    """Add the new posts of a bot's users, train on them and push one new commit.

    Args:
        bot_dir: a trained bot folder (bot.json, data/, repo/).
        specs: newer archives or files of the bot's archive/file users (matched by handle).
        opts: from-scratch, source, training and push options.
        say: where progress lines go.

    Returns:
        The new posts per user, the perplexities before and after, and the push.

    Raises:
        ManifestError: the bot was never trained.
        UsageError: a USER that is not one of the bot's archive/file users.
    """
    bot_dir = Path(bot_dir)
    manifest.load(bot_dir)  # a bot folder, or one line saying what it is not
    with lock.writing(bot_dir, "updating"):
        return _update(bot_dir, specs, opts, say)


def _update(bot_dir: Path, specs: list[str], opts: UpdateOptions, say: Any) -> UpdateResult:
    m = manifest.load(bot_dir)
    if not layout.is_trained(bot_dir):
        raise lock.untrained(bot_dir)
    opts.train = opts.train or TrainConfig()
    token, push_opts = _preflight(bot_dir, m, opts, say)
    if opts.job is not None:
        if push_opts is None or not token:
            raise UsageError("--hf-jobs updates a bot pushed before, with a token: the job pushes it",
                             hint=f"hf-tweetbot push {bot_dir}, then update with --hf-jobs")  # fmt: skip
        checked = remote.jobs_preflight(opts.job, token)
    # New posts are read as the first ones were: what `prepare` left out stays out.
    sources = replace(
        opts.sources,
        include_community=bool(m.privacy.get("include_community")),
        skip_content_warnings=bool(m.privacy.get("skip_content_warnings")),
    )
    news = gather_news(bot_dir, m, specs, sources, say)
    result = UpdateResult(bot_dir, news)
    if result.nothing_new:
        say("Nothing new to train on: the bot is unchanged.")
        return result
    # Killed midway, the stage is swept by the next run on this folder (outdir.sweep_bot).
    with outdir.staging_dir(bot_dir, outdir.UPDATE_PREFIX) as stage:
        # What is written in the stage is named where it will be once swapped in.
        said = _in_place(say, stage, bot_dir)
        val = _stage(bot_dir, stage, m, news)
        if opts.job is not None and token:
            remote.update_on_jobs(bot_dir, stage, _summary(result, val, opts), opts.train,
                                  push_opts, opts.job, token, checked, say)  # fmt: skip
            return result
        cfg = train_config(bot_dir, manifest.load(stage), result.added, opts)
        result.perplexity = _train_and_measure(bot_dir, stage, cfg, val, said)
        _record(stage, result, cfg)
        # The quality block; the guard over every post now.
        evaluate_and_guard(stage, opts.quality, said)
        write_card_and_thumbnail(stage, said)
        _swap(stage, bot_dir)
    if push_opts is not None and token:
        push_opts.commit_message = push_opts.commit_message or commit_message(result)
        result.push = push_bot(bot_dir, push_opts, token, say)
        say(str(result.push))
    return result


def _in_place(say: Any, stage: Path, bot_dir: Path) -> Any:
    """`say`, with paths inside the stage named as they will be inside the bot folder."""
    return lambda line: say(line.replace(str(stage), str(bot_dir)))


def _summary(result: UpdateResult, val: dict, opts: UpdateOptions) -> dict[str, Any]:
    """What a Hugging Face job needs to finish an update staged here (`finish`)."""
    users = [{"handle": u.handle, "source": u.source, "counts": vars(u.counts)} for u in result.users]  # fmt: skip
    return {"users": users, "val": val, "from_scratch": opts.from_scratch}


def finish(bot_dir: Path, stage: Path, summary: dict[str, Any], train: Any, say: Any) -> str:
    """Train a staged update, measure, render and swap it into `bot_dir` (what a job runs after
    `update --hf-jobs` staged the posts on the user's machine); returns the commit message."""
    news = [UserNews(u["handle"], u["source"], Counts(**u["counts"])) for u in summary["users"]]
    result = UpdateResult(bot_dir, news)
    opts = UpdateOptions(from_scratch=summary["from_scratch"], train=train)
    cfg = train_config(bot_dir, manifest.load(stage), result.added, opts)
    result.perplexity = _train_and_measure(bot_dir, stage, cfg, summary["val"], say)
    _record(stage, result, cfg)
    evaluate_and_guard(stage, None, say)
    write_card_and_thumbnail(stage, say)
    _swap(stage, bot_dir)
    return commit_message(result)


def _preflight(
    bot_dir: Path, m: manifest.Manifest, opts: UpdateOptions, say: Any
) -> tuple[str | None, Any]:
    """Check the push can succeed before anything is gathered (a bot never pushed stays local)."""
    if opts.push is None:
        return None, None
    push_opts = replace(opts.push, repo_id=opts.push.repo_id or m.repo_id)
    if not push_opts.repo_id:
        say(f"This bot was never pushed: the update stays local (hf-tweetbot push {bot_dir} "
            "publishes it).")  # fmt: skip
        return None, None
    token = hub.get_token()
    if token is None:
        say("No Hugging Face token (HF_TOKEN or `hf auth login`): the update stays local.")
        return None, None
    push_opts.repo_id = hub.preflight(m.model_name, push_opts, token)
    return token, push_opts


def _stage(bot_dir: Path, stage: Path, m: manifest.Manifest, news: list[UserNews]) -> dict:
    """Write the updated bot.json and data/ (every post, plus the `update` split) into `stage`.

    Returns:
        The old and the new validation posts (texts), for measuring.
    """
    from transformers import AutoTokenizer

    dcfg = dataset.DataConfig(block_size=m.data.get("block_size", 1024),
                              val_fraction=m.data.get("val_fraction", 0.1),
                              seed=m.data.get("seed", 42) + len(m.updates) + 1)  # fmt: skip
    rows = read_rows(bot_dir) + split_news(news, dcfg.val_fraction, dcfg.seed)
    per: dict[str, dict[str, list[Any]]] = {
        k: {h: [] for h in m.handles} for k in ("train", "validation", "train_id", "validation_id")
    }
    for r in rows:
        per[r["split"]][r["handle"]].append(r["text"])
        per[r["split"] + "_id"][r["handle"]].append(r.get("id"))
    tok = AutoTokenizer.from_pretrained(layout.repo_dir(bot_dir))
    dd = dataset.build_datasets(per["train"], per["validation"], tok, dcfg)
    dd["update"] = dataset.pack(replay_mix(rows, dcfg.seed), tok, dcfg.block_size)
    ids = (per["train_id"], per["validation_id"])
    name = m.data.get("tokenizer", m.base_model)
    info = dataset.save(
        layout.data_dir(stage), dd, per["train"], per["validation"], dcfg, name, ids
    )
    m.data = {**info, "seed": m.data.get("seed", 42), "update_blocks": len(dd["update"])}
    for u, n in zip(m.users, news, strict=True):
        _add_counts(u, n.counts, n.skipped)
        u.newest_id, u.newest_at = n.since.id, n.since.at
    manifest.save(m, stage)
    if layout.avatars_dir(bot_dir).is_dir():
        shutil.copytree(layout.avatars_dir(bot_dir), layout.avatars_dir(stage))
    key = layout.guard_key_file(bot_dir)
    if key.is_file():  # the copy guard's key: the Space's secret stays valid
        shutil.copy2(key, layout.guard_key_file(stage))
    val = [r for r in rows if r["split"] == "validation"]
    return {"old": [r["text"] for r in val if not r.get("new")],
            "new": [r["text"] for r in val if r.get("new")]}  # fmt: skip


def replay_mix(rows: list[dict[str, Any]], seed: int) -> list[str]:
    """The new training posts and `REPLAY` times as many old ones drawn at random, shuffled."""
    rng = random.Random(seed)
    new = [r["text"] for r in rows if r["split"] == "train" and r.get("new")]
    old = [r["text"] for r in rows if r["split"] == "train" and not r.get("new")]
    mix = new + rng.sample(old, min(len(old), round(REPLAY * len(new))))
    rng.shuffle(mix)
    return mix


def _add_counts(u: manifest.UserStats, c: Counts, skipped: dict[str, int]) -> None:
    for reason, n in skipped.items():
        u.skipped[reason] = u.skipped.get(reason, 0) + n
    u.tweets_downloaded += c.tweets_downloaded
    u.retweets += c.retweets
    u.short_tweets += c.short_tweets
    u.tweets_kept += c.tweets_kept


def train_config(bot_dir: Path, m: manifest.Manifest, added: int, opts: UpdateOptions) -> Any:
    """The run's TrainConfig: from the current weights on the `update` split, lr scaled.

    Args:
        bot_dir: the bot folder (its `repo/` holds the current weights or adapter).
        m: the staged manifest (counts already include the new posts).
        added: new posts kept.
        opts: the update's options (`train` as given on the command line).

    Returns:
        `--from-scratch`: the options as given. Otherwise the bot's own method (LoRA settings
        from bot.json carry on), starting from `DIR/repo/`, on the `update` split, at the
        learning rate times `lr_scale`.
    """
    from ..train.loop import learning_rate

    cfg = replace(opts.train or TrainConfig(), checkpoint_every=0)  # its stage is never resumed
    if opts.from_scratch:
        return replace(cfg, init_from=None, train_split="train")
    if m.adapter and not cfg.lora:
        a = m.adapter
        cfg = replace(cfg, lora=True, lora_r=a["r"], lora_alpha=a["alpha"],
                      lora_targets=a["targets"], push_adapter=a.get("repo") == "adapter")  # fmt: skip
    lr = learning_rate(cfg) * lr_scale(added, sum(u.tweets_kept for u in m.users))
    return replace(cfg, init_from=layout.repo_dir(bot_dir), train_split="update", learning_rate=lr)


def _train_and_measure(bot_dir: Path, stage: Path, cfg: Any, val: dict, say: Any) -> dict:
    """Train in `stage`; per-post validation perplexity on old and new posts, before and after."""
    from ..train import train

    m = manifest.load(stage)
    block = m.data["block_size"]
    before = losses(layout.repo_dir(bot_dir), m.base_model, val, block)
    base = losses(None, m.base_model, {"all": val["old"] + val["new"]}, block)["all"]
    if cfg.train_split == "update":
        say(f"Training from the bot's weights on {m.data['update_blocks']} blocks (the new "
            f"posts and {REPLAY:g}x as many old ones), lr {cfg.learning_rate:.3g}")  # fmt: skip
    else:
        say("Training from the base model on every post (--from-scratch)")
    train(stage, cfg)
    after = losses(layout.repo_dir(stage), m.base_model, val, block)
    out = {k: {"before": ppl(before[k]), "after": ppl(after[k])} for k in ("old", "new")}
    say("Per-post validation perplexity: " + "; ".join(
        f"{k} posts {v['before']} → {v['after']}" for k, v in out.items()))  # fmt: skip
    m = manifest.load(stage)  # as training saved it
    if base is not None:  # the card's "before" stays the base model's, as after a first training
        m.metrics.eval_loss_before, m.metrics.perplexity_before = round(base, 4), ppl(base)
    manifest.save(m, stage)
    return out


def _record(stage: Path, result: UpdateResult, cfg: Any) -> None:
    """Append this update to bot.json's `updates`."""
    from ..train.loop import learning_rate

    m = manifest.load(stage)
    m.updates.append({
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "added": {u.handle: u.counts.tweets_kept for u in result.users},
        "downloaded": {u.handle: u.counts.tweets_downloaded for u in result.users},
        "from_scratch": cfg.train_split == "train",
        "learning_rate": learning_rate(cfg),
        "perplexity_per_post": result.perplexity,
    })  # fmt: skip
    manifest.save(m, stage)


def _swap(stage: Path, bot_dir: Path) -> None:
    """Move the staged data/, repo/, runs/ and bot.json into the bot folder, bot.json last."""
    trash = stage / "old"  # the replaced items, removed with the stage
    trash.mkdir()
    for item in (layout.DATA, layout.REPO, layout.RUNS, layout.GUARD_KEY, layout.MANIFEST):
        if (stage / item).exists():
            outdir.swap_in(stage / item, bot_dir / item, trash)


def commit_message(result: UpdateResult) -> str:
    """One line naming what changed: new posts per user and the perplexities."""
    added = ", ".join(f"+{u.counts.tweets_kept} @{u.handle}" for u in result.users
                      if u.counts.tweets_kept)  # fmt: skip
    ppl_line = "; ".join(f"{k} {v['before']} → {v['after']}" for k, v in result.perplexity.items()
                         if v["before"] is not None)  # fmt: skip
    return f"hf-tweetbot update: {added} posts; per-post validation perplexity {ppl_line}"
