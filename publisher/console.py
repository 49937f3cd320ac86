"""What reaches the user's terminal: our lines and one progress display per stage, nothing else.

torch, transformers, datasets, accelerate and huggingface_hub each print their own bars and
warnings ("Loading weights", "Saving the dataset", "Creating parquet from Arrow format", upload
bars, deprecation warnings): a `make demo` printed over a hundred lines of them around the dozen
a person reads. `setup()` silences them at the edge (the CLI calls it before any library is
imported, by environment variables, and again through each library's own switch for those
already loaded); `--verbose` leaves them as the libraries want. Our own `Progress` is one line
redrawn in place on a terminal, and a few plain lines (every quarter) when stderr is a pipe or
CI log, never carriage returns there. Everything goes to stderr: stdout is for results.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from typing import Any, TextIO

# Read by the libraries when they are imported (set before the first import).
QUIET_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",  # its fork warning is printed from Rust, not logging
    "ACCELERATE_LOG_LEVEL": "error",
}
LIBRARY_LOGGERS = ("transformers", "datasets", "huggingface_hub", "accelerate", "torch", "httpx",
                   "httpx2", "urllib3", "gradio", "filelock", "fsspec", "tensorboard")  # fmt: skip
_state = {"verbose": False}


def setup(verbose: bool = False) -> None:
    """Silence the libraries' logging, progress bars and warnings, unless `verbose`.

    Args:
        verbose: leave the libraries' own output on (and undo an earlier quiet `setup`).
    """
    _state["verbose"] = verbose
    if verbose:
        for name, value in QUIET_ENV.items():
            if os.environ.get(name) == value and name != "TOKENIZERS_PARALLELISM":
                del os.environ[name]
    else:
        for name, value in QUIET_ENV.items():
            os.environ.setdefault(name, value)
        warnings.filterwarnings("ignore")  # library deprecation/user warnings: not for users
    level = logging.WARNING if verbose else logging.ERROR
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    _library_switches(verbose)


def _library_switches(verbose: bool) -> None:
    """The libraries' own verbosity and progress-bar switches, for those already imported."""
    mods = sys.modules
    if "transformers" in mods:
        from transformers.utils import logging as tf_logging

        tf_logging.set_verbosity_warning() if verbose else tf_logging.set_verbosity_error()
        tf_logging.enable_progress_bar() if verbose else tf_logging.disable_progress_bar()
    if "datasets" in mods:
        import datasets

        datasets.enable_progress_bars() if verbose else datasets.disable_progress_bars()
        datasets.logging.set_verbosity_warning() if verbose else datasets.logging.set_verbosity_error()  # fmt: skip
    if "huggingface_hub" in mods:
        from huggingface_hub import utils as hf_utils

        hf_utils.enable_progress_bars() if verbose else hf_utils.disable_progress_bars()


def is_verbose() -> bool:
    """Whether `--verbose` was given (libraries may print)."""
    return _state["verbose"]


def interactive(stream: TextIO | None = None) -> bool:
    """Whether `stream` (default stderr) is a terminal that can redraw a line."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def say(msg: str) -> None:
    """One line for the person at the terminal (stderr)."""
    print(msg, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """A short human duration: 4.2 s, 3 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Our progress display for one stage (the subset of tqdm's API the stages use).

    On a terminal: one line redrawn in place at most every `interval` seconds, left on screen
    when done. Elsewhere: a plain line at each quarter and at the end.
    """

    def __init__(self, total: int | None, desc: str, unit: str = "step", initial: int = 0, disable: bool = False, stream: TextIO | None = None, interval: float = 0.5) -> None:  # fmt: skip
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.disable, self.stream, self.interval = disable, stream or sys.stderr, interval
        self.tty = interactive(self.stream)
        self.postfix: dict[str, Any] = {}
        self.start = self._drawn = time.perf_counter()
        self._quarter = self._quarter_of(initial)
        self._closed = False

    def _quarter_of(self, n: int) -> int:
        return 4 * n // self.total if self.total else 0

    def update(self, n: int = 1) -> None:
        """Advance by `n` and redraw when due."""
        self.n += n
        if self.disable:
            return
        now = time.perf_counter()
        if self.tty and now - self._drawn >= self.interval:
            self.refresh()
        elif not self.tty and self.total and (q := self._quarter_of(self.n)) > self._quarter:
            self._quarter = q
            if self.n < self.total:
                self._write(self.line())

    def refresh(self) -> None:
        """Redraw now on a terminal (after `total` changed)."""
        if self.tty and not self.disable:
            self._write("\r" + self.line() + "\x1b[K", end="")
            self._drawn = time.perf_counter()

    def set_postfix(self, **values: Any) -> None:
        """Figures shown after the count (loss, learning rate...)."""
        self.postfix = values

    def line(self) -> str:
        """The current state as one line (once closed: what was done, with no time left)."""
        elapsed = time.perf_counter() - self.start
        count = f"{self.n}/{self.total}" if self.total else str(self.n)
        parts = [f"{self.desc}: {count} {self.unit}s"]
        if self.total and 0 < self.n < self.total and elapsed > 1 and not self._closed:
            left = elapsed / self.n * (self.total - self.n)
            parts.append(f"{duration(elapsed)} elapsed, ~{duration(left)} left")
        else:
            parts.append(duration(elapsed))
        parts += [f"{k} {v}" for k, v in self.postfix.items()]
        return ", ".join(parts)

    def write(self, msg: str) -> None:
        """A line above the progress display (tqdm.write's role)."""
        if self.tty and not self.disable:
            self._write("\r\x1b[K" + msg)
        else:
            self._write(msg)

    def close(self) -> None:
        """Leave the final state on screen, once."""
        if self._closed or self.disable:
            self._closed = True
            return
        self._closed = True
        self._write(("\r" if self.tty else "") + self.line() + ("\x1b[K" if self.tty else ""))

    def _write(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
