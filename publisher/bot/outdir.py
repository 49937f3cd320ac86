"""The bot folder `DIR`: what it may hold, and writing it without ever losing anything.

`check_out_dir` refuses to write over anything but a bot: `--overwrite` replaces another bot and
nothing else (not a folder holding other files, not the folder an input comes from).

Every output (`DIR/data/` and `bot.json` by `prepare`, `DIR/repo/` by `train`) is written into a
staging folder beside its destination, then renamed into place, so a failed or killed run never
leaves half an output. A run killed with `kill -9` cannot remove its staging folder, so the next
run on the same `--out` does, through `sweep`: only folders whose names are ours, and only those no
live run holds. Each staging folder comes with a lock file (`NAME.lock`) locked with `flock` for as
long as the folder is in use; the kernel drops the lock when its process dies, however it dies, so
"lockable" means "stale". (A pid would be reused; a lock cannot outlive its process.)
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ManifestError, OutputExistsError
from ..sources.spec import UserSpec
from . import layout, manifest

# Everything a bot folder may hold; `--overwrite` removes these and refuses a folder with more.
BOT_ENTRIES = layout.ENTRIES
LOCK_SUFFIX = ".lock"
# A lock file whose folder is gone is removed once this old: a live run creates its folder a
# moment after its lock file, never a minute later.
ORPHAN_LOCK_SECONDS = 60.0


def prefix_beside(out: Path) -> str:
    """The name prefix of the staging folders for `out`, which lie in `out.parent`."""
    return f".{out.name}.tmp-"


REPO_PREFIX = ".repo.tmp-"  # in DIR: the next DIR/repo/ being written by `train`
UPDATE_PREFIX = ".update-"  # in DIR: the next data/, repo/ and bot.json of `hf-tweetbot update`
# Unlocked staging names that may be found in DIR (`.repo-xxxx`, `.repo-old-PID`, ...), swept too.
LEGACY_PREFIXES = (".repo-", ".data.old-", ".avatars.old-")


def check_out_dir(
    out: Path, model_name: str, overwrite: bool, specs: Sequence[UserSpec] = ()
) -> None:
    """Refuse to write over anything but this bot, or another bot when `overwrite`.

    Args:
        out: the bot folder about to be written.
        model_name: the bot about to be written there.
        overwrite: replace another bot (never anything else).
        specs: the USER arguments: an input inside `out` could be lost, so it is refused.

    Raises:
        OutputExistsError: `out` is a file, holds another bot (without `overwrite`), holds
            files that are not a bot's, or holds an input.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputExistsError(f"{out} is a file, not a bot folder", hint="choose another --out")
    real = out.resolve()
    for spec in specs:
        path = spec.path
        if path is not None and path.exists() and path.resolve().is_relative_to(real):
            what = "is the input itself" if path.resolve() == real else f"holds the input {path}"
            raise OutputExistsError(
                f"--out {out} {what}; writing the bot there could destroy it",
                hint="choose another --out (for example bots/NAME)",
            )
    foreign = sorted(p.name for p in out.iterdir() if not _bot_entry(p.name))
    if overwrite and foreign:
        raise OutputExistsError(
            f"--out {out} holds files that are not part of a bot ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); --overwrite replaces a bot folder and "
            "nothing else",
            hint="choose another --out (a new or empty folder)",
        )
    if overwrite:
        return
    if (out / manifest.MANIFEST_NAME).exists():
        held = manifest.load(out)
        if held.model_name != model_name:
            raise OutputExistsError(
                f"{out} holds another bot ({held.model_name})",
                hint=f"choose another --out, or add --overwrite to replace {held.model_name}",
            )
        refuse_trained(out, overwrite)
        return
    if any(p.name not in ("raw", layout.LOCK) for p in out.iterdir()):
        raise OutputExistsError(
            f"{out} is not empty and holds no bot",
            hint="choose another --out (a new or empty folder)"
            + ("" if foreign else ", or add --overwrite to replace what is left of a bot"),
        )


