"""Each visitor's reading of posts runs in a process of its own, on a budget, and can be stopped.

Reading posts is `publisher.pipeline.prepare` on a stranger's upload or live account. In the
creator it never runs in the server's own process: each reading is a child process forked from
one fork server (multiprocessing's `forkserver`, started with the app) that has already
imported what reading needs, so a reading starts in a fraction of a second and shares no thread
or lock with the server. The server's side of a reading (`prepare_bot`) waits in the visitor's
own thread, passes the child's progress lines on, and watches it ten times a second:

- **A budget.** The child runs under `RLIMIT_CPU` (`WebConfig.read_cpu_seconds` of CPU time) and
  `RLIMIT_AS` (its own size when it starts plus `read_memory_mb`). Past either, the kernel ends
  it (or the allocation fails and it stops itself), and the visitor gets one line naming the
  limit. The CPU budget counts what the reading did, not how busy the machine is.
- **Stopped when nobody waits.** When the visitor's page closes or an API client cancels, the
  session's cancel event is set; the watcher sees it within 0.1 s and kills the child
  (`SIGKILL`): nothing in the input can delay that.
- **Least CPU first.** A reading's niceness rises with the CPU time it has used (`NICENESS`:
  10 more after 2 s, 19 after 10 s), on every one of its threads. The kernel's scheduler then
  gives a new reading the CPU before old, long ones (a weight of 1024 against 110, then 15): a
  normal archive, which needs a second or two of CPU, reads at nearly full speed beside hostile
  readings that have already spent seconds, and those go on with what is left until their
  budget ends them. After `read_slot_seconds` (of CPU or wall-clock time: a reading waiting on a slow server
  counts too) a reading also gives up its place among the new readings (`visitors.ReadGate`),
  so long readings never hold the door shut.
- **Outputs atomic.** The child writes the bot folder in a staging folder of the session's own;
  only a reading that ended well is moved into place as `bot/`, by renames; any other outcome
  (error, budget, cancel, crash) leaves the session's earlier bot, if any, as it was, and the
  stage is deleted.

Niceness and the CPU time a reading has used are read from `/proc` (Linux, where a Space runs);
elsewhere readings keep their budget and cancellation but not the aging. As in any program using
multiprocessing, the server's script launches under `if __name__ == "__main__":` (`hf-tweetbot
web` and the Space's `app.py` do): the fork server runs the script once, without that block.
`file_routes.launch_options` starts the fork server and waits for it, so no reading waits for it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import console, pipeline
from ..bot import layout, outdir
from ..errors import DEBUG_ENV, LimitError, SourceError, TweetbotError
from ..sources import SourceOptions
from ..sources.addresses import guarded
from ..sources.spec import UserSpec, local
from .session import WebConfig

# CPU seconds a reading has used -> the niceness it runs at from then on (added to its own).
NICENESS = ((2.0, 10), (10.0, 19))
STAGE_PREFIX = ".reading-"  # in a session's folder: a reading's bot being written
POLL = 0.1  # seconds between two looks at a running reading
# A reading whose CPU time has not grown for this many seconds is stuck (a thread that could not
# start under its memory cap, a wait that never ends; a live source's request times out sooner).
STALL_SECONDS = 60.0
# What the fork server imports before it forks any reading: the pipeline, and the libraries
# that loading a tokenizer imports on first use (seconds of imports each reading then skips).
# "__main__" first, as multiprocessing's default: the server's own script runs once there,
# not once per reading.
PRELOAD = [
    "__main__",
    "publisher.web.readings",
    "publisher.pipeline",
    "publisher.base_models",
    "publisher.dataset",
    "transformers.models.auto.tokenization_auto",
    "transformers.modeling_utils",
    "datasets",
]


class Cancelled(Exception):
    """The session ended (tab closed, API client gone): the job stops where it is."""


@dataclass
class ReadRequest:
    """What the child reads, where it writes, and the limits it runs under (all picklable)."""

    uploads: list[Path]  # files, whose kind the child decides (opening them is reading them)
    typed: list[UserSpec]  # live sources
    out: Path
    raw_dir: Path
    base: str
    cfg: WebConfig
    env: dict[str, str]


def prepare_bot(ws_path: Path, bot_dir: Path, uploads: list[Path], typed: list[UserSpec], base: str, cfg: WebConfig, say: Callable[[str], None], cancel: threading.Event | None = None, long: Callable[[], None] = lambda: None) -> None:  # fmt: skip
    """Prepare the uploads and typed sources into `bot_dir` in a child process on the reading
    budget.

    Args:
        ws_path: the session's folder (the stage is made there, on the same file system).
        bot_dir: the session's bot folder, replaced only when the reading ends well.
        uploads: the uploaded files, in the workspace.
        typed: the live sources typed in the page (`session.typed_sources`).
        base: the base model whose tokenizer prepares the posts.
        cfg: the app's limits (`read_cpu_seconds`, `read_memory_mb`, `read_slot_seconds`,
            `address_policy()`).
        say: where the reading's lines go (it may raise to stop the reading).
        cancel: set when nobody waits any more: the child is killed within `POLL` seconds.
        long: called once when the reading has run `read_slot_seconds`, of CPU or wall-clock
            time, whichever comes first.

    Raises:
        Cancelled: `cancel` was set.
        LimitError: the reading ran out of its CPU time or memory.
        TweetbotError: what `prepare` raised (the CLI's error, as the CLI shows it).
    """
    with outdir.staging_dir(ws_path, STAGE_PREFIX) as stage:
        out = stage / "bot"
        req = ReadRequest(uploads, typed, out, layout.raw_dir(stage), base, cfg, dict(os.environ))

        def relay(line: str) -> None:  # the visitor sees "bot", not the stage
            say(line.replace(str(out), str(bot_dir)))

        run(req, relay, cancel, long)
        outdir.swap_in(out, bot_dir, stage)


def run(req: ReadRequest, say: Callable[[str], None], cancel: threading.Event | None = None, long: Callable[[], None] = lambda: None) -> None:  # fmt: skip
    """Run one reading in a child process and wait for its end (see `prepare_bot`)."""
    ctx = _context()
    ours, theirs = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(req, theirs), name="hf-tweetbot-reading", daemon=True)
    child.start()
    theirs.close()
    watch = _Watch(child.pid or 0, req.cfg, long)
    outcome: tuple[str, Any] | None = None
    try:
        while outcome is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if ours.poll(POLL):
                try:
                    kind, value = ours.recv()
                except EOFError:  # the child is gone without a word: killed
                    child.join()
                    outcome = ("killed", child.exitcode)
                    break
                if kind == "say":
                    say(value)
                elif kind == "cap":
                    watch.vm_cap = value
                else:
                    outcome = (kind, value)
            watch.look()
            if watch.stalled():
                child.kill()
                outcome = ("stalled", None)
    finally:
        if outcome is not None:
            child.join(timeout=5)  # it ends as soon as it has said how it went
        if child.is_alive():
            child.kill()
        child.join()
        ours.close()
    kind, value = outcome
    if kind == "error":
        raise value
    if kind == "stalled":
        if watch.near_cap():
            raise memory_error(req.cfg)
        raise LimitError(
            f"reading your posts stopped making progress for {STALL_SECONDS:g} s",
            hint="try again; if it happens again, run `hf-tweetbot prepare` on your own machine",
        )
    if kind == "killed":
        raise watch.why_killed(value)


def _child(req: ReadRequest, conn: Any) -> None:
    """The reading, in the child: limits first, then `prepare`; every outcome goes to `conn`."""
    conn.send(("cap", _limit(req.cfg)))
    os.environ.clear()
    os.environ.update(req.env)  # the server's, now (the fork server has its start's)
    # One thread tokenizes: a pool of threads may not start under the address-space cap, and a
    # pool that half-started waits forever.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    console.setup()
    try:
        opts = pipeline.PrepareOptions(
            out=req.out,
            base_model=req.base,
            overwrite=True,
            sources=SourceOptions(
                raw_dir=req.raw_dir, max_posts=req.cfg.max_posts, progress=False
            ),  # fmt: skip
        )
        with guarded(req.cfg.address_policy()):
            specs = [local(path) for path in req.uploads] + req.typed
            pipeline.prepare(specs, opts, lambda line: conn.send(("say", line)))
    except MemoryError:
        conn.send(("error", memory_error(req.cfg)))
    except BaseException as e:  # handed to the server, which shows it as the CLI would
        if os.environ.get(DEBUG_ENV) == "1":
            traceback.print_exc()
        conn.send(("error", _portable(e)))
    else:
        conn.send(("done", None))
    finally:
        conn.close()


def _limit(cfg: WebConfig) -> int | None:
    """This process's budget: CPU time, and address space beyond what it holds now.

    Returns:
        The address space it may use, in bytes (None where that is not known).
    """
    import resource  # Unix only, as the fork server

    cpu = max(1, int(cfg.read_cpu_seconds + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))  # SIGXCPU, then SIGKILL
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file when SIGXCPU ends it
    size = _vm_bytes(os.getpid())
    if size is not None:
        cap = size + cfg.read_memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        return cap
    return None


def budget_error(cfg: WebConfig) -> LimitError:
    """What a visitor whose reading ran out of CPU time is told."""
    return LimitError(
        f"reading your posts took more than {cfg.read_cpu_seconds:g} s of CPU time, this page's "
        "limit for one reading",
        hint="upload fewer posts, or run `hf-tweetbot prepare` on your own machine",
    )


def memory_error(cfg: WebConfig) -> LimitError:
    """What a visitor whose reading ran out of memory is told."""
    return LimitError(
        f"reading your posts needed more than {cfg.read_memory_mb:,} MB of memory, this page's "
        "limit for one reading",
        hint="upload fewer posts, or run `hf-tweetbot prepare` on your own machine",
    )


def _portable(e: BaseException) -> BaseException:
    """`e` if it survives the trip to the server (typed errors do), else a stand-in."""
    import pickle

    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:
        detail = str(e).splitlines()[0][:300] if str(e) else ""
        return RuntimeError(f"{type(e).__name__}: {detail}")


class _Watch:
    """The server's look at a running reading: CPU time, niceness, address space."""

    def __init__(self, pid: int, cfg: WebConfig, long: Callable[[], None]) -> None:
        self.pid, self.cfg, self._long = pid, cfg, long
        self.cpu = 0.0
        self.vm = 0
        self.vm_cap: int | None = None  # what the child said it may use
        self._nice = 0
        self._base = _niceness(pid)
        self._gave_slot = False
        self._started = self._progressed = time.monotonic()

    def look(self) -> None:
        """Read the child's CPU time; raise its niceness and give up its slot as it grows."""
        cpu = cpu_seconds(self.pid)
        if cpu is None:
            return
        if cpu > self.cpu:
            self._progressed = time.monotonic()
        self.cpu = cpu
        self.vm = _vm_bytes(self.pid) or self.vm
        step = max((n for used, n in NICENESS if cpu >= used), default=0)
        if step > self._nice and self._base is not None:
            self._nice = step
            _renice(self.pid, min(19, self._base + step))
        slot = self.cfg.read_slot_seconds
        if not self._gave_slot and (cpu >= slot or time.monotonic() - self._started >= slot):
            self._gave_slot = True
            self._long()

    def stalled(self) -> bool:
        """No CPU time used for `STALL_SECONDS`."""
        return time.monotonic() - self._progressed > STALL_SECONDS

    def near_cap(self) -> bool:
        return bool(self.vm_cap) and self.vm >= (self.vm_cap or 0) - 64 * 2**20

    def why_killed(self, exitcode: int | None) -> TweetbotError:
        """The error for a child that ended without sending its outcome."""
        if exitcode == -signal.SIGXCPU or (
            exitcode == -signal.SIGKILL and self.cpu >= self.cfg.read_cpu_seconds - 1
        ):
            return budget_error(self.cfg)
        if self.near_cap():
            return memory_error(self.cfg)
        return SourceError(
            f"reading your posts stopped unexpectedly (exit status {exitcode})",
            hint="try again; if it happens again, run `hf-tweetbot prepare` on your own machine",
        )


_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()


def _context() -> Any:
    """The fork server's multiprocessing context (spawn where there is no fork server)."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _CONTEXT = multiprocessing.get_context("forkserver")
                # A server run as `python -m MODULE`: each reading runs MODULE again as its main
                # module (multiprocessing's rule); its imports, at least, are made once.
                main = getattr(getattr(sys.modules.get("__main__"), "__spec__", None), "name", None)  # fmt: skip
                extra = [main] if main and not main.endswith("__main__") else []
                _CONTEXT.set_forkserver_preload(PRELOAD + extra)
            else:
                _CONTEXT = multiprocessing.get_context("spawn")
        return _CONTEXT


def warm() -> None:
    """Start the fork server and wait until it has imported what reading needs (a few seconds on
    2 cores), so that no visitor's reading waits for it."""
    with contextlib.suppress(Exception):  # then the first reading starts it, and says why not
        child = _context().Process(target=_ready, name="hf-tweetbot-reader-start", daemon=True)
        child.start()
        child.join()


def _ready() -> None:
    """A reading that reads nothing: once it has run, the fork server is ready."""


# -- /proc (Linux): a process's CPU time, address space and threads ---------------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of `pid` (all its threads), or None when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15)


def _vm_bytes(pid: int) -> int | None:
    """The address space of `pid` in bytes, or None when it cannot be read."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _niceness(pid: int) -> int | None:
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        return None


def _renice(pid: int, nice: int) -> None:
    """Set the niceness of every thread of `pid` (Linux's is per thread), or of `pid` elsewhere."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            os.setpriority(os.PRIO_PROCESS, tid, nice)
