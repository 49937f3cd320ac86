"""The Space under load, as `python app.py` runs in a Space, driven by gradio_client.

Used by `make hostile` (benchmarks/hostile.py) at full size on SmolLM2, and by
tests/test_space_load.py on a tiny model.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid`, MiB."""
    with open(f"/proc/{pid}/status") as f:
        line = next(x for x in f if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def serve(model_id: str, **env: str) -> tuple[subprocess.Popen, str]:
    """`python -m space.app` serving `model_id`; (process, url) once it answers.

    Args:
        model_id: a bot's repo folder (or a model folder).
        **env: more environment, e.g. TWEETBOT_MAX_QUEUE="8".
    """
    import httpx

    port = free_port()
    full = {**os.environ, "MODEL_ID": model_id, "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", **env}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "publisher.space.app"], cwd=ROOT, env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Space exited with status {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the Space did not answer within 300 s")


def ask(url: str, request: tuple[Any, ...]) -> tuple[str, float]:
    """One user: a new client, one request; ("answered" or the error, seconds)."""
    from gradio_client import Client

    start = time.monotonic()
    try:
        Client(url, verbose=False).predict(*request, api_name="/generate")
        return "answered", time.monotonic() - start
    except Exception as e:  # gradio_client's QueueError when the queue is full
        return f"{type(e).__name__}: {e}", time.monotonic() - start


def crowd(url: str, request: tuple[Any, ...], users: int = 20) -> dict[str, Any]:
    """`users` users at once, each with one request; what each was told and how fast."""
    with ThreadPoolExecutor(users) as pool:
        results = list(pool.map(lambda _: ask(url, request), range(users)))
    answered = [s for o, s in results if o == "answered"]
    full = [s for o, s in results if "Queue is full" in o]
    return {"users": users, "answered": len(answered), "queue_full": len(full),
            "other": [o for o, _ in results if o != "answered" and "Queue is full" not in o],
            "max_s": max(s for _, s in results),
            "median_answered_s": statistics.median(answered) if answered else None,
            "max_queue_full_s": max(full) if full else None}  # fmt: skip


def soak(url: str, pid: int, request: tuple[Any, ...], requests: int, warmup: int = 20) -> dict:
    """RSS of the server after `warmup` requests, then after `requests` more, from 4 users."""
    from gradio_client import Client

    local = threading.local()

    def one(_: int) -> None:
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        local.client.predict(*request, api_name="/generate")

    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(warmup)))
        before = rss_mib(pid)
        list(pool.map(one, range(requests)))
    after = rss_mib(pid)
    return {"requests": requests, "rss_before_mib": before, "rss_after_mib": after,
            "growth_mib": after - before, "seconds": time.monotonic() - start}  # fmt: skip


_VANISH = """
import sys, time
from gradio_client import Client
job = Client(sys.argv[1], verbose=False).submit(*eval(sys.argv[2]), api_name="/generate")
while not job.outputs():
    time.sleep(0.01)
print("STREAMING", flush=True)
time.sleep(600)
"""


def vanish(url: str, long: tuple[Any, ...], short: tuple[Any, ...]) -> dict[str, Any]:
    """A client killed (SIGKILL) mid-stream of a long request; how long the next user waits."""
    full = ask(url, long)[1]  # what the next user would wait behind a stream nobody stops
    proc = subprocess.Popen([sys.executable, "-c", _VANISH, url, repr(long)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout and proc.stdout.readline().strip() == "STREAMING"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    outcome, waited = ask(url, short)
    alone = ask(url, short)[1]
    return {"long_request_s": full, "next_user_s": waited, "next_user_alone_s": alone,
            "outcome": outcome}  # fmt: skip


def _peak_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return int(next(x for x in f if x.startswith("VmHWM")).split()[1]) / 1024


def _serving(model_id: str, work: Any, **env: str) -> Any:
    """A context: the Space served on `model_id`; yields (pid, url), reports its peak RSS."""
    import contextlib

    @contextlib.contextmanager
    def cm() -> Any:
        proc, url = serve(model_id, **env)
        try:
            yield proc.pid, url
        finally:
            work["peak_rss_mib"] = _peak_mib(proc.pid)
            proc.kill()
            proc.wait(timeout=60)

    return cm()


def run(a: Any, say: Any) -> list[dict[str, Any]]:
    """The Space on `a.base_model` (SmolLM2 by default, a bot's size) under load; table rows."""
    from publisher.base_models import resolve

    from .hostile_run import row

    model = resolve(a.base_model)
    posts5 = ("My dream is", 5, 1.0, 0.95, 60)
    rows = []

    def add(what: str, seen: str, ok: bool, res: dict[str, Any]) -> None:
        rows.append(row(what, "space", seen, ok, res))
        say(rows[-1])

    for queue in ("32", "8"):
        res: dict[str, Any] = {}
        with _serving(model, res, TWEETBOT_MAX_QUEUE=queue) as (_, url):
            start = time.monotonic()
            c = crowd(url, posts5)
            res["seconds"] = time.monotonic() - start
        seen = (f"{c['answered']} answered (median {c['median_answered_s'] or 0:.1f} s, slowest "
                f"{c['max_s']:.1f} s), {c['queue_full']} told 'Queue is full'"
                + (f" within {c['max_queue_full_s']:.1f} s" if c["queue_full"] else ""))  # fmt: skip
        ok = not c["other"] and c["answered"] + c["queue_full"] == 20
        add(f"20 users at once, 5 posts x 60 tokens each (queue of {queue})", seen, ok, res)

    res = {}
    with _serving(model, res) as (pid, url):
        s = soak(url, pid, ("My dream is", 2, 1.0, 0.95, 20), 200)
        res["seconds"] = s["seconds"]
    seen = (
        f"server RSS {s['rss_before_mib']:.0f} MiB after 20 warm-up requests, "
        f"{s['rss_after_mib']:.0f} MiB after 200 more ({s['growth_mib']:+.0f} MiB)"
    )
    add("200 requests from 4 users, memory", seen, s["growth_mib"] < 50, res)

    res = {}
    with _serving(model, res) as (_, url):
        start = time.monotonic()
        v = vanish(url, ("My dream is", 10, 1.0, 0.95, 200), ("My dream is", 1, 1.0, 0.95, 20))
        res["seconds"] = time.monotonic() - start
    seen = (
        f"the next user was answered in {v['next_user_s']:.1f} s (alone: "
        f"{v['next_user_alone_s']:.1f} s), not after the {v['long_request_s']:.1f} s the "
        "abandoned request would have taken"
    )
    ok = v["outcome"] == "answered" and v["next_user_s"] < v["long_request_s"] / 2
    add("a client killed mid-stream of 10 posts x 200 tokens", seen, ok, res)
    return rows
