"""Write the generated parts of the docs: every command's `--help`, as the CLI prints it.

python docs/generate.py          # rewrite docs/reference.md's generated section
python docs/generate.py --check  # exit 1 if it is out of date (tests/test_docs.py does this)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

REFERENCE = Path(__file__).resolve().parent / "reference.md"
BEGIN = "<!-- BEGIN GENERATED: hf-tweetbot --help (python docs/generate.py) -->"
END = "<!-- END GENERATED -->"
WIDTH = 100


def help_text(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    """What `hf-tweetbot NAME --help` prints, at a fixed width."""
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH,
                        max_content_width=WIDTH, **command.context_settings)  # fmt: skip
    return command.get_help(ctx)


def commands_section() -> str:
    """Markdown: the group's help, then each command's, in the order `--help` lists them."""
    from publisher.cli import cli

    root = click.Context(cli, info_name="hf-tweetbot", terminal_width=WIDTH,
                         max_content_width=WIDTH, **cli.context_settings)  # fmt: skip
    parts = ["### `hf-tweetbot --help`", "", "```text", cli.get_help(root), "```", ""]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        if command is None or command.hidden:
            continue
        parts += [f"### `hf-tweetbot {name}`", "", "```text",
                  help_text(command, name, root), "```", ""]  # fmt: skip
    return "\n".join(parts)


def rendered(text: str) -> str:
    """`text` with its generated section replaced by the current help."""
    head, found, rest = text.partition(BEGIN)
    if not found or END not in rest:
        raise SystemExit(f"{REFERENCE}: the markers {BEGIN!r} and {END!r} are missing")
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n\n{commands_section()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    old = REFERENCE.read_text(encoding="utf-8")
    new = rendered(old)
    if "--check" in argv:
        if new != old:
            print(f"{REFERENCE} is out of date: run `python docs/generate.py`", file=sys.stderr)
            return 1
        return 0
    if new != old:
        REFERENCE.write_text(new, encoding="utf-8")
        print(f"Wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
