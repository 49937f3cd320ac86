"""The bot creator (`hf-tweetbot web`) without a browser: `/create` driven by gradio_client against
the test Hub, two sessions at once, errors as the CLI's, typed sources, the time budget and the
training hook, and the Space folder started with `python app.py`."""

from __future__ import annotations

import html
import ipaddress
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import HUB_ENDPOINT, _free_port
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
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
from publisher.sources.spec import parse
from publisher.web import WebConfig, jobs, views
from publisher.web.session import Workspace, typed_sources
from publisher.web.visitors import Visitor, Visitors
from testkit.posts import write_posts_jsonl

BOB = "hf_BobVisitorToken0123456789abcdef"
CAROL = "hf_CarolVisitorToken0123456789abcd"
# Off a Space, gradio mocks "Sign in with Hugging Face" and says so; that is what these tests use.
pytestmark = pytest.mark.filterwarnings("ignore:Gradio does not support OAuth")


@pytest.fixture(scope="module")
def api(tiny_model, tmp_path_factory, hub_server):
    """The local creator: (url, the sessions' work folder, the base model, its config, its
    visitors' state)."""
    work = tmp_path_factory.mktemp("web-api")
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=False)
    visitors = Visitors()
    demo, url = launch(cfg, visitors)
    yield url, work, str(tiny_model), cfg, visitors
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


@pytest.mark.slow  # the creator serving visitors
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
    url, work, base, *_ = api
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


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow  # the creator serving visitors
def test_two_sessions_take_turns_and_keep_their_files_apart(api, hub_server, monkeypatch, tmp_path):  # fmt: skip
    url, work, base, cfg, visitors = api
    monkeypatch.setenv("HF_TOKEN", SECRET)
    state = reset_hub(hub_server)
    mine = tmp_path / f"a_{os.getpid()}_archive.zip"
    shutil.copy(SAMPLE, mine)
    theirs = write_posts_jsonl(tmp_path / f"ada_{os.getpid()}.jsonl")
    someone = visitors.join(Visitor("192.0.2.1", "elsewhere"), cfg)  # another visitor's training
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    job_a = a.submit(handle_file(mine), "", base, 8, "bot-a", api_name="/create")
    wait_for(lambda: "Waiting for your turn: 1 training before yours" in " ".join(job_a.outputs()))
    job_b = b.submit(handle_file(theirs), "", base, 2, "bot-b", api_name="/create")
    wait_for(lambda: "Waiting for your turn: 2 trainings before yours" in " ".join(job_b.outputs()))
    folders = list(work.iterdir())
    assert len(folders) == 2  # each its own, and gradio serves nothing of either to anyone
    for folder in folders:
        for target in (folder / "bot" / "bot.json", folder):
            for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
                r = httpx.get(f"{url.rstrip('/')}{route}{target}")
                assert r.status_code == 404 and "wren" not in r.text, r.text
    visitors.line.leave(someone)
    assert job_a.result(timeout=300) == f"{HUB_ENDPOINT}/alice/bot-a"
    assert job_b.result(timeout=300) == f"{HUB_ENDPOINT}/alice/bot-b"
    cards = {}
    for name in ("bot-a", "bot-b"):
        repo = state.repos[("model", f"alice/{name}")]
        cards[name] = repo.commits[repo.refs["main"]].files["README.md"].decode()
    assert "wrencalloway" in cards["bot-a"] and "@ada" not in cards["bot-a"]
    assert "@ada" in cards["bot-b"] and "wrencalloway" not in cards["bot-b"]
    assert files_under(work) == [] and not in_gradio_cache(mine.name)
    assert visitors.line.running() is None


# -- what a visitor's sources may reach -------------------------------------------------------------
def read_as_visitor(cfg, typed: str) -> str:
    """Step 1 of the page for a visitor typing `typed`; the error box, or the counts."""
    import warnings

    from publisher.web import handlers

    who = Visitor("198.51.100.7", f"s{time.monotonic_ns()}")
    with warnings.catch_warnings():  # the page's warnings (few posts), said outside a page here
        warnings.simplefilter("ignore")
        error, counts, *_ = handlers.read(cfg, Visitors(), None, typed, cfg.base_models[0], who)
    return error or counts


