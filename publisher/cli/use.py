"""Commands that use a bot: generate, eval, card, export, space, and the creator: web."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from .. import atomic
from ..bot import layout
from ..bot.locate import loading, locate
from ..console import say
from ..errors import require
from ..flags import build
from ..quality import QualityConfig
from .group import cli
from .options import flag_options


@cli.command()
@click.argument("bot")
@click.argument("prompt", required=False, default=None)
@click.option(
    "-n", "num", default=5, show_default=True, type=click.IntRange(1, 200), help="How many posts."
)
@click.option("--max-new-tokens", default=60, show_default=True, type=click.IntRange(1, 1000))
@click.option("--temperature", default=None, type=click.FloatRange(0.01, 5), help="Default: the bot's own (its generation_config.json, fitted by `eval`).")  # fmt: skip
@click.option("--top-p", default=None, type=click.FloatRange(0.01, 1), help="Default: the bot's own.")  # fmt: skip
@click.option("--seed", default=None, type=int)
@click.option("--allow-copies", is_flag=True, help="Show posts that repeat a span of a real post.")
@click.option("--plain/--numbered", default=None, help="One post a line, unnumbered, for pipes (numbered). Default: plain unless writing to a terminal.")  # fmt: skip
def generate(bot: str, prompt: str | None, num: int, max_new_tokens: int, temperature: float | None, top_p: float | None, seed: int | None, allow_copies: bool, plain: bool | None) -> None:  # fmt: skip
    """Write posts with a bot (a bot folder, its repo/ folder, or a Hub repo id)."""
    where = locate(bot)
    model_id, widget = where.model_id, where.widget_text
    say(f"Loading the bot from {model_id}")
    from ..space.draw import DrawSettings, draw
    from ..space.guard import load_guard
    from ..space.load import load_bot

    with loading(model_id):
        model, tok = load_bot(model_id, base=where.base)
    guard, status = load_guard(model_id, allow_copies)
    if guard is None:
        say(f"Copy guard {status}")
    text = widget if prompt is None else prompt
    say(f"Writing {num} post{'s' if num > 1 else ''}")
    settings = DrawSettings(prompt=text, n=num, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)  # fmt: skip
    out = draw(model, tok, settings, guard)
    if plain is None:
        plain = not sys.stdout.isatty()
    for i, post in enumerate(out.posts, 1):
        click.echo(" ".join(post.splitlines()) if plain else f"{i}. {post}")
    if out.redrawn:
        say(f"The copy guard drew {out.redrawn} post(s) again: they repeated a real post")
    for note in out.notes:
        say(f"Notice: {note}")


@cli.command(name="eval")
@click.argument("bot_dir", type=click.Path(path_type=Path))
@flag_options(QualityConfig, ["samples", "seed", "allow_copies"])
def eval_(bot_dir: Path, **kw: Any) -> None:
    """Measure BOT_DIR (perplexity, copies of real posts, variety, tokenizer fit) and write its copy guard."""
    from ..pipeline import evaluate_and_guard
    from ..quality import QUALITY_FILE

    evaluate_and_guard(bot_dir, build(QualityConfig, kw), say, report=click.echo)
    where = layout.repo_dir(bot_dir) / QUALITY_FILE
    click.echo(f"Wrote {where} and the quality block of {layout.manifest_file(bot_dir)}")


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
    from .. import card as cards

    text = cards.render_bot_card(bot, None if card_metadata is None else card_metadata == "full")
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(output, text)
        say(f"Wrote {output}")


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
    from ..errors import UsageError
    from ..export import ExportOptions
    from ..export import export as run

    if not gguf:
        raise UsageError("choose what to export", hint=f"hf-tweetbot export {bot_dir} --gguf")
    require("gguf", "gguf", "GGUF export")
    path = run(bot_dir, ExportOptions(quant=quant), say)
    name = path.name.split(".")[0]
    say(f'Next: ollama create {name} -f {path.parent}/Modelfile && ollama run {name} "My dream is"')


@cli.command()
@click.argument("bot")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(0, 65535))
@click.option("--share", is_flag=True, help="Also open a public gradio.live link.")
@click.option("--allow-copies", is_flag=True, help="Turn the copy guard off for this run.")
def space(bot: str, port: int, share: bool, allow_copies: bool) -> None:
    """Serve the Gradio app locally on a bot folder or a Hub repo id."""
    require("gradio", "web", "The Space app")
    where = locate(bot)  # a mistyped folder is said before seconds of imports
    model_id = where.model_id
    from ..space.guard import ALLOW_ENV

    os.environ.pop("MODEL_ID", None)  # app.py builds a page from it on import: the bot, twice
    if where.base:  # an adapter bot on an offline base: the app loads the base from here
        os.environ["TWEETBOT_BASE_MODEL"] = where.base
    if allow_copies:
        os.environ[ALLOW_ENV] = "1"
    from ..space.app import build_demo

    with loading(model_id):  # a bot that cannot be loaded is one line, not a setup page
        demo = build_demo(model_id, strict=True)
    _serve(demo, share, server_port=port)


@cli.command()
@click.option("--port", default=7860, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 serves other machines too.")  # fmt: skip
@click.option("--share", is_flag=True, help="Also open a public gradio.live link.")
@click.option("--base-model", "base_models", multiple=True, help="A base model to offer (repeatable; the first is the default). Default: smollm2, openai-community/gpt2.")  # fmt: skip
@click.option("--time-budget", type=click.FloatRange(0.1), default=None, help="Minutes of training per bot before it stops and keeps what it learned (default 10).")  # fmt: skip
@click.option("--space-folder", type=click.Path(path_type=Path), default=None, help="Write a Space running this app into the folder instead of serving it.")  # fmt: skip
@click.option("--allow-network", "allow_networks", multiple=True, metavar="CIDR", help="Let visitors' sources reach this network too (repeatable), e.g. a Mastodon instance on your LAN. Default: public addresses only.")  # fmt: skip
def web(port: int, host: str, share: bool, base_models: tuple[str, ...], time_budget: float | None, space_folder: Path | None, allow_networks: tuple[str, ...]) -> None:  # fmt: skip
    """Serve the bot creator in the browser: upload posts, train, publish."""
    require("gradio", "web", "The bot creator")
    from ..web import WebConfig

    cfg = WebConfig.from_env()
    if base_models:
        cfg.base_models = base_models
    if time_budget:
        cfg.time_budget = time_budget * 60
    if allow_networks:
        cfg.allow_networks = allow_networks
    cfg.address_policy()  # a network that is not a CIDR: one line, before anything starts
    if space_folder is not None:
        from ..web.space_folder import write_space_folder

        write_space_folder(space_folder, cfg)
        click.echo(f"Wrote the creator Space to {space_folder}. Try it: cd {space_folder} && python app.py")  # fmt: skip
        return
    from ..web import build_app, launch_options

    _serve(build_app(cfg), share, server_name=host, server_port=port, **launch_options(cfg))


def _serve(app: Any, share: bool, **launch: Any) -> None:
    """Serve a gradio app until Ctrl-C (exit 130), telling where in our words, not gradio's."""
    app.launch(share=share, quiet=True, prevent_thread_lock=True, **launch)
    say("Ctrl-C stops it" + ("" if share else "; --share also opens a public gradio.live link"))
    click.echo(f"Running on {app.local_url}" + (f" and {app.share_url}" if share else ""))
    try:
        while True:
            time.sleep(0.2)
    finally:  # KeyboardInterrupt goes on to the CLI, which exits 130
        app.close()
