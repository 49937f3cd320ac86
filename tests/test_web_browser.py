"""The bot creator in a real browser: Debian's Chromium driven by playwright, against the test Hub.

By default the bot is a tiny random model trained a few steps. `HF_TWEETBOT_WEB_BASE_MODEL=smollm2`
trains the real offline SmolLM2 with the page's default steps instead (how docs/web.md's
screenshots and the upload-to-published time are made), and `HF_TWEETBOT_SCREENSHOTS=DIR` saves
each step's screenshot there:

    HF_TWEETBOT_WEB_BASE_MODEL=smollm2 HF_TWEETBOT_SCREENSHOTS=docs/img \\
        .venv/bin/python -m pytest tests/test_web_browser.py -k person -s
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import CHROMIUM, HUB_ENDPOINT
from web_helpers import (
    MOCK_OAUTH,
    SAMPLE,
    SECRET,
    assert_no_secret,
    files_under,
    launch,
    not_a_zip,
    reset_hub,
    too_few_posts,
)

from publisher.web import WebConfig, jobs
from publisher.web.visitors import Visitors
from testkit.posts import write_posts_jsonl

REAL_BASE = os.environ.get("HF_TWEETBOT_WEB_BASE_MODEL")
STEPS = 0 if REAL_BASE else 12  # 0: the page's default (4 epochs)
SHOTS = os.environ.get("HF_TWEETBOT_SCREENSHOTS")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Gradio does not support OAuth"),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make chromium`"
    ),
]


@pytest.fixture(scope="module")
def creator(tiny_model, tmp_path_factory, hub_server):
    """The local creator (`hf-tweetbot web`): (url, the sessions' work folder)."""
    work = tmp_path_factory.mktemp("web-work")
    base = REAL_BASE or str(tiny_model)
    # HF_TWEETBOT_WEB_TIME_BUDGET (minutes) changes the budget, e.g. to time a whole run on a busy machine.
    cfg = WebConfig.from_env(WebConfig(base_models=(base,), workdir=work, max_steps=100_000, on_space=False))  # fmt: skip
    visitors = Visitors()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", SECRET)  # this machine is logged in (the page says so)
        demo, url = launch(cfg, visitors)
    try:
        yield url, work, visitors
    finally:
        demo.close()


def open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
    page.set_default_timeout(3_600_000 if REAL_BASE else 300_000)  # a reading starts a process
    page.goto(url)
    page.wait_for_selector("#tw-read")
    return page


def read_posts(page, path: Path) -> None:
    """Upload a file (waiting until gradio has it) and click "Read the posts"."""
    page.set_input_files("#tw-files input[type=file]", str(path))
    page.wait_for_function(
        "name => document.querySelector('#tw-files').innerText.replace(/\\s/g, '').includes(name)",
        arg=path.name,
    )
    page.click("#tw-read")


def train(page, steps: int) -> None:
    box = page.locator("#tw-steps input[type=number]")
    box.fill(str(steps))
    box.press("Tab")
    page.click("#tw-train")


def counts_of(page, handle: str) -> list[str]:
    """The counts row once the table shows `handle` (an earlier table may still be there)."""
    page.wait_for_function(
        "h => document.querySelector('#tw-counts').innerText.includes(h)", arg=f"@{handle}"
    )
    return page.locator("#tw-counts td").all_inner_texts()


def error_line(page, box: str) -> str:
    page.wait_for_selector(f"{box} .tw-error")
    return page.locator(f"{box} .tw-error").inner_text()


def shot(page, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SHOTS) / name)


