"""The bot creator (`hf-tweetbot web`) without a browser: `/create` driven by gradio_client against
the test Hub, two sessions at once, errors as the CLI's, typed sources, the time budget and the
training hook, and the Space folder started with `python app.py`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import HUB_ENDPOINT, _free_port, write_posts_jsonl
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from gradio_client.utils import Status
from web_helpers import (
    SAMPLE,
    SECRET,
    assert_no_secret,
    files_under,
    launch,
    not_a_zip,
    reset_hub,
    too_few_posts,
)

from publisher.cli import main
from publisher.errors import UsageError
from publisher.web import WebConfig, jobs, views
from publisher.web.session import Workspace, typed_sources

BOB = "hf_BobVisitorToken0123456789abcdef"
# Off a Space, gradio mocks "Sign in with Hugging Face" and says so; that is what these tests use.
pytestmark = pytest.mark.filterwarnings("ignore:Gradio does not support OAuth")


@pytest.fixture(scope="module")
def api(tiny_model, tmp_path_factory, hub_server):
    """The local creator: (url, the sessions' work folder, the base model)."""
    work = tmp_path_factory.mktemp("web-api")
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=False)
    demo, url = launch(cfg)
    yield url, work, str(tiny_model)
    demo.close()


@pytest.fixture(scope="module")
def space_api(tiny_model, tmp_path_factory, hub_server):
    """The creator as it runs on a Space (people sign in)."""
    work = tmp_path_factory.mktemp("web-space")
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=True)
    with pytest.MonkeyPatch.context() as mp:
        # Off a Space, gradio mocks the sign-in with the machine's account, read at launch.
        mp.setenv("HF_TOKEN", SECRET)
        reset_hub(hub_server)
        demo, url = launch(cfg)
    yield url, work, str(tiny_model)
    demo.close()


def in_gradio_cache(name: str) -> list[Path]:
    from gradio.utils import get_upload_folder

    return list(Path(get_upload_folder()).rglob(name))


def test_create_on_a_space_publishes_with_the_callers_token(space_api, hub_server, monkeypatch, capfd):  # fmt: skip
    url, work, base = space_api
    monkeypatch.setenv("HF_TOKEN", SECRET)  # the Space owner's: never used for a visitor
    state = reset_hub(hub_server, **{BOB: "bob"})
    with pytest.raises(AppError, match="sign in with Hugging Face first"):
        Client(url, verbose=False).predict(None, "bsky:x", base, 0, "", api_name="/create")

    client = Client(url, verbose=False, oauth_token=BOB)
    job = client.submit(handle_file(SAMPLE), "", base, 4, "wren-api", api_name="/create")
    assert job.result(timeout=300) == f"{HUB_ENDPOINT}/bob/wren-api"
    lines = job.outputs()
    assert lines[0] == "@wrencalloway: 404 posts downloaded, 40 retweets, 24 short, 340 kept"
    assert any(line.startswith("Training: step 4 of 4, loss ") for line in lines)  # streamed
    model = state.repos[("model", "bob/wren-api")]
    assert "model.safetensors" in model.commits[model.refs["main"]].files
    assert ("space", "bob/wren-api") in state.repos
    assert not any(repo_id.startswith("alice/") for _, repo_id in state.repos)
    assert files_under(work) == []  # the session's folder, upload included, is gone
    assert_no_secret(work, *lines, *capfd.readouterr(), secret=BOB)  # nor in the server's log


def four_accounts(root: Path) -> tuple[Path, str]:
    return SAMPLE, "bsky:a.bsky.social bsky:b.bsky.social bsky:c.bsky.social"


@pytest.mark.parametrize("bad", [not_a_zip, too_few_posts, four_accounts])
def test_errors_are_the_clis_lines_and_the_app_keeps_working(api, bad, monkeypatch, tmp_path, capsys):  # fmt: skip
    url, work, base = api
    monkeypatch.setenv("HF_TOKEN", SECRET)
    path, source = bad(tmp_path) if bad is four_accounts else (bad(tmp_path), "")
    args = ["prepare", str(path), *source.split(), "--base-model", base, "--out", str(tmp_path / "b")]  # fmt: skip
    assert main(args) == 2
    cli = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith(("Error", "Hint"))]
    expected = [ln.replace(f"{path.parent}{os.sep}", "") for ln in cli]
    with pytest.raises(AppError) as e:
        Client(url, verbose=False).predict(handle_file(path), source, base, 2, "", api_name="/create")  # fmt: skip
    assert str(e.value).splitlines() == expected
    assert len(expected) == 2 and str(path.parent) not in str(e.value)
    assert files_under(work) == [] and not in_gradio_cache(path.name)


