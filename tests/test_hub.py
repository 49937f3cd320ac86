"""Publishing to the Hub, against the Hub-compatible server of tests/fakes/hub_server.py.

Everything goes through the real huggingface_hub client over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import shutil
import time
from pathlib import Path

import pytest
import yaml
from fakes.hub_server import Token

from publisher import hub
from publisher.bot import manifest as mf
from publisher.errors import AuthError, HubError

SECRET = "hf_SecretToken0123456789abcdef"


@pytest.fixture
def hubs(hub_server, monkeypatch):
    """The test Hub, reset, with `SECRET` as alice's write token."""
    state = hub_server.state
    state.reset()
    state.tokens[SECRET] = Token("alice")
    yield state
    state.reset()


def make_bot(root: Path, tiny_model: Path, name: str = "ada") -> Path:
    """A finished bot folder: tiny model, tokenizer, card, thumbnail, logs, cleaned posts."""
    from PIL import Image

    from publisher import card

    bot = root / name
    repo = bot / "repo"
    shutil.copytree(tiny_model, repo)
    Image.new("RGB", (120, 63), (30, 90, 200)).save(repo / "predictions.png")
    (repo / "runs").mkdir()
    (repo / "runs" / "events.out.tfevents.1.host").write_bytes(bytes(range(256)) * 4)
    user = mf.UserStats(name, name.title(), None, "file", 30, 5, 3, 22)
    mf.save(mf.Manifest(model_name=name, base_model=str(tiny_model), users=[user]), bot)
    (bot / "data").mkdir()
    rows = [
        {"handle": name, "text": f"post number {i} about engines", "split": "train"}
        for i in range(18)
    ]
    rows += [
        {"handle": name, "text": f"held out post {i}", "split": "validation"} for i in range(4)
    ]
    (bot / "data" / "posts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    card.write_card(bot)
    return bot


@pytest.fixture
def bot(tmp_path, tiny_model) -> Path:
    return make_bot(tmp_path, tiny_model)


@pytest.fixture
def space_app(tmp_path, monkeypatch) -> Path:
    """The installed Space app; a stand-in importing gradio and the loader until space/app.py exists."""
    from publisher.hub import files as hub_files

    root = hub_files.space_root()
    if not (root / "app.py").is_file():
        fake = tmp_path / "space_pkg"
        fake.mkdir()
        shutil.copy(root / "load.py", fake)
        (fake / "app.py").write_text("import gradio as gr\nfrom load import load_bot\n")
        monkeypatch.setattr(hub_files, "space_root", lambda: fake)
        root = fake
    return root


# -- the happy path -------------------------------------------------------------------------------
def test_push_model_roundtrip_and_generate(hubs, bot, tmp_path):
    from huggingface_hub import snapshot_download
    from transformers import pipeline

    result = hub.push(bot, hub.PushOptions(), SECRET)

    assert result.model.repo_id == "alice/ada" and result.changed
    history = hubs.history("model", "alice/ada")
    assert len(history) == 2  # the Hub's initial commit, then ours: everything in ONE commit
    assert history[0].oid == result.model.commit
    assert "nothing changed" not in str(result) and "alice/ada" in str(result)
    # bot.json and the card now point at the repo
    man = mf.load(bot)
    assert man.repo_id == "alice/ada"
    assert man.thumbnail == f"{hub.repo_url('model', 'alice/ada')}/resolve/main/predictions.png"
    readme = (bot / "repo" / "README.md").read_text()
    assert man.thumbnail in readme and "alice/ada" in readme

    folder = Path(snapshot_download("alice/ada", cache_dir=tmp_path / "dl"))
    local = hub.local_files(bot / "repo")
    assert set(local) <= {
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    }
    for rel, path in local.items():
        assert (folder / rel).read_bytes() == path.read_bytes(), rel

    gen = pipeline(
        "text-generation", model="alice/ada", model_kwargs={"cache_dir": str(tmp_path / "tf")}
    )
    out = gen("My dream is", max_new_tokens=5, do_sample=False)
    assert out[0]["generated_text"].startswith("My dream is")


def test_repush_changes_nothing_then_only_what_changed(hubs, bot):
    first = hub.push(bot, hub.PushOptions(), SECRET)
    commits = len(hubs.history("model", "alice/ada"))
    before = len(hubs.log)

    again = hub.push(bot, hub.PushOptions(), SECRET)

    assert not again.changed and again.model.commit is None
    assert str(again) == f"model {hub.repo_url('model', 'alice/ada')}: nothing changed"
    assert len(hubs.history("model", "alice/ada")) == commits
    for kind in ("preupload", "lfs-batch", "lfs-upload", "commit"):
        assert not hubs.requests(kind, since=before), kind  # no byte uploaded, no commit

    (bot / "repo" / "runs" / "events.out.tfevents.2.host").write_bytes(b"more logs")
    third = hub.push(bot, hub.PushOptions(), SECRET)
    assert third.model.files == ["runs/events.out.tfevents.2.host"]
    assert hubs.history("model", "alice/ada")[1].oid == first.model.commit


def test_dataset_and_space_repos(hubs, bot, tmp_path, space_app):
    from importlib.metadata import version

    from datasets import load_dataset
    from huggingface_hub import snapshot_download

    from publisher.card import hub_url

    result = hub.push(bot, hub.PushOptions(dataset=True, space=True), SECRET)

    assert [r.repo_type for r in result.repos] == ["model", "dataset", "space"]
    man = mf.load(bot)
    assert man.dataset_repo_id == man.space_repo_id == "alice/ada"
    assert hub_url("datasets/alice/ada") in (bot / "repo" / "README.md").read_text()

    assert hubs.repo("dataset", "alice/ada").private, "a dataset of posts is private by default"
    ds_dir = Path(
        snapshot_download("alice/ada", repo_type="dataset", cache_dir=tmp_path / "d", token=SECRET)
    )
    files = {
        s: str(ds_dir / "data" / f"{s}-00000-of-00001.parquet") for s in ("train", "validation")
    }
    ds = load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "dc"))
    assert ds["train"].num_rows == 18 and ds["validation"].num_rows == 4
    assert ds["train"][0] == {"handle": "ada", "text": "post number 0 about engines"}
    card = (ds_dir / "README.md").read_text()
    assert "path: data/train-*.parquet" in card and "| @ada | 30 | 5 | 3 | 22 |" in card

    sp_dir = Path(snapshot_download("alice/ada", repo_type="space", cache_dir=tmp_path / "s"))
    assert (sp_dir / "model_id.txt").read_text().strip() == "alice/ada"
    assert (sp_dir / "app.py").is_file() and (sp_dir / "draw.py").is_file()
    reqs = (sp_dir / "requirements.txt").read_text().splitlines()
    for name in ("gradio", "transformers", "huggingface_hub"):
        assert f"{name}=={version(name).split('+')[0]}" in reqs
    # A free CPU Space gets torch's CPU build from PyTorch's index, not PyPI's CUDA build.
    assert reqs[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert f"torch=={version('torch').split('+')[0]}+cpu" in reqs
    front = yaml.safe_load((sp_dir / "README.md").read_text().split("---")[1])
    assert front["sdk"] == "gradio" and front["sdk_version"] == version("gradio")
    assert front["app_file"] == "app.py" and front["models"] == ["alice/ada"]
    assert hubs.repo("space", "alice/ada").variables == {"MODEL_ID": "alice/ada"}

    again = hub.push(bot, hub.PushOptions(dataset=True, space=True), SECRET)
    assert not again.changed, str(again)


def test_private_repo_and_org_namespace(hubs, bot):
    result = hub.push(bot, hub.PushOptions(namespace="acme", private=True), SECRET)
    assert result.model.repo_id == "acme/ada"
    assert hubs.repo("model", "acme/ada").private
    assert mf.load(bot).repo_id == "acme/ada"


def test_a_push_elsewhere_says_once_that_bot_json_now_points_there(hubs, bot):
    said: list[str] = []
    hub.push(bot, hub.PushOptions(), SECRET, said.append)
    assert not [line for line in said if "bot.json" in line], "a first push: nothing to say"
    hub.push(bot, hub.PushOptions(namespace="acme"), SECRET, said.append)
    moved = [line for line in said if "bot.json" in line]
    assert moved == [
        "This bot now lives at acme/ada, not alice/ada: bot.json records it, so later "
        "pushes and updates go there (--repo-id alice/ada pushes there again)"
    ]
    assert mf.load(bot).repo_id == "acme/ada"
    said.clear()
    hub.push(bot, hub.PushOptions(), SECRET, said.append)
    assert not [line for line in said if "bot.json" in line], "said once"
    assert hubs.history("model", "acme/ada")[0].title != "initial commit"


def test_create_pr_on_someone_elses_repo(hubs, bot):
    hubs.seed("model", "bob/ada", {"README.md": b"bob's bot\n"})
    main_before = hubs.repo("model", "bob/ada").refs["main"]

    result = hub.push(bot, hub.PushOptions(repo_id="bob/ada", create_pr=True), SECRET)

    assert result.model.pr_url and result.model.pr_url.endswith("/bob/ada/discussions/1")
    assert hubs.repo("model", "bob/ada").refs["main"] == main_before
    assert "config.json" in hubs.files("model", "bob/ada", "refs/pr/1")


# -- preflight ------------------------------------------------------------------------------------
def test_preflight_picks_repo_id(hubs):
    assert hub.preflight("ada", hub.PushOptions(), SECRET) == "alice/ada"
    assert hub.preflight("ada", hub.PushOptions(repo_id="mybot"), SECRET) == "alice/mybot"
    assert hub.preflight("ada", hub.PushOptions(repo_id="acme/x", space=True), SECRET) == "acme/x"
    assert not hubs.repos  # preflight creates nothing


@pytest.mark.parametrize(
    ("token", "opts", "error", "words"),
    [
        ("hf_wrong", hub.PushOptions(), AuthError, "invalid or expired"),
        ("hf_read", hub.PushOptions(), AuthError, "alice's token is read-only"),
        ("hf_read", hub.PushOptions(namespace="acme"), AuthError, "alice's token is read-only"),
        (
            SECRET,
            hub.PushOptions(namespace="bobcorp"),
            AuthError,
            "cannot create repos under 'bobcorp'",
        ),
        (
            SECRET,
            hub.PushOptions(repo_id="bob/ada"),
            AuthError,
            "exists and alice's token cannot write",
        ),
        (SECRET, hub.PushOptions(repo_id="bob/ada", dataset=True), AuthError, "cannot write"),
        (SECRET, hub.PushOptions(repo_id="alice/bad--name"), HubError, "not a valid Hub repo id"),
        (SECRET, hub.PushOptions(repo_id="a/b/c"), HubError, "not a valid Hub repo id"),
        (SECRET, hub.PushOptions(create_pr=True), HubError, "--create-pr needs an existing repo"),
    ],
)
def test_preflight_failures(hubs, token, opts, error, words):
    hubs.seed("model", "bob/ada", {"README.md": b"x\n"})
    start = time.monotonic()
    with pytest.raises(error) as info:
        hub.preflight("ada", opts, token)
    assert words in info.value.message
    assert "\n" not in info.value.message and info.value.hint
    assert time.monotonic() - start < 5
    assert not [e for e in hubs.log if e.path == "/api/repos/create"]


def test_preflight_fine_grained_tokens(hubs):
    write_user = [{"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.write"]}]
    read_only = [
        {"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.content.read"]}
    ]
    hubs.tokens["hf_fgwrite"] = Token("alice", "fineGrained", write_user)
    hubs.tokens["hf_fgread"] = Token("alice", "fineGrained", read_only)

    assert hub.preflight("ada", hub.PushOptions(), "hf_fgwrite") == "alice/ada"
    with pytest.raises(AuthError, match="cannot create repos under 'acme'"):
        hub.preflight("ada", hub.PushOptions(namespace="acme"), "hf_fgwrite")
    with pytest.raises(AuthError, match="cannot create repos"):
        hub.preflight("ada", hub.PushOptions(), "hf_fgread")