@pytest.mark.parametrize(
    ("form", "shown"),
    [
        ("mastodon:http://127.0.0.1:{port}/@x", "127.0.0.1: a loopback address,"),
        ("mastodon:http://2130706433:{port}/@x", "2130706433: a loopback address (127.0.0.1)"),
        ("mastodon:http://0x7f.1:{port}/@x", "0x7f.1: a loopback address (127.0.0.1)"),
        ("mastodon:http://0x7f000001:{port}/@x", "0x7f000001: a loopback address (127.0.0.1)"),
        ("mastodon:@x@127.1:{port}", "127.1: a loopback address (127.0.0.1)"),
        ("mastodon:http://localhost:{port}/@x", "localhost: a loopback address"),
        ("mastodon:http://0.0.0.0:{port}/@x", "0.0.0.0: an unspecified address"),
    ],
)
def test_a_typed_source_on_a_private_address_is_refused_unvisited(tiny_model, tmp_path, form, shown):  # fmt: skip
    from testkit.fakes.api_server import Listener

    cfg = WebConfig(base_models=(str(tiny_model),), workdir=tmp_path / "work", on_space=True)
    with Listener() as listener:
        page = read_as_visitor(cfg, form.format(port=listener.port))
    assert f"Error: refused to reach {shown}" in html.unescape(page)
    assert "Hint: name a server on the internet" in html.unescape(page)
    assert listener.connections == []


def test_redirects_and_next_pages_are_checked_and_the_allow_list_opens_a_lan(tiny_model, tmp_path):  # fmt: skip
    from testkit.fakes.api_server import Listener, Reply, Timeline, serve, serve_mastodon

    lan = WebConfig(base_models=(str(tiny_model),), workdir=tmp_path / "w", on_space=True,
                    allow_networks=("127.0.0.1/32",))  # fmt: skip
    with serve() as api, Listener("::1") as inside, Listener() as other:
        tl = Timeline(seed=3)
        tl.post(120)
        serve_mastodon(api, "wren", tl)
        typed = f"mastodon:{api.url}/@wren"
        assert "@wren" in read_as_visitor(lan, typed)  # allowed: the instance on the "LAN"
        assert "Error: refused" in read_as_visitor(replace(lan, allow_networks=()), typed)

        api.add("/api/v1/accounts/lookup",  # the instance answers with a redirect inside
                Reply(status=302, headers={"Location": f"http://[::1]:{inside.port}/latest/meta-data/"}))  # fmt: skip
        assert "Error: refused to reach ::1: a loopback address" in read_as_visitor(lan, typed)

        serve_mastodon(api, "wren", tl)
        link = f'<http://localhost:{other.port}/api/v1/accounts/7/statuses?max_id=1>; rel="next"'
        first = api.routes["/api/v1/accounts/7/statuses"]
        api.route("/api/v1/accounts/7/statuses", lambda req: replace(first(req), headers={"Link": link}))  # fmt: skip
        page = html.unescape(read_as_visitor(lan, typed))
        assert f"its next page is on another host (localhost:{other.port}): refused" in page
    assert inside.connections == [] and other.connections == []


def test_the_command_line_still_reads_a_local_instance(tmp_path, tiny_model, capsys):
    from testkit.fakes.api_server import Timeline, serve, serve_mastodon

    with serve() as api:
        tl = Timeline(seed=4)
        tl.post(120)
        serve_mastodon(api, "wren", tl)
        args = ["prepare", f"mastodon:{api.url}/@wren", "--base-model", str(tiny_model),
                "--out", str(tmp_path / "bot")]  # fmt: skip
        assert main(args) == 0
    assert "@wren: 120 posts downloaded" in capsys.readouterr().err


