"""The files of an X archive, a zip or a folder, read under caps against zip bombs.

Zips are read member by member, never extracted, and refused outright when an entry could escape
a folder (zip slip) or inflate past `MAX_MEMBER_BYTES` / `MAX_TOTAL_BYTES` (zip bomb).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ArchiveError
from .archive_js import REDOWNLOAD as _REDOWNLOAD

# Caps on what one archive may make us hold in memory. Real tweets.js files stay far below them
# (a 100k-tweet account is a few hundred MB); tests lower them with monkeypatch.
MAX_MEMBER_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
_CHUNK = 1 << 20


class Reader:
    """Files of an archive, by POSIX path relative to its root, read under the size caps."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.total = 0

    def files(self, folder: str) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _open(self, name: str) -> tuple[Any, int] | None:
        raise NotImplementedError

    def read(self, name: str) -> bytes | None:
        """The bytes of `name`, or None when absent; refuses what passes the caps."""
        found = self._open(name)
        return None if found is None else b"".join(self._pump(name, *found))

    def chunks(self, name: str) -> Iterator[bytes]:
        """The bytes of `name` (which must exist) a megabyte at a time, under the caps."""
        found = self._open(name)
        if found is None:
            raise ArchiveError(f"{self.label}: {name}: missing", hint=_REDOWNLOAD)
        return self._pump(name, *found)

    def _pump(self, name: str, stream: Any, declared: int) -> Iterator[bytes]:
        where = f"{self.label}: {name}"
        if declared > MAX_MEMBER_BYTES or self.total + declared > MAX_TOTAL_BYTES:
            stream.close()
            raise _too_big(where, declared)
        size = 0
        try:
            with stream:
                # Count what really comes out: a zip's declared size can lie.
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > MAX_MEMBER_BYTES or self.total + size > MAX_TOTAL_BYTES:
                        raise _too_big(where, size)
                    yield chunk
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as e:
            raise ArchiveError(f"{where}: cannot be read ({e})", hint=_REDOWNLOAD) from None
        self.total += size


def _too_big(where: str, size: int) -> ArchiveError:
    return ArchiveError(
        f"{where}: refusing a member of {size:,}+ bytes uncompressed (limit "
        f"{MAX_MEMBER_BYTES:,} per file, {MAX_TOTAL_BYTES:,} in all); this looks like a zip bomb",
        hint="pass the archive exactly as X delivered it, or only its data/tweets.js",
    )


class ZipReader(Reader):
    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise ArchiveError(f"{path}: not a valid zip file ({e})", hint=_REDOWNLOAD) from None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            name = info.filename.replace("\\", "/")
            if unsafe(name):
                self.zf.close()
                raise ArchiveError(
                    f"{path}: refusing the archive, entry {info.filename!r} points outside its "
                    "folder (absolute path or '..')",
                    hint="use the archive exactly as X delivered it",
                )
            if not info.is_dir():
                self.infos[name] = info

    def close(self) -> None:
        self.zf.close()

    def files(self, folder: str) -> list[str]:
        return [n for n in self.infos if n.startswith(folder) and "/" not in n[len(folder) :]]

    def _open(self, name: str) -> tuple[Any, int] | None:
        info = self.infos.get(name)
        if info is None:
            return None
        try:
            return self.zf.open(info), info.file_size
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
            raise ArchiveError(
                f"{self.label}: {name}: cannot be read ({e})", hint=_REDOWNLOAD
            ) from None


class DirReader(Reader):
    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.root = root

    def files(self, folder: str) -> list[str]:
        d = self.root / folder
        return [folder + p.name for p in d.iterdir() if p.is_file()] if d.is_dir() else []

    def _open(self, name: str) -> tuple[Any, int] | None:
        p = self.root / name
        if unsafe(name) or not p.is_file():
            return None
        return p.open("rb"), p.stat().st_size


def unsafe(name: str) -> bool:
    """True for a path that is absolute (POSIX or Windows) or climbs out with '..'."""
    return (
        name.startswith("/") or re.match(r"^[A-Za-z]:", name) is not None or ".." in name.split("/")
    )