def test_preflight_network_failures_are_quick(hubs, monkeypatch):
    hubs.fail("/api/whoami-v2", method="GET", drop=True)
    with pytest.raises(HubError, match="could not reach the Hub"):
        hub.preflight("ada", hub.PushOptions(), SECRET)

    monkeypatch.setattr(importlib.import_module("publisher.hub.push"), "PREFLIGHT_TIMEOUT", 0.5)
    hubs.fail("/api/whoami-v2", method="GET", delay=3)
    start = time.monotonic()
    with pytest.raises(HubError, match="could not reach the Hub"):
        hub.preflight("ada", hub.PushOptions(), SECRET)
    assert time.monotonic() - start < 2.5


def test_pushes_and_downloads_at_once_all_succeed(hubs, tmp_path, tiny_model):
    """The creator publishes, downloads and evaluates side by side: one shared Hub client."""
    from concurrent.futures import ThreadPoolExecutor

    from huggingface_hub import snapshot_download

    hub.push(make_bot(tmp_path / "seed", tiny_model, "seed"), hub.PushOptions(), SECRET)
    bots = [make_bot(tmp_path / f"b{i}", tiny_model, f"bot{i}") for i in range(4)]

    def download(i: int) -> Path:
        return Path(snapshot_download("alice/seed", cache_dir=tmp_path / f"dl{i}", token=SECRET))

    with ThreadPoolExecutor(8) as pool:
        pushes = [pool.submit(hub.push, b, hub.PushOptions(space=i % 2 == 0), SECRET)
                  for i, b in enumerate(bots)]  # fmt: skip
        downloads = [pool.submit(download, i) for i in range(8)]
        results = [f.result() for f in pushes]
        folders = [f.result() for f in downloads]
    assert [r.model.repo_id for r in results] == [f"alice/bot{i}" for i in range(4)]
    assert all(r.model.commit for r in results)
    assert [r.space is not None for r in results] == [True, False, True, False]
    weights = (tmp_path / "seed" / "seed" / "repo" / "model.safetensors").read_bytes()
    assert all((f / "model.safetensors").read_bytes() == weights for f in folders)


