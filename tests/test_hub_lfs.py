"""Pushing over LFS as huggingface.co stores files, and the faults of the way up.

The real huggingface_hub client against testkit/fakes/hub_server.py (LFS batch API, storage host,
verify step), with `HF_HUB_DISABLE_XET=1` (conftest). Request counts come from the server log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import types
from pathlib import Path

import httpx
import pytest
import test_hub
from test_hub import SECRET

from publisher import hub
from publisher.errors import HubError

# The Hub fixtures of test_hub.py: the test Hub reset with alice's token, a finished tiny bot.
hubs, bot, space_app = test_hub.hubs, test_hub.bot, test_hub.space_app
LFS = {"model.safetensors", "predictions.png", "runs/events.out.tfevents.1.host"}
KINDS = ("preupload", "lfs-batch", "lfs-upload", "lfs-verify", "commit")


def counts(state, since: int = 0) -> dict[str, int]:
    """Requests of each upload kind since log index `since`."""
    return {k: len(state.requests(k, since=since)) for k in KINDS}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests(bot_dir: Path) -> dict[str, str]:
    """Every file of the bot folder by content hash: the local bot must stay intact."""
    return {p.relative_to(bot_dir).as_posix(): sha256(p) for p in bot_dir.rglob("*") if p.is_file()}  # fmt: skip


@pytest.fixture
def client_sleeps(monkeypatch):
    """Record huggingface_hub's retry waits (and ours on a 429 commit) instead of sleeping."""
    import importlib

    from huggingface_hub.utils import _http

    push_mod = importlib.import_module("publisher.hub.push")
    waits: list[float] = []
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=waits.append))
    monkeypatch.setattr(push_mod, "sleep", waits.append)
    return waits


def test_binary_and_weights_go_through_lfs_with_their_metadata(hubs, bot, tmp_path):
    from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url

    hub.push(bot, hub.PushOptions(), SECRET)

    assert hubs.lfs_files("model", "alice/ada") == LFS  # config, card, tokenizer: regular
    assert counts(hubs) == {"preupload": 1, "lfs-batch": 1, "lfs-upload": 3, "lfs-verify": 3, "commit": 1}  # fmt: skip
    commit = hubs.requests("commit")[0].body.decode()
    assert commit.count('"key": "lfsFile"') == 3 and "safetensors" in commit
    weights = bot / "repo" / "model.safetensors"
    assert base64.b64encode(weights.read_bytes()[:64]).decode() not in commit  # not inline

    api = HfApi(token=SECRET)
    tree = {f.path: f for f in api.list_repo_tree("alice/ada", recursive=True)}
    assert tree["model.safetensors"].lfs.sha256 == sha256(weights)
    assert tree["model.safetensors"].size == weights.stat().st_size
    assert tree["config.json"].lfs is None
    (info,) = api.get_paths_info("alice/ada", ["predictions.png"])
    assert info.lfs.sha256 == sha256(bot / "repo" / "predictions.png")
    siblings = {s.rfilename: s for s in api.model_info("alice/ada", files_metadata=True).siblings}
    assert siblings["predictions.png"].lfs.sha256 == sha256(bot / "repo" / "predictions.png")
    meta = get_hf_file_metadata(hf_hub_url("alice/ada", "model.safetensors"), token=SECRET)
    assert meta.etag == sha256(weights) and meta.size == weights.stat().st_size
    assert meta.location.startswith("http://localhost:")  # redirected to the storage host


