"""The `hf-tweetbot` command: parse, call the stage, print. Errors become one line here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .cli_options import (
    prepare_opts,
    push_options,
    push_opts,
    quality_cfg,
    quality_options,
    source_options,
    train_cfg,
    train_options,
)
from .errors import TweetbotError, os_reason

DEBUG_ENV = "HF_TWEETBOT_DEBUG"
VERBOSE_ENV = "HF_TWEETBOT_VERBOSE"


def _say(msg: str) -> None:
    click.echo(msg, err=True)


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from . import console

        console.setup(verbose=True)


VERBOSE = click.Option(
    ["--verbose", "-v"],
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_verbose,
    help="Also show the libraries' own progress bars, logs and warnings.",
)


class Group(click.Group):
    """The command group: every command, whoever adds it, accepts `--verbose`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(p.name == "verbose" for p in cmd.params):
            cmd.params.append(VERBOSE)
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, expose_value=False, is_eager=True, callback=_verbose, help="Also show the libraries' own progress bars, logs and warnings.")  # fmt: skip
@click.version_option(package_name="hf-tweetbot")
def cli() -> None:
    """Turn someone's posts into a text-generation bot on the Hugging Face Hub."""


@cli.command()
@click.argument("users", nargs=-1, required=True)
@source_options
def prepare(users: tuple[str, ...], **kw: Any) -> None:
    """Gather, clean and tokenize the posts of 1 to 3 USERs into DIR/bot.json and DIR/data/."""
    from .pipeline import prepare as run

    out, _ = run(list(users), prepare_opts(kw), _say)
    click.echo(f"Next: hf-tweetbot train {out}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.option(
    "--base-model",
    default=None,
    help="Train another base model than `prepare` recorded (re-tokenizes).",
)
@click.option("--seed", default=42, show_default=True, type=int)
@train_options
@quality_options
def train(bot_dir: Path, base_model: str | None, **kw: Any) -> None:
    """Fine-tune the prepared bot in BOT_DIR and write BOT_DIR/repo/."""
    from .pipeline import is_main_process, train_bot

    train_bot(bot_dir, train_cfg(kw, base_model), _say, quality_cfg(kw))
    if is_main_process():
        click.echo(f"Next: hf-tweetbot generate {bot_dir}   or   hf-tweetbot push {bot_dir}")