# -- failures during push keep the work and retry ---------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ({"status": 500}, HubError, "the Hub failed (HTTP 500)"),
        ({"drop": True}, HubError, "could not reach the Hub"),
        ({"status": 403}, AuthError, "may not write there"),
        ({"status": 401}, AuthError, "invalid or expired"),
    ],
)
def test_failed_commit_says_nothing_committed_and_push_retries(hubs, bot, fault, error, words):
    hubs.fail(r"/api/models/alice/ada/commit/", **fault)

    with pytest.raises(error) as info:
        hub.push(bot, hub.PushOptions(), SECRET)

    assert words in info.value.message and "nothing was committed" in info.value.message
    assert f"hf-tweetbot push {bot}" in info.value.hint
    assert len(hubs.history("model", "alice/ada")) == 1  # only the Hub's initial commit
    assert (bot / "repo" / "model.safetensors").is_file()  # the work is kept

    retry = hub.push(bot, hub.PushOptions(), SECRET)
    assert retry.model.changed and len(hubs.history("model", "alice/ada")) == 2


def test_transient_5xx_is_retried_by_the_client(hubs, bot):
    hubs.fail(r"/preupload/", status=503, times=1)
    result = hub.push(bot, hub.PushOptions(), SECRET)
    assert result.model.changed
    assert [e.status for e in hubs.log if "/preupload/" in e.path] == [503, 200]


