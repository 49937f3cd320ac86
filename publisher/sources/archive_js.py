"""Parse X archive data files (`window.YTD.x.part0 = [...]`) as JSON, never evaluating them.

Everything after the first `=` is JSON. Tweet files are read a megabyte at a time and decoded
one item at a time: a million-tweet `tweets.js` is ~300 MB of JSON; holding it whole as text
would cost its size again, and decoding it whole would hold every tweet's dozens of fields.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ArchiveError

REDOWNLOAD = "download the archive again (X: Settings > Your account > Download an archive)"
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _invalid(label: str, e: json.JSONDecodeError | None = None) -> ArchiveError:
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
    t = _Text([data], label)
    value, end = t.decode(t.body())
    t.finish(end)
    return value


class _Text:
    """The decoded text of a stream of byte chunks, held from the current item on only."""

    def __init__(self, chunks: Iterable[bytes], label: str) -> None:
        self.chunks = iter(chunks)
        self.label = label
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.lines = 0  # newlines dropped before `buf`, for error line numbers
        self.eof = False

    def more(self, pos: int) -> int:
        """Drop `buf[:pos]`, append the next chunk; the new index of `pos` (-1 at the end)."""
        if self.eof:
            return -1
        chunk = next(self.chunks, None)
        try:
            new = self.decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as e:
            raise ArchiveError(
                f"{self.label}: not UTF-8 text ({e.reason})", hint=REDOWNLOAD
            ) from None
        self.eof = chunk is None
        self.lines += self.buf.count("\n", 0, pos)
        self.buf = self.buf[pos:] + new
        return 0

    def skip_ws(self, pos: int) -> int:
        """Index of the next non-blank character, reading on as needed (len(buf) at the end)."""
        while True:
            pos = _WS.match(self.buf, pos).end()  # type: ignore[union-attr]
            if pos < len(self.buf):
                return pos
            if self.more(pos) < 0:
                return len(self.buf)
            pos = 0

    def decode(self, pos: int) -> tuple[Any, int]:
        """The JSON value at `pos` and the index after it, reading on until it is complete."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, pos)
                # A number cut by a chunk boundary ("12" of "12.5e3") decodes too: read on.
                if self.eof or (end < len(self.buf) and self.buf[end] not in "0123456789.eE+-"):
                    return value, end
            except json.JSONDecodeError as e:
                if self.eof:
                    e.lineno += self.lines
                    raise _invalid(self.label, e) from None
            pos = self.more(pos)

    def error(self, pos: int, msg: str) -> ArchiveError:
        """The invalid-JSON error for `pos` in `buf`, its line counted from the file's start."""
        if pos > len(self.buf) or (pos == len(self.buf) and msg != "extra data"):
            return _invalid(self.label)
        e = json.JSONDecodeError(msg, self.buf, pos)
        e.lineno += self.lines
        return _invalid(self.label, e)

    def body(self) -> int:
        """Where the JSON after the file's first `=` starts."""
        while "=" not in self.buf:
            if self.more(len(self.buf)) < 0:
                raise ArchiveError(
                    f"{self.label}: no '=' assignment, so this is not an X archive data file",
                    hint="pass the archive's data/tweets.js (it starts with "
                    "`window.YTD.tweets.part0 =`)",
                )
        return self.skip_ws(self.buf.index("=") + 1)

    def finish(self, pos: int) -> None:
        """Refuse anything but blanks and a `;` after the value that ends at `pos`."""
        after = self.error(pos, "extra data")  # the message, should anything follow
        tail = self.buf[pos:]
        while len(tail) < 4096 and self.more(len(self.buf)) == 0:
            tail += self.buf
        if tail.strip() not in ("", ";"):
            raise after


def iter_js_array(chunks: Iterable[bytes], label: str) -> Iterator[Any]:
    """Yield the items of an archive file's JSON list one at a time.

    Args:
        chunks: the file's bytes, in pieces (a reader's `chunks(name)`).
        label: how to name the file in error messages.

    Raises:
        ArchiveError: not UTF-8, no `=`, not a list, or invalid JSON (with its line number).
    """
    t = _Text(chunks, label)
    i = t.body()
    if t.buf[i : i + 1] != "[":
        raise ArchiveError(f"{label}: expected a JSON list of tweets", hint=REDOWNLOAD)
    i = t.skip_ws(i + 1)
    if t.buf[i : i + 1] != "]":
        while True:
            item, i = t.decode(i)
            yield item
            i = t.skip_ws(i)
            sep = t.buf[i : i + 1]
            if sep == "]":
                break
            if sep != ",":
                raise t.error(i, "Expecting ',' delimiter")
            i = t.skip_ws(i + 1)
    t.finish(i + 1)
