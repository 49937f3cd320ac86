"""The Space's model work runs on one thread: loading, warm-up, streamed and redrawn posts.

Why it matters is measured, not tested here (`python -m benchmarks.bench_generate --where`):
sampling on a thread other than the one that loaded the model was 1.4-1.6x slower.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from conftest import REPO_ROOT
from test_space import PROMPT, make_bot_repo

from publisher.space import app, decode, guard, model_thread
from publisher.space.draw import DrawSettings, stream


def test_run_returns_raises_and_nests():
    assert model_thread.run(lambda a, b=0: a + b, 2, b=3) == 5
    with pytest.raises(ValueError, match="bad prompt"):
        model_thread.run(_raise, "bad prompt")
    # From the model thread itself, `run` calls inline instead of waiting on its own queue.
    inner = model_thread.run(lambda: model_thread.run(lambda: threading.current_thread().name))
    assert inner.startswith(model_thread.NAME)
    assert not model_thread.on_it()


def _raise(msg: str) -> None:
    raise ValueError(msg)


@pytest.fixture
def passes(monkeypatch) -> list[str]:
    """The thread of every model pass (prefill or step) of the fast or plain stepper."""
    names: list[str] = []
    make = decode.stepper

    def spy(m):
        state = make(m)
        prefill, step = state.prefill, state.step
        state.prefill = lambda ids, n: names.append(threading.current_thread().name) or prefill(ids, n)  # fmt: skip
        state.step = lambda t: names.append(threading.current_thread().name) or step(t)
        return state

    monkeypatch.setattr(decode, "stepper", spy)
    return names


def test_the_space_loads_and_samples_on_the_model_thread(tiny_model, tmp_path, passes):
    bot = _load(tiny_model, tmp_path)
    assert passes, "the warm-up sampled nothing"
    out: list[list[str]] = []

    def request() -> None:  # as a Gradio worker thread runs a request
        *_, (_, _, posts) = app.respond(bot, PROMPT, 3, 1.0, 0.95, 20)
        out.append(posts)

    gradio_worker = threading.Thread(target=request, name="AnyIO worker thread")
    gradio_worker.start()
    gradio_worker.join(timeout=120)
    assert len(out) == 1 and len(out[0]) == 3 and all(p.startswith(PROMPT) for p in out[0])
    assert {n.split("_")[0] for n in passes} == {model_thread.NAME}


def test_two_streams_at_once_both_finish_with_their_own_posts(tiny_model, tmp_path):
    bot = _load(tiny_model, tmp_path)
    alone = [drawn.posts for *_, (_, drawn) in [list(_stream(bot, p)) for p in ("A", "Tea")]]
    together: dict[str, list[str]] = {}

    def run(prompt: str) -> None:
        *_, (_, drawn) = _stream(bot, prompt)
        together[prompt] = drawn.posts

    threads = [threading.Thread(target=run, args=(p,)) for p in ("A", "Tea")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [together["A"], together["Tea"]] == alone


def _load(tiny_model, tmp_path) -> app.Bot:
    return app.load(app.resolve_model_id(str(make_bot_repo(tiny_model, tmp_path)), app.HERE))


def _stream(bot, prompt: str):
    return stream(bot.model, bot.tokenizer, DrawSettings(prompt, n=3, max_new_tokens=15, seed=4))


def test_redrawn_copies_are_sampled_on_the_model_thread(tiny_model, tmp_path, passes):
    bot = _load(tiny_model, tmp_path)
    copy_all = _GuardOnEverything()
    passes.clear()
    *_, (_, drawn) = stream(bot.model, bot.tokenizer, DrawSettings(PROMPT, n=2, max_new_tokens=12), copy_all)  # fmt: skip
    assert (
        drawn.posts == [PROMPT, PROMPT] and len(drawn.notes) == 2 and "cut short" in drawn.notes[0]
    )
    assert len(passes) > 12  # the redraws sampled too
    assert {n.split("_")[0] for n in passes} == {model_thread.NAME}


class _GuardOnEverything(guard.CopyGuard):
    """A guard that takes every post for a copy, so that each is drawn again."""

    def __init__(self) -> None:
        pass

    def copies(self, tokenizer, text, prompt="") -> bool:  # noqa: ARG002
        return True

    def cut(self, tokenizer, text, prompt="") -> str:  # noqa: ARG002
        return prompt


@pytest.mark.parametrize(
    ("files", "cpus"),
    [
        ({"cpu.max": "200000 100000\n"}, 2),  # cgroup v2, a 2-CPU Space
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs: two threads, one of them part-time
        ({"cpu.max": "max 100000\n"}, None),  # v2 without a quota
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # v1
        (
            {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
            None,
        ),  # fmt: skip
        ({}, None),  # no cgroup file system at all
    ],
)
def test_cpu_budget_follows_the_cgroup_quota(tmp_path, files, cpus):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = len(os.sched_getaffinity(0))
    assert model_thread.cpu_budget(str(tmp_path)) == min(affinity, cpus or affinity)


def test_the_cli_sizes_torch_threads_to_the_quota(tmp_path):
    """`hf-tweetbot` in a 1-CPU container: torch, imported later, gets one thread."""
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    code = (f"import os; from publisher.space import model_thread; model_thread.CGROUP = {str(tmp_path)!r}; "
            "from publisher import cli; cli.main(['--help']); "
            "print(os.environ['OMP_NUM_THREADS']); import torch; print(torch.get_num_threads())")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}

    def run(**extra: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**env, **extra}, cwd=REPO_ROOT)  # fmt: skip
        return out.stdout.split()[-2:]

    assert run() == ["1", "1"]
    assert run(OMP_NUM_THREADS="2")[0] == "2"  # one the user set is kept


def test_the_space_sizes_torch_threads_to_the_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    code = (f"from publisher.space import model_thread; model_thread.CGROUP = {str(tmp_path)!r}; "
            "import torch; torch.set_num_threads(8); print(model_thread.fit_threads())")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=REPO_ROOT)  # fmt: skip
    assert out.stdout.strip() == "1"


# Prints OMP_WAIT_POLICY as it is when torch starts loading (OpenMP reads it then), and stops.
AT_TORCH = """
import os, sys
class AtTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            print("wait policy:", os.environ.get("OMP_WAIT_POLICY"), flush=True)
            os._exit(0)
sys.meta_path.insert(0, AtTorch())
"""


def _wait_policy_at_torch(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", AT_TORCH + code], capture_output=True, text=True,
                         check=True, env={**clean, **env}, cwd=REPO_ROOT)  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def test_every_command_lets_idle_threads_sleep_from_before_torch_loads():
    """Idle OpenMP workers sleep at once, set before torch loads; a user's own choice is kept."""
    code = "from publisher import cli; cli.main(['--help']); import torch"  # `web` too
    assert _wait_policy_at_torch(code) == "wait policy: PASSIVE"
    assert _wait_policy_at_torch(code, OMP_WAIT_POLICY="ACTIVE") == "wait policy: ACTIVE"


def test_the_space_lets_idle_threads_sleep_from_before_torch_loads():
    """`python app.py` in a Space (and `hf-tweetbot space`, which imports the same module)."""
    code = f"import sys; sys.path.insert(0, {str(REPO_ROOT / 'space')!r}); import app"
    assert _wait_policy_at_torch(code) == "wait policy: PASSIVE"
