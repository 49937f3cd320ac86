"""The `hf-tweetbot` command group, which every command of `make.py` and `use.py` joins."""

from __future__ import annotations

import click

from .. import console


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        console.setup(verbose=True)


VERBOSE = click.Option(
    ["--verbose", "-v"],
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_verbose,
    help="Also show the quality block's details and the libraries' own progress bars, logs and warnings.",
)


class Group(click.Group):
    """The command group: every command, whoever adds it, accepts `--verbose`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(p.name == "verbose" for p in cmd.params):
            cmd.params.append(VERBOSE)
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, expose_value=False, is_eager=True, callback=_verbose, help="Also show the quality block's details and the libraries' own progress bars, logs and warnings.")  # fmt: skip
@click.version_option(package_name="hf-tweetbot")
def cli() -> None:
    """Turn someone's posts into a text-generation bot on the Hugging Face Hub."""
