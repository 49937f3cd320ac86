"""The files of an archive, a zip, a `.tar.gz` or a folder, read under caps against zip bombs.

Zips are read member by member, never extracted, and refused outright when an entry could escape
a folder (zip slip) or inflate past `limits.MAX_MEMBER_BYTES` / `MAX_TOTAL_BYTES` (zip bomb).
A `.tar.gz` (Mastodon's archives before 4.2) has no index: its headers are read once, and each
member asked for is streamed from its place, as a zip's is. It is refused when an entry climbs out
with `..`, is a link or a sparse file, or the whole inflates past `MAX_TOTAL_BYTES`. Its entries
with absolute names are never read: Mastodon wrote its media files under the server's own
absolute paths. What comes out of a member, never its compressed size, counts against the caps.
Nothing is read from outside what the user gave: in a folder, a path whose real location (symbolic
links followed) leaves the folder is refused, since `unzip` recreates the links a zip carries and
one pointing at, say, a token file would otherwise end up in the bot's repo and on the Hub; in a
zip, a member stored as a symbolic link is refused rather than read.
"""

from __future__ import annotations

import errno
import gzip
import io
import lzma
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from ..errors import ArchiveError
from . import limits, name_hint
from .archive_js import REDOWNLOAD as _REDOWNLOAD

_CHUNK = 1 << 20
# What zipfile and its decompressors raise on corrupt bytes (found by tests/test_fuzz.py).
_CORRUPT = (
    zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, zlib.error,
    lzma.LZMAError, ValueError, IndexError, struct.error,  # ValueError: a member's name
)  # fmt: skip


@dataclass(frozen=True)
class Hints:
    """What to do about a broken or tampered archive, in the words of the platform that made it."""

    redownload: str  # the archive is damaged: how to get it again
    as_delivered: str  # the archive was changed (links, paths outside it): use the original
    too_big: str  # a member inflates past the caps


X_HINTS = Hints(
    redownload=_REDOWNLOAD,
    as_delivered="use the archive exactly as X delivered it (the .zip itself works best)",
    too_big="pass the archive exactly as X delivered it, or only its data/tweets.js",
)