def test_create_refuses_a_private_address_before_any_connection(api, monkeypatch):
    from testkit.fakes.api_server import Listener

    url, work, base, *_ = api
    monkeypatch.setenv("HF_TOKEN", SECRET)
    with Listener() as listener:
        source = f"mastodon:http://2130706433:{listener.port}/@x"
        with pytest.raises(AppError) as e:
            Client(url, verbose=False).predict(None, source, base, 0, "", api_name="/create")
    assert str(e.value).startswith(
        "Error: refused to reach 2130706433: a loopback address (127.0.0.1), and this server "
        "reaches public addresses only\nHint: name a server on the internet"
    )
    assert listener.connections == [] and files_under(work) == []


# -- tokens ------------------------------------------------------------------------------------------
@pytest.mark.slow  # the creator serving visitors
def test_two_signed_in_visitors_each_publish_to_their_own_namespace(space_api, hub_server, monkeypatch, tmp_path, capfd):  # fmt: skip
    from gradio.utils import get_upload_folder
    from huggingface_hub import constants

    url, work, base = space_api
    monkeypatch.setenv("HF_TOKEN", SECRET)  # the Space owner's
    state = reset_hub(hub_server, **{BOB: "bob", CAROL: "carol"})
    bob, carol = (Client(url, verbose=False, oauth_token=t) for t in (BOB, CAROL))
    files = [write_posts_jsonl(tmp_path / f"{n}_{os.getpid()}.jsonl", seed=i)
             for i, n in enumerate(("bob", "carol"))]  # fmt: skip
    jobs_ = [c.submit(handle_file(f), "", base, 2, "", api_name="/create")
             for c, f in zip((bob, carol), files, strict=True)]  # fmt: skip
    urls = [j.result(timeout=300) for j in jobs_]
    assert urls == [f"{HUB_ENDPOINT}/bob/{files[0].stem}", f"{HUB_ENDPOINT}/carol/{files[1].stem}"]
    assert sorted(repo_id for _, repo_id in state.repos) == sorted(
        [f"bob/{files[0].stem}"] * 2 + [f"carol/{files[1].stem}"] * 2  # model and Space each
    )
    seen_by = {"bob": " ".join(jobs_[0].outputs()), "carol": " ".join(jobs_[1].outputs())}
    assert CAROL not in seen_by["bob"] and BOB not in seen_by["carol"]
    assert "carol" not in seen_by["bob"] and "bob/" not in seen_by["carol"]
    out = capfd.readouterr()
    for token in (BOB, CAROL):  # nowhere on disk, in no log
        assert_no_secret(work, out.out, out.err, secret=token)
        assert_no_secret(Path(get_upload_folder()), secret=token)
        assert_no_secret(Path(constants.HF_HOME), secret=token)
    assert os.environ["HF_TOKEN"] == SECRET  # the process's own token untouched


def _mastodon_upload(folder: Path) -> tuple[Path, str, str]:
    from testkit.mastodon import Status, mastodon_files, status_html, write_mastodon_targz
    from testkit.posts import posts

    statuses = [Status(status_html(t)) for t in posts(200)]
    statuses += [Status(status_html("followers only: the key is under the mat"), "private"),
                 Status("", boost_of="https://other.example/users/gulls/statuses/7")]  # fmt: skip
    path = write_mastodon_targz(folder / f"archive-{os.getpid()}.tar.gz",
                                mastodon_files("wren", "Wren Calloway", statuses))  # fmt: skip
    return path, "@wren: 201 posts downloaded, 1 retweets", "@wren: not trained on: 1 followers-only or direct"  # fmt: skip


def _bluesky_upload(folder: Path) -> tuple[Path, str, str]:
    from testkit.bluesky import sample_repo

    path = folder / f"repo-{os.getpid()}.car"
    path.write_bytes(sample_repo(200).car())
    return path, "@wr3nc4ll0w4yl1ghth0us3k3: 201 posts downloaded, 1 retweets", "does not hold the account's handle"  # fmt: skip


