"""Read posts from a `.jsonl` or `.csv` file with a `text` column.

Optional columns: `created_at`, and `is_retweet` or `retweeted` (true/false, 1/0, yes/no).
The file is streamed row by row, so a large export is read once and never held twice. Lines are
read under `limits.MAX_ITEM_CHARS` (a longer .jsonl line is skipped and counted as `too_long`,
never held whole), and the file under `limits.MAX_MEMBER_BYTES`.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SourceError
from . import Gathered, Post, Profile, SourceOptions, limits, name_hint
from .archive_files import real_path
from .archive_js import too_deep
from .spec import UserSpec

_TRUE = {"true", "1", "yes", "y", "t"}
_UTF8_HINT = (
    "re-save the file as UTF-8 (e.g. `iconv -f cp1252 -t utf-8 IN > OUT`, or 'CSV UTF-8' in Excel)"
)
_JSONL_HINT = 'each line must be one JSON object with a "text" string, e.g. {"text": "..."}'
_CSV_HINT = "check the quotes on that line: a field that opens a quote must close it"


def _handle_from(path: Path) -> str:
    """The file stem with anything outside `[A-Za-z0-9_]` turned into `_`."""
    handle = re.sub(r"[^A-Za-z0-9_]+", "_", path.stem).strip("_")
    if not handle:
        raise SourceError(
            f"{path}: cannot derive a handle from the file name",
            hint=name_hint(str(path)),
        )
    return handle


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE if value is not None else False


def _post(row: dict[str, Any], text_key: str, where: str) -> Post:
    text = row.get(text_key)
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise SourceError(
            f"{where}: `text` is {type(text).__name__}, not a string", hint=_JSONL_HINT
        )
    created = row.get("created_at")
    repost = _flag(row.get("is_retweet")) or _flag(row.get("retweeted"))
    pid = row.get("id")
    return Post(
        text=text,
        created_at=str(created) if created else None,
        is_repost=repost,
        id=str(pid) if pid not in (None, "") else None,
    )


def _lines(f: Any, label: str) -> Iterator[str | None]:
    """Decode a binary file line by line, so a bad byte is reported with its line number.

    A line over `limits.MAX_ITEM_CHARS` is read past in pieces and yielded as None.
    """
    cap = limits.MAX_ITEM_CHARS
    num = 0
    while raw := f.readline(4 * cap + 1):  # UTF-8 takes at most 4 bytes a character
        num += 1
        if len(raw) > 4 * cap:
            while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield None
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SourceError(
                f"{label}: line {num} is not UTF-8 (byte 0x{raw[e.start]:02x} at column "
                f"{e.start + 1}); the file is in another encoding",
                hint=_UTF8_HINT,
            ) from None
        # Excel and Notepad start UTF-8 files with a byte-order mark.
        yield None if len(line) > cap else line.removeprefix("\ufeff") if num == 1 else line


def _csv_lines(lines: Iterator[str | None], label: str) -> Iterator[str]:
    for num, line in enumerate(lines, 1):
        if line is None:  # the csv module cannot skip a physical line inside a record
            raise SourceError(
                f"{label}: line {num} is over {limits.MAX_ITEM_CHARS:,} characters",
                hint=_CSV_HINT,
            )
        yield line


def _csv_rows(f: Any, label: str, g: Gathered) -> Iterator[Post]:
    reader = csv.DictReader(_csv_lines(f, label))
    try:
        fields = reader.fieldnames
    except csv.Error as e:
        raise _bad_csv(label, 1, e) from None
    if not fields:
        raise SourceError(
            f"{label}: the file is empty", hint="put a header row with a `text` column, then posts"
        )
    # Column names match case-insensitively and ignoring spaces ("Text", " text ").
    keys = {k.strip().lower(): k for k in fields if k}
    if "text" not in keys:
        found = ", ".join(repr(k) for k in fields) or "none"
        raise SourceError(
            f"{label}: no `text` column (columns found: {found})",
            hint="rename the column that holds the posts to `text` (first row = header)",
        )
    rename = {keys[k]: k for k in ("text", "created_at", "is_retweet", "retweeted") if k in keys}
    start = reader.line_num + 1  # where the next record starts (it may span several lines)
    try:
        for row in reader:
            named: dict[str, Any] = {new: row.get(old) for old, new in rename.items()}
            yield _post(named, "text", f"{label}: line {start}")
            start = reader.line_num + 1
    except csv.Error as e:
        raise _bad_csv(label, start, e) from None


def _bad_csv(label: str, line: int, e: csv.Error) -> SourceError:
    if "new-line character" in str(e):  # csv's own words suggest a Python fix
        return SourceError(
            f"{label}: the record starting at line {line} holds a lone carriage return (\\r)",
            hint="re-save the file with Unix (\\n) or Windows (\\r\\n) line endings",
        )
    return SourceError(
        f"{label}: the record starting at line {line}: bad CSV ({e})", hint=_CSV_HINT
    )


def _jsonl_rows(f: Any, label: str, g: Gathered) -> Iterator[Post]:
    for num, line in enumerate(f, 1):
        if line is None:
            g.skipped["too_long"] = g.skipped.get("too_long", 0) + 1
            continue
        if not line.strip():
            continue
        where = f"{label}: line {num}"
        if too_deep(line):
            raise SourceError(
                f"{where}: JSON nested more than {limits.MAX_DEPTH} levels deep", hint=_JSONL_HINT
            )
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, ValueError) as e:  # ValueError: a number of 5,000 digits
            raise SourceError(
                f"{where}: invalid JSON ({getattr(e, 'msg', e)})", hint=_JSONL_HINT
            ) from None
        if not isinstance(row, dict) or "text" not in row:
            found = ", ".join(map(repr, row)) if isinstance(row, dict) else type(row).__name__
            raise SourceError(
                f"{where}: no `text` field (found: {found[:200] or 'none'})", hint=_JSONL_HINT
            )
        yield _post(row, "text", where)


def fetch(spec: UserSpec, opts: SourceOptions) -> Gathered:
    """Read every post of a `.jsonl` or `.csv` file.

    Args:
        spec: `PATH` or `HANDLE=PATH`; without `HANDLE=` the handle is the file stem, reduced
            to `[A-Za-z0-9_]`.
        opts: shared source options (a local file has no cap and no cache).

    Returns:
        A profile (display name = handle, source "file") and the posts in file order.

    Raises:
        SourceError: missing file, not UTF-8, no `text` column, invalid JSON line, no posts.
    """
    handle, raw, path = spec.handle, spec.shown, spec.file
    if path.is_symlink():
        path = real_path(path, raw, "pass the path of the file itself")  # a loop or a dangling link
    if not path.is_file():
        raise SourceError(
            f"{raw}: no such file", hint="pass the path of a .jsonl or .csv file of posts"
        )
    label = str(raw)
    named = handle or _handle_from(path)
    g = Gathered(Profile(handle=named, name=named, source="file"))
    if handle is None:  # a file holds no account: say once where the name came from
        g.warnings.append(
            f"{label}: the bot is named @{named} after the file's name; to name the account "
            f"yourself, rename the file or give HANDLE={label} in place of {label}"
        )
    rows = _csv_rows if path.suffix.lower() == ".csv" else _jsonl_rows
    old_limit = csv.field_size_limit(limits.MAX_ITEM_CHARS)
    try:
        with path.open("rb") as f:
            if (size := os.fstat(f.fileno()).st_size) > limits.MAX_MEMBER_BYTES:
                raise SourceError(
                    f"{label}: {size:,} bytes, over the {limits.MAX_MEMBER_BYTES:,} a file of "
                    "posts may hold",
                    hint="split it and make one bot of the part you want",
                )
            for post in rows(_lines(f, label), label, g):
                if len(g.posts) >= limits.MAX_POSTS:
                    raise SourceError(
                        f"{label}: more than {limits.MAX_POSTS:,} posts; hf-tweetbot reads at "
                        "most that many per user",
                        hint="keep the posts you want in a smaller file",
                    )
                g.posts.append(post)
    except OSError as e:
        raise SourceError(
            f"{label}: cannot be read ({e.strerror})", hint="check the file and its permissions"
        ) from None
    finally:
        csv.field_size_limit(old_limit)
    if not g.posts:
        raise SourceError(
            f"{label}: the file holds no posts",
            hint="add one post per line (.jsonl) or per row under a `text` header (.csv)",
        )
    return g
