"""Commands that make and publish a bot: prepare, train, publish, update, push."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..console import say
from ..remote import JobOptions
from ..sources.spec import UserSpec
from ..train import TrainConfig
from .group import cli
from .options import (
    flag_options,
    job_opts,
    jobs_options,
    prepare_opts,
    push_options,
    push_opts,
    quality_cfg,
    quality_options,
    source_options,
    train_cfg,
    train_options,
    update_options,
    update_opts,
    update_train_options,
)
from .user import USER


@cli.command()
@click.argument("users", nargs=-1, required=True, type=USER)
@source_options
def prepare(users: tuple[UserSpec, ...], **kw: Any) -> None:
    """Gather, clean and tokenize the posts of 1 to 3 USERs into DIR/bot.json and DIR/data/."""
    from ..pipeline import prepare as run

    out, _ = run(list(users), prepare_opts(kw), say)
    say(f"Next: hf-tweetbot train {out}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@flag_options(TrainConfig, ["base_model", "seed"])
@train_options
@quality_options
@jobs_options
def train(bot_dir: Path, base_model: str | None, **kw: Any) -> None:
    """Fine-tune the prepared bot in BOT_DIR and write BOT_DIR/repo/."""
    from ..pipeline import is_main_process, train_bot

    job = job_opts(kw)
    if job is not None:
        from .. import remote

        remote.train(bot_dir, train_cfg(kw, base_model), job, quality_cfg(kw), say, _confirm)
        _after_job(bot_dir, job)
        return
    train_bot(bot_dir, train_cfg(kw, base_model), say, quality_cfg(kw))
    if is_main_process():
        say(f"Next: hf-tweetbot generate {bot_dir}   or   hf-tweetbot push {bot_dir}")


@cli.command()
@click.argument("users", nargs=-1, required=True, type=USER)
@source_options
@train_options
@push_options
@quality_options
@jobs_options
@click.option("--no-push", is_flag=True, help="Keep everything local.")
def publish(users: tuple[UserSpec, ...], no_push: bool, **kw: Any) -> None:
    """Gather, clean, fine-tune, write the card and push a bot of 1 to 3 USERs."""
    from ..pipeline import publish as run

    job = job_opts(kw)
    if job is not None:
        from .. import remote
        from ..errors import UsageError

        if no_push:
            raise UsageError("--hf-jobs pushes the bot (the job's way back)", hint="drop --no-push")  # fmt: skip
        bot_dir = remote.publish(list(users), prepare_opts(kw), train_cfg(kw, None), push_opts(kw),
                                 job, quality_cfg(kw), say, _confirm)  # fmt: skip
        _after_job(bot_dir, job)
        return
    bot_dir = run(list(users), prepare_opts(kw), train_cfg(kw, None),
                  None if no_push else push_opts(kw), say, quality_cfg(kw))  # fmt: skip
    click.echo(f"Bot ready in {bot_dir}. Try: hf-tweetbot generate {bot_dir}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.argument("users", nargs=-1, type=USER)
@update_options
@update_train_options
@push_options
@quality_options
@jobs_options
@click.option("--no-push", is_flag=True, help="Keep the update local.")
def update(bot_dir: Path, users: tuple[UserSpec, ...], no_push: bool, **kw: Any) -> None:
    """Add BOT_DIR's new posts (newer archives as USERs), train on them and push one commit."""
    from ..update import update as run

    opts = update_opts(kw, bot_dir, push=not no_push)
    if opts.job is not None:
        opts.job.confirm = _confirm
    result = run(bot_dir, list(users), opts, say)
    if opts.job is not None and not result.nothing_new:
        _after_job(bot_dir, opts.job)
    elif not result.nothing_new:
        click.echo(f"Bot updated: +{result.added} posts. Try: hf-tweetbot generate {bot_dir}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@push_options
def push(bot_dir: Path, **kw: Any) -> None:
    """Upload BOT_DIR/repo/ (and optionally a dataset and a Space) to the Hub."""
    from .. import hub
    from ..bot import manifest
    from ..errors import AuthError
    from ..pipeline import push_bot

    man = manifest.load(bot_dir)  # a mistyped folder is said before the token is looked for
    token = hub.get_token()
    if token is None:
        raise AuthError("no Hugging Face token found", hint="set HF_TOKEN or run `hf auth login`")
    opts = push_opts(kw)
    for line in [hub.privacy.notice(man, opts)] + [f"Warning: {w}" for w in hub.privacy.check(man, opts)]:  # fmt: skip
        if line:
            say(line)
    result = push_bot(bot_dir, opts, token, say)
    click.echo(str(result))


def _confirm(question: str) -> bool:
    return click.confirm(question, default=False, err=True)


def _after_job(bot_dir: Path, job: JobOptions | None) -> None:
    from ..bot import manifest

    done = (manifest.load(bot_dir).hf_job or {}).get("brought_back")
    if done:
        click.echo(f"Bot ready in {bot_dir}. Try: hf-tweetbot generate {bot_dir}")
    elif job is not None and job.detach:
        click.echo(f"Job started. Follow it: hf-tweetbot job {bot_dir} --follow")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.option("--follow", is_flag=True, help="Relay the job's log until it ends, then bring the bot back.")  # fmt: skip
@click.option("--cancel", is_flag=True, help="Cancel the job (nothing is published).")
def job(bot_dir: Path, follow: bool, cancel: bool) -> None:
    """Show BOT_DIR's Hugging Face job: stage, duration, cost so far, the end of its log."""
    from .. import remote
    from ..bot import manifest
    from ..errors import AuthError
    from ..hub import get_token

    manifest.load(bot_dir)  # a mistyped folder is said before the token is looked for
    token = get_token()
    if token is None:
        raise AuthError("no Hugging Face token found", hint="set HF_TOKEN or run `hf auth login`")
    if cancel:
        remote.cancel(bot_dir, token, say)
    elif follow:
        remote.follow(bot_dir, token, say)
        _after_job(bot_dir, None)
    else:
        for line in remote.status_lines(bot_dir, token):
            click.echo(line)


@cli.command(name="job-train", hidden=True)
@click.argument("dataset_repo")
def job_train(dataset_repo: str) -> None:
    """Train and push the bot whose inputs DATASET_REPO holds (what a Hugging Face job runs)."""
    from .. import remote
    from ..update import finish

    remote.run_in_job(dataset_repo, say, finish)
