"""The stages in order: gather → clean → dataset → train → evaluate and guard → card and
thumbnail → push (with the GGUF export when asked).

`prepare`, `train_bot` and `publish` are what the commands run; `update` and the web creator
drive the same functions.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import base_models, card, clean, console, dataset
from .bot import layout, lock, manifest, outdir
from .bot.locate import locate
from .bot.manifest import Manifest, UserStats
from .bot.outdir import check_out_dir
from .errors import OutputError, UsageError, os_reason
from .flags import flag
from .hub import PushOptions, PushResult
from .quality import QualityConfig
from .sources import Gathered, SourceOptions, gather, source_kind, split_spec
from .sources.since import newest, record_spec
from .train import TrainConfig

if TYPE_CHECKING:
    from .quality.evaluate import Quality

DEFAULT_ROOT = Path("bots")
MAX_USERS = 3
Say = Callable[[str], None]


@dataclass
class PrepareOptions:
    """Everything `prepare` needs besides the USER arguments."""

    out: Path | None = flag(None, help=f"Bot folder (default {DEFAULT_ROOT}/<model_name>).")
    base_model: str = flag(base_models.DEFAULT_BASE_MODEL, show_default=False, help=f"Hub id, local folder, or `smollm2` (offline). Default {base_models.DEFAULT_BASE_MODEL}.")  # fmt: skip
    overwrite: bool = flag(False, help="Replace another bot already in --out.")
    widget_text: str = flag(manifest.DEFAULT_WIDGET_TEXT, help="Prompt of the Hub widget and the Space.")  # fmt: skip
    card_metadata: str = flag("exact", choices=["exact", "full"], help="`full` adds base_model, pipeline_tag, model-index to the card.")  # fmt: skip
    # replace @handles of other accounts with @user before training
    mask_mentions: bool = flag(False, help="Replace @handles of other accounts with @user before training.")  # fmt: skip
    sources: SourceOptions = field(default_factory=SourceOptions)
    data: dataset.DataConfig = field(default_factory=dataset.DataConfig)


def check_specs(specs: list[str]) -> None:
    """1 to 3 users, each once (huggingtweets' limit)."""
    if not specs:
        raise UsageError("no USER given", hint="hf-tweetbot publish path/to/archive.zip")
    if len(specs) > MAX_USERS:
        raise UsageError(
            f"{len(specs)} users given; a bot mixes at most {MAX_USERS}",
            hint="make one bot per group of up to 3 users",
        )
    seen: set[str] = set()
    for spec in specs:
        key = _spec_key(spec)
        if key in seen:
            raise UsageError(f"{spec}: the same user is given twice", hint="name each user once")
        seen.add(key)


def _spec_key(spec: str) -> str:
    handle, path = split_spec(spec)
    p = Path(path).expanduser()
    # os.path.exists: False for a name no file can have (too long), where Path.exists raises.
    return str(p.resolve()) if os.path.exists(p) else spec.lower().lstrip("@").removeprefix("x:")


def guess_handles(specs: list[str]) -> list[str] | None:
    """Handles known without reading anything (HANDLE=PATH and live forms), else None."""
    out = []
    for spec in specs:
        handle, _ = split_spec(spec)
        kind = source_kind(spec)
        if handle:
            out.append(handle)
        elif kind in ("x_api", "bluesky"):
            out.append(spec.split(":", 1)[-1].lstrip("@"))
        else:
            return None
    return out


def default_out(specs: list[str]) -> Path | None:
    handles = guess_handles(specs)
    return DEFAULT_ROOT / manifest.model_name_for(handles) if handles else None


def prepare(specs: list[str], opts: PrepareOptions, say: Say = console.say,
            hold: contextlib.ExitStack | None = None) -> tuple[Path, Manifest]:  # fmt: skip
    """Gather, clean and tokenize the users' posts into `DIR/bot.json` and `DIR/data/`.

    Args:
        specs: USER arguments, 1 to 3.
        opts: output folder, base model, source and data options.
        say: where progress lines and warnings go.
        hold: keeps the bot folder's lock once prepared (`publish` trains and pushes next);
            None: let go when prepared.

    Returns:
        (the bot folder, its manifest).
    """
    check_specs(specs)
    start = time.perf_counter()
    base = base_models.canonical_name(opts.base_model)
    tokenizer = base_models.load_tokenizer(base)
    guessed = opts.out or default_out(specs)
    if guessed is not None:  # before a post is read
        lock.refuse_held(guessed)
        outdir.refuse_trained(guessed, opts.overwrite)
    if opts.sources.raw_dir is None:
        opts.sources.raw_dir = layout.raw_dir(guessed or DEFAULT_ROOT)

    users: list[UserStats] = []
    posts: dict[str, list[tuple[str, str | None]]] = {}  # (text, source id) per user
    avatars: dict[str, bytes] = {}
    for spec in specs:
        g: Gathered = gather(spec, opts.sources)
        handle = g.profile.handle
        if handle.lower() in {h.lower() for h in posts}:
            raise UsageError(f"@{handle} is given twice", hint="name each user once")
        kept = clean.clean(g)
        mark = newest(g.posts)  # where `hf-tweetbot update` picks up
        g.posts = []  # the raw posts are counted and cleaned: let them go before tokenizing
        for warning in [*g.warnings, *clean.warnings(handle, kept, tokenizer.eos_token)]:
            say(f"Warning: {warning}")
        avatar_url = g.profile.avatar_url
        if g.profile.avatar_bytes:
            avatar_url = f"avatar_{handle}.{g.profile.avatar_ext}"
            avatars[avatar_url] = g.profile.avatar_bytes
        c = kept.counts
        users.append(UserStats(handle, clean.scrub(g.profile.name), avatar_url, g.profile.source,
                               c.tweets_downloaded, c.retweets, c.short_tweets, c.tweets_kept,
                               spec=record_spec(spec), newest_id=mark.id, newest_at=mark.at,
                               skipped=asdict(kept.skipped), protected=g.profile.protected))  # fmt: skip
        posts[handle] = list(zip(kept.texts, kept.ids, strict=True))
        say(f"@{handle}: {c.tweets_downloaded} posts downloaded, {c.retweets} retweets, "
            f"{c.short_tweets} short, {c.tweets_kept} kept")  # fmt: skip
        if kept.skipped.total:
            say(f"@{handle}: {clean.describe_skipped(kept.skipped)}")
        _say_privacy(handle, g, say)

    model_name = manifest.model_name_for(list(posts))
    out = opts.out or DEFAULT_ROOT / model_name
    check_out_dir(out, model_name, opts.overwrite, specs)  # before a lock file is put there
    with contextlib.ExitStack() as own:
        (hold or own).enter_context(lock.writing(out, "preparing", create=True))
        m = _prepare_into(out, model_name, specs, users, posts, avatars, opts, tokenizer, say)
    took = console.duration(time.perf_counter() - start)
    n_train, n_val = m.data.get("train_blocks"), m.data.get("validation_blocks")
    say(f"Prepared {out}: {n_train} training blocks, {n_val} validation, in {took}")
    return out, m


def _prepare_into(out: Path, model_name: str, specs: list[str], users: list[UserStats],
                  posts: dict[str, list[tuple[str, str | None]]], avatars: dict[str, bytes],
                  opts: PrepareOptions, tokenizer: Any, say: Say) -> Manifest:  # fmt: skip
    """Tokenize the cleaned posts and write them into `out` (held by this run)."""
    from .quality.language_fit import language_warning

    check_out_dir(out, model_name, opts.overwrite, specs)  # again: as it is now, held
    base = base_models.canonical_name(opts.base_model)
    # A command line can carry bytes that are not UTF-8 (as lone surrogates): never into bot.json.
    m = Manifest(model_name=model_name, base_model=base, users=users,
                 widget_text=clean.scrub(opts.widget_text), card_metadata=opts.card_metadata)  # fmt: skip
    if opts.mask_mentions:  # in place on the texts; each keeps its post's id
        texts = _texts(posts)
        m.privacy = clean.mask_users_mentions(texts, say)
        posts = {h: list(zip(texts[h], _ids(posts)[h], strict=True)) for h in posts}
    m.privacy["mask_mentions"] = opts.mask_mentions
    # What the sources were told to leave out: `update` reads its new posts the same way.
    m.privacy["include_community"] = opts.sources.include_community
    m.privacy["skip_content_warnings"] = opts.sources.skip_content_warnings
    fit = language_warning(_texts(posts), tokenizer, base)
    if fit:
        say(f"Warning: {fit}")
    cfg = dataset.DataConfig(
        block_size=dataset.effective_block_size(tokenizer, opts.data.block_size, None),
        val_fraction=opts.data.val_fraction,
        seed=opts.data.seed,
    )
    train, val = dataset.split_posts(posts, cfg.val_fraction, cfg.seed, key=lambda p: p[0])
    train_posts, val_posts = _texts(train), _texts(val)
    split_ids = _ids(train), _ids(val)
    dd = dataset.build_datasets(train_posts, val_posts, tokenizer, cfg)
    outdir.sweep_bot(out)
    _write_prepared(out, m, dd, train_posts, val_posts, cfg, avatars, opts.overwrite, split_ids)
    return m


def _texts(posts: dict[str, list[tuple[str, str | None]]]) -> dict[str, list[str]]:
    return {handle: [text for text, _ in pairs] for handle, pairs in posts.items()}


def _ids(posts: dict[str, list[tuple[str, str | None]]]) -> dict[str, list[str | None]]:
    return {handle: [pid for _, pid in pairs] for handle, pairs in posts.items()}


def _say_privacy(handle: str, g: Gathered, say: Say) -> None:
    if g.deleted:
        say(f"@{handle}: {g.deleted} posts the archive marks deleted were left out")
    behind_cw = g.content_warnings - g.skipped.get("content_warning", 0)
    if behind_cw:
        say(f"@{handle}: {behind_cw} posts behind a content warning are trained on "
            "(--skip-content-warnings leaves them out)")  # fmt: skip
    if g.profile.protected:
        say(f"@{handle}: the account is protected, so its bot is pushed privately "
            "unless --public-ok")  # fmt: skip


def _write_prepared(out: Path, m: Manifest, dd: Any, train_posts: Any, val_posts: Any,
                    cfg: dataset.DataConfig, avatars: dict[str, bytes], overwrite: bool,
                    ids: Any = None) -> None:  # fmt: skip
    """Build bot.json, data/ and avatars/ in a staging folder, then move them into place.

    Raises:
        OutputError: something could not be written (disk full, permissions); `out` is as it was.
    """
    with outdir.staging_dir(out.parent, outdir.prefix_beside(out)) as stage:
        new = stage / "bot"
        try:
            m.data = dataset.save(layout.data_dir(new), dd, train_posts, val_posts, cfg, m.base_model, ids)  # fmt: skip
            if avatars:
                layout.avatars_dir(new).mkdir()
                for name, data in avatars.items():
                    (layout.avatars_dir(new) / name).write_bytes(data)
            manifest.save(m, new)
        except OSError as e:
            raise OutputError(
                f"{out}: could not write the prepared posts ({os_reason(e)}); "
                f"nothing in {out} was changed",
                hint="free some disk space (or make the folder writable) and run the same command",
            ) from None
        if overwrite and outdir.holds_another_bot(out, m.model_name):
            # Another bot: replace the whole folder, its lock (this run's) going along.
            os.link(layout.lock_file(out), layout.lock_file(new))
            outdir.swap_in(new, out, stage)
            return
        out.mkdir(exist_ok=True)
        # The old bot's, into the stage's bin; --overwrite starts the bot over: its model too.
        stale = [layout.AVATARS, layout.CHECKPOINTS]
        if overwrite:
            stale += [layout.REPO, layout.EXPORT, layout.RUNS, layout.GUARD_KEY]
        for name in stale:
            if (out / name).exists():
                os.replace(out / name, stage / f"old-{name}")
        for item in (layout.DATA, layout.AVATARS, layout.MANIFEST):  # bot.json last
            if (new / item).exists():
                outdir.swap_in(new / item, out / item, stage)


def write_card_and_thumbnail(bot_dir: Path, say: Say = console.say) -> None:
    """Render the thumbnail (three sample posts, through the copy guard) and the model card."""
    with lock.writing(bot_dir, "writing the card"):
        _write_card_and_thumbnail(bot_dir, say)


def _write_card_and_thumbnail(bot_dir: Path, say: Say) -> None:
    from .card import thumbnail
    from .space.draw import DrawSettings, draw
    from .space.guard import load_guard
    from .space.load import load_bot

    m = manifest.load(bot_dir)
    repo = layout.repo_dir(bot_dir)
    where = locate(str(bot_dir))  # an adapter bot: its base as it is here (smollm2 offline)
    model, tok = load_bot(where.model_id, base=where.base)
    guard, _ = load_guard(str(repo), allow_copies=bool(m.privacy.get("allow_copies")))
    posts = draw(
        model, tok, DrawSettings(prompt=m.widget_text, n=3, max_new_tokens=40, seed=0), guard
    ).posts
    thumbnail.make_thumbnail(m, posts, repo)
    m.predictions = posts  # the card's widget outputs (`--card-metadata full`)
    manifest.save(m, bot_dir)
    card.write_card(bot_dir, full_metadata=m.card_metadata == "full")
    say(f"Wrote {repo / 'README.md'} and {repo / 'predictions.png'}")


def evaluate_and_guard(bot_dir: Path, qcfg: QualityConfig | None = None, say: Say = console.say,
                       metrics: manifest.Metrics | None = None,
                       report: Say | None = None) -> Quality:  # fmt: skip
    """Write the copy guard and measure the bot (`hf-tweetbot eval`); print the quality block.

    Args:
        bot_dir: a trained bot folder.
        qcfg: how to measure (default: `QualityConfig()`).
        say: where progress lines go.
        metrics: training's metrics when they were measured post by post (posts attention):
            their perplexities are reused rather than measured again.
        report: where the quality block goes (default: `say`; `hf-tweetbot eval`: stdout).

    Returns:
        The `Quality` measured.
    """
    from .quality.evaluate import evaluate
    from .quality.report import lines

    ppl = None
    if metrics is not None and None not in (metrics.perplexity_before, metrics.perplexity_after):
        ppl = {"base": metrics.perplexity_before, "bot": metrics.perplexity_after}
    with lock.writing(bot_dir, "measuring"):
        q = evaluate(bot_dir, qcfg or QualityConfig(), say, perplexities=ppl)
    for line in lines(q.to_dict(), verbose=console.is_verbose()):
        (report or say)(line)
    return q


def train_bot(bot_dir: Path, cfg: TrainConfig, say: Say = console.say,
              quality: QualityConfig | None = None) -> manifest.Metrics:  # fmt: skip
    """Fine-tune, measure, then write the card and thumbnail: `DIR/repo/` is then complete.

    The epoch is chosen as training goes (`quality.epochs`): `cfg.epochs` is then the most
    epochs, and the weights kept are those a person would choose (`--keep-last`: the last).

    Args:
        bot_dir: a prepared bot folder.
        cfg: the training options.
        say: where progress lines go.
        quality: the measurement after training (default: `QualityConfig()`).

    Returns:
        Training's metrics.
    """
    from .quality.epochs import EpochJudge

    if cfg.judge is None:
        cfg = replace(cfg, judge=EpochJudge)
    cfg = fit_to_base(manifest.load(bot_dir), cfg, say, _has_cuda())
    with lock.writing(bot_dir, lock.TRAINING):
        return _train_measure_render(bot_dir, cfg, say, quality)


def _train_measure_render(bot_dir: Path, cfg: TrainConfig, say: Say,
                          quality: QualityConfig | None) -> manifest.Metrics:  # fmt: skip
    from . import train
    from .train.checkpoints import interrupted

    try:
        metrics = train.train(bot_dir, cfg)
    except KeyboardInterrupt:
        raise interrupted(bot_dir, cfg.checkpoint_every) from None
    if is_main_process():
        say(
            f"Validation perplexity {metrics.perplexity_before:.2f} → {metrics.perplexity_after:.2f}; "
            f"{metrics.train_tokens} tokens in {metrics.train_seconds:.0f} s "
            f"({metrics.tokens_per_second:.0f} tokens/s)"
        )
        evaluate_and_guard(bot_dir, quality, say, metrics if cfg.attention == "posts" else None)
        write_card_and_thumbnail(bot_dir, say)
    return metrics


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def fit_to_base(m: Manifest, cfg: TrainConfig, say: Say, cuda: bool) -> TrainConfig:
    """LoRA by default for a preset base above `base_models.LORA_ABOVE` parameters; on a CPU, a
    warning naming `--hf-jobs` when training would take over an hour."""
    from .hub import jobs as hf_jobs
    from .train.loop import EPOCHS, MAX_EPOCHS

    base = cfg.base_model or m.base_model
    params = base_models.known_params(base)
    if params and params > base_models.LORA_ABOVE and not cfg.lora and cfg.init_from is None:
        say(f"{base} has {params / 1e9:.1f}B parameters: training LoRA adapters (as --lora)")
        cfg = replace(cfg, lora=True)
    if not cuda:
        epochs = cfg.epochs or (EPOCHS if cfg.keep_last or cfg.judge is None else MAX_EPOCHS)
        tokens = int((m.data or {}).get("train_tokens") or 0)
        here = hf_jobs.training_minutes(tokens, epochs, hf_jobs.LOCAL_CPU_THROUGHPUT, params)
        if here > 60 and not cfg.max_steps:
            flavor = base_models.PRESETS.get(base, (0, "t4-small", False))[1]
            there = hf_jobs.estimate_minutes(tokens, epochs, flavor, params)
            say(f"Warning: training {base} on this CPU may take about {here / 60:.1f} h; "
                f"`--hf-jobs {flavor}` trains it on Hugging Face Jobs in about {there:.0f} min "
                "(billed to your account)")  # fmt: skip
    return cfg


def is_main_process() -> bool:
    # Under `accelerate launch` only rank 0 renders and pushes.
    return os.environ.get("RANK", "0") == "0"


def publish(specs: list[str], opts: PrepareOptions, train_cfg: TrainConfig,
            push_opts: PushOptions | None, say: Say = console.say,
            quality: QualityConfig | None = None) -> Path:  # fmt: skip
    """Run every stage; push when `push_opts` is given (preflight before anything is read).

    The token and the namespace (and the repo, when its name is known from the arguments) are
    checked before any post is read; a protected account's bot is pushed privately unless
    `--public-ok` (`publisher.hub.privacy`). The bot folder is held from `prepare` to the push.
    """
    from . import hub

    token = None
    if push_opts is not None:
        token = hub.get_token()
        if token is None:
            say("No Hugging Face token (HF_TOKEN or `hf auth login`): the bot stays local.")
            push_opts = None
    check_specs(specs)
    guessed = guess_handles(specs)
    if push_opts is not None and token:
        if push_opts.repo_id or guessed:
            name = manifest.model_name_for(guessed) if guessed else ""
            push_opts.repo_id = hub.preflight(name, push_opts, token)
            say(f"Preflight OK: will push to {push_opts.repo_id}")
        else:  # the repo is named after the handles, read from the posts
            hub.preflight_account(push_opts, token)
    with contextlib.ExitStack() as hold:
        bot_dir, m = prepare(specs, opts, say, hold)
        if push_opts is not None and token:
            for warning in hub.privacy.check(m, push_opts):  # prepare said it is protected
                say(f"Warning: {warning}")
            push_opts = hub.privacy.resolve(m, push_opts)
            if not push_opts.repo_id:
                push_opts.repo_id = hub.preflight(m.model_name, push_opts, token)
                say(f"Preflight OK: will push to {push_opts.repo_id}")
        train_bot(bot_dir, train_cfg, say, quality)
        if push_opts is not None and token and is_main_process():
            result = push_bot(bot_dir, push_opts, token, say)
            say(str(result))
    return bot_dir


def push_bot(bot_dir: Path, opts: PushOptions, token: str, say: Say = console.say) -> PushResult:
    """Push a finished bot (`hub.push`), its GGUF export too with `opts.gguf`.

    The export is written first when `DIR/export/` has none, or only one older than the model.

    Returns:
        The `PushResult`.
    """
    from . import export, hub

    with lock.writing(bot_dir, "pushing"):
        extra = export.hub_files(bot_dir, say) if opts.gguf else None
        return hub.push(bot_dir, opts, token, say, extra)
