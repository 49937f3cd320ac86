"""The creator's work: prepare, train and publish through `publisher.pipeline`, in a worker thread.

Reading the posts runs in a process of its own, on a budget (`readings.py`); training and
publishing run in the job's thread.

Trainings run one at a time, in the fair line of `visitors.py`: a job waits for its turn in its
own thread and reports its place, and hands the turn on only once its training has really
ended (a cancelled one that is still winding down included). Each job runs in a thread and
reports through a queue of events, so the page's generator can yield every second (elapsed time,
the loss curve, the place in line) and gradio can close it when the tab goes away: closing sets
the job's `cancel`, and the training loop's `on_step` hook raises at its next step. The time
budget stops training early and keeps what it learned, so a bot is still published. Whatever a
job fetches for a visitor (live sources, an avatar) goes through the address guard of
`publisher/sources/addresses.py`.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import hub, pipeline
from ..bot import layout, manifest
from ..errors import DEBUG_ENV, AuthError, TweetbotError, UsageError, error_lines
from ..sources.addresses import guarded
from . import readings
from .readings import Cancelled
from .session import WebConfig, Workspace, typed_sources
from .visitors import Visitor, Visitors

log = logging.getLogger(__name__)
POSTS_SHOWN = 5


@dataclass
class TrainProgress:
    """What the page shows of a training: its steps, losses, times and budget."""

    budget: float
    started: float = field(default_factory=time.monotonic)
    total: int = 0
    losses: list[tuple[int, float]] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def step(self) -> int:
        return self.losses[-1][0] if self.losses else 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float | None:
        """Seconds left at the pace so far, never past the budget; None before the first step."""
        if not self.losses or not self.total:
            return None
        pace = self.elapsed() / self.step
        return max(0.0, min(pace * (self.total - self.step), self.budget - self.elapsed()))


class Job:
    """Run `work(job)` in a worker thread; its lines and training steps come back as events.

    Args:
        work: the job; it reports through `job.say` and `job.on_step`.
        cancel: set by whoever ends the session; the job raises `Cancelled` at its next report.
    """

    def __init__(self, work: Callable[[Job], Any], cancel: threading.Event | None = None) -> None:
        self.cancel = cancel or threading.Event()
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.result: Any = None
        self.error: BaseException | None = None
        self.progress: TrainProgress | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Job], Any]) -> None:
        try:
            self.result = work(self)
        except BaseException as e:  # handed to the page's thread, which reports it
            self.error = e
        finally:
            self.queue.put(("end", None))

    def say(self, line: str) -> None:
        """A progress line or warning from a stage (`say` of `publisher.pipeline`)."""
        if self.cancel.is_set():
            raise Cancelled()
        self.queue.put(("say", line))

    def in_line(self, ahead: int) -> None:
        """The job waits for its turn to train, `ahead` trainings before it."""
        if self.cancel.is_set():
            raise Cancelled()
        self.queue.put(("line", ahead))

    def on_step(self, step: int, total: int, loss: float) -> bool:
        """The training loop's hook: record the step; True (stop) once over the time budget."""
        if self.cancel.is_set():
            raise Cancelled()
        p = self.progress
        if p is None:
            return False
        p.total = total
        p.losses.append((step, loss))
        self.queue.put(("step", (step, loss)))
        p.stopped_early = p.elapsed() > p.budget and step < total
        return p.stopped_early

    def events(self, tick: float = 1.0) -> Iterator[tuple[str, Any]]:
        """Yield ("say", line), ("line", trainings ahead), ("step", (n, loss)) and, every `tick`
        seconds, ("tick", None).

        Closing this iterator (gradio does when the client goes away) cancels the job.

        Raises:
            The job's own exception, once it has ended.
        """
        ended = False
        try:
            while not ended:
                try:
                    kind, value = self.queue.get(timeout=tick)
                except queue.Empty:
                    kind, value = "tick", None
                ended = kind == "end"
                if not ended:
                    yield kind, value
        finally:
            if not ended:  # closed before the job's end: nobody is waiting for it any more
                self.cancel.set()
        if self.error is not None:
            raise self.error


def check_request(base_model: str, steps: float | None, cfg: WebConfig) -> tuple[str, int]:
    """The base model and step count asked for, within this app's limits.

    Raises:
        UsageError: a base model not offered here, or too many steps.
    """
    base = (base_model or cfg.base_models[0]).strip()
    if base not in cfg.base_models:
        raise UsageError(
            f"base model '{base}' is not offered here",
            hint=f"choose one of: {', '.join(cfg.base_models)}",
        )
    n = int(round(steps or 0))
    if not 0 <= n <= cfg.max_steps:
        raise UsageError(
            f"{n} training steps asked for; this page trains 0 (the defaults) to {cfg.max_steps}",
            hint=f"choose 0 to {cfg.max_steps} steps",
        )
    return base, n


