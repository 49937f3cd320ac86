"""One writer at a time in a bot folder, and what its readers are told meanwhile.

Every command that writes a bot folder (prepare, train, eval, card, push, export, update,
publish, and the web creator through the same pipeline) holds `DIR/.lock` locked with `flock`
while it writes. The kernel drops the lock when its process ends, however it ends (Ctrl-C,
`kill -9`, a crash), so a lock is never stale: a lockable file is a free folder. The file names
its holder (pid, command line, what it is doing), so a second writer is told who holds the
folder, and a reader (`generate`, `space`) of a bot not trained yet is told that training is in
progress rather than to start another.

The lock file is removed when the run ends; a run that opened it meanwhile sees that and takes
a new one. A process may take the lock again inside its own hold (`publish` prepares, trains, pushes); a
thread of the web creator is a writer of its own. Under `accelerate launch`, only rank 0 takes
it: the other ranks are the same run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import BusyError, ManifestError
from . import layout, manifest

TRAINING = "training"
# A reader's look at the lock (a shared lock, for an instant) can meet a writer's first try.
ATTEMPTS = 5
RETRY_SECONDS = 0.05


@dataclass(frozen=True)
class Holder:
    """The run that holds a bot folder."""

    pid: int
    command: str
    doing: str

    def __str__(self) -> str:
        return f"{self.command} (pid {self.pid}, {self.doing})"


_local = threading.local()  # {folder: [fd, [what it is doing, ...]]} held by this thread


def _held() -> dict[str, list]:
    if not hasattr(_local, "held"):
        _local.held = {}
    return _local.held  # type: ignore[no-any-return]


def command_line() -> str:
    """This process's command, as a person typed it (`hf-tweetbot train bots/ada`)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("hf-tweetbot", "__main__.py"):
        argv[0] = "hf-tweetbot"
    return shlex.join(argv) if argv else f"pid {os.getpid()}"


@contextlib.contextmanager
def writing(bot_dir: Path, doing: str, create: bool = False) -> Iterator[None]:
    """Hold `bot_dir` alone while the block writes it.

    Args:
        bot_dir: the bot folder.
        doing: what the run does there, for those who find it held ("training", "pushing").
        create: make the folder if need be (`prepare`); else a missing folder is said as one.

    Raises:
        BusyError: another run holds the folder; it names that run.
        ManifestError: no such bot folder (and `create` is False).
    """
    if not create and not Path(bot_dir).is_dir():
        manifest.load(bot_dir)  # raises: no such bot folder, with the closest one
    if os.environ.get("RANK", "0") != "0":  # `accelerate launch`: rank 0 holds it for the run
        yield
        return
    bot_dir = Path(bot_dir)
    key = str(bot_dir.resolve())
    held = _held()
    if key in held:  # this run, one stage inside another
        fd, doings = held[key]
        doings.append(doing)
        _write_holder(fd, doing)
        try:
            yield
        finally:
            doings.pop()
            _write_holder(fd, doings[-1])
        return
    created = [p for p in (bot_dir, *bot_dir.parents) if not p.exists()]  # innermost first
    bot_dir.mkdir(parents=True, exist_ok=True)
    fd = _acquire(bot_dir)
    held[key] = [fd, [doing]]
    try:
        _write_holder(fd, doing)
        yield
    finally:
        del held[key]
        _release(bot_dir, fd, created)


def _acquire(bot_dir: Path) -> int:
    path = layout.lock_file(bot_dir)
    for attempt in range(ATTEMPTS):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            if attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_SECONDS)
                continue
            raise busy(bot_dir, holder(bot_dir)) from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # removed by the run that held it, after we opened it: take the new one
    raise BusyError(f"{bot_dir}: could not take its lock", hint="run this command again")


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _write_holder(fd: int, doing: str) -> None:
    info = {"pid": os.getpid(), "command": command_line(), "doing": doing}
    data = (json.dumps(info, ensure_ascii=False) + "\n").encode("utf-8", "replace")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _release(bot_dir: Path, fd: int, created: list[Path]) -> None:
    """Let go, removing the lock file (a run that opened it meanwhile sees it gone and takes a
    new one); folders this run created and left empty are removed too."""
    try:
        layout.lock_file(bot_dir).unlink(missing_ok=True)
        for folder in created:
            folder.rmdir()  # OSError once one is not empty
    except OSError:
        pass
    finally:
        os.close(fd)


def busy(bot_dir: Path, who: Holder | None) -> BusyError:
    return BusyError(
        f"{bot_dir} is being written by {who or 'another run'}; nothing was changed",
        hint="wait for that run to end (or stop it), then run this command again",
    )


def refuse_held(bot_dir: Path) -> None:
    """Raise when another run holds `bot_dir` now: said before minutes of work that could not
    be written there (the lock itself is taken when the writing starts)."""
    who = holder(bot_dir)
    if who is not None and str(Path(bot_dir).resolve()) not in _held():
        raise busy(bot_dir, who)


def holder(bot_dir: Path) -> Holder | None:
    """The run holding `bot_dir` now, or None when none does."""
    path = layout.lock_file(bot_dir)
    key = str(Path(bot_dir).resolve())
    if key in _held():
        return Holder(os.getpid(), command_line(), _held()[key][1][-1])
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            pass  # held: read who holds it
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
            return Holder(int(info["pid"]), str(info["command"]), str(info["doing"]))
        except (ValueError, KeyError, TypeError):
            return Holder(0, "another run", "writing it")  # caught between two writes
    finally:
        os.close(fd)


def untrained(bot_dir: Path) -> ManifestError:
    """The error for a bot folder with no model yet: training in progress, or not trained."""
    who = holder(bot_dir)
    if who is not None and who.doing == TRAINING:
        return ManifestError(
            f"{bot_dir}: training in progress ({who.command}, pid {who.pid})",
            hint="wait for it to end, then run this command again",
        )
    return ManifestError(f"{bot_dir}: not trained yet", hint=f"hf-tweetbot train {bot_dir}")
