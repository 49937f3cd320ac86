"""Command-line flags declared on the fields of the typed options, as TRL's `HfArgumentParser` does.

A field made with `flag(default, help=...)` is a command-line flag: `publisher.cli` makes its
click option from the field (its name, type and default) and the `Flag` in its metadata (help,
choices, range), and `build` makes the options object back from the parsed values by field name.
A flag's default, help and range are so written once, beside the option they set. Imported by
every stage's options, so it imports nothing but the standard library.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
KEY = "flag"  # where a field's metadata holds its `Flag`


@dataclass(frozen=True)
class Flag:
    """How a field is given on the command line (beside its name, type and default)."""

    help: str | None = None
    name: str | None = None  # the flag, when not the field's name in kebab-case (`--lr`)
    choices: tuple[str, ...] | None = None
    min: float | None = None  # the range of a number
    max: float | None = None
    show_default: bool = True  # False where the help says the default in its own words
    min_open: bool = False  # the number must be above `min`, not equal to it


def flag(default: Any, *, help: str | None = None, name: str | None = None,
         choices: Iterable[str] | None = None, min: float | None = None, max: float | None = None,
         show_default: bool = True, min_open: bool = False) -> Any:  # fmt: skip
    """A dataclass field that is also a command-line flag (see `Flag`)."""
    spec = Flag(help, name, tuple(choices) if choices is not None else None, min, max, show_default,
                min_open)  # fmt: skip
    return dataclasses.field(default=default, metadata={KEY: spec})


def flag_of(f: dataclasses.Field[Any]) -> Flag | None:
    """The field's `Flag`, None when it is not a flag."""
    spec = f.metadata.get(KEY)
    return spec if isinstance(spec, Flag) else None


def nested(f: dataclasses.Field[Any]) -> type | None:
    """The options class of a field holding options of its own (`PrepareOptions.sources`)."""
    factory = f.default_factory
    return factory if isinstance(factory, type) and dataclasses.is_dataclass(factory) else None


def field_type(cls: type, f: dataclasses.Field[Any]) -> tuple[Any, bool]:
    """(the type of field `f` of `cls` without `None`, whether it may be None)."""
    hint = f.type
    if isinstance(hint, str):  # `from __future__ import annotations`: read in the class's module
        hint = eval(hint, vars(sys.modules[cls.__module__]))  # noqa: S307 (our own annotations)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), optional  # noqa: UP007
    return hint, False


def build(cls: type[T], values: Mapping[str, Any], **given: Any) -> T:
    """The options object of `cls` from parsed values, by field name, nested options too.

    Args:
        cls: an options dataclass.
        values: parsed flags by field name; the fields they do not name keep their defaults.
        given: values of `cls`'s own fields that win over `values` (not passed down).
    """
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        inner = nested(f)
        if f.name in given:
            kw[f.name] = given[f.name]
        elif inner is not None:
            kw[f.name] = build(inner, values)
        elif f.name in values and f.init:
            kw[f.name] = values[f.name]
    return cls(**kw)
