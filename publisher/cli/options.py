"""The command-line options shared between commands, made from the fields of the stages' options.

A flag's default, help, choices and range are its field's (`publisher.flags`): the lists here say
only which fields a command offers, in the order `--help` lists them, and the stage options are
built back from the parsed values by field name.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..bot import layout
from ..errors import UsageError
from ..flags import build, field_type, flag_of, nested
from ..hub import PushOptions
from ..hub import jobs as hf_jobs
from ..pipeline import PrepareOptions
from ..quality import QualityConfig
from ..remote import JobOptions
from ..train.config import EPOCHS, TrainConfig
from ..update import UpdateOptions

F = TypeVar("F", bound=Callable[..., Any])

# What `prepare` reads (`publish` too): `sources.` and `data.` name the nested options' fields.
PREPARE = ("out", "base_model", "overwrite", "widget_text", "sources.max_posts", "sources.refresh",
           "data.val_fraction", "data.block_size", "card_metadata", "data.seed", "mask_mentions",
           "sources.include_community", "sources.skip_content_warnings")  # fmt: skip
# How `train` trains (`publish` too).
TRAIN = ("epochs",
         "keep_last", "patience", "measure_every",  # the epoch a person would choose: not `update`'s
         "max_steps", "batch_size", "grad_accum", "learning_rate", "mixed_precision", "attention",
         "checkpoint_every", "resume", "restart",  # `update` trains in a stage it never resumes
         "report_to", "lora", "lora_r", "lora_alpha", "lora_targets", "push_adapter")  # fmt: skip
# What `update` does besides training, and how many new posts it fetches.
UPDATE = ("from_scratch", "sources.max_posts")
NOT_UPDATE = {"keep_last", "patience", "measure_every", "checkpoint_every", "resume", "restart"}
PUSH = ("repo_id", "namespace", "private", "space", "dataset", "create_pr", "gguf",
        "commit_message", "space_hardware", "public_ok", "public_dataset")  # fmt: skip
# The measurement after training (`train`, `publish`, `update`); `eval` offers the fields as
# they are.
QUALITY = ("samples", "allow_copies")
AFTER_TRAINING: dict[str, dict[str, Any]] = {
    "samples": dict(name="--eval-samples", help="Posts drawn to measure memorisation and variety (0: skip)."),
    "allow_copies": dict(help="Turn the copy guard off (on) for good: posts repeating a span of a real post (10+ tokens and as many characters as 10 tokens of English) are shown. Default: as recorded in bot.json (on)."),
}  # fmt: skip


class FieldOption(click.Option):
    """A click option made from a field of an options dataclass (`owner.field`)."""

    def __init__(self, *args: Any, owner: type, field: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.owner, self.field = owner, field


def flag_options(cls: type, names: Iterable[str], **variants: dict[str, Any]) -> Callable[[F], F]:
    """Decorate a command with the options of `cls`'s fields `names`, listed in that order.

    Args:
        cls: an options dataclass whose fields are made with `publisher.flags.flag`.
        names: its fields; `sources.max_posts` is field `max_posts` of the options in `sources`.
        variants: by field name, this command's `Flag` changes (another `name` or `help`).
    """
    opts = [_option(cls, name, variants.get(name.rpartition(".")[2], {})) for name in names]

    def decorate(f: F) -> F:
        for opt in reversed(opts):  # `--help` lists them in the order given
            f = opt(f)
        return f

    return decorate


def _option(cls: type, name: str, variant: dict[str, Any]) -> Callable[[F], F]:
    """The click option of field `name` of `cls`: its default, type, help, choices, range."""
    owner, f = _field(cls, name)
    spec = flag_of(f)
    if spec is None:
        raise TypeError(f"{owner.__name__}.{f.name} is not a flag")
    spec = dataclasses.replace(spec, **variant)
    decl = spec.name or "--" + f.name.replace("_", "-")
    made: dict[str, Any] = dict(
        cls=FieldOption, owner=owner, field=f.name, default=f.default, help=spec.help
    )
    kind, optional = field_type(owner, f)
    if kind is bool:
        if optional:  # None: as recorded; --x and --no-x say otherwise
            return click.option(f"{decl}/--no-{decl[2:]}", f.name, **made)
        if f.default is not False:
            raise TypeError(f"{owner.__name__}.{f.name}: a flag that is on by default needs --no-")
        return click.option(decl, f.name, is_flag=True, **made)
    choices = spec.choices or (typing.get_args(kind) if typing.get_origin(kind) is typing.Literal else None)  # fmt: skip
    ranged = spec.min is not None or spec.max is not None
    if choices:
        kind = click.Choice(list(choices))
    elif kind is int and ranged:
        kind = click.IntRange(spec.min, spec.max)  # type: ignore[arg-type]
    elif kind is float and ranged:
        kind = click.FloatRange(spec.min, spec.max, min_open=spec.min_open)
    elif kind is Path:
        kind = click.Path(path_type=Path)
    show = spec.show_default and f.default is not None
    return click.option(decl, f.name, type=kind, show_default=show, **made)


def _field(cls: type, name: str) -> tuple[type, dataclasses.Field[Any]]:
    """(the options class holding the field, the field) of a possibly dotted field name."""
    head, _, rest = name.partition(".")
    f = {f.name: f for f in dataclasses.fields(cls)}[head]
    if rest:
        inner = nested(f)
        if inner is None:
            raise TypeError(f"{cls.__name__}.{head} holds no options")
        return _field(inner, rest)
    return cls, f


def _pick(kw: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The parsed values of the fields `names` that the command offers."""
    leaves = [name.rpartition(".")[2] for name in names]
    return {leaf: kw[leaf] for leaf in leaves if leaf in kw}