def test_changed_model_uploads_only_the_changed_objects(hubs, bot):
    import torch
    from safetensors.torch import load_file, save_file

    hub.push(bot, hub.PushOptions(), SECRET)
    weights = bot / "repo" / "model.safetensors"
    tensors = {k: v + 0.01 if v.is_floating_point() else v for k, v in load_file(weights).items()}
    save_file({k: v.contiguous() for k, v in tensors.items()}, weights, metadata={"format": "pt"})
    # A new log file whose bytes the Hub already holds under another name: not sent again.
    old_log = bot / "repo" / "runs" / "events.out.tfevents.1.host"
    (bot / "repo" / "runs" / "events.out.tfevents.2.host").write_bytes(old_log.read_bytes())
    before = len(hubs.log)

    result = hub.push(bot, hub.PushOptions(), SECRET)

    assert sorted(result.model.files) == ["model.safetensors", "runs/events.out.tfevents.2.host"]
    assert counts(hubs, before) == {"preupload": 1, "lfs-batch": 1, "lfs-upload": 1, "lfs-verify": 1, "commit": 1}  # fmt: skip
    assert hubs.requests("lfs-upload", before)[0].path.endswith(sha256(weights))
    assert hubs.files("model", "alice/ada")["model.safetensors"] == weights.read_bytes()
    assert torch.equal(load_file(weights)["transformer.wte.weight"], tensors["transformer.wte.weight"])  # fmt: skip


def test_connection_dropped_mid_upload_is_retried(hubs, bot, client_sleeps):
    weights = sha256(bot / "repo" / "model.safetensors")
    hubs.fail(rf"/lfs-storage/.*/{weights}$", method="PUT", drop=True, times=1)

    result = hub.push(bot, hub.PushOptions(), SECRET)

    assert result.model.changed
    puts = [e.status for e in hubs.requests("lfs-upload") if e.path.endswith(weights)]
    assert puts == [-1, 200]  # cut half-way, then sent again whole
    assert client_sleeps == [1]  # within a bound: the client's first backoff


def test_connection_always_dropping_fails_cleanly_then_push_resumes(hubs, bot, client_sleeps, capsys, monkeypatch):  # fmt: skip
    from publisher.cli import main

    weights = sha256(bot / "repo" / "model.safetensors")
    hubs.fail(rf"/lfs-storage/.*/{weights}$", method="PUT", drop=True, times=99)
    local = digests(bot)

    with pytest.raises(HubError) as info:
        hub.push(bot, hub.PushOptions(), SECRET)

    msg = info.value.message
    assert msg.startswith("model repo alice/ada: could not reach the Hub") and "\n" not in msg
    assert "while uploading model.safetensors; nothing was committed" in msg
    assert f"hf-tweetbot push {bot}" in info.value.hint
    assert client_sleeps == [1, 2, 4, 8, 8]  # 5 retries, 23 s in all, then it gives up
    assert len(hubs.history("model", "alice/ada")) == 1 and not hubs.requests("commit")
    # The bot is intact: only bot.json and the card gained the repo id.
    relinked = ("bot.json", "repo/README.md")
    assert {k: v for k, v in digests(bot).items() if k not in relinked} == {
        k: v for k, v in local.items() if k not in relinked
    }

    hubs.faults.clear()
    before = len(hubs.log)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert main(["push", str(bot)]) == 0
    assert "in commit" in capsys.readouterr().out
    # The image and the logs were uploaded and verified the first time: only the weights now.
    ups = hubs.requests("lfs-upload", before)
    assert [e.path.rsplit("/", 1)[1] for e in ups] == [weights]
    assert hubs.lfs_files("model", "alice/ada") == LFS


def test_commit_failing_after_upload_then_cli_push_sends_no_object_again(hubs, bot, monkeypatch, capsys):  # fmt: skip
    from publisher.cli import main

    monkeypatch.setenv("HF_TOKEN", SECRET)
    hubs.fail(r"/api/models/alice/ada/commit/", status=500)
    assert main(["push", str(bot)]) == HubError.exit_code
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("Error:")] == [
        "Error: model repo alice/ada: the Hub failed (HTTP 500), even after retries; "
        "nothing was committed"
    ]
    assert counts(hubs)["lfs-upload"] == 3 and len(hubs.history("model", "alice/ada")) == 1

    before = len(hubs.log)
    assert main(["push", str(bot)]) == 0
    assert counts(hubs, before) == {"preupload": 1, "lfs-batch": 1, "lfs-upload": 0, "lfs-verify": 0, "commit": 1}  # fmt: skip
    batch = json.loads(hubs.requests("lfs-batch", before)[0].body)
    assert len(batch["objects"]) == 3  # asked about, answered without `actions`: skipped


