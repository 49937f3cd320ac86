"""What one visitor of the creator can make the server do, and whose turn it is to train.

A visitor is a client address (and, within it, a page session). Per address: one reading of
posts at a time and `reads_per_hour` (for everyone: `concurrent_reads` new readings at once and
`max_reads` in all, a long reading giving its place to new ones, see `ReadGate`), at most
`line_per_address` trainings in line or training at once and `trainings_per_hour`; per session, one training in line. A visitor past a limit gets one
line saying which, and when to come back; a refusal costs nothing, so a flood of requests from
one address is turned away as fast as it comes. Trainings run one at a time in a line that goes
round the addresses, the one served least recently first, so however many trainings one address
queues, every other address's next training comes before its second.

Behind a Hugging Face Space's proxy the peer is the proxy: the address is then read from
`X-Forwarded-For`, the last public address in it (the proxies append theirs; what a client
writes there itself stays on the left and cannot pose as another visitor).
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import LimitError
from ..sources.addresses import kind_of
from .session import WebConfig

HOUR = 3600.0
now: Callable[[], float] = time.time  # module-level so tests can move the clock


@dataclass(frozen=True)
class Visitor:
    """Who asks: the client address the limits count, and the page session."""

    address: str
    session: str


def client_address(peer: str | None, forwarded: str | None, trust_forwarded: bool) -> str:
    """The visitor's address: the peer's, or behind a proxy the last public one it forwarded.

    Args:
        peer: the address the connection came from.
        forwarded: the `X-Forwarded-For` header, if any.
        trust_forwarded: the server runs behind a proxy that appends to that header (a Space).
    """
    if trust_forwarded and forwarded:
        for item in reversed(forwarded.split(",")):
            try:
                ip = ipaddress.ip_address(item.strip())
            except ValueError:
                continue
            if kind_of(ip) is None:
                return str(ip)
    return peer or "unknown"


def visitor_of(request: Any, cfg: WebConfig) -> Visitor:
    """The visitor behind a gradio request."""
    peer = getattr(getattr(request, "client", None), "host", None)
    headers = getattr(request, "headers", None) or {}
    address = client_address(peer, headers.get("x-forwarded-for"), cfg.trust_forwarded)
    return Visitor(address, getattr(request, "session_hash", None) or "")


class Hourly:
    """How often each address did one thing in the last hour; `take` refuses past a limit.

    Args:
        what: the thing counted, plural, for the message ("trainings").
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._times: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, address: str, limit: int) -> None:
        """Count one more for `address`.

        Raises:
            LimitError: `limit` in the last hour already, naming when the next one is possible.
        """
        t = now()
        with self._lock:
            for key in [k for k, q in self._times.items() if q[-1] <= t - HOUR]:
                del self._times[key]  # nothing in the last hour: forget the address
            times = self._times.setdefault(address, deque())
            while times and times[0] <= t - HOUR:
                times.popleft()
            if len(times) >= limit:
                again = times[0] + HOUR
                at = datetime.fromtimestamp(again, tz=timezone.utc).strftime("%H:%M UTC")
                raise LimitError(
                    f"{limit} {self.what} from your address in the last hour, the most this "
                    "page allows",
                    hint=f"try again after {at} (in {max(1, round((again - t) / 60))} min), or "
                    "run hf-tweetbot on your own machine",
                )
            times.append(t)


