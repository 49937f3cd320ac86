"""Read posts from a `.jsonl` or `.csv` file with a `text` column.

Optional columns: `created_at`, and `is_retweet` or `retweeted` (true/false, 1/0, yes/no).
The file is streamed row by row, so a large export is read once and never held twice.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SourceError
from . import Gathered, Post, Profile, SourceOptions, split_spec

_TRUE = {"true", "1", "yes", "y", "t"}
_UTF8_HINT = (
    "re-save the file as UTF-8 (e.g. `iconv -f cp1252 -t utf-8 IN > OUT`, or 'CSV UTF-8' in Excel)"
)


def _handle_from(path: Path) -> str:
    """The file stem with anything outside `[A-Za-z0-9_]` turned into `_`."""
    handle = re.sub(r"[^A-Za-z0-9_]+", "_", path.stem).strip("_")
    if not handle:
        raise SourceError(
            f"{path}: cannot derive a handle from the file name",
            hint=f"name the account: hf-tweetbot publish HANDLE={path}",
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
        raise SourceError(f"{where}: `text` is {type(text).__name__}, not a string")
    created = row.get("created_at")
    repost = _flag(row.get("is_retweet")) or _flag(row.get("retweeted"))
    pid = row.get("id")
    return Post(
        text=text,
        created_at=str(created) if created else None,
        is_repost=repost,
        id=str(pid) if pid not in (None, "") else None,
    )


def _lines(f: Any, label: str) -> Iterator[str]:
    """Decode a binary file line by line, so a bad byte is reported with its line number."""
    for num, raw in enumerate(f, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SourceError(
                f"{label}: line {num} is not UTF-8 (byte 0x{raw[e.start]:02x} at column "
                f"{e.start + 1}); the file is in another encoding",
                hint=_UTF8_HINT,
            ) from None
        # Excel and Notepad start UTF-8 files with a byte-order mark.
        yield line.removeprefix("\ufeff") if num == 1 else line


def _csv_rows(f: Any, label: str) -> Iterator[Post]:
    reader = csv.DictReader(f)
    fields = reader.fieldnames
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
    try:
        for row in reader:
            named: dict[str, Any] = {new: row.get(old) for old, new in rename.items()}
            yield _post(named, "text", f"{label}: line {reader.line_num}")
    except csv.Error as e:
        raise SourceError(f"{label}: line {reader.line_num}: bad CSV ({e})") from None


def _jsonl_rows(f: Any, label: str) -> Iterator[Post]:
    for num, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SourceError(
                f"{label}: line {num}: invalid JSON ({e.msg})",
                hint='each line must be one JSON object, e.g. {"text": "..."}',
            ) from None
        if not isinstance(row, dict) or "text" not in row:
            found = ", ".join(map(repr, row)) if isinstance(row, dict) else type(row).__name__
            raise SourceError(
                f"{label}: line {num}: no `text` field (found: {found or 'none'})",
                hint='each line must be a JSON object with a "text" field',
            )
        yield _post(row, "text", f"{label}: line {num}")


def fetch(spec: str, opts: SourceOptions) -> Gathered:
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
    handle, raw = split_spec(spec)
    path = Path(raw).expanduser()
    if not path.is_file():
        raise SourceError(
            f"{raw}: no such file", hint="pass the path of a .jsonl or .csv file of posts"
        )
    handle = handle or _handle_from(path)
    label = str(path)
    rows = _csv_rows if path.suffix.lower() == ".csv" else _jsonl_rows
    with path.open("rb") as f:
        posts = list(rows(_lines(f, label), label))
    if not posts:
        raise SourceError(
            f"{label}: the file holds no posts",
            hint="add one post per line (.jsonl) or per row under a `text` header (.csv)",
        )
    return Gathered(Profile(handle=handle, name=handle, source="file"), posts)
