"""The USER argument as a click parameter: read once here (`sources.spec.parse`), typed after."""

from __future__ import annotations

from typing import Any

import click

from ..sources.spec import UserSpec, parse


class UserParam(click.ParamType):
    """A USER (`archive.zip`, `HANDLE=PATH`, `x:HANDLE`, `bsky:HANDLE`, `mastodon:@user@host`, ...).

    A USER that cannot be one raises the sources' own error, which the CLI prints as one line.
    """

    name = "user"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> UserSpec:
        return value if isinstance(value, UserSpec) else parse(value)


USER = UserParam()
