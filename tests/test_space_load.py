"""The Space under load, driven by gradio_client over loopback: many users, a full queue,
clients that vanish mid-stream, and memory over many requests.

The 200-request soak runs in `make hostile` (benchmarks/hostile.py); the suite runs a shorter one.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO_ROOT
from test_space import make_bot_repo

from benchmarks import hostile_space
from publisher.space import app

ASK = ("Tea with", 3, 1.0, 0.95, 20)  # prompt, posts, temperature, top-p, max new tokens
BOUND_S = 90.0  # every request is answered, or told the queue is full, within this


@pytest.fixture(scope="module")
def bot_dir(tiny_model, tmp_path_factory):
    return make_bot_repo(tiny_model, tmp_path_factory.mktemp("loadbot"))


class Served:
    """The app on a free loopback port, its model slowed down per token like a real one."""

    def __init__(self, bot_dir, max_queue: int, delay: float) -> None:
        self.max_queue, self.delay = max_queue, delay
        self.bot_dir = bot_dir
        self.forwards = 0

    def __enter__(self) -> Served:
        old = app.MAX_QUEUE
        app.MAX_QUEUE = self.max_queue
        try:
            self.demo = app.build_demo(str(self.bot_dir), strict=True)
        finally:
            app.MAX_QUEUE = old
        model = app.load(app.resolve_model_id(str(self.bot_dir), app.HERE)).model
        self.real_forward, self.model = model.forward, model

        def slow_forward(*args, **kwargs):
            self.forwards += 1
            time.sleep(self.delay)
            return self.real_forward(*args, **kwargs)

        model.forward = slow_forward
        self.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1",
                         server_port=hostile_space.free_port(), quiet=True)  # fmt: skip
        return self

    def __exit__(self, *exc) -> None:
        self.model.forward = self.real_forward
        self.demo.close()


@pytest.mark.slow  # the served Space under load
@pytest.mark.parametrize("max_queue", [32, 4])
def test_twenty_users_at_once_are_each_answered_or_told_the_queue_is_full(bot_dir, max_queue):
    with Served(bot_dir, max_queue, delay=0.01) as served:
        seen = hostile_space.crowd(served.demo.local_url, ASK, users=20)
    assert seen["max_s"] < BOUND_S
    assert not seen["other"], "every user is answered or told the queue is full"
    if max_queue >= 20:
        assert seen["answered"] == 20, "a queue larger than the crowd turns nobody away"
    else:
        assert 0 < seen["queue_full"] <= 20 - max_queue, "a full queue says so"


_VANISH = """
import sys, time
from gradio_client import Client
job = Client(sys.argv[1], verbose=False).submit(
    "Tea with", 10, 1.0, 0.95, 200, api_name="/generate"
)
while not job.outputs():
    time.sleep(0.01)
print("STREAMING", flush=True)
time.sleep(600)
"""


@pytest.mark.slow  # the served Space under load
@pytest.mark.parametrize("how", ["cancel", "killed"])
def test_a_client_that_disconnects_mid_stream_frees_its_slot(bot_dir, how):
    # One request at a time (the Space's default): a stream nobody reads any more must stop,
    # or the next user waits for up to 200 tokens at 0.1 s each (10 posts: all must end first).
    from gradio_client import Client

    with Served(bot_dir, 32, delay=0.1) as served:
        url = served.demo.local_url
        if how == "cancel":
            job = Client(url, verbose=False).submit(
                "Tea with", 10, 1.0, 0.95, 200, api_name="/generate"
            )
            while not job.outputs():
                time.sleep(0.01)
            job.cancel()
        else:
            proc = subprocess.Popen([sys.executable, "-c", _VANISH, url], cwd=REPO_ROOT,
                                    stdout=subprocess.PIPE, text=True)  # fmt: skip
            assert proc.stdout and proc.stdout.readline().strip() == "STREAMING"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        start = time.monotonic()
        outcome, _ = hostile_space.ask(url, ASK)
        waited = time.monotonic() - start
        settled = served.forwards
        time.sleep(1.0)
        assert outcome == "answered"
        assert waited < 10, f"the next user waited {waited:.1f} s behind a vanished stream"
        assert served.forwards == settled, "sampling for the vanished client goes on"


@pytest.mark.slow  # the served Space under load
def test_memory_stays_flat_over_many_requests(bot_dir):
    proc, url = hostile_space.serve(str(bot_dir / "repo"))
    try:
        grown = hostile_space.soak(url, proc.pid, ASK, 40, warmup=10)["growth_mib"]
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert grown < 20, f"RSS grew {grown:.1f} MiB over 40 requests"
