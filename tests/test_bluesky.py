"""Bluesky source against a loopback server replaying AppView responses (testkit/fakes/data/bluesky)."""

from __future__ import annotations

import time

import pytest

from publisher.clean import clean
from publisher.errors import FetchError, RateLimitError
from publisher.sources import SourceOptions, gather
from publisher.sources.spec import parse
from testkit.fakes.api_server import Reply, load, serve

PROFILE_PATH = "/xrpc/app.bsky.actor.getProfile"
FEED_PATH = "/xrpc/app.bsky.feed.getAuthorFeed"
PROFILE = load("bluesky/profile.json")
PAGES = [load(f"bluesky/feed_page{i}.json") for i in (1, 2, 3)]
ERRORS = load("bluesky/errors.json")
HANDLE = PROFILE["handle"]


@pytest.fixture
def api(monkeypatch, sleeps):
    with serve() as server:
        monkeypatch.setenv("HF_TWEETBOT_BSKY_API_URL", server.url)
        yield server


def feed(req):
    """Three pages chained by `cursor`; the last has none."""
    cursors = [None] + [p["cursor"] for p in PAGES[:-1]]
    return Reply(PAGES[cursors.index(req.query.get("cursor"))])


def serve_all(api, profile=PROFILE):
    api.add(PROFILE_PATH, Reply(profile))
    api.route(FEED_PATH, feed)


def opts(tmp_path, **kw):
    return SourceOptions(raw_dir=tmp_path / "raw", progress=False, **kw)


def items():
    return [item for page in PAGES for item in page["feed"]]


def test_pages_until_cursor_is_absent(api, tmp_path):
    serve_all(api)
    got = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))

    assert got.profile.handle == HANDLE
    assert got.profile.name == "Wren Calloway"
    assert got.profile.source == "bsky"
    assert got.profile.avatar_url == PROFILE["avatar"]
    reqs = api.hits(FEED_PATH)
    assert [r.query.get("cursor") for r in reqs] == [None, PAGES[0]["cursor"], PAGES[1]["cursor"]]
    assert all(r.query["limit"] == "100" and r.query["actor"] == PROFILE["did"] for r in reqs)
    assert api.hits(PROFILE_PATH)[0].query["actor"] == HANDLE
    # Every feed item but the pin, in order, with the record text untouched.
    shown = [i for i in items() if "reasonPin" not in (i.get("reason") or {}).get("$type", "")]
    assert [p.text for p in got.posts] == [i["post"]["record"]["text"] for i in shown]


def test_record_text_is_not_unescaped(api, tmp_path):
    serve_all(api)
    texts = [p.text for p in gather(parse(f"bsky:{HANDLE}"), opts(tmp_path)).posts]
    assert (
        "Literal entities stay literal: &amp; is five characters, and <b>this</b> is not bold. "
        "a < b & c > d"
    ) in texts


def test_reposts_and_self_reposts_count_as_retweets_and_pins_count_once(api, tmp_path):
    serve_all(api)
    posts = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path)).posts
    by_text = {}
    for p in posts:
        by_text.setdefault(p.text, []).append(p.is_repost)
    # Another account's post, reposted.
    assert by_text["The engine is finished! Well, the drawings are."] == [True]
    # A self-repost: the repost counts as a retweet, the original at its date does not.
    assert by_text["A loom weaves flowers; an engine could weave algebra."] == [True, False]
    # The pinned post comes first in the feed but is counted once, at its own date.
    pinned = "Pinned: my notes on the engine, all in one thread 🧵"
    assert by_text[pinned] == [False]
    assert posts[0].text != pinned
    assert sum(p.is_repost for p in posts) == 2


def test_cleaning_counts_reposts_like_an_archive(api, tmp_path, capsys):
    serve_all(api)
    got = gather(parse(f"bsky:{HANDLE}"), SourceOptions(raw_dir=tmp_path / "raw", progress=True))
    counts = clean(got).counts
    assert counts.tweets_downloaded == len(items()) - 1  # the pin once
    assert counts.retweets == 2
    # The progress bar counted every post and ended full.
    assert f"{len(items()) - 1}/{len(items()) - 1}" in capsys.readouterr().err


def test_missing_display_name_falls_back_to_handle(api, tmp_path):
    serve_all(api, load("bluesky/profile_no_display_name.json"))
    profile = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path)).profile
    assert profile.name == HANDLE
    assert profile.avatar_url is None


def test_rerun_reads_cache_and_refresh_refetches(api, tmp_path):
    serve_all(api)
    first = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))
    api.requests.clear()
    assert gather(parse(f"bsky:{HANDLE}"), opts(tmp_path)) == first
    assert api.requests == []
    gather(parse(f"bsky:{HANDLE}"), opts(tmp_path, refresh=True))
    assert len(api.hits(FEED_PATH)) == 3


def test_max_posts_caps_the_download(api, tmp_path):
    serve_all(api)
    got = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path, max_posts=4))
    assert len(got.posts) == 4
    assert len(api.hits(FEED_PATH)) == 1


def test_429_waits_for_ratelimit_reset(api, tmp_path, sleeps):
    reset = int(time.time()) + 10
    api.add(PROFILE_PATH, Reply(PROFILE))
    limited = Reply(ERRORS["rate_limit_429"], 429, {"ratelimit-reset": str(reset)})
    pages = iter([limited, Reply(PAGES[0]), Reply(PAGES[1]), Reply(PAGES[2])])
    api.route(FEED_PATH, lambda req: next(pages))
    got = gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))
    assert len(got.posts) == len(items()) - 1
    assert 5 <= sum(sleeps) <= 12


def test_endless_429_gives_up(api, tmp_path, sleeps):
    # No reset header: short pauses, then a clean stop rather than waiting forever.
    api.add(PROFILE_PATH, Reply(ERRORS["rate_limit_429"], 429))
    with pytest.raises(RateLimitError, match="kept answering HTTP 429"):
        gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))
    assert len(api.hits(PROFILE_PATH)) == 6
    assert sum(sleeps) < 60


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        (PROFILE_PATH, "profile_not_found_400", "no such Bluesky account"),
        (PROFILE_PATH, "takedown_400", "suspended"),
        (PROFILE_PATH, "deactivated_400", "deactivated"),
        (FEED_PATH, "blocked_400", "blocked"),
    ],
)
def test_account_errors_are_one_clean_line(api, tmp_path, path, error, message):
    serve_all(api)
    api.add(path, Reply(ERRORS[error], 400))
    with pytest.raises(FetchError) as e:
        gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))
    assert message in e.value.message
    assert "\n" not in e.value.message


def test_a_host_that_is_not_an_appview(api, tmp_path):
    # No route: the server answers an HTML 404 page, as a random web server would.
    with pytest.raises(FetchError, match="not a Bluesky AppView"):
        gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))


def test_persistent_server_errors_give_up(api, tmp_path, sleeps):
    api.add(PROFILE_PATH, Reply(ERRORS["internal_500"], 500))
    with pytest.raises(FetchError, match="HTTP 500, 4 tries"):
        gather(parse(f"bsky:{HANDLE}"), opts(tmp_path))
    assert sleeps == [1.0, 2.0, 4.0]
