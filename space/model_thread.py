"""One long-lived thread for all of the Space's model work: loading, warm-up and sampling.

PyTorch's CPU kernels run on OpenMP, whose worker threads belong to the thread that called
them: every Python thread that runs a tensor operation gets its own team. Once a second team
exists, more OpenMP threads exist than cores, and libgomp stops letting idle workers spin and
puts them to sleep between operations; a decoding step is hundreds of small operations, and
waking the workers for each costs a third of a request. Measured side by side on this
project's 2-core CPU (SmolLM2, 5 posts x 60 tokens, `python -m benchmarks.bench_generate
--where`): loaded on the main thread and sampled on a thread of the request, as the Space did,
2.59 s in bf16 and 3.03 s in fp32; loaded and sampled here, 1.65 s and 2.20 s.

The CLI loads and samples on its main thread and needs none of this; the Space's page, whose
requests arrive on Gradio's worker threads, sends its model work here. Requests then run one
after the other, which on a couple of cores is also the faster way to serve two at once.

How many threads that team has matters as much. A container limited to 2 CPUs by a CPU quota
still sees every core of its host (a 2-CPU Space saw 16: huggingface/chat-ui#57), and PyTorch
sizes its team from what it sees: 8 threads on 2 cores took 3.53 s for the request above
instead of 1.51 s with 2 (bf16, medians of 3 processes each, alternated). `fit_threads` sizes
the team to the quota (`cpu_budget`).

And how the team waits. By default libgomp's idle workers spin before they sleep; when other
programs keep the cores busy, a worker spins on a core while the team mate it waits for is not
running, and every one of the hundreds of small operations of a decoding step waits for the
scheduler. `fit_threads` lets idle workers sleep at once (`OMP_WAIT_POLICY=PASSIVE`): on this
project's busy 2-core machine the Space's request took 6.2 s instead of 470 s
(docs/performance.md, "Threads on a busy machine").
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
NAME = "tweetbot-model"

_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix=NAME)
CGROUP = "/sys/fs/cgroup"
THREADS_ENV = "OMP_NUM_THREADS"
WAIT_ENV = "OMP_WAIT_POLICY"
WAIT_POLICY = "PASSIVE"  # idle OpenMP workers sleep at once instead of spinning


def cpu_budget(cgroup: str | None = None) -> int:
    """The CPUs this process may keep busy: its CPU affinity, capped by a cgroup CPU quota.

    Args:
        cgroup: where the cgroup file system is mounted (v2 `cpu.max`, or v1 `cpu/cpu.cfs_*`);
            default `CGROUP`.

    Returns:
        At least 1.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _quota(cgroup or CGROUP)
    return max(1, min(cpus or 1, quota or cpus or 1))


def _quota(cgroup: str) -> int | None:
    """CPUs allowed by the quota (rounded up), or None where there is no quota."""
    try:
        with open(os.path.join(cgroup, "cpu.max")) as f:  # v2: "max 100000" or "200000 100000"
            quota, period = f.read().split()[:2]
        return None if quota == "max" else math.ceil(int(quota) / int(period))
    except (OSError, ValueError):
        pass
    for folder in ("cpu", "cpu,cpuacct"):  # v1: a quota of -1 means none
        try:
            with open(os.path.join(cgroup, folder, "cpu.cfs_quota_us")) as f:
                quota_us = int(f.read())
            with open(os.path.join(cgroup, folder, "cpu.cfs_period_us")) as f:
                period_us = int(f.read())
        except (OSError, ValueError):
            continue
        return math.ceil(quota_us / period_us) if quota_us > 0 and period_us > 0 else None
    return None


def fit_threads() -> int:
    """Size and settle PyTorch's threads for a shared machine, unless the user already did.

    Before torch is imported (`hf-tweetbot` and the Space call this first) it sets
    `OMP_NUM_THREADS` to `cpu_budget()` where that is below the cores the process sees, and
    `OMP_WAIT_POLICY` to `WAIT_POLICY`: OpenMP reads both once, when torch loads it. After, it
    lowers torch's thread count to the budget (the Space, on its model thread). A value the
    user set in either variable is kept.

    Returns:
        The number of threads PyTorch uses, or at most will use once imported.
    """
    budget = cpu_budget()
    user_set = bool(os.environ.get(THREADS_ENV))
    if "torch" not in sys.modules:
        if not os.environ.get(WAIT_ENV):
            os.environ[WAIT_ENV] = WAIT_POLICY
        if not user_set and budget < (os.cpu_count() or 1):
            os.environ[THREADS_ENV] = str(budget)
        return int(os.environ.get(THREADS_ENV) or budget)
    import torch

    if not user_set and torch.get_num_threads() > budget:
        torch.set_num_threads(budget)
    return torch.get_num_threads()


def on_it() -> bool:
    """Whether the calling thread is the model thread."""
    return threading.current_thread().name.startswith(NAME)


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """Queue `fn(*args, **kwargs)` on the model thread.

    Returns:
        Its future (already done when called from the model thread itself, which would
        otherwise wait on its own queue forever).
    """
    if on_it():
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to whoever reads the future
            done.set_exception(e)
        return done
    return _POOL.submit(fn, *args, **kwargs)


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn(*args, **kwargs)` on the model thread and return its result (or raise its error)."""
    return submit(fn, *args, **kwargs).result()
