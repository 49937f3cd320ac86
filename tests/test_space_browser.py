"""The Space in a real browser: Debian's headless Chromium driven by Python playwright.

`HF_TWEETBOT_SPACE_MODEL` points the test at another bot (a bot folder or its repo/), e.g. the
demo bot for the screenshot in the README; `HF_TWEETBOT_SCREENSHOT` saves the screenshot there too:

    HF_TWEETBOT_SPACE_MODEL=bots/wrencalloway HF_TWEETBOT_SCREENSHOT=docs/img/space_screenshot.png \
        pytest tests/test_space_browser.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM
from test_space import _free_port, make_bot_repo

PROMPT = "Tea with"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: run `make chromium`"
    ),
]


@pytest.fixture(scope="module")
def app_url(tiny_model, tmp_path_factory):
    from publisher.space.app import build_demo

    model = os.environ.get("HF_TWEETBOT_SPACE_MODEL") or str(
        make_bot_repo(tiny_model, tmp_path_factory.mktemp("bot"), name="Ada Lovelace")
    )
    demo = build_demo(model, strict=True)
    demo.launch(
        prevent_thread_lock=True, server_name="127.0.0.1", server_port=_free_port(), quiet=True
    )
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    pg.goto(app_url)
    pg.wait_for_selector("#tb-generate")
    yield pg
    ctx.close()


def generate(page, prompt: str, n: int) -> list[str]:
    """Type the prompt, set the number of posts, click Generate; return the posts shown."""
    page.fill("#tb-prompt textarea", prompt)
    box = page.locator("#tb-n input[type=number]")
    box.fill(str(n))
    box.press("Enter")
    page.click("#tb-generate")
    page.wait_for_selector('#tb-results .tb-posts[data-done="1"]')
    return page.locator("#tb-results article.tb-post .tb-text").all_inner_texts()


@pytest.mark.slow  # a browser and the creator serving it
def test_generate_shows_n_posts_with_copy_and_post_links(page, tmp_path):
    posts = generate(page, PROMPT, 3)
    assert len(posts) == 3
    assert all(p.startswith(PROMPT) for p in posts)
    intent = page.locator("#tb-results a.tb-intent").first.get_attribute("href")
    assert intent.startswith("https://twitter.com/intent/tweet?text=Tea%20with")
    copy = page.locator("#tb-results button.tb-copy").first
    copy.click()
    page.wait_for_function(
        "document.querySelector('#tb-results button.tb-copy').textContent == 'Copied!'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == posts[0]
    shot = tmp_path / "space.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("HF_TWEETBOT_SCREENSHOT"):
        dest = Path(os.environ["HF_TWEETBOT_SCREENSHOT"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, dest)


def test_generated_html_is_shown_as_text(page):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    posts = generate(page, evil, 2)
    assert len(posts) == 2 and all(p.startswith(evil) for p in posts)
    assert page.locator("#tb-results script, #tb-results img[src=x]").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_header_and_footer(page):
    if os.environ.get("HF_TWEETBOT_SPACE_MODEL"):
        pytest.skip("checks the test bot's own header")
    header = page.locator("#tb-header")
    assert "Ada Lovelace" in header.inner_text() and "@ada" in header.inner_text()
    avatar = header.locator("img.tb-avatar")
    assert avatar.evaluate("img => img.naturalWidth") == 64
    footer = page.locator("#tb-footer").inner_text()
    assert "machine-generated" in footer and "someone/ada" in footer
    assert page.locator("#tb-prompt textarea").input_value() == "Numbers are"