def source_options(f: F) -> F:
    """Options of `prepare`, shared with `publish`."""
    return flag_options(PrepareOptions, PREPARE)(f)


def train_options(f: F) -> F:
    """Options of `train`, shared with `publish`."""
    return flag_options(TrainConfig, TRAIN)(f)


def update_train_options(f: F) -> F:
    """The training options `update` takes: it trains exactly its epochs, never resumed."""
    exactly = dict(help=f"Epochs over the new posts (default {EPOCHS}), exactly: the last weights are kept.")  # fmt: skip
    return flag_options(TrainConfig, [n for n in TRAIN if n not in NOT_UPDATE], epochs=exactly)(f)


def update_options(f: F) -> F:
    """Options of `update` besides those of training, pushing and measuring."""
    new = dict(help="Most new posts fetched per user from a live API.")
    return flag_options(UpdateOptions, UPDATE, max_posts=new)(f)


def push_options(f: F) -> F:
    """Options of `push`, shared with `publish`."""
    return flag_options(PushOptions, PUSH)(f)


def quality_options(f: F) -> F:
    """Options of the measurement after training (`train`, `publish`, `update`)."""
    return flag_options(QualityConfig, QUALITY, **AFTER_TRAINING)(f)


def jobs_options(f: F) -> F:
    """Options of training on Hugging Face Jobs (`publish`, `train`)."""
    opts = [
        click.option("--hf-jobs", "hf_jobs", default=None, metavar="FLAVOR", help="Train on Hugging Face Jobs (your account, billed per minute) on FLAVOR, e.g. cpu-upgrade, t4-small, a10g-small; the posts are read here."),
        click.option("--yes", is_flag=True, help="With --hf-jobs: start the job without asking to confirm its cost."),
        click.option("--detach", is_flag=True, help="With --hf-jobs: return once the job is started (`hf-tweetbot job DIR` follows it)."),
        click.option("--timeout", default=None, metavar="DURATION", help="With --hf-jobs: stop the job after DURATION (e.g. 90m, 2h); default 3x the estimate."),
    ]  # fmt: skip
    for opt in reversed(opts):
        f = opt(f)
    return f


def job_opts(kw: dict[str, Any]) -> JobOptions | None:
    """The `JobOptions` of `--hf-jobs` (None without it); its companions need it."""
    if kw["hf_jobs"] is None:
        given = [n for n in ("yes", "detach", "timeout") if kw[n]]
        if given:
            raise UsageError(f"--{given[0]} goes with --hf-jobs FLAVOR", hint="add --hf-jobs cpu-basic (or a GPU flavor)")  # fmt: skip
        return None
    flavor = kw["hf_jobs"]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", flavor):
        raise UsageError(f"--hf-jobs {flavor!r} is not a Jobs flavor",
                         hint="e.g. --hf-jobs cpu-basic, t4-small or a10g-small")  # fmt: skip
    if kw["timeout"] is not None:
        hf_jobs.parse_timeout(kw["timeout"])  # a typo is said before anything is read
    return JobOptions(flavor, kw["yes"], kw["detach"], kw["timeout"])


def prepare_opts(kw: dict[str, Any]) -> PrepareOptions:
    """The `PrepareOptions` of a command's options (raw pages cached in the bot folder)."""
    out = kw["out"]
    return build(PrepareOptions, {**_pick(kw, PREPARE), "raw_dir": layout.raw_dir(out) if out else None})  # fmt: skip


def train_cfg(kw: dict[str, Any], base_model: str | None) -> TrainConfig:
    """The `TrainConfig` of a command's options (`base_model` None: the one `prepare` recorded)."""
    # `publish` shares --seed with `prepare`; its --base-model and --block-size are `prepare`'s:
    # training reads both from the prepared bot.
    return build(TrainConfig, _pick(kw, [*TRAIN, "seed"]), base_model=base_model)


def update_opts(kw: dict[str, Any], bot_dir: Path, push: bool) -> UpdateOptions:
    """The `UpdateOptions` of `update`'s options (`push` False: keep the update local)."""
    return build(UpdateOptions, {**_pick(kw, UPDATE), "raw_dir": layout.raw_dir(bot_dir)},
                 train=train_cfg(kw, None), push=push_opts(kw) if push else None,
                 quality=quality_cfg(kw), job=job_opts(kw))  # fmt: skip


def push_opts(kw: dict[str, Any]) -> PushOptions:
    """The `PushOptions` of a command's options."""
    return build(PushOptions, _pick(kw, PUSH))


def quality_cfg(kw: dict[str, Any]) -> QualityConfig:
    """The `QualityConfig` of `--eval-samples` and `--allow-copies`."""
    return build(QualityConfig, _pick(kw, QUALITY))