def test_dataset_failure_after_model_names_the_repo(hubs, bot):
    hubs.fail(r"/api/datasets/alice/ada/commit/", status=500)
    with pytest.raises(HubError) as info:
        hub.push(bot, hub.PushOptions(dataset=True), SECRET)
    assert info.value.message.startswith("dataset repo alice/ada:")
    assert len(hubs.history("model", "alice/ada")) == 2
    again = hub.push(bot, hub.PushOptions(dataset=True), SECRET)
    assert again.dataset and again.dataset.changed and not again.model.changed


def test_incomplete_bot_is_refused_before_any_request(hubs, bot):
    (bot / "repo" / "model.safetensors").unlink()
    with pytest.raises(HubError) as info:
        hub.push(bot, hub.PushOptions(), SECRET)
    assert "safetensors" in info.value.message and "hf-tweetbot train" in info.value.hint
    assert hubs.log == []


def test_missing_posts_for_dataset(hubs, bot):
    (bot / "data" / "posts.jsonl").unlink()
    with pytest.raises(HubError, match="no cleaned posts"):
        hub.push(bot, hub.PushOptions(dataset=True), SECRET)
    assert not [e for e in hubs.log if "/commit/" in e.path]  # nothing pushed, not even the model


def test_file_holding_the_token_is_never_uploaded(hubs, bot):
    (bot / "repo" / "runs" / "leak.txt").write_text(f"HF_TOKEN={SECRET}\n")
    with pytest.raises(HubError) as info:
        hub.push(bot, hub.PushOptions(), SECRET)
    assert "runs/leak.txt" in info.value.message and SECRET not in info.value.message
    assert not [e for e in hubs.log if "/commit/" in e.path or "/preupload/" in e.path]