def refuse_trained(out: Path, overwrite: bool) -> None:
    """Refuse to prepare again, without `overwrite`, a bot that was trained or pushed.

    New posts beside the old model would make bot.json and repo/ describe two different bots,
    and bot.json would forget where the bot was pushed. Checked before any post is read.

    Raises:
        OutputExistsError: naming `update` (new posts) and `--overwrite` (start over).
    """
    if overwrite or not (out / manifest.MANIFEST_NAME).is_file():
        return
    held = manifest.load(out)
    if layout.is_trained(out) or held.repo_id:
        raise OutputExistsError(
            f"{out} holds the trained bot {held.model_name}"
            + (f" (pushed to {held.repo_id})" if held.repo_id else "")
            + "; preparing it again would lose its model's record",
            hint=f"`hf-tweetbot update {out} [NEWER_ARCHIVE]` adds new posts to it; "
            "--overwrite starts the bot over",
        )


def _bot_entry(name: str) -> bool:
    return name in BOT_ENTRIES or is_ours(name)


@contextlib.contextmanager
def staging_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A new, locked, hidden folder `parent/PREFIXxxxx` removed on exit, whatever happens.

    Stale folders with the same prefix (from killed runs) are swept first.

    Args:
        parent: the folder of the final output (the stage must be on its file system).
        prefix: the staging name prefix (`prefix_beside(out)` or `REPO_PREFIX`).

    Returns:
        The empty staging folder; move what it holds into place before the block ends.
    """
    parent.mkdir(parents=True, exist_ok=True)
    sweep(parent, prefix)
    # The lock first, then the folder: a folder without a lock is never a live run's.
    fd, lock = tempfile.mkstemp(dir=parent, prefix=prefix, suffix=LOCK_SUFFIX)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        stage = Path(lock[: -len(LOCK_SUFFIX)])
        stage.mkdir()
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    finally:
        Path(lock).unlink(missing_ok=True)
        os.close(fd)


def sweep(parent: Path, prefix: str) -> list[Path]:
    """Remove the staging folders named `prefix*` in `parent` that no live run holds.

    Args:
        parent: where to look.
        prefix: the staging name prefix; nothing else is touched.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for path in parent.glob(glob.escape(prefix) + "*"):
        lock = path.with_name(path.name + LOCK_SUFFIX)
        if path.name.endswith(LOCK_SUFFIX):
            folder = path.with_name(path.name[: -len(LOCK_SUFFIX)])
            if not folder.exists() and _age(path) > ORPHAN_LOCK_SECONDS and _unlocked(path):
                path.unlink(missing_ok=True)
        elif path.is_dir() and not path.is_symlink() and _unlocked(lock):
            shutil.rmtree(path, ignore_errors=True)
            lock.unlink(missing_ok=True)
            removed.append(path)
    return removed


def sweep_bot(out: Path) -> list[Path]:
    """Every stale staging folder of the bot folder `out`: beside it and inside it."""
    removed = sweep(out.parent, prefix_beside(out))
    for prefix in (REPO_PREFIX, UPDATE_PREFIX, *LEGACY_PREFIXES):
        removed += sweep(out, prefix)
    return removed


def is_ours(name: str) -> bool:
    """True for a hidden name that a run of ours creates inside a bot folder."""
    return name.startswith(
        (REPO_PREFIX, UPDATE_PREFIX, *LEGACY_PREFIXES, f".{manifest.MANIFEST_NAME}.")
    )


def _unlocked(lock: Path) -> bool:
    """True when no live process holds `lock` (or there is no lock file at all)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: keep it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def holds_another_bot(out: Path, model_name: str) -> bool:
    """Whether `out` holds a bot.json of another bot (or one that cannot be read)."""
    try:
        return manifest.load(out).model_name != model_name
    except ManifestError:  # no bot.json, or one we cannot read: not this bot's either way
        return (out / manifest.MANIFEST_NAME).exists()


def swap_in(new: Path, target: Path, stage: Path) -> None:
    """Swap `new` in for `target` with renames; the old one goes into `stage`, removed with it."""
    if target.exists():
        os.replace(target, stage / f"old-{target.name}")
    os.replace(new, target)