class ReadGate:
    """Readings of posts: one at a time per address, `slots` new ones at once, `most` in all.

    A reading holds one of the `slots` until it calls the `long` it was given (`hold`): the
    reader calls it once the reading has run `read_slot_seconds` of CPU or wall-clock time
    (`readings.py`, which also lowers its priority as it uses CPU). So readings that run long, hostile ones included, never keep a
    new reading waiting while fewer than `most` are in flight; `most` bounds the memory all
    readings may take together (each within its own cap).
    """

    def __init__(self) -> None:
        self._reading: dict[str, bool] = {}  # address -> whether its reading holds a slot
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, address: str, slots: int, wait: bool, cancel: threading.Event | None = None, most: int | None = None) -> Iterator[Callable[[], None]]:  # fmt: skip
        """Read while holding a slot.

        Args:
            address: the visitor's.
            slots: new readings at once for everyone.
            wait: wait for the address's own reading to end instead of refusing.
            cancel: stop waiting when set (raises `LimitError`).
            most: readings at once in all, long ones included (default: `slots`).

        Yields:
            `long()`: the reading gives its slot to the next one and goes on.

        Raises:
            LimitError: the address is reading already (and not `wait`).
        """
        most = slots if most is None else max(most, slots)
        with self._cond:
            if address in self._reading and not wait:
                raise LimitError(
                    "your address is reading posts already: one reading at a time",
                    hint="wait for it to finish",
                )
            while (address in self._reading or sum(self._reading.values()) >= slots
                   or len(self._reading) >= most):  # fmt: skip
                if cancel is not None and cancel.is_set():
                    raise LimitError("stopped while waiting to read the posts")
                self._cond.wait(timeout=1.0)
            self._reading[address] = True

        def long() -> None:
            with self._cond:
                if self._reading.get(address):
                    self._reading[address] = False
                    self._cond.notify_all()

        try:
            yield long
        finally:
            with self._cond:
                self._reading.pop(address, None)
                self._cond.notify_all()

    def counts(self) -> tuple[int, int]:
        """(readings holding a slot, readings in all)."""
        with self._cond:
            return sum(self._reading.values()), len(self._reading)


@dataclass(eq=False)
class Ticket:
    """A place in the training line; `turn` is set when it is this ticket's turn to train."""

    visitor: Visitor
    seq: int
    ready: bool = True  # False while its posts are still being read (`/create`)
    turn: threading.Event = field(default_factory=threading.Event)


class TrainingLine:
    """One training at a time; the next turn goes to the address served least recently.

    Among the tickets that are ready, the order is: the address whose last turn is oldest (never
    served first), then the ticket that came first.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._running: Ticket | None = None
        self._served: dict[str, int] = {}  # address -> its last turn's number
        self._turns = 0
        self._seq = itertools.count()

    def join(self, who: Visitor, cfg: WebConfig, ready: bool = True, admit: Callable[[], None] = lambda: None) -> Ticket:  # fmt: skip
        """A place in line, within the limits.

        Args:
            who: the visitor.
            cfg: the limits (`line_per_address`, `line_size`).
            ready: whether the ticket can take its turn yet (see `ready`).
            admit: a last check run under the line's lock (the hourly count), may raise.

        Raises:
            LimitError: the session has a training in line, the address has its most, or the
                line is full.
        """
        with self._cond:
            held = [t for t in self._tickets() if t.visitor.address == who.address]
            if any(t.visitor.session == who.session for t in held):
                raise LimitError(
                    "this page has a training in line already", hint="wait for it to finish"
                )
            if len(held) >= cfg.line_per_address:
                raise LimitError(
                    f"{len(held)} trainings from your address are in line or training, the most "
                    "this page takes from one address at once",
                    hint="wait for one of them to finish",
                )
            if len(self._waiting) >= cfg.line_size:
                raise LimitError(
                    f"{len(self._waiting)} trainings are waiting, the most this page holds",
                    hint="try again in a few minutes",
                )
            admit()
            ticket = Ticket(who, next(self._seq), ready)
            self._waiting.append(ticket)
            self._advance()
            return ticket

    def set_ready(self, ticket: Ticket) -> None:
        """The ticket may take its turn now (its posts are read)."""
        with self._cond:
            ticket.ready = True
            self._advance()

    def ahead(self, ticket: Ticket) -> int:
        """How many trainings come before this ticket's (the one running included); 0: its turn."""
        with self._cond:
            if ticket is self._running or ticket not in self._waiting:
                return 0
            return (self._running is not None) + self._order().index(ticket)

    def leave(self, ticket: Ticket) -> None:
        """The ticket's training ended, or it gave up its place: the next one's turn."""
        with self._cond:
            if ticket is self._running:
                self._running = None
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._advance()

    def waiting(self) -> int:
        """How many trainings wait for their turn."""
        with self._cond:
            return len(self._waiting)

    def running(self) -> Visitor | None:
        """Whose training runs now."""
        with self._cond:
            return self._running.visitor if self._running else None

    def _tickets(self) -> list[Ticket]:
        return self._waiting + ([self._running] if self._running else [])

    def _order(self) -> list[Ticket]:
        """The waiting tickets in the order their turns will come (those not ready last)."""
        served = dict(self._served)
        pending = [t for t in self._waiting if t.ready]
        order: list[Ticket] = []
        turn = self._turns
        while pending:
            nxt = min(pending, key=lambda t: (served.get(t.visitor.address, -1), t.seq))
            pending.remove(nxt)
            order.append(nxt)
            served[nxt.visitor.address] = turn
            turn += 1
        return order + [t for t in self._waiting if not t.ready]

    def _advance(self) -> None:
        if self._running is not None:
            return
        ready = [t for t in self._order() if t.ready]
        if not ready:
            return
        nxt = ready[0]
        self._waiting.remove(nxt)
        self._running = nxt
        self._served[nxt.visitor.address] = self._turns
        self._turns += 1
        for address in [a for a, n in self._served.items() if n < self._turns - 10_000]:
            del self._served[address]  # long ago: as good as never served
        nxt.turn.set()