def test_rate_limit_with_short_retry_after_is_waited_out(hubs, bot, client_sleeps):
    hubs.fail(r"\.git/info/lfs/objects/batch$", status=429, retry_after=2)
    hubs.fail(r"/api/models/alice/ada/commit/", status=429, retry_after=3)

    result = hub.push(bot, hub.PushOptions(), SECRET)

    assert result.model.changed and len(hubs.history("model", "alice/ada")) == 2
    assert client_sleeps == [3.0, 3]  # the client waits Retry-After + 1 s; the commit, ours
    assert [e.status for e in hubs.requests("commit")] == [429, 200]
    assert counts(hubs)["lfs-upload"] == 3  # the second commit sent no object again


@pytest.mark.parametrize("where", [r"/api/models/alice/ada/commit/", r"/lfs-storage/"])
def test_rate_limit_with_long_retry_after_stops_at_once(hubs, bot, client_sleeps, where):
    method = "PUT" if "storage" in where else "POST"
    hubs.fail(where, status=429, retry_after=3600, method=method, times=99)

    with pytest.raises(HubError) as info:
        hub.push(bot, hub.PushOptions(), SECRET)

    msg = info.value.message
    assert "rate-limiting this account (HTTP 429, retry after 3600 s)" in msg
    assert msg.endswith("nothing was committed") and "\n" not in msg
    assert info.value.hint.startswith("wait 3600 s; then `hf-tweetbot push")
    assert client_sleeps == []  # no silent hour-long wait
    assert len(hubs.history("model", "alice/ada")) == 1

    hubs.faults.clear()
    assert hub.push(bot, hub.PushOptions(), SECRET).model.changed


def test_gpu_space_gets_plain_torch_and_its_hardware(hubs, bot, space_app):
    from importlib.metadata import version

    hub.push(bot, hub.PushOptions(space=True, space_hardware="t4-small"), SECRET)

    reqs = hubs.files("space", "alice/ada")["requirements.txt"].decode().splitlines()
    assert f"torch=={version('torch').split('+')[0]}" in reqs
    assert not [r for r in reqs if r.startswith("--")]
    assert hubs.repo("space", "alice/ada").hardware == "t4-small"


def test_server_refuses_what_the_hub_refuses(hubs, hub_server):
    """The test Hub is strict: inline binaries, unknown LFS objects, bad digests, no token."""
    hubs.seed("model", "alice/strict", {"README.md": b"hi\n"})
    base, auth = hub_server.endpoint, {"Authorization": f"Bearer {SECRET}"}
    header = json.dumps({"key": "header", "value": {"summary": "x"}})

    def commit(op: dict) -> httpx.Response:
        body = f"{header}\n{json.dumps(op)}\n"
        return httpx.post(f"{base}/api/models/alice/strict/commit/main", content=body, headers=auth)  # fmt: skip

    binary = {"path": "w.bin", "content": base64.b64encode(b"\0\1\2").decode(), "encoding": "base64"}  # fmt: skip
    assert commit({"key": "file", "value": binary}).status_code == 400
    missing = {"path": "w.bin", "algo": "sha256", "oid": "0" * 64, "size": 3}
    assert commit({"key": "lfsFile", "value": missing}).status_code == 422

    data = b"\0weights"
    oid = hashlib.sha256(data).hexdigest()
    batch = {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": 8}]}
    answer = httpx.post(f"{base}/alice/strict.git/info/lfs/objects/batch", json=batch, headers=auth)  # fmt: skip
    actions = answer.json()["objects"][0]["actions"]
    href, verify = actions["upload"]["href"], actions["verify"]["href"]
    assert httpx.put(href, content=b"\0WEIGHTS").status_code == 400  # sha256 mismatch
    assert httpx.put(href, content=data, headers=auth).status_code == 400  # a token at S3
    assert httpx.post(verify, json={"oid": oid, "size": 8}, headers=auth).status_code == 404
    assert httpx.put(href, content=data).status_code == 200
    assert httpx.post(verify, json={"oid": oid, "size": 8}, headers=auth).status_code == 200
    stored = {"path": "w.bin", "algo": "sha256", "oid": oid, "size": 8}
    assert commit({"key": "lfsFile", "value": stored}).status_code == 200
    assert hubs.files("model", "alice/strict")["w.bin"] == data
