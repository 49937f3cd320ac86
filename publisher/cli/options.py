"""The command-line options shared between commands, and the stage options built from them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import click


def source_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of `prepare`, shared with `publish`."""
    opts = [
        click.option("--out", type=click.Path(path_type=Path), help="Bot folder (default bots/<model_name>)."),
        click.option("--base-model", default=None, help="Hub id, local folder, or `smollm2` (offline). Default openai-community/gpt2."),
        click.option("--overwrite", is_flag=True, help="Replace another bot already in --out."),
        click.option("--widget-text", default="My dream is", show_default=True, help="Prompt of the Hub widget and the Space."),
        click.option("--max-posts", default=3200, show_default=True, type=click.IntRange(1), help="Most posts fetched per user from a live API."),
        click.option("--refresh", is_flag=True, help="Fetch live posts again instead of using DIR/raw/."),
        click.option("--val-fraction", default=0.1, show_default=True, type=click.FloatRange(0, 0.5), help="Share of posts held out for validation."),
        click.option("--block-size", default=1024, show_default=True, type=click.IntRange(8), help="Tokens per training block (capped by the model)."),
        click.option("--card-metadata", type=click.Choice(["exact", "full"]), default="exact", show_default=True, help="`full` adds base_model, pipeline_tag, model-index to the card."),
        click.option("--seed", default=42, show_default=True, type=int, help="Seed for the split, shuffling and training."),
        click.option("--mask-mentions", is_flag=True, help="Replace @handles of other accounts with @user before training."),
        click.option("--include-community", is_flag=True, help="X archive: also train on posts made in X Communities (left out by default)."),
        click.option("--skip-content-warnings", is_flag=True, help="Mastodon: leave out posts behind a content warning (counted either way)."),
    ]  # fmt: skip
    return _stack(f, opts)


def train_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of `train`, shared with `publish`."""
    return _stack(f, _train_options(update=False))


def update_train_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The training options `update` takes: it trains exactly its epochs, never resumed."""
    return _stack(f, _train_options(update=True))


def _train_options(update: bool) -> list[Callable[..., Any]]:
    epochs = [
        click.option("--epochs", default=None, type=click.IntRange(1), help="The most epochs (default 8): training keeps the epoch whose posts pass best for the person's, and stops once 2 measurements in a row were no better. `update`: exactly N (default 4)."),
    ]  # fmt: skip
    choice = [  # the epoch a person would choose: not `update`'s
        click.option("--keep-last", is_flag=True, help="Train exactly --epochs (or --max-steps) and keep the last weights; each epoch is still measured."),
        click.option("--patience", default=2, show_default=True, type=click.IntRange(1), help="Measurements without better weights before training stops."),
        click.option("--measure-every", default=0, show_default=True, type=click.IntRange(0), help="Optimizer steps between measurements (0: every epoch's end, at most 500 steps apart)."),
    ]  # fmt: skip
    steps = [
        click.option("--max-steps", default=None, type=click.IntRange(1), help="Stop after N optimizer steps."),
        click.option("--batch-size", default=1, show_default=True, type=click.IntRange(1), help="Blocks per step per process."),
        click.option("--grad-accum", default=1, show_default=True, type=click.IntRange(1), help="Gradient accumulation steps."),
        click.option("--lr", "learning_rate", default=None, type=float, help="Default 1.372e-4 (huggingtweets); 1.372e-3 with --lora."),
        click.option("--mixed-precision", type=click.Choice(["auto", "bf16", "fp16", "no"]), default="auto", show_default=True),
        click.option("--attention", type=click.Choice(["posts", "block"]), default="posts", show_default=True, help="posts: each post attends only to itself; block: the whole block (huggingtweets)."),
    ]  # fmt: skip
    resuming = [  # `update` trains in a stage it never resumes
        click.option("--checkpoint-every", default=50, show_default=True, type=click.IntRange(0), help="Optimizer steps between checkpoints (0: never)."),
        click.option("--resume", is_flag=True, help="Continue from the latest checkpoint (the default when it is one of the same run)."),
        click.option("--restart", is_flag=True, help="Start over, removing the checkpoint of an earlier run."),
    ]  # fmt: skip
    rest = [
        click.option("--report-to", type=click.Choice(["auto", "tensorboard", "wandb", "none"]), default="auto", show_default=True, help="Where training metrics go; auto: TensorBoard when installed (hf-tweetbot[tensorboard])."),
        click.option("--lora", is_flag=True, help="Train LoRA adapters (peft) instead of every weight."),
        click.option("--lora-r", default=16, show_default=True, type=click.IntRange(1), help="Rank of the LoRA matrices."),
        click.option("--lora-alpha", default=32, show_default=True, type=click.IntRange(1), help="LoRA scaling: updates are scaled by alpha / r."),
        click.option("--lora-targets", default="all-linear", show_default=True, help="Layers to adapt: all-linear, or names such as q_proj,v_proj."),
        click.option("--push-adapter", is_flag=True, help="With --lora: the repo holds the adapter alone (needs a Hub base model), not merged weights."),
    ]  # fmt: skip
    if update:
        return epochs + steps + rest
    return epochs + choice + steps + resuming + rest


