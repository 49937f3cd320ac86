"""The `hf-tweetbot` command: parse, call the stage, print. Errors are printed here as the one
line (and hint) that `publisher.errors.error_lines` makes of them.

The commands that make and publish a bot are in `make.py`, those that use one in `use.py`; the
options they share, and the stage options built from them, in `options.py`.
"""

from __future__ import annotations

import os

import click

from .. import console
from ..errors import DEBUG_ENV, TweetbotError, error_lines, os_reason
from ..space.model_thread import fit_threads
from .group import cli

VERBOSE_ENV = "HF_TWEETBOT_VERBOSE"
INTERRUPTED = "Interrupted; finished outputs were kept, nothing was half-written."


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn domain errors into one line with a hint."""
    debug = os.environ.get(DEBUG_ENV) == "1"
    fit_threads()  # before torch is imported: size its threads to a container's CPU quota
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
    except click.exceptions.Abort as e:  # Ctrl-C reaches us as click's Abort, or a "no" asked
        if isinstance(e.__cause__, KeyboardInterrupt):
            click.echo(INTERRUPTED, err=True)
        else:
            click.echo("Aborted.", err=True)
        return 130
    except click.UsageError as e:  # a flag or argument that does not parse: one line and a hint
        click.echo(f"Error: {e.format_message()}", err=True)
        where = e.ctx.command_path if e.ctx is not None else "hf-tweetbot"
        click.echo(f"Hint: see `{where} --help`", err=True)
        return e.exit_code
    except click.ClickException as e:
        click.echo(f"Error: {e.format_message()}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo(INTERRUPTED, err=True)
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


# The commands register themselves on `cli` when imported.
from .make import prepare, publish, push, train, update  # noqa: E402
from .use import card, eval_, export, generate, space, web  # noqa: E402

__all__ = ["card", "cli", "eval_", "export", "generate", "main", "prepare", "publish",
           "push", "space", "train", "update", "web"]  # fmt: skip