class Reader:
    """Files of an archive, by POSIX path relative to its root, read under the size caps."""

    def __init__(self, label: str, hints: Hints = X_HINTS) -> None:
        self.label = label
        self.hints = hints
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

    def read_at_most(self, name: str, cap: int) -> bytes | int | None:
        """The bytes of `name` when they are `cap` at most; else their size as far as known (its
        header's, checked before a byte is read, or the `cap` + 1 that came out when the header
        lied); None when absent."""
        found = self._open(name)
        if found is None:
            return None
        stream, declared = found
        if declared > cap:
            stream.close()
            return declared
        pieces, size = [], 0
        chunks = self._pump(name, stream, declared)
        try:
            for chunk in chunks:
                pieces.append(chunk)
                size += len(chunk)
                if size > cap:
                    return size
        finally:
            chunks.close()
        return b"".join(pieces)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The bytes of `name` (which must exist) a megabyte at a time, under the caps."""
        found = self._open(name)
        if found is None:
            raise ArchiveError(f"{self.label}: {name}: missing", hint=self.hints.redownload)
        return self._pump(name, *found)

    def _pump(self, name: str, stream: Any, declared: int) -> Generator[bytes, None, None]:
        where = f"{self.label}: {name}"
        if declared > limits.MAX_MEMBER_BYTES or self.total + declared > limits.MAX_TOTAL_BYTES:
            stream.close()
            raise _too_big(where, declared, self.hints)
        size = 0
        try:
            with stream:
                # Count what really comes out: a zip's declared size can lie.
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limits.MAX_MEMBER_BYTES or self.total + size > limits.MAX_TOTAL_BYTES:
                        raise _too_big(where, size, self.hints)
                    yield chunk
        except _CORRUPT as e:
            raise ArchiveError(
                f"{where}: cannot be read ({e})", hint=self.hints.redownload
            ) from None
        self.total += size


def _too_big(where: str, size: int, hints: Hints) -> ArchiveError:
    return ArchiveError(
        f"{where}: refusing a member of {size:,}+ bytes uncompressed (limit "
        f"{limits.MAX_MEMBER_BYTES:,} per file, {limits.MAX_TOTAL_BYTES:,} in all); "
        "this looks like a zip bomb",
        hint=hints.too_big,
    )


class ZipReader(Reader):
    def __init__(self, path: Path, hints: Hints = X_HINTS) -> None:
        super().__init__(str(path), hints)
        try:
            self.zf = zipfile.ZipFile(path)
        except _CORRUPT as e:
            raise ArchiveError(
                f"{path}: not a valid zip file ({e})", hint=hints.redownload
            ) from None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            name = info.filename.replace("\\", "/")
            if unsafe(name):
                self.zf.close()
                raise ArchiveError(
                    f"{path}: refusing the archive, entry {info.filename!r} points outside its "
                    "folder (absolute path or '..')",
                    hint=hints.as_delivered,
                )
            if name and not name.endswith("/"):  # not a folder (nor a nameless entry)
                self.infos[name] = info

    def close(self) -> None:
        self.zf.close()

    def files(self, folder: str) -> list[str]:
        return [n for n in self.infos if n.startswith(folder) and "/" not in n[len(folder) :]]

    def _open(self, name: str) -> tuple[Any, int] | None:
        info = self.infos.get(name)
        if info is None:
            return None
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(
                f"{self.label}: {name} is stored as a symbolic link; refusing to follow it",
                hint=self.hints.as_delivered,
            )
        try:
            return self.zf.open(info), info.file_size
        except _CORRUPT as e:
            raise ArchiveError(
                f"{self.label}: {name}: cannot be read ({e})", hint=self.hints.redownload
            ) from None


class TarReader(Reader):
    """A gzip-compressed tar: its headers read once, start to end, then each member streamed
    from its place in the archive as a zip's is, when asked for (gzip inflates from the start
    again: a member costs at most the archive's inflated size in time, and a megabyte in memory).

    Only the members `keep(name)` wants are listed, by their names relative to the archive's root.
    The archive is refused when an entry climbs out with `..`, is a link, is a sparse file
    (whose holes would come out as zeros; no export writes one), or the whole inflates past
    `MAX_TOTAL_BYTES`.

    Args:
        path: the `.tar.gz`.
        keep: whether a member (by its relative POSIX name) will be read.
        hints: what to do about a broken or tampered archive.
    """

    def __init__(self, path: Path, keep: Callable[[str], bool], hints: Hints) -> None:
        super().__init__(str(path), hints)
        self.infos: dict[str, tarfile.TarInfo] = {}
        self.raw = path.open("rb")
        self.inflated = _Inflated(gzip.GzipFile(fileobj=self.raw), self.label)
        try:
            # Open until close(): members are streamed from it when asked for.
            self.tar = tarfile.open(fileobj=cast(IO[bytes], self.inflated), mode="r:")  # noqa: SIM115
            while (member := self.tar.next()) is not None:
                # TarFile keeps every header it reads in its (undocumented) list `members`:
                # emptied, so that millions of tiny entries cost no memory.
                cast(Any, self.tar).members.clear()
                self._take(member, keep)
        except (*_CORRUPT, tarfile.TarError, gzip.BadGzipFile) as e:
            self.close()
            raise ArchiveError(
                f"{path}: not a valid .tar.gz archive ({e})", hint=hints.redownload
            ) from None
        except BaseException:
            self.close()
            raise

    def _take(self, member: tarfile.TarInfo, keep: Callable[[str], bool]) -> None:
        name = member.name.replace("\\", "/")
        if ".." in name.split("/"):
            raise ArchiveError(
                f"{self.label}: refusing the archive, entry {member.name!r} points outside its "
                "folder ('..')",
                hint=self.hints.as_delivered,
            )
        if member.issym() or member.islnk():
            raise ArchiveError(
                f"{self.label}: {member.name} is stored as a link; refusing to follow it",
                hint=self.hints.as_delivered,
            )
        if member.issparse() or member.type == tarfile.GNUTYPE_SPARSE:
            raise ArchiveError(
                f"{self.label}: refusing the archive, {member.name} is stored as a sparse file, "
                "which no export writes",
                hint=self.hints.as_delivered,
            )
        name = name.removeprefix("./")
        if member.isfile() and not name.startswith("/") and keep(name):
            self.infos[name] = member

    def close(self) -> None:
        self.raw.close()

    def files(self, folder: str) -> list[str]:
        return [n for n in self.infos if n.startswith(folder) and "/" not in n[len(folder) :]]

    def _open(self, name: str) -> tuple[Any, int] | None:
        member = self.infos.get(name)
        if member is None:
            return None
        try:
            return self.tar.extractfile(member), member.size
        except (*_CORRUPT, tarfile.TarError) as e:
            raise ArchiveError(
                f"{self.label}: {name}: cannot be read ({e})", hint=self.hints.redownload
            ) from None


class _Inflated:
    """A decompressing stream that refuses to inflate past `limits.MAX_TOTAL_BYTES`: neither
    reading nor seeking (which inflates what it skips) goes further into it."""

    def __init__(self, stream: Any, label: str) -> None:
        self.stream, self.label = stream, label

    def _refuse_past(self, end: int) -> None:
        if end > limits.MAX_TOTAL_BYTES:
            raise ArchiveError(
                f"{self.label}: refusing an archive that inflates past "
                f"{limits.MAX_TOTAL_BYTES:,} bytes; this looks like a zip bomb",
                hint="extract it yourself and pass the folder holding outbox.json",
            )

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n if n is not None and n >= 0 else _CHUNK)
        self._refuse_past(self.stream.tell())
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.stream.tell() + offset
        self._refuse_past(target)
        return int(self.stream.seek(offset, whence))

    def tell(self) -> int:
        return int(self.stream.tell())


class DirReader(Reader):
    """An extracted archive folder; every file read must really lie inside it."""

    def __init__(self, root: Path, hints: Hints = X_HINTS) -> None:
        super().__init__(str(root), hints)
        self.root = root
        self.real_root = real_path(root, str(root), hints.as_delivered)

    def files(self, folder: str) -> list[str]:
        d = self.root / folder
        # Links are listed (not followed) so that one leading outside is refused when read.
        entries = d.iterdir() if d.is_dir() else ()
        return [folder + p.name for p in entries if p.is_symlink() or p.is_file()]

    def _open(self, name: str) -> tuple[Any, int] | None:
        p = self.root / name
        if unsafe(name) or not (p.is_symlink() or p.exists()):
            return None
        where = f"{self.label}: {name}"
        real = real_path(p, where, self.hints.as_delivered)
        if not real.is_relative_to(self.real_root):
            raise ArchiveError(
                f"{where} is a symbolic link to a file outside the archive folder; "
                "refusing to read it",
                hint=self.hints.as_delivered,
            )
        if not real.is_file():
            return None
        try:
            f = real.open("rb")
            return f, os.fstat(f.fileno()).st_size
        except OSError as e:
            raise ArchiveError(
                f"{where}: cannot be read ({e.strerror})", hint=self.hints.redownload
            ) from None


def local_archive(path: Path, raw: str, hint: str, hints: Hints = X_HINTS) -> Path:
    """The archive (a file or a folder) at `path`, written `raw` by the user; one line when it is
    not there.

    Raises:
        ArchiveError: nothing at `path`, or a symbolic link loop or a link to nothing.
    """
    if path.is_symlink():
        real_path(path, raw, hints.as_delivered)  # a loop or a dangling link is named as such
    if not path.exists():
        raise ArchiveError(f"{raw}: no such file or folder", hint=hint)
    return path


def real_path(path: Path, where: str, hint: str = X_HINTS.as_delivered) -> Path:
    """`path` with every symbolic link followed; a loop or a dangling link is one line (HINT)."""
    try:
        return path.resolve(strict=True)
    except (RuntimeError, OSError) as e:  # RuntimeError: Python 3.11's "Symlink loop"
        loop = isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP
        what = "is a symbolic link loop" if loop else "is a symbolic link to nothing"
        if not loop and not path.is_symlink():
            what = f"cannot be read ({getattr(e, 'strerror', e)})"
        raise ArchiveError(f"{where} {what}", hint=hint) from None


def unsafe(name: str) -> bool:
    """True for a path that is absolute (POSIX or Windows) or climbs out with '..'."""
    return (
        name.startswith("/") or re.match(r"^[A-Za-z]:", name) is not None or ".." in name.split("/")
    )


def account_handle(reader: Reader, given: str | None, found: Any, file: str,
                   valid: Callable[[str], bool], what: str) -> str:  # fmt: skip
    """The account's handle: the one given on the command line, else the one the archive names.

    Args:
        reader: the archive.
        given: the handle given as `HANDLE=ARCHIVE`, or None.
        found: what the archive's `file` names (any JSON value).
        file: the archive's file that names the account.
        valid: whether a name is a handle of this platform.
        what: what a handle of this platform is, for the error.

    Raises:
        ArchiveError: the archive names no account, or a name that is not a handle.
    """
    hint = name_hint(reader.label)
    if given is not None:
        return given
    if not isinstance(found, str) or not found:
        raise ArchiveError(f"{reader.label}: no {file} naming the account", hint=hint)
    if not valid(found):
        raise ArchiveError(
            f"{reader.label}: {file} names the account {found[:60]!r}, which is not {what}",
            hint=hint,
        )
    return found