def push_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of `push`, shared with `publish`."""
    opts = [
        click.option("--repo-id", default=None, help="NS/NAME (default: your namespace and the model name)."),
        click.option("--namespace", default=None, help="Push under this organisation."),
        click.option("--private", is_flag=True, help="Create private repos."),
        click.option("--space", is_flag=True, help="Also push a Gradio Space."),
        click.option("--dataset", is_flag=True, help="Also push the cleaned posts as a dataset repo."),
        click.option("--create-pr", is_flag=True, help="Open a pull request instead of committing to main."),
        click.option("--gguf", is_flag=True, help="Also upload DIR/export/*.gguf and Ollama's files (exported first if missing or stale)."),
        click.option("--commit-message", default=None),
        click.option("--space-hardware", default=None, help="Space hardware flavor (e.g. t4-small, paid); default the free cpu-basic, with torch's CPU build."),
        click.option("--public-ok", is_flag=True, help="Push a protected account's bot publicly anyway."),
        click.option("--public-dataset", is_flag=True, help="Make the --dataset repo public (default: private)."),
    ]  # fmt: skip
    return _stack(f, opts)


def jobs_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of training on Hugging Face Jobs (`publish`, `train`)."""
    opts = [
        click.option("--hf-jobs", "hf_jobs", default=None, metavar="FLAVOR", help="Train on Hugging Face Jobs (your account, billed per minute) on FLAVOR, e.g. cpu-upgrade, t4-small, a10g-small; the posts are read here."),
        click.option("--yes", is_flag=True, help="With --hf-jobs: start the job without asking to confirm its cost."),
        click.option("--detach", is_flag=True, help="With --hf-jobs: return once the job is started (`hf-tweetbot job DIR` follows it)."),
        click.option("--timeout", default=None, metavar="DURATION", help="With --hf-jobs: stop the job after DURATION (e.g. 90m, 2h); default 3x the estimate."),
    ]  # fmt: skip
    return _stack(f, opts)


def job_opts(kw: dict[str, Any]) -> Any:
    """The `JobOptions` of `--hf-jobs` (None without it); its companions need it."""
    from ..errors import UsageError
    from ..hub import jobs as hf_jobs
    from ..remote import JobOptions

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


def quality_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options of the measurement after training (`train`, `publish`, `update`)."""
    opts = [
        click.option("--eval-samples", default=100, show_default=True, type=click.IntRange(0), help="Posts drawn to measure memorisation and variety (0: skip)."),
        click.option("--allow-copies/--no-allow-copies", default=None, help="Turn the copy guard off (on) for good: posts repeating a span of a real post (10+ tokens and as many characters as 10 tokens of English) are shown. Default: as recorded in bot.json (on)."),
    ]  # fmt: skip
    return _stack(f, opts)


def quality_cfg(kw: dict[str, Any]) -> Any:
    """The `QualityConfig` of `--eval-samples` and `--allow-copies`."""
    from ..quality import QualityConfig

    return QualityConfig(samples=kw["eval_samples"], allow_copies=kw["allow_copies"])


def prepare_opts(kw: dict[str, Any]) -> Any:
    from .. import base_models
    from ..bot import layout
    from ..dataset import DataConfig
    from ..pipeline import PrepareOptions
    from ..sources import SourceOptions

    out = kw["out"]
    return PrepareOptions(
        out=out,
        base_model=kw["base_model"] or base_models.DEFAULT_BASE_MODEL,
        overwrite=kw["overwrite"],
        widget_text=kw["widget_text"],
        card_metadata=kw["card_metadata"],
        mask_mentions=kw["mask_mentions"],
        sources=SourceOptions(raw_dir=layout.raw_dir(out) if out else None, max_posts=kw["max_posts"], refresh=kw["refresh"],
                              include_community=kw["include_community"],
                              skip_content_warnings=kw["skip_content_warnings"]),
        data=DataConfig(block_size=kw["block_size"], val_fraction=kw["val_fraction"], seed=kw["seed"]),
    )  # fmt: skip


def train_cfg(kw: dict[str, Any], base_model: str | None) -> Any:
    """The `TrainConfig` of a command's options (`base_model` None: the one `prepare` recorded)."""
    from ..train import TrainConfig

    # `publish` shares --base-model and --block-size with `prepare`: training takes both from
    # the prepared bot, so they are not training options here.
    skip = {"base_model", "block_size"}
    return TrainConfig(base_model=base_model, **_fields_of(TrainConfig, kw, skip))


def push_opts(kw: dict[str, Any]) -> Any:
    """The `PushOptions` of a command's options."""
    from ..hub import PushOptions

    return PushOptions(**_fields_of(PushOptions, kw))


def _fields_of(cls: Any, kw: dict[str, Any], skip: set[str] = set()) -> dict[str, Any]:  # noqa: B006
    """The options that are fields of dataclass `cls`: a new option needs no listing here."""
    return {f.name: kw[f.name] for f in fields(cls) if f.name in kw and f.name not in skip}


def _stack(f: Callable[..., Any], opts: list[Callable[..., Any]]) -> Callable[..., Any]:
    """Apply click option decorators so that `--help` lists them in the order given."""
    for opt in reversed(opts):
        f = opt(f)
    return f
