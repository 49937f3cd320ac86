"""The Space under load, driven by gradio_client over loopback: many users, a full queue,
clients that vanish mid-stream, and memory over many requests.

The 200-request soak runs in `make hostile` (benchmarks/hostile.py); the suite runs a shorter one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REPO_ROOT
from test_space import _free_port, make_bot_repo

from space import app

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
                         server_port=_free_port(), quiet=True)  # fmt: skip
        return self

    def __exit__(self, *exc) -> None:
        self.model.forward = self.real_forward
        self.demo.close()


def _ask(url: str) -> tuple[str, float]:
    from gradio_client import Client

    start = time.monotonic()
    try:
        Client(url, verbose=False).predict(*ASK, api_name="/generate")
        return "answered", time.monotonic() - start
    except Exception as e:  # gradio_client's QueueError: the queue is full
        return f"{type(e).__name__}: {e}", time.monotonic() - start


@pytest.mark.parametrize("max_queue", [32, 4])
def test_twenty_users_at_once_are_each_answered_or_told_the_queue_is_full(bot_dir, max_queue):
    with Served(bot_dir, max_queue, delay=0.01) as served, ThreadPoolExecutor(20) as pool:
        results = list(pool.map(_ask, [served.demo.local_url] * 20))
    outcomes = [o for o, _ in results]
    assert max(s for _, s in results) < BOUND_S
    full = [o for o in outcomes if o != "answered"]
    assert all("Queue is full" in o for o in full), full
    if max_queue >= 20:
        assert not full, "a queue larger than the crowd turns nobody away"
    else:
        assert full and len(full) <= 20 - max_queue, "a full queue says so, at once"


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
        outcome, _ = _ask(url)
        waited = time.monotonic() - start
        settled = served.forwards
        time.sleep(1.0)
        assert outcome == "answered"
        assert waited < 10, f"the next user waited {waited:.1f} s behind a vanished stream"
        assert served.forwards == settled, "sampling for the vanished client goes on"


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        line = next(x for x in f if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def serve_subprocess(bot_dir) -> tuple[subprocess.Popen, str]:
    """`python -m space.app` on the bot, as a Space runs it; returns (process, url) once up."""
    import httpx

    port = _free_port()
    env = {**os.environ, "MODEL_ID": str(bot_dir), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "space.app"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Space did not start"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the Space did not answer within 180 s")


def soak(url: str, pid: int, requests: int, users: int = 4) -> tuple[float, float]:
    """RSS (MiB) of the server after 20 warm-up requests, then after `requests` more."""
    from gradio_client import Client

    local = threading.local()

    def one(_: int) -> None:
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        local.client.predict(*ASK, api_name="/generate")

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(one, range(20)))
        before = _rss_mib(pid)
        list(pool.map(one, range(requests)))
    return before, _rss_mib(pid)


def test_memory_stays_flat_over_many_requests(bot_dir):
    proc, url = serve_subprocess(bot_dir)
    try:
        before, after = soak(url, proc.pid, 60)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert after - before < 20, f"RSS grew {after - before:.1f} MiB over 60 requests"
