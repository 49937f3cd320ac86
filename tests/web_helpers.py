"""Shared by the creator's tests (test_web.py, test_web_browser.py): the app on a loopback port,
the test Hub's users and tokens, and bad uploads."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLES, _free_port

SECRET = "hf_WebOwnerToken0123456789abcdef"  # the machine's (or the Space owner's) token
SAMPLE = EXAMPLES / "wrencalloway_archive.zip"
# What gradio's mocked "Sign in with Hugging Face" puts in the session when not on a Space.
MOCK_OAUTH = "mock-oauth-token-for-local-dev"


def reset_hub(hub_server, **users: str) -> object:
    """The test Hub, emptied, with `SECRET` for alice and `users` as {token: user}."""
    from testkit.fakes.hub_server import Token

    state = hub_server.state
    state.reset()
    state.tokens[SECRET] = Token("alice")
    for token, user in users.items():
        state.tokens[token] = Token(user)
    return state


def launch(cfg, visitors=None) -> tuple[object, str]:
    """The creator app for `cfg` on a free loopback port; returns (demo, url)."""
    from publisher.web import build_app, launch_options

    demo = build_app(cfg, visitors)
    demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=_free_port(),
        quiet=True,
        **launch_options(cfg),
    )
    return demo, demo.local_url


def not_a_zip(root: Path) -> Path:
    """A text file named like an archive."""
    path = root / "my_archive.zip"
    path.write_text("these are my notes, not an archive\n", encoding="utf-8")
    return path


def too_few_posts(root: Path) -> Path:
    """A posts file far under huggingtweets' 6,000 characters."""
    path = root / "tiny.jsonl"
    rows = [{"text": f"Just a few words about the lighthouse, number {i}."} for i in range(12)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_no_secret(root: Path, *texts: str, secret: str = SECRET) -> None:
    """Neither the files under `root` nor the given texts hold the token."""
    for path in files_under(root):
        assert secret.encode() not in path.read_bytes(), path
    for text in texts:
        assert secret not in text