class Visitors:
    """What the visitors of one creator app hold and have used."""

    def __init__(self) -> None:
        self.line = TrainingLine()
        self.gate = ReadGate()
        self.reads = Hourly("readings of posts")
        self.trainings = Hourly("trainings")

    @contextlib.contextmanager
    def reading(self, who: Visitor, cfg: WebConfig, wait: bool = False, cancel: threading.Event | None = None) -> Iterator[Callable[[], None]]:  # fmt: skip
        """Read posts for `who`, within one reading at a time per address, the readings at once
        and the hourly count; yields the `long` of `ReadGate.hold`."""
        with self.gate.hold(who.address, cfg.concurrent_reads, wait, cancel, cfg.max_reads) as long:  # fmt: skip
            self.reads.take(who.address, cfg.reads_per_hour)
            yield long

    def join(self, who: Visitor, cfg: WebConfig, ready: bool = True) -> Ticket:
        """A place in the training line; a ready one counts against the address's trainings this
        hour (one that is not, once `ready` is called)."""
        admit = (lambda: self.trainings.take(who.address, cfg.trainings_per_hour)) if ready else (lambda: None)  # fmt: skip
        return self.line.join(who, cfg, ready, admit=admit)

    def ready(self, ticket: Ticket, cfg: WebConfig) -> None:
        """The ticket's posts are read: it counts against the hour, and may take its turn.

        Raises:
            LimitError: the address has had its trainings this hour (the caller `leave`s).
        """
        self.trainings.take(ticket.visitor.address, cfg.trainings_per_hour)
        self.line.set_ready(ticket)

    def wait_turn(self, ticket: Ticket, report: Callable[[int], None], tick: float = 1.0) -> None:
        """Block until the ticket's turn, calling `report(trainings ahead)` every `tick` seconds
        (it may raise to give up; the caller then `leave`s)."""
        while not ticket.turn.wait(tick):
            report(self.line.ahead(ticket))

    @contextlib.contextmanager
    def training(self, who: Visitor, cfg: WebConfig, report: Callable[[int], None]) -> Iterator[None]:  # fmt: skip
        """Join the line, wait for the turn, train in the block, then hand the turn on."""
        ticket = self.join(who, cfg)
        try:
            self.wait_turn(ticket, report)
            yield
        finally:
            self.line.leave(ticket)
