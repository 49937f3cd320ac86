"""What the creator serves as files: asked for by path and by guessed name, every session's
folder, another visitor's upload, the bot folders, the server's own files and URLs give nothing;
gradio's own icon still comes. Uploads per address are counted."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import httpx
import pytest
from conftest import REPO_ROOT
from gradio_client import Client, handle_file
from web_helpers import SAMPLE, SECRET, launch, reset_hub

from publisher.web import WebConfig
from publisher.web.file_routes import gradio_root
from publisher.web.visitors import Visitor, Visitors
from testkit.fakes.api_server import Listener

pytestmark = pytest.mark.filterwarnings("ignore:Gradio does not support OAuth")
ROUTES = ("/gradio_api/file=", "/file=", "/gradio_api/file/", "/file/")


def upload(url: str, path: Path) -> str:
    """Upload a file as a page does before its button is clicked; gradio's path for it."""
    with path.open("rb") as f:
        r = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": (path.name, f)})
    r.raise_for_status()
    return r.json()[0]


@pytest.mark.slow  # serves the creator and the Space
def test_no_file_route_serves_what_a_visitor_or_the_server_made(tiny_model, hub_server, tmp_path, monkeypatch):  # fmt: skip
    monkeypatch.setenv("HF_TOKEN", SECRET)
    reset_hub(hub_server)
    work = tmp_path / "work"
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=work, on_space=False)
    v = Visitors()
    demo, url = launch(cfg, v)
    bots = REPO_ROOT / "bots" / f"routes-test-{tmp_path.name}"
    try:
        # A bot folder where the CLI writes them, and a visitor's session waiting in line.
        bots.mkdir(parents=True)
        (bots / "bot.json").write_text('{"model_name": "secret-bot"}')
        holder = v.join(Visitor("192.0.2.1", "elsewhere"), cfg)
        job = Client(url, verbose=False).submit(handle_file(SAMPLE), "", str(tiny_model), 2, "x",
                                                api_name="/create")  # fmt: skip
        while not [f for f in work.iterdir() if (f / "bot" / "bot.json").is_file()]:
            assert not job.done(), job.outputs()
            time.sleep(0.05)
        [session] = list(work.iterdir())
        # Another visitor's upload, waiting in gradio's cache to be read.
        pending = tmp_path / "their_archive.zip"
        shutil.copy(SAMPLE, pending)
        theirs = upload(url, pending)

        asked = [
            session / "bot" / "bot.json",
            session / "bot" / "data" / "posts.jsonl",
            session,
            work,
            Path(theirs),
            bots / "bot.json",
            Path("bots") / bots.name / "bot.json",  # relative to the server's folder
            REPO_ROOT / "publisher" / "web" / "app.py",
            Path("publisher/web/app.py"),
            Path.home() / ".cache" / "huggingface" / "token",
            Path("/etc/passwd"),
            Path(theirs).parent / ".." / Path(theirs).parent.name / Path(theirs).name,
            # Guessed names: the upload's content hash without gradio's secret seed, the usual
            # places of a bot and a Space's token.
            Path(theirs).parent.parent
            / hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
            / SAMPLE.name,  # fmt: skip
            Path("bot/bot.json"),
            Path("repo/README.md"),
            Path("/data/token"),
        ]
        for target in asked:
            for route in ROUTES:
                r = httpx.get(f"{url.rstrip('/')}{route}{target}")
                assert r.status_code in (403, 404), (route, target, r.status_code)
                assert b"wren" not in r.content and b"secret-bot" not in r.content, (route, target)
        with Listener() as listener:  # gradio would otherwise fetch URLs for a visitor
            for route in ROUTES:
                r = httpx.get(f"{url.rstrip('/')}{route}http://127.0.0.1:{listener.port}/")
                assert r.status_code == 404
        assert listener.connections == []
        icon = next((gradio_root() / "icons").glob("*.svg"))
        assert httpx.get(f"{url.rstrip('/')}/gradio_api/file={icon}").status_code == 200
        v.line.leave(holder)
        assert job.result(timeout=300).endswith("/alice/x")
    finally:
        shutil.rmtree(bots, ignore_errors=True)
        demo.close()


def test_uploads_per_address_are_counted(tiny_model, tmp_path):
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=tmp_path / "w", on_space=False,
                    uploads_per_hour=3)  # fmt: skip
    demo, url = launch(cfg)
    try:
        small = tmp_path / "posts.jsonl"
        small.write_text('{"text": "hello"}\n')
        for _ in range(3):
            upload(url, small)
        r = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": ("x.jsonl", b"x")})
        assert r.status_code == 429
        assert r.json()["detail"].startswith(
            "Error: 3 uploads from your address in the last hour, the most this page allows"
        )
    finally:
        demo.close()