@pytest.mark.slow  # a browser and the creator serving it
def test_person_makes_and_publishes_a_bot(creator, browser, hub_server, monkeypatch, tmp_path, capfd):  # fmt: skip
    url, work, _ = creator
    monkeypatch.setenv("HF_TOKEN", SECRET)
    state = reset_hub(hub_server)
    page = open_page(browser, url)

    # Bad uploads show the CLI's error line, and the page keeps working.
    read_posts(page, not_a_zip(tmp_path))
    assert error_line(page, "#tw-read-error").startswith("Error: my_archive.zip: ")
    shot(page, "web_0_error.png", tmp_path)
    read_posts(page, too_few_posts(tmp_path))
    page.wait_for_function(
        "document.querySelector('#tw-read-error').innerText.includes('not enough tweets')"
    )
    assert "Hint: " in error_line(page, "#tw-read-error")
    # Enough posts to train, but few: `prepare`'s warning is shown with the counts.
    read_posts(page, write_posts_jsonl(tmp_path / "ada.jsonl", n=150))
    counts_of(page, "ada")
    assert "few tweets" in page.locator("#tw-warnings").inner_text()

    started = time.monotonic()
    read_posts(page, SAMPLE)
    assert counts_of(page, "wrencalloway")[1:] == ["404", "40", "24", "340"]
    assert page.locator("#tw-sample .tw-post").count() == 8
    assert page.locator("#tw-read-error .tw-error").count() == 0
    warned = page.locator("#tw-warnings").inner_text()
    if REAL_BASE:
        assert warned == ""
    else:  # the tiny test tokenizer (a few hundred tokens) fits any real text badly
        assert "few tweets" not in warned and "tokenizer fits these posts badly" in warned
    shot(page, "web_1_posts.png", tmp_path)

    train(page, STEPS)
    page.wait_for_selector("#tw-status .tw-status[data-step]")
    if REAL_BASE:  # a few steps in, for the screenshot of the curve being drawn
        page.wait_for_function(
            "Number(document.querySelector('#tw-status .tw-status')?.dataset.step) >= 12"
        )
    shot(page, "web_2_training.png", tmp_path)
    page.wait_for_selector('#tw-status .tw-status[data-done="1"]')
    status = page.locator("#tw-status").inner_text().strip()
    assert status.startswith("Trained ") and " steps in " in status
    posts = page.locator("#tw-posts .tw-generated").all_inner_texts()
    assert len(posts) == jobs.POSTS_SHOWN and all(p.startswith("My dream is") for p in posts)
    shot(page, "web_3_written.png", tmp_path)

    page.locator("#tw-name").locator("input, textarea").fill("wren-browser")
    page.click("#tw-publish")
    link = page.locator("#tw-links a.tw-link-model")
    link.wait_for()
    seconds = time.monotonic() - started
    assert link.get_attribute("href") == f"{HUB_ENDPOINT}/alice/wren-browser"
    assert page.locator("#tw-links a.tw-link-space").count() == 1
    shot(page, "web_4_published.png", tmp_path)

    model = state.repos[("model", "alice/wren-browser")]
    files = model.commits[model.refs["main"]].files
    assert {"config.json", "model.safetensors", "README.md", "predictions.png"} <= set(files)
    out, err = capfd.readouterr()  # the server's log (it runs in this process)
    assert_no_secret(work, page.content(), out, err)
    with capfd.disabled():
        print(f"\nupload to published bot: {seconds:.1f} s ({REAL_BASE or 'tiny model'}); {status}")
    assert not list(work.glob("*/uploads/*"))  # the archive was deleted once read
    page.context.close()


@pytest.mark.slow  # a browser and the creator serving it
def test_one_training_at_a_time_and_a_closed_tab_stops_its_own(creator, browser, tmp_path):
    url, work, visitors = creator
    earlier = set(work.iterdir())  # a closed session of another test may still be going
    first = open_page(browser, url)
    read_posts(first, SAMPLE)
    counts_of(first, "wrencalloway")
    train(first, 100_000)  # far longer than the test: only closing the tab ends it
    # At least two steps in (a tiny model on a quiet machine runs hundreds a second: the page
    # may never show step 2 itself).
    first.wait_for_function(
        "Number(document.querySelector('#tw-status .tw-status')?.dataset.step) >= 2"
    )
    [first_folder] = set(work.iterdir()) - earlier

    second = open_page(browser, url)
    read_posts(second, SAMPLE)
    counts_of(second, "wrencalloway")
    train(second, 2)
    # The second person waits, and sees their place in line.
    second.wait_for_function(
        "document.querySelector('#tw-status').innerText.includes('1 training before yours')"
    )
    shot(second, "web_queue.png", tmp_path)

    first.context.close()
    # The first training stops (its folder goes once its thread has let go), and the queue moves.
    second.wait_for_selector('#tw-status .tw-status[data-done="1"]')
    assert not first_folder.exists()
    second.context.close()
    deadline = time.monotonic() + 30
    while files_under(work) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert files_under(work) == []  # every session's files are gone with its tab
    assert visitors.line.running() is None


@pytest.mark.slow  # a browser and the creator serving it
def test_on_a_space_people_sign_in_and_publish_to_their_own_account(
    browser, hub_server, tiny_model, monkeypatch, tmp_path, capfd
):
    # The Space owner's token is in the environment; visitors must never publish with it.
    monkeypatch.setenv("HF_TOKEN", SECRET)
    state = reset_hub(hub_server, **{MOCK_OAUTH: "bob"})
    cfg = WebConfig(base_models=(str(tiny_model),), workdir=tmp_path / "work", on_space=True)
    demo, url = launch(cfg)
    try:
        page = open_page(browser, url)
        page.click("#tw-login")  # gradio's sign-in (mocked off a Space: the same session flow)
        page.wait_for_function("document.querySelector('#tw-login')?.innerText.includes('Logout')")
        read_posts(page, SAMPLE)
        counts_of(page, "wrencalloway")
        train(page, 2)
        page.wait_for_selector('#tw-status .tw-status[data-done="1"]')
        page.click("#tw-publish")
        link = page.locator("#tw-links a.tw-link-model")
        link.wait_for()
        assert link.get_attribute("href") == f"{HUB_ENDPOINT}/bob/wrencalloway"
        assert not any(repo_id.startswith("alice/") for _, repo_id in state.repos)
        assert_no_secret(tmp_path / "work", page.content(), *capfd.readouterr(), secret=MOCK_OAUTH)
    finally:
        demo.close()
