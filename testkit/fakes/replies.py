"""How the test Hub's routes answer: a reply raised from deep inside a route, errors as the Hub's."""

from __future__ import annotations

from typing import Any


class Reply(Exception):
    """An HTTP answer raised from deep inside a route."""

    def __init__(self, status: int, body: Any = b"", headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def err(status: int, message: str, code: str | None = None, **headers: str) -> Reply:
    hdrs = {"X-Error-Message": message, **headers}
    if code:
        hdrs["X-Error-Code"] = code
    return Reply(status, {"error": message}, hdrs)