@cli.command()
@click.argument("users", nargs=-1, required=True)
@source_options
@train_options
@push_options
@quality_options
@click.option("--no-push", is_flag=True, help="Keep everything local.")
def publish(users: tuple[str, ...], no_push: bool, **kw: Any) -> None:
    """Gather, clean, fine-tune, write the card and push a bot of 1 to 3 USERs."""
    from .pipeline import publish as run

    bot_dir = run(list(users), prepare_opts(kw), train_cfg(kw, None),
                  None if no_push else push_opts(kw), _say, quality_cfg(kw))  # fmt: skip
    click.echo(f"Bot ready in {bot_dir}. Try: hf-tweetbot generate {bot_dir}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.argument("users", nargs=-1)
@click.option(
    "--from-scratch",
    is_flag=True,
    help="Retrain from the base model on every post instead of continuing.",
)
@click.option(
    "--max-posts",
    default=3200,
    show_default=True,
    type=click.IntRange(1),
    help="Most new posts fetched per user from a live API.",
)
@train_options
@push_options
@click.option("--no-push", is_flag=True, help="Keep the update local.")
def update(bot_dir: Path, users: tuple[str, ...], from_scratch: bool, max_posts: int, no_push: bool, **kw: Any) -> None:  # fmt: skip
    """Add BOT_DIR's new posts (newer archives as USERs), train on them and push one commit."""
    from .sources import SourceOptions
    from .update import UpdateOptions
    from .update import update as run

    opts = UpdateOptions(from_scratch, SourceOptions(raw_dir=bot_dir / "raw", max_posts=max_posts),
                         train_cfg(kw, None), None if no_push else push_opts(kw))  # fmt: skip
    result = run(bot_dir, list(users), opts, _say)
    if not result.nothing_new:
        click.echo(f"Bot updated: +{result.added} posts. Try: hf-tweetbot generate {bot_dir}")


@cli.command()
@click.argument("bot")
@click.argument("prompt", required=False, default=None)
@click.option(
    "-n", "num", default=5, show_default=True, type=click.IntRange(1, 200), help="How many posts."
)
@click.option("--max-new-tokens", default=60, show_default=True, type=click.IntRange(1, 1000))
@click.option("--temperature", default=1.0, show_default=True, type=click.FloatRange(0.01, 5))
@click.option("--top-p", default=0.95, show_default=True, type=click.FloatRange(0.01, 1))
@click.option("--seed", default=None, type=int)
@click.option(
    "--allow-copies", is_flag=True, help="Show posts that repeat 10+ tokens of a real post."
)
def generate(bot: str, prompt: str | None, num: int, max_new_tokens: int, temperature: float, top_p: float, seed: int | None, allow_copies: bool) -> None:  # fmt: skip
    """Write posts with a bot (a bot folder, its repo/ folder, or a Hub repo id)."""
    from space.guard import guarded_posts, load_guard
    from space.sampling import load_bot

    model_id, widget = _model_location(bot)
    with _loading(model_id):
        model, tok = load_bot(model_id, base=_local_base(bot))
    guard, status = load_guard(model_id, allow_copies)
    if guard is None:
        _say(f"Copy guard {status}")
    text = widget if prompt is None else prompt
    out = guarded_posts(model, tok, text, guard, n=num, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)  # fmt: skip
    for i, post in enumerate(out.posts, 1):
        click.echo(f"{i}. {post}")
    if out.redrawn:
        _say(f"The copy guard drew {out.redrawn} post(s) again: they repeated a real post")
    for note in out.notes:
        _say(f"Notice: {note}")


@cli.command(name="eval")
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.option(
    "--samples",
    default=100,
    show_default=True,
    type=click.IntRange(0),
    help="Posts drawn from a bare EOS (0: none).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--allow-copies/--no-allow-copies",
    default=None,
    help="Record the copy guard off (on). Default: as recorded.",
)
def eval_(bot_dir: Path, samples: int, seed: int, allow_copies: bool | None) -> None:  # fmt: skip
    """Measure BOT_DIR (perplexity, copies of real posts, variety, tokenizer fit) and write its copy guard."""
    from .pipeline import assess
    from .quality import QualityConfig

    assess(
        bot_dir, QualityConfig(samples=samples, seed=seed, allow_copies=allow_copies), click.echo
    )
    click.echo(
        f"Wrote {bot_dir / 'repo' / 'quality.json'} and the quality block of {bot_dir / 'bot.json'}"
    )


def _model_location(bot: str) -> tuple[str, str]:
    """(what `from_pretrained` loads, the widget prompt) for a bot folder, repo folder or repo id."""
    from . import manifest

    path = Path(bot)
    if (path / manifest.MANIFEST_NAME).exists():
        m = manifest.load(path)
        if not (path / "repo" / "config.json").exists():
            from .errors import ManifestError

            raise ManifestError(f"{path}: not trained yet", hint=f"hf-tweetbot train {path}")
        return str(path / "repo"), m.widget_text
    if path.exists() or bot.startswith((".", "/", "~")):
        if not (path / "config.json").exists():
            from .errors import ManifestError

            raise ManifestError(
                f"{bot}: neither a bot folder nor a model folder",
                hint="pass the folder `publish` wrote",
            )
        return str(path), manifest.DEFAULT_WIDGET_TEXT
    return bot, manifest.DEFAULT_WIDGET_TEXT


def _local_base(bot: str) -> str | None:
    """Where a bot folder's LoRA adapter finds its base offline (`smollm2`'s converted copy)."""
    from . import base_models, manifest
    from .hub.files import is_adapter

    path = Path(bot)
    if not (path / manifest.MANIFEST_NAME).exists() or not is_adapter(path / "repo"):
        return None
    return base_models.resolve(manifest.load(path).base_model)


class _loading:
    """Report a model that cannot be loaded as one line."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, exc: Any, tb: Any) -> None:
        if exc is not None and isinstance(exc, (OSError, ValueError)):
            from .errors import ManifestError

            raise ManifestError(
                f"cannot load bot '{self.model_id}': {str(exc).splitlines()[0][:200]}",
                hint="pass a bot folder, its repo/ folder, or a Hub repo id",
            ) from exc


@cli.command()
@click.argument("bot", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the card to FILE instead of standard output.",
)
@click.option(
    "--card-metadata",
    type=click.Choice(["exact", "full"]),
    default=None,
    help="Default: as recorded in bot.json.",
)
def card(bot: Path, output: Path | None, card_metadata: str | None) -> None:
    """Print the model card of BOT (a bot folder or its bot.json)."""
    from . import card as cards
    from . import manifest

    text = cards.render_bot_card(bot, None if card_metadata is None else card_metadata == "full")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        manifest.atomic_write_text(output, text)
        _say(f"Wrote {output}")


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@push_options
def push(bot_dir: Path, **kw: Any) -> None:
    """Upload BOT_DIR/repo/ (and optionally a dataset and a Space) to the Hub."""
    from . import hub, manifest
    from .errors import AuthError

    token = hub.get_token()
    if token is None:
        raise AuthError("no Hugging Face token found", hint="set HF_TOKEN or run `hf auth login`")
    opts = push_opts(kw)
    for warning in hub.privacy.check(manifest.load(bot_dir), opts):
        _say(f"Warning: {warning}")
    result = hub.push(bot_dir, opts, token)
    click.echo(str(result))


@cli.command()
@click.argument("bot_dir", type=click.Path(path_type=Path))
@click.option(
    "--gguf",
    is_flag=True,
    help="Write a GGUF file (llama.cpp, Ollama, LM Studio) and an Ollama Modelfile.",
)
@click.option("--quant", type=click.Choice(["q8_0", "f16"]), default="q8_0", show_default=True, help="GGUF tensor type.")  # fmt: skip
def export(bot_dir: Path, gguf: bool, quant: str) -> None:
    """Export the bot in BOT_DIR for local runners into BOT_DIR/export/."""
    from .errors import UsageError
    from .export import ExportOptions
    from .export import export as run

    if not gguf:
        raise UsageError("choose what to export", hint=f"hf-tweetbot export {bot_dir} --gguf")
    path = run(bot_dir, ExportOptions(quant=quant), _say)
    name = path.name.split(".")[0]
    click.echo(
        f'Next: ollama create {name} -f {path.parent}/Modelfile && ollama run {name} "My dream is"'
    )


@cli.command()
@click.argument("bot")
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--share", is_flag=True, help="Also open a public gradio.live link.")
@click.option("--allow-copies", is_flag=True, help="Turn the copy guard off for this run.")
def space(bot: str, port: int, share: bool, allow_copies: bool) -> None:
    """Serve the Gradio app locally on a bot folder or a Hub repo id."""
    from space.guard import ALLOW_ENV

    model_id, _ = _model_location(bot)
    os.environ["MODEL_ID"] = model_id
    base = _local_base(bot)
    if base:  # an adapter bot on an offline base: the app loads the base from here
        os.environ["TWEETBOT_BASE_MODEL"] = base
    if allow_copies:
        os.environ[ALLOW_ENV] = "1"
    from space.app import build_demo

    build_demo(model_id).launch(server_port=port, share=share)


@cli.command()
@click.option("--port", default=7860, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 serves other machines too.")  # fmt: skip
@click.option("--share", is_flag=True, help="Also open a public gradio.live link.")
@click.option("--base-model", "base_models", multiple=True, help="A base model to offer (repeatable; the first is the default). Default: smollm2, openai-community/gpt2.")  # fmt: skip
@click.option("--time-budget", type=click.FloatRange(0.1), default=None, help="Minutes of training per bot before it stops and keeps what it learned (default 10).")  # fmt: skip
@click.option("--space-folder", type=click.Path(path_type=Path), default=None, help="Write a Space running this app into the folder instead of serving it.")  # fmt: skip
def web(port: int, host: str, share: bool, base_models: tuple[str, ...], time_budget: float | None, space_folder: Path | None) -> None:  # fmt: skip
    """Serve the bot creator in the browser: upload posts, train, publish."""
    from .web import WebConfig

    cfg = WebConfig.from_env()
    if base_models:
        cfg.base_models = base_models
    if time_budget:
        cfg.time_budget = time_budget * 60
    if space_folder is not None:
        from .web.space_folder import write_space_folder

        write_space_folder(space_folder, cfg)
        click.echo(f"Wrote the creator Space to {space_folder}. Try it: cd {space_folder} && python app.py")  # fmt: skip
        return
    from .web import build_app, launch_options

    build_app(cfg).launch(server_name=host, server_port=port, share=share, **launch_options(cfg))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn domain errors into one line with a hint."""
    from . import console

    debug = os.environ.get(DEBUG_ENV) == "1"
    # Before any library is imported: their bars and warnings are not for the user (--verbose).
    console.setup(verbose=os.environ.get(VERBOSE_ENV) == "1")
    try:
        cli.main(args=argv, prog_name="hf-tweetbot", standalone_mode=False)
    except TweetbotError as e:
        if debug:
            raise
        for line in error_lines(e):
            click.echo(line, err=True)
        return e.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted; finished outputs were kept, nothing was half-written.", err=True)
        return 130
    except OSError as e:  # the machine, not the code: a full disk, a read-only folder, ...
        if debug:
            raise
        click.echo(f"Error: {os_reason(e)}", err=True)
        click.echo("Hint: check the free space and permissions there, then run it again", err=True)
        return 2
    except Exception as e:  # the last line of defence: still one line, unless debugging
        if debug:
            raise
        for line in error_lines(e):
            click.echo(line, err=True)
        return 1
    return 0


def error_lines(e: BaseException) -> list[str]:
    """What a person is told about an error: `Error: ...` and, when there is one, `Hint: ...`.

    The CLI prints these lines on stderr; the web app shows the same ones.

    Args:
        e: a `TweetbotError`, or anything else (reported as unexpected).

    Returns:
        One or two lines.
    """
    if isinstance(e, TweetbotError):
        return [f"Error: {e.message}"] + ([f"Hint: {e.hint}"] if e.hint else [])
    detail = str(e).splitlines()[0][:300] if str(e) else ""
    return [
        f"Error: unexpected {type(e).__name__}: {detail}",
        f"Hint: set {DEBUG_ENV}=1 for the traceback, and report it",
    ]


if __name__ == "__main__":
    sys.exit(main())
