"""Parse X archive data files (`window.YTD.x.part0 = [...]`) as JSON, never evaluating them.

Everything after the first `=` is JSON. The same reader streams the one long list of a JSON
document (`iter_json_list`: a Mastodon archive's `outbox.json`, `{..., "orderedItems": [...]}`). Tweet files are read a megabyte at a time and decoded
one item at a time: a million-tweet `tweets.js` is ~300 MB of JSON; holding it whole as text
would cost its size again, and decoding it whole would hold every tweet's dozens of fields.

Time is linear and memory bounded on any input. An item is first decoded straight from the
buffer (the common case, all in C); when it runs past the buffer, a small scanner follows
strings and brackets through the next chunks, each character once, until the item is complete,
and only then is the item decoded, once. Retrying the decoder from the item's start at every
chunk, as a naive reader does, is quadratic: a single 300 MB string took minutes. An item longer
than `limits.MAX_ITEM_CHARS` is skipped without being held (the `TOO_LONG` marker is yielded in
its place, for counting); nesting deeper than `limits.MAX_DEPTH` is refused.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from ..errors import ArchiveError
from . import limits

REDOWNLOAD = "download the archive again (X: Settings > Your account > Download an archive)"
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'["\[\]{}]')  # what changes the scanner's state outside strings
_IN_STRING = re.compile(r'["\\]')  # ... and inside them
_SCALAR_END = re.compile(r"[^0-9A-Za-z.+\-]")  # numbers, true/false/null end at anything else


class _TooLong:
    """Yielded in place of an item over `limits.MAX_ITEM_CHARS`, which was skipped unread."""

    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG: Any = _TooLong()


def _invalid(
    label: str, e: json.JSONDecodeError | None = None, hint: str = REDOWNLOAD
) -> ArchiveError:
    where = f" at line {e.lineno} ({e.msg})" if e else " (it ends early)"
    return ArchiveError(
        f"{label}: invalid JSON{where}; the file is truncated or corrupt", hint=hint
    )


def _too_deep(label: str, kind: str = "X archive file", hint: str = REDOWNLOAD) -> ArchiveError:
    return ArchiveError(
        f"{label}: JSON nested more than {limits.MAX_DEPTH} levels deep; no {kind} is", hint=hint
    )


def parse_js(data: bytes, label: str) -> Any:
    """Parse an archive data file: the JSON after the first `=` of `window.YTD.x.part0 = ...`.

    Args:
        data: the file's bytes.
        label: how to name the file in error messages.

    Returns:
        The decoded JSON value.

    Raises:
        ArchiveError: not UTF-8, no `=`, invalid JSON (with the line number in the file),
            nested too deeply, or a value over `limits.MAX_ITEM_CHARS`.
    """
    t = _Text([data], label)
    value, end = t.decode(t.body())
    if value is TOO_LONG:
        raise ArchiveError(
            f"{label}: over {limits.MAX_ITEM_CHARS:,} characters of JSON; refusing it",
            hint=REDOWNLOAD,
        )
    t.finish(end)
    return value


def parse_json(data: bytes, label: str, kind: str, hint: str) -> Any:
    """Parse a JSON file (a Mastodon archive's `actor.json`) under the same guards.

    Raises:
        ArchiveError: not UTF-8, invalid JSON, nested too deeply, or over
            `limits.MAX_ITEM_CHARS`.
    """
    t = _Text([data], label, kind, hint)
    value, end = t.decode(t.skip_ws(0))
    if value is TOO_LONG:
        raise ArchiveError(
            f"{label}: over {limits.MAX_ITEM_CHARS:,} characters of JSON; refusing it", hint=hint
        )
    t.finish(end)
    return value


class _Scan:
    """Finds where one JSON value ends, fed its text piece by piece; each character is read once.

    It knows strings, escapes and brackets, nothing more: validating is the decoder's job, once
    the value is complete.
    """

    def __init__(self, label: str, kind: str = "X archive file", hint: str = REDOWNLOAD) -> None:
        self.label, self.kind, self.hint = label, kind, hint
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.scalar: bool | None = None  # unknown until the value's first character

    def feed(self, s: str, i: int = 0) -> int:
        """Scan `s` from `i`; the index just after the value's end in `s`, or -1 to read on."""
        if self.scalar is None and i < len(s):
            self.scalar = s[i] not in '"[{'
        if self.scalar:
            m = _SCALAR_END.search(s, i)
            return -1 if m is None else m.start()
        n = len(s)
        while i < n:
            if self.escaped:  # the character after a backslash, whatever it is
                i, self.escaped = i + 1, False
                continue
            m = (_IN_STRING if self.in_string else _STRUCTURE).search(s, i)
            if m is None:
                return -1
            c, i = m.group(), m.end()
            if self.in_string:
                self.escaped = c == "\\"
                self.in_string = c != '"'
                if not self.in_string and self.depth == 0:
                    return i
            elif c == '"':
                self.in_string = True
            elif c in "[{":
                self.depth += 1
                if self.depth > limits.MAX_DEPTH:
                    raise _too_deep(self.label, self.kind, self.hint)
            else:
                self.depth -= 1
                if self.depth <= 0:
                    return i
        return -1


def too_deep(text: str, start: int = 0, end: int | None = None) -> bool:
    """True when the JSON in `text[start:end]` nests deeper than `limits.MAX_DEPTH`.

    Counting brackets (in C) settles almost every value; only one with more brackets than the
    cap is scanned.
    """
    end = len(text) if end is None else end
    if text.count("[", start, end) + text.count("{", start, end) <= limits.MAX_DEPTH:
        return False
    try:
        _Scan("").feed(text[start:end])
    except ArchiveError:
        return True
    return False


class _Text:
    """The decoded text of a stream of byte chunks, held from the current item on only."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        label: str,
        kind: str = "X archive file",
        hint: str = REDOWNLOAD,
    ) -> None:
        self.chunks = iter(chunks)
        self.label, self.kind, self.hint = label, kind, hint
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.lines = 0  # newlines dropped before `buf`, for error line numbers
        self.offset = 0  # bytes read so far, for the position of a byte that is not UTF-8
        self.eof = False

    def read(self) -> str | None:
        """The text of the next chunk ("" for the very end), or None once the end was read."""
        if self.eof:
            return None
        chunk = next(self.chunks, None)
        pending = len(self.decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            new = self.decoder.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as e:
            at = self.offset - pending + e.start
            raise ArchiveError(
                f"{self.label}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset "
                f"{at:,} of the file: {e.reason})",
                hint=self.hint,
            ) from None
        self.offset += len(chunk or b"")
        self.eof = chunk is None
        return new

    def more(self, pos: int) -> int:
        """Drop `buf[:pos]`, append the next chunk; the new index of `pos` (-1 at the end)."""
        new = self.read()
        if new is None:
            return -1
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
        """The JSON value at `pos` (or `TOO_LONG`) and the index after it, reading on as needed."""
        try:
            value, end = self._raw(pos)
        except json.JSONDecodeError as e:
            if self.eof:
                raise self.error(e.pos, e.msg) from None
        else:
            # A number cut by a chunk boundary ("12" of "12.5e3") decodes too: read on.
            if self.eof or (end < len(self.buf) and self.buf[end] not in "0123456789.eE+-"):
                if end - pos > limits.MAX_ITEM_CHARS:
                    return TOO_LONG, end
                if too_deep(self.buf, pos, end):
                    raise _too_deep(self.label, self.kind, self.hint)
                return value, end
        return self._decode_long(pos)

    def _decode_long(self, pos: int) -> tuple[Any, int]:
        """The value at `pos`, which runs past `buf`: scan the next chunks until it ends."""
        scan = _Scan(self.label, self.kind, self.hint)
        self.lines += self.buf.count("\n", 0, pos)
        pieces = [self.buf[pos:]]
        held = 0  # characters of the value before `pieces[-1]`, kept or already dropped
        end = scan.feed(pieces[0])
        while end < 0:
            new = self.read()
            if new is None:  # the file ends inside the value
                break
            held += len(pieces[-1])
            pieces.append(new)
            if held > limits.MAX_ITEM_CHARS:  # too long already: hold no more than one chunk
                self.lines += sum(p.count("\n") for p in pieces[:-1])
                pieces = [new]
            end = scan.feed(new)
        last = pieces[-1]
        if held + (end if end >= 0 else len(last)) > limits.MAX_ITEM_CHARS:
            if end < 0:
                raise _invalid(self.label, hint=self.hint)
            self.lines += sum(p.count("\n") for p in pieces[:-1]) + last.count("\n", 0, end)
            self.buf = last[end:]
            return TOO_LONG, 0
        self.buf = "".join(pieces)
        try:
            return self._raw(0)
        except json.JSONDecodeError as e:
            raise self.error(e.pos, e.msg) from None

    def _raw(self, pos: int) -> tuple[Any, int]:
        """`raw_decode` at `pos`, with deep nesting and unconvertible numbers as our errors."""
        try:
            return _DECODER.raw_decode(self.buf, pos)
        except RecursionError:
            raise _too_deep(self.label, self.kind, self.hint) from None
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer of more digits than Python converts
            raise self.error(pos, "number too long") from None

    def error(self, pos: int, msg: str) -> ArchiveError:
        """The invalid-JSON error for `pos` in `buf`, its line counted from the file's start."""
        if pos > len(self.buf) or (pos == len(self.buf) and msg != "extra data"):
            return _invalid(self.label, hint=self.hint)
        e = json.JSONDecodeError(msg, self.buf, pos)
        e.lineno += self.lines
        return _invalid(self.label, e, self.hint)

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

    Returns:
        An iterator of the decoded items; `TOO_LONG` stands for an item over
        `limits.MAX_ITEM_CHARS`, skipped without being decoded.

    Raises:
        ArchiveError: not UTF-8, no `=`, not a list, invalid JSON (with its line number), or
            nested deeper than `limits.MAX_DEPTH`.
    """
    t = _Text(chunks, label)
    i = t.body()
    if t.buf[i : i + 1] != "[":
        raise ArchiveError(f"{label}: expected a JSON list of tweets", hint=REDOWNLOAD)
    i = yield from _list_items(t, i)
    t.finish(i)


def _list_items(t: _Text, i: int) -> Generator[Any, None, int]:
    """Yield the items of the list whose `[` is at `i`; return the index after its `]`."""
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
    return i + 1


def iter_json_list(chunks: Iterable[bytes], key: str, label: str, kind: str, hint: str) -> Iterator[Any]:  # fmt: skip
    """Yield the items of the list under `key` of a JSON document that is one object.

    The other members are decoded and dropped (one over `limits.MAX_ITEM_CHARS` is skipped
    unread); a document without the list yields nothing.

    Args:
        chunks: the file's bytes, in pieces.
        key: the member holding the list (`orderedItems` of an ActivityStreams collection).
        label: how to name the file in error messages.
        kind: what such a file is, for the error on deep nesting ("Mastodon archive file").
        hint: what to do about a broken file.

    Raises:
        ArchiveError: not UTF-8, not a JSON object, invalid JSON (with its line number), or
            nested deeper than `limits.MAX_DEPTH`.
    """
    t = _Text(chunks, label, kind, hint)
    i = t.skip_ws(0)
    if t.buf[i : i + 1] != "{":
        raise ArchiveError(f"{label}: expected a JSON object", hint=hint)
    i = t.skip_ws(i + 1)
    while t.buf[i : i + 1] != "}":
        name, i = t.decode(i)
        if not isinstance(name, str):
            raise t.error(i, "Expecting property name enclosed in double quotes")
        i = t.skip_ws(i)
        if t.buf[i : i + 1] != ":":
            raise t.error(i, "Expecting ':' delimiter")
        i = t.skip_ws(i + 1)
        if name == key and t.buf[i : i + 1] == "[":
            i = yield from _list_items(t, i)
        else:
            _, i = t.decode(i)
        i = t.skip_ws(i)
        if t.buf[i : i + 1] == ",":
            i = t.skip_ws(i + 1)
        elif t.buf[i : i + 1] != "}":
            raise t.error(i, "Expecting ',' delimiter")
    t.finish(i + 1)