@pytest.mark.slow  # the creator serving visitors
@pytest.mark.parametrize("upload", [_mastodon_upload, _bluesky_upload], ids=["mastodon", "bluesky"])
def test_create_takes_a_mastodon_archive_and_a_bluesky_export(api, hub_server, monkeypatch, tmp_path, upload):  # fmt: skip
    url, work, base, _, _ = api
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
    typed = typed_sources("bsky:wren.bsky.social, mastodon:@w@example.social", x_api=False)
    assert typed == [parse("bsky:wren.bsky.social"), parse("mastodon:@w@example.social")]
    typed = typed_sources("@wren\nx:ada  grace", x_api=True)
    assert [s.record for s in typed] == ["x:wren", "x:ada", "x:grace"]
    with pytest.raises(UsageError, match="bearer token"):
        typed_sources("@wren", x_api=False)
    # Nothing on the server's disk can be named from a page.
    for spec in ("/etc/passwd", "examples/wrencalloway_archive.zip", "wren=/etc/passwd", "~/x"):
        with pytest.raises(UsageError, match="not a source this page can read"):
            typed_sources(spec, x_api=True)


def test_training_hook_reports_steps_and_can_stop(prepared_bot):
    from publisher.cli import train as train_cmd
    from publisher.cli.options import train_cfg
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


def test_the_allow_list_comes_from_the_flag_or_the_spaces_variable(tmp_path, monkeypatch, capsys):
    assert main(["web", "--allow-network", "10.0.0.0/33"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == "Error: '10.0.0.0/33' is not an IP network"
    monkeypatch.setenv("HF_TWEETBOT_WEB_ALLOW_NETWORKS", "192.168.1.0/24, fd00::/8")
    cfg = WebConfig.from_env()
    assert cfg.allow_networks == ("192.168.1.0/24", "fd00::/8")
    assert cfg.address_policy().allows(ipaddress.ip_address("192.168.1.20"))
    out = tmp_path / "creator"
    assert main(["web", "--space-folder", str(out), "--allow-network", "10.1.0.0/16"]) == 0
    assert "allow_networks=('10.1.0.0/16',)" in (out / "app.py").read_text()
    assert "HF_TWEETBOT_WEB_ALLOW_NETWORKS" in (out / "README.md").read_text()


@pytest.mark.slow  # the creator serving visitors
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
        [sys.executable, "-c", "import publisher, publisher.space as s, publisher.templates as t; print(publisher.__file__, s.__file__, t.__file__)"],
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

    from publisher.bot.manifest import Manifest, UserStats

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


@pytest.mark.slow  # the creator serving visitors
def test_the_web_command_speaks_of_its_own_flags_and_exits_130_on_ctrl_c(tiny_model):
    from conftest import serve_then_ctrl_c

    code, out = serve_then_ctrl_c(
        "web", "--port", str(_free_port()), "--base-model", str(tiny_model)
    )
    assert code == 130, out
    assert "Running on http://127.0.0.1:" in out
    assert "share=True" not in out and "--share also opens a public gradio.live link" in out
    assert "Traceback" not in out


def test_the_steps_box_says_what_0_means(api):
    config = httpx.get(f"{api[0]}config", timeout=30).json()
    labels = [c["props"].get("label") for c in config["components"]
              if c["props"].get("elem_id") == "tw-steps"]  # fmt: skip
    assert labels == ["Training steps (0: up to 8 passes over your posts; the best pass is kept)"]


def test_two_visitors_uploading_the_same_file_at_once_each_get_it(tmp_path):
    """gradio keeps one copy per content, so twin uploads arrive as one path."""
    from publisher.errors import SourceError
    from publisher.web.session import Workspace

    cache = tmp_path / "gradio" / "0123abcd"
    cache.mkdir(parents=True)
    upload = cache / "posts.jsonl"
    upload.write_text('{"text": "the same posts"}\n', encoding="utf-8")
    (tmp_path / "root").mkdir()
    first, second = Workspace(tmp_path / "root"), Workspace(tmp_path / "root")
    mine, theirs = first.adopt_upload(upload), second.adopt_upload(upload)
    assert mine != theirs
    assert mine.read_bytes() == theirs.read_bytes() == b'{"text": "the same posts"}\n'
    assert not cache.exists(), "gradio's copy is gone at once"
    first.close(), second.close()
    with pytest.raises(SourceError, match="the upload is gone"):
        Workspace(tmp_path / "root").adopt_upload(cache / "posts.jsonl")
