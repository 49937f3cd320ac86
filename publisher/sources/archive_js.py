"""Parse X archive data files (`window.YTD.x.part0 = [...]`) as JSON, never evaluating them.

Everything after the first `=` is JSON. Tweet files are decoded one item at a time: a
million-tweet `tweets.js` is ~300 MB of JSON, and decoding it whole would hold every tweet's
dozens of fields at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ArchiveError

REDOWNLOAD = "download the archive again (X: Settings > Your account > Download an archive)"
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _js_body(data: bytes, label: str) -> tuple[str, int]:
    """Decode an archive data file; return its text and where the JSON after the `=` starts."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ArchiveError(f"{label}: not UTF-8 text ({e.reason})", hint=REDOWNLOAD) from None
    eq = text.find("=")
    if eq < 0:
        raise ArchiveError(
            f"{label}: no '=' assignment, so this is not an X archive data file",
            hint="pass the archive's data/tweets.js (it starts with `window.YTD.tweets.part0 =`)",
        )
    return text, eq + 1


def _invalid(label: str, text: str, e: json.JSONDecodeError | None = None) -> ArchiveError:
    where = f" at line {e.lineno} ({e.msg})" if e else " (it ends early)"
    return ArchiveError(
        f"{label}: invalid JSON{where}; the file is truncated or corrupt", hint=REDOWNLOAD
    )


def parse_js(data: bytes, label: str) -> Any:
    """Parse an archive data file: the JSON after the first `=` of `window.YTD.x.part0 = ...`.

    Args:
        data: the file's bytes.
        label: how to name the file in error messages.

    Returns:
        The decoded JSON value.

    Raises:
        ArchiveError: not UTF-8, no `=`, or invalid JSON (with the line number in the file).
    """
    text, start = _js_body(data, label)
    try:
        value, end = _DECODER.raw_decode(text, _WS.match(text, start).end())  # type: ignore[union-attr]
    except json.JSONDecodeError as e:
        raise _invalid(label, text, e) from None
    if text[end:].strip() not in ("", ";"):
        raise _invalid(label, text, json.JSONDecodeError("extra data", text, end))
    return value


def iter_js_array(data: bytes, label: str) -> Iterator[Any]:
    """Yield the items of an archive file's JSON list one at a time.

    A million-tweet `tweets.js` is ~300 MB of JSON; decoding it whole would hold every tweet's
    dozens of fields at once (several GB). Items are decoded one by one and dropped once read.
    """
    text, i = _js_body(data, label)
    del data  # the bytes are no longer needed; callers pass them as a temporary
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if text[i : i + 1] != "[":
        raise ArchiveError(f"{label}: expected a JSON list of tweets", hint=REDOWNLOAD)
    i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if text[i : i + 1] == "]":
        return
    while True:
        try:
            item, i = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise _invalid(label, text, e) from None
        yield item
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        sep = text[i : i + 1]
        if sep == "]":
            break
        if sep != ",":
            err = json.JSONDecodeError("Expecting ',' delimiter", text, i) if sep else None
            raise _invalid(label, text, err)
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if text[i + 1 :].strip() not in ("", ";"):
        raise _invalid(label, text, json.JSONDecodeError("extra data", text, i + 1))