def test_two_sessions_queue_and_keep_their_files_apart(api, hub_server, monkeypatch, tmp_path):
    url, work, base = api
    monkeypatch.setenv("HF_TOKEN", SECRET)
    state = reset_hub(hub_server)
    mine = tmp_path / f"a_{os.getpid()}_archive.zip"
    shutil.copy(SAMPLE, mine)
    theirs = write_posts_jsonl(tmp_path / f"ada_{os.getpid()}.jsonl")
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    job_a = a.submit(handle_file(mine), "", base, 8, "bot-a", api_name="/create")
    while jobs.TRAINING.locked() is False and not job_a.done():
        time.sleep(0.05)
    job_b = b.submit(handle_file(theirs), "", base, 2, "bot-b", api_name="/create")
    ranks = []
    while not job_a.done():
        status = job_b.status()
        if status.code == Status.IN_QUEUE and status.rank is not None:
            ranks.append(status.rank)
        folders = list(work.iterdir())
        assert len(folders) <= 1  # B has no folder before its turn; A's is private
        for folder in folders:  # and gradio serves nothing of it to anyone
            bot_json = folder / "bot" / "bot.json"
            r = httpx.get(f"{url.rstrip('/')}/gradio_api/file={bot_json}")
            assert r.status_code in (403, 404), r.text
        time.sleep(0.1)
    assert ranks and ranks[0] == 0  # B was told it is next while A trained
    assert job_a.result() == f"{HUB_ENDPOINT}/alice/bot-a"
    assert job_b.result(timeout=300) == f"{HUB_ENDPOINT}/alice/bot-b"
    cards = {}
    for name in ("bot-a", "bot-b"):
        repo = state.repos[("model", f"alice/{name}")]
        cards[name] = repo.commits[repo.refs["main"]].files["README.md"].decode()
    assert "wrencalloway" in cards["bot-a"] and "@ada" not in cards["bot-a"]
    assert "@ada" in cards["bot-b"] and "wrencalloway" not in cards["bot-b"]
    assert files_under(work) == [] and not in_gradio_cache(mine.name)


def _mastodon_upload(folder: Path) -> tuple[Path, str, str]:
    from benchmarks.exports import Status, mastodon_files, status_html, write_mastodon_targz
    from benchmarks.hostile_cases import posts

    statuses = [Status(status_html(t)) for t in posts(200)]
    statuses += [Status(status_html("followers only: the key is under the mat"), "private"),
                 Status("", boost_of="https://other.example/users/gulls/statuses/7")]  # fmt: skip
    path = write_mastodon_targz(folder / f"archive-{os.getpid()}.tar.gz",
                                mastodon_files("wren", "Wren Calloway", statuses))  # fmt: skip
    return path, "@wren: 201 posts downloaded, 1 retweets", "@wren: not trained on: 1 followers-only or direct"  # fmt: skip


def _bluesky_upload(folder: Path) -> tuple[Path, str, str]:
    from benchmarks.exports import sample_repo

    path = folder / f"repo-{os.getpid()}.car"
    path.write_bytes(sample_repo(200).car())
    return path, "@wr3nc4ll0w4yl1ghth0us3k3: 201 posts downloaded, 1 retweets", "does not hold the account's handle"  # fmt: skip


@pytest.mark.parametrize("upload", [_mastodon_upload, _bluesky_upload], ids=["mastodon", "bluesky"])
def test_create_takes_a_mastodon_archive_and_a_bluesky_export(api, hub_server, monkeypatch, tmp_path, upload):  # fmt: skip
    url, work, base = api
    monkeypatch.setenv("HF_TOKEN", SECRET)
    state = reset_hub(hub_server)
    path, counts, said = upload(tmp_path)
    job = Client(url, verbose=False).submit(handle_file(path), "", base, 2, "from-export", api_name="/create")  # fmt: skip
    assert job.result(timeout=300) == f"{HUB_ENDPOINT}/alice/from-export"
    lines = job.outputs()
    assert any(line.startswith(counts) for line in lines), lines
    assert any(said in line for line in lines), lines
    model = state.repos[("model", "alice/from-export")]
    card = model.commits[model.refs["main"]].files["README.md"].decode()
    assert "| Tweets downloaded | 201 |" in card and "| Retweets | 1 |" in card
    assert "key is under the mat" not in "".join(lines)
    assert files_under(work) == [] and not in_gradio_cache(path.name)


def test_typed_sources_are_live_accounts_only():
    assert typed_sources("bsky:wren.bsky.social, mastodon:@w@example.social", x_api=False) == [
        "bsky:wren.bsky.social",
        "mastodon:@w@example.social",
    ]
    assert typed_sources("@wren\nx:ada  grace", x_api=True) == ["x:wren", "x:ada", "x:grace"]
    with pytest.raises(UsageError, match="bearer token"):
        typed_sources("@wren", x_api=False)
    # Nothing on the server's disk can be named from a page.
    for spec in ("/etc/passwd", "examples/wrencalloway_archive.zip", "wren=/etc/passwd", "~/x"):
        with pytest.raises(UsageError, match="not a source this page can read"):
            typed_sources(spec, x_api=True)