# -- secrets ----------------------------------------------------------------------------------------
def test_token_never_leaks(hubs, bot, capfd, caplog, space_app):
    # Everything the client logs, whatever an earlier in-process CLI run silenced.
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")
    opts = hub.PushOptions(dataset=True, space=True)
    hub.push(bot, opts, SECRET)
    hubs.fail(r"/commit/", status=500)
    (bot / "repo" / "runs" / "new").write_text("x")
    with pytest.raises(HubError) as info:
        hub.push(bot, opts, SECRET)
    with pytest.raises(AuthError) as bad:
        hub.preflight("ada", opts, SECRET + "x")

    secret = SECRET.encode()
    uploaded = hubs.uploaded()
    assert any(b"post number 0" in b for b in uploaded)  # the scan does see file contents
    assert not [b for b in uploaded if secret in b]
    assert not [e.path for e in hubs.log if SECRET in json.dumps(e.headers) or SECRET in e.path]
    for err in (info.value, bad.value):
        assert SECRET not in f"{err.message} {err.hint}"
    out = capfd.readouterr()
    assert SECRET not in out.out + out.err + caplog.text
    for path in bot.rglob("*"):
        assert not path.is_file() or secret not in path.read_bytes(), path


def test_scrub_masks_tokens():
    assert hub.scrub(f"bad {SECRET}\nline", SECRET) == "bad *** line"
    assert hub.scrub("Bearer hf_abcdefghijklmnop", None) == "Bearer hf_***"


def test_get_token_reads_hf_token(monkeypatch):
    assert hub.get_token() is None
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert hub.get_token() == SECRET


# -- the CLI ------------------------------------------------------------------------------------------
def test_cli_push_then_retry_after_failure(hubs, bot, monkeypatch, capsys):
    from publisher.cli import main

    monkeypatch.setenv("HF_TOKEN", SECRET)
    hubs.fail(r"/commit/", status=500)
    assert main(["push", str(bot)]) == HubError.exit_code
    err = capsys.readouterr().err.splitlines()[-2:]  # after the progress line: error, hint
    assert err[0].startswith("Error: model repo alice/ada:") and "nothing was committed" in err[0]
    assert err[1] == f"Hint: wait a moment; then `hf-tweetbot push {bot}` retries without training"

    assert main(["push", str(bot), "--commit-message", "first bot"]) == 0
    out = capsys.readouterr()
    assert "alice/ada" in out.out and SECRET not in out.out + out.err
    assert hubs.history("model", "alice/ada")[0].title == "first bot"

    assert main(["push", str(bot)]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_cli_push_bad_token_is_one_line(hubs, bot, monkeypatch, capsys):
    from publisher.cli import main

    monkeypatch.setenv("HF_TOKEN", "hf_expired_token_123456")
    assert main(["push", str(bot)]) == AuthError.exit_code
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Error: Hub preflight: the Hugging Face token is invalid or expired"
    assert "hf auth login" in err[1] and "hf_expired" not in "".join(err)
    assert not hubs.repos


def test_space_runs_from_a_fresh_download(hubs, bot, tmp_path, space_app):
    """The Space as a fresh machine gets it: its own files only, the model from the Hub."""
    import os
    import subprocess
    import sys

    from huggingface_hub import snapshot_download

    hub.push(bot, hub.PushOptions(space=True), SECRET)
    fresh = tmp_path / "fresh"
    snapshot_download("alice/ada", repo_type="space", local_dir=fresh, cache_dir=tmp_path / "c")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MODEL_ID")}
    env["HF_HOME"] = str(tmp_path / "space_home")
    code = "import app; app.build_demo(strict=True); print('loaded', open('model_id.txt').read())"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=fresh,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "loaded alice/ada" in run.stdout
    # The weights come from the storage host the Hub redirects to (which refuses a token).
    weights = hashlib.sha256((bot / "repo" / "model.safetensors").read_bytes()).hexdigest()
    downloads = hubs.requests("lfs-download")
    assert any(e.path.endswith(weights) and e.status == 200 for e in downloads)
