"""What one visitor of the creator can make it do: the fair training line, the per-address
limits, the client address behind a proxy, and a flood from one address against the app."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import httpx
import pytest
from conftest import HUB_ENDPOINT
from gradio_client import Client, handle_file
from web_helpers import SECRET, launch, reset_hub

from publisher.errors import LimitError
from publisher.web import WebConfig
from publisher.web import visitors as visitors_mod
from publisher.web.visitors import Hourly, TrainingLine, Visitor, Visitors, client_address
from testkit.posts import write_posts_jsonl

CFG = WebConfig(base_models=("x",), line_per_address=2, line_size=5, trainings_per_hour=10)
pytestmark = pytest.mark.filterwarnings("ignore:Gradio does not support OAuth")


def who(address: str, n: int = 0) -> Visitor:
    return Visitor(address, f"{address}#{n}")


def test_the_line_goes_round_the_addresses():
    line = TrainingLine()
    first = line.join(who("a", 0), CFG)
    assert first.turn.is_set() and line.ahead(first) == 0
    a2 = line.join(who("a", 1), CFG)
    b1 = line.join(who("b", 0), CFG)
    c1 = line.join(who("c", 0), CFG)
    # a has been served: b and c, who came later, train before a's second.
    assert [line.ahead(t) for t in (b1, c1, a2)] == [1, 2, 3]
    served = []
    for _ in range(4):
        [running] = [t for t in (first, a2, b1, c1) if t.turn.is_set() and t not in served]
        served.append(running)
        line.leave(running)
    assert [t.visitor.address for t in served] == ["a", "b", "c", "a"]
    assert line.running() is None


def test_a_ticket_not_ready_lets_the_others_pass():
    line = TrainingLine()
    holder = line.join(who("h"), CFG)
    slow = line.join(who("a"), CFG, ready=False)  # still reading its posts
    quick = line.join(who("b"), CFG)
    line.leave(holder)
    assert quick.turn.is_set() and not slow.turn.is_set()
    line.set_ready(slow)
    assert line.ahead(slow) == 1
    line.leave(quick)
    assert slow.turn.is_set()


def test_limits_per_session_per_address_and_for_everyone():
    line = TrainingLine()
    line.join(who("a", 0), CFG)
    with pytest.raises(LimitError, match="this page has a training in line already"):
        line.join(who("a", 0), CFG)
    line.join(who("a", 1), CFG)
    with pytest.raises(LimitError) as e:
        line.join(who("a", 2), CFG)
    assert e.value.message == (
        "2 trainings from your address are in line or training, the most this page takes from "
        "one address at once"
    )
    assert e.value.hint == "wait for one of them to finish"
    for i in range(4):
        line.join(who(f"b{i}"), CFG)
    with pytest.raises(LimitError, match="5 trainings are waiting, the most this page holds"):
        line.join(who("z"), CFG)


def test_the_hourly_count_says_when_to_come_back(monkeypatch):
    clock = [1_800_000_000.0]  # 2027-01-15 08:00:00 UTC
    monkeypatch.setattr(visitors_mod, "now", lambda: clock[0])
    count = Hourly("trainings")
    for _ in range(3):
        count.take("a", 3)
        clock[0] += 60
    with pytest.raises(LimitError) as e:
        count.take("a", 3)
    assert e.value.message == "3 trainings from your address in the last hour, the most this page allows"  # fmt: skip
    assert e.value.hint.startswith("try again after 09:00 UTC (in 57 min)")
    count.take("b", 3)  # another address is not affected
    clock[0] += 57 * 60
    count.take("a", 3)


def test_one_reading_at_a_time_per_address():
    v = Visitors()
    cfg = WebConfig(base_models=("x",), concurrent_reads=2)
    with v.reading(who("a", 0), cfg):
        second = v.reading(who("a", 1), cfg)
        with pytest.raises(LimitError, match="your address is reading posts already"), second:
            pass
        with v.reading(who("b"), cfg):  # another address reads meanwhile
            pass


def test_long_readings_give_their_places_to_new_ones_up_to_the_most_in_all():
    v = Visitors()
    cfg = WebConfig(base_models=("x",), concurrent_reads=2, max_reads=3)
    a = v.reading(who("a"), cfg)
    b = v.reading(who("b"), cfg)
    long_a, long_b = a.__enter__(), b.__enter__()
    third = threading.Event()
    cancel = threading.Event()

    def read_c() -> None:
        with contextlib.suppress(LimitError), v.reading(who("c"), cfg, wait=True, cancel=cancel):
            third.set()

    waiting = threading.Thread(target=read_c)
    waiting.start()
    assert not third.wait(0.3)  # both places taken by readings still new
    long_a()
    long_b()  # both run long now: the next reading comes in at once
    assert third.wait(5)
    waiting.join(5)
    assert v.gate.counts() == (0, 2)
    with v.reading(who("d"), cfg):  # a third reading in flight: the most in all
        fourth = threading.Thread(target=read_c)
        fourth.start()
        time.sleep(0.3)
        assert v.gate.counts() == (1, 3)
        cancel.set()
        fourth.join(5)
    a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    assert v.gate.counts() == (0, 0)


def test_the_client_address_behind_a_proxy():
    chain = "6.6.6.6, 1.2.3.4, 10.16.3.80"  # what the client wrote, then what the proxies added
    assert client_address("10.16.0.1", chain, trust_forwarded=True) == "1.2.3.4"
    assert client_address("127.0.0.1", chain, trust_forwarded=False) == "127.0.0.1"
    assert client_address("10.16.0.1", "10.0.0.1, garbage", trust_forwarded=True) == "10.16.0.1"
    assert client_address(None, None, trust_forwarded=True) == "unknown"


@pytest.mark.slow  # a flood of requests
def test_a_flood_from_one_address_never_starves_another(tiny_model, hub_server, tmp_path, monkeypatch):  # fmt: skip
    """Six `/create` at once from one address, then one from another: two of the six get a place,
    four are refused at once, and the other address trains before the flood's second."""
    monkeypatch.setenv("HF_TOKEN", SECRET)
    reset_hub(hub_server)
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=tmp_path / "work", on_space=False,
                    trust_forwarded=True)  # fmt: skip
    v = Visitors()
    demo, url = launch(cfg, v)
    try:
        page = httpx.get(f"{url.rstrip('/')}/config").text
        assert "4 trainings an hour and 2 in line at once" in page  # the limits are shown
        holder = v.join(Visitor("192.0.2.1", "elsewhere"), cfg)  # someone else trains meanwhile
        flood = [Client(url, verbose=False, headers={"X-Forwarded-For": "1.2.3.4"}) for _ in range(6)]  # fmt: skip
        floods = [c.submit(handle_file(write_posts_jsonl(tmp_path / f"f{i}.jsonl", seed=i)), "",
                           str(tiny_model), 2, f"flood-{i}", api_name="/create")
                  for i, c in enumerate(flood)]  # fmt: skip
        refused = _wait_refused(floods, 4)
        assert all("2 trainings from your address are in line or training" in r for r in refused)
        placed = [j for j in floods if not j.done()]
        other = Client(url, verbose=False, headers={"X-Forwarded-For": "5.6.7.8"})
        job = other.submit(handle_file(write_posts_jsonl(tmp_path / "o.jsonl", seed=9)), "",
                           str(tiny_model), 2, "other", api_name="/create")  # fmt: skip
        _wait_said(job, "Waiting for your turn: 2 trainings before yours")
        # The flood's two places, in the order they joined the line (not the order sent).
        second = _wait_any_said(placed, "Waiting for your turn: 3 trainings before yours")
        placed = [j for j in placed if j is not second] + [second]
        starts = _record_starts([*placed, job])
        v.line.leave(holder)
        results = [j.result(timeout=300) for j in (*placed, job)]
        assert results[-1] == f"{HUB_ENDPOINT}/alice/other"
        order = sorted(starts, key=starts.get)  # type: ignore[arg-type]
        assert order == [placed[0], job, placed[1]]
    finally:
        demo.close()


def _wait_refused(jobs: list, n: int, timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    while sum(j.done() for j in jobs) < n:
        assert time.monotonic() < deadline, "the flood was not refused in time"
        time.sleep(0.05)
    return [str(j.exception()) for j in jobs if j.done()]


def _wait_said(job, text: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in " ".join(job.outputs()):
        assert time.monotonic() < deadline and not job.done(), (text, job.outputs())
        time.sleep(0.05)


def _wait_any_said(jobs: list, text: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        for job in jobs:
            if text in " ".join(job.outputs()):
                return job
        assert time.monotonic() < deadline, (text, [j.outputs() for j in jobs])
        time.sleep(0.05)


def _record_starts(jobs: list) -> dict:
    """When each job's training shows its first step (one thread watching them all)."""
    starts: dict = {}

    def watch() -> None:
        while len(starts) < len(jobs) and not all(j.done() for j in jobs):
            for j in jobs:
                if j not in starts and any(x.startswith("Training: step") for x in j.outputs()):
                    starts[j] = time.monotonic()
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    return starts