def test_training_hook_reports_steps_and_can_stop(prepared_bot):
    from publisher.cli import train as train_cmd
    from publisher.cli_options import train_cfg
    from publisher.train import TrainConfig, train

    seen = []

    def on_step(step: int, total: int, loss: float) -> bool:
        seen.append((step, total, loss))
        return step == 2  # stop early, keep what was learned

    cfg = TrainConfig(max_steps=6, on_step=on_step, report_to="none", checkpoint_every=0)
    metrics = train(prepared_bot, cfg)
    assert [(s, t) for s, t, _ in seen] == [(1, 6), (2, 6)] and all(loss > 0 for *_, loss in seen)
    assert (prepared_bot / "repo" / "model.safetensors").exists() and metrics.eval_loss_after
    # A hook for callers, not a flag: the CLI neither lists nor sets it.
    assert "on-step" not in train_cmd.get_help(train_cmd.make_context("train", ["x"]))
    assert train_cfg(train_cmd.make_context("train", ["x"]).params, None).on_step is None


def test_a_job_stops_when_nobody_waits_for_it_and_not_when_it_ends():
    import threading

    def talk(job: jobs.Job) -> None:
        for i in range(1000):
            job.say(f"line {i}")
            time.sleep(0.01)

    gone = threading.Event()  # what the page's session sets when its tab closes
    job = jobs.Job(talk, gone)
    events = job.events()
    assert next(events) == ("say", "line 0")
    events.close()  # gradio closes the page's generator when the client goes away
    job._thread.join(5)
    assert gone.is_set() and isinstance(job.error, jobs.Cancelled)

    kept = threading.Event()
    done = jobs.Job(lambda j: 42, kept)
    assert [k for k, _ in done.events(tick=0.05) if k != "tick"] == [] and done.result == 42
    assert not kept.is_set()  # a finished job leaves its session open


def test_time_budget_stops_training_and_keeps_the_bot(prepared_bot, tmp_path):
    ws = Workspace(tmp_path)
    shutil.copytree(prepared_bot, ws.bot_dir)
    cfg = WebConfig(base_models=("x",), time_budget=0.0)
    job = jobs.Job(lambda j: jobs.train(ws, 50, cfg, j))
    kinds = [kind for kind, _ in job.events()]
    assert kinds.count("step") == 1 and job.progress.stopped_early
    assert len(job.result) == jobs.POSTS_SHOWN
    assert "stopped by the time budget" in views.status_html(job.progress, done=True)
    assert (ws.bot_dir / "repo" / "README.md").exists()


def test_space_folder_starts_with_python_app_py(tiny_model, tmp_path):
    import gradio

    out = tmp_path / "creator"
    assert main(["web", "--space-folder", str(out), "--base-model", str(tiny_model)]) == 0
    front = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert front["sdk"] == "gradio" and front["sdk_version"] == gradio.__version__
    assert front["hf_oauth"] is True and "contribute-repos" in front["hf_oauth_scopes"]
    reqs = (out / "requirements.txt").read_text()
    assert f"gradio[oauth]=={gradio.__version__}" in reqs and "hf-tweetbot" not in reqs
    # The folder's own copies are what runs, not this checkout's packages.
    where = subprocess.run(
        [sys.executable, "-c", "import publisher, space, templates as t; print(publisher.__file__, space.__file__, t.__file__)"],
        cwd=out, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(Path(p).is_relative_to(out) for p in where)
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=out, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        page = _wait_for_page(f"http://127.0.0.1:{port}/", proc)
        assert "Make a bot that writes like you" in page
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for_page(url: str, proc: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited: {proc.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            r = httpx.get(url, timeout=5)
            if r.status_code == 200:
                return r.text
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail("app.py did not serve its page in time")


def test_the_page_shows_what_strangers_wrote_as_text(tmp_path):
    import json

    from publisher.manifest import Manifest, UserStats

    evil = "<img src=x onerror=alert(1)> Привет 🌊 &amp;"
    (tmp_path / "data").mkdir()
    row = {"handle": "w<b>", "text": evil, "split": "train"}
    (tmp_path / "data" / "posts.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    m = Manifest(model_name="w", base_model="x", users=[UserStats("w<b>", evil, None, "archive", 1, 0, 0, 1)])  # fmt: skip
    html = "".join(
        [views.sample_html(tmp_path), views.counts_html(m), views.posts_html([evil]),
         views.warnings_html([evil]), views.error_html([evil])]
    )  # fmt: skip
    assert "<img" not in html and "w<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Привет 🌊 &amp;amp;" in html