def read_posts(ws: Workspace, uploads: list[str], typed: str, base: str, cfg: WebConfig, say: Callable[[str], None], cancel: threading.Event | None = None, long: Callable[[], None] = lambda: None) -> manifest.Manifest:  # fmt: skip
    """Gather, clean and tokenize uploads and typed sources into the session's bot folder, in a
    process of its own on the reading budget (`readings.py`).

    Args:
        ws: the session's workspace (an earlier bot in it is replaced once the reading ends well).
        uploads: paths of uploaded files in gradio's cache (moved into `ws`, deleted after).
        typed: live sources typed in the page (`session.typed_sources`).
        base: the base model, whose tokenizer prepares the posts.
        cfg: the app's limits.
        say: where the stages' lines and warnings go.
        cancel: set when nobody waits any more: the reading is stopped.
        long: called once the reading has run `cfg.read_slot_seconds` (of CPU or wall-clock time).

    Returns:
        The bot's manifest (counts per account).

    Raises:
        Cancelled: `cancel` was set.
        LimitError: the reading ran out of its CPU time or memory.
    """
    try:
        paths = [ws.adopt_upload(f) for f in uploads]
        for path in paths:
            ws.check_upload(path, cfg.max_upload_mb)
        specs = [str(p) for p in paths]
        specs += typed_sources(typed, x_api=bool(os.environ.get("X_BEARER_TOKEN")))
        if not specs:
            raise UsageError(
                "nothing to read yet", hint="upload your X archive (.zip) or type bsky:HANDLE"
            )
        readings.prepare_bot(ws.path, ws.bot_dir, specs, base, cfg, say, cancel, long)
    finally:
        ws.clear_uploads()  # read once: the person's archive does not outlive this step
    return manifest.load(ws.bot_dir)


def train(ws: Workspace, steps: int, cfg: WebConfig, job: Job) -> list[str]:
    """Fine-tune the prepared bot, write its card; sample a few posts (the caller holds the turn).

    Returns:
        Posts written by the new bot from its widget prompt.
    """
    from ..space.draw import DrawSettings, sample
    from ..space.load import load_bot
    from ..train import TrainConfig

    job.progress = TrainProgress(budget=cfg.time_budget)
    tcfg = TrainConfig(
        max_steps=steps or None, checkpoint_every=0, progress=False, on_step=job.on_step
    )
    with guarded(cfg.address_policy()):  # the card's thumbnail downloads the avatars
        pipeline.train_bot(ws.bot_dir, tcfg, job.say)
    model, tok = load_bot(str(layout.repo_dir(ws.bot_dir)))
    prompt = manifest.load(ws.bot_dir).widget_text
    return sample(model, tok, DrawSettings(prompt=prompt, n=POSTS_SHOWN, max_new_tokens=40))


def train_in_line(visitors: Visitors, who: Visitor, ws: Workspace, steps: int, cfg: WebConfig, job: Job) -> list[str]:  # fmt: skip
    """The page's step 2: wait for the turn in the training line, then `train`.

    Raises:
        LimitError: the visitor may not queue another training now.
    """
    with ws.busy(), visitors.training(who, cfg, job.in_line):
        return train(ws, steps, cfg, job)


def create(visitors: Visitors, who: Visitor, ws: Workspace, uploads: list[str], typed: str, base: str, steps: int, repo_name: str | None, token: str, cfg: WebConfig, job: Job) -> str:  # fmt: skip
    """The whole job for `/create`: prepare, check the Hub, train, push model and Space.

    The place in the training line is taken first, so a request past the visitor's limits is
    refused before any work; the posts are read while it waits.

    Returns:
        The model repo's URL.
    """
    with ws.busy():
        ticket = visitors.join(who, cfg, ready=False)
        try:
            with visitors.reading(who, cfg, wait=True, cancel=job.cancel) as long:
                m = read_posts(ws, uploads, typed, base, cfg, job.say, job.cancel, long)
            opts = push_options(repo_name)
            # Before the slow part, as `hf-tweetbot publish` does: a bad token fails in seconds.
            opts.repo_id = hub.preflight(m.model_name, opts, token)
            job.say(f"Will publish to {opts.repo_id}")
            visitors.ready(ticket, cfg)
            visitors.wait_turn(ticket, job.in_line)
            train(ws, steps, cfg, job)
        finally:
            visitors.line.leave(ticket)
        job.say("Publishing…")
        return pipeline.push_bot(ws.bot_dir, opts, token, job.say).model.url


def publish_token(oauth_token: Any, cfg: WebConfig) -> str:
    """The token to publish with: the signed-in person's; locally, this machine's.

    Raises:
        AuthError: nobody signed in (on a Space), or no token on this machine.
    """
    token = getattr(oauth_token, "token", None)
    if token:
        return str(token)
    if cfg.on_space:
        raise AuthError(
            "sign in with Hugging Face first: your bot is published to your account",
            hint="click 'Sign in with Hugging Face' at the top of the page",
        )
    token = hub.get_token()
    if not token:
        raise AuthError(
            "no Hugging Face token on the machine running this page",
            hint=f"{hub.LOGIN_HINT}, then restart `hf-tweetbot web`",
        )
    return token


def push_options(repo_name: str | None, space: bool = True, dataset: bool = False, private: bool = False) -> hub.PushOptions:  # fmt: skip
    """Where and what to publish: a bare NAME goes to the token's own namespace."""
    return hub.PushOptions(
        repo_id=(repo_name or "").strip() or None, space=space, dataset=dataset, private=private
    )


def message_lines(e: BaseException, ws: Workspace | None, token: str | None) -> list[str]:
    """The CLI's `Error:`/`Hint:` lines for `e`, without the server's paths or the token."""
    if isinstance(e, Cancelled):
        return ["Error: stopped: the page was closed"]
    lines = [ws.scrub(line) if ws else line for line in error_lines(e)]
    lines = [line.replace(token, "***") for line in lines] if token else lines
    if not isinstance(e, TweetbotError):  # a bug: the server's log gets it (the traceback only
        # when debugging, as an exception's text could quote a secret the message scrubs)
        debug = os.environ.get(DEBUG_ENV) == "1"
        log.error("unexpected error in the creator: %s", lines[0], exc_info=e if debug else None)
    return lines
