"""X API v2 source against a loopback server replaying real X responses (testkit/fakes/data/x_api_v2)."""

from __future__ import annotations

import copy
import time

import pytest

from publisher.clean import clean
from publisher.errors import FetchError, RateLimitError, SourceError
from publisher.sources import Gathered, SourceOptions, gather
from publisher.sources.spec import parse
from testkit.fakes.api_server import Reply, load, serve

TOKEN = "AAAAtest-bearer-secret-42"
USER_PATH = "/2/users/by/username/PhillyNEFL"
TWEETS_PATH = "/2/users/2351222345/tweets"
PAGE1 = load("x_api_v2/users_2351222345_tweets_page.json")
PAGE2 = load("x_api_v2/test_client_get_users_tweets.json")[0]["body"]
ERRORS = load("x_api_v2/errors_documented.json")
USER = load("x_api_v2/user_PhillyNEFL.json")


@pytest.fixture
def api(monkeypatch, sleeps):
    with serve() as server:
        monkeypatch.setenv("HF_TWEETBOT_X_API_URL", server.url)
        monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
        yield server


def timeline(req):
    """Three pages chained by `pagination_token`: twarc's page, tweepy's page, the empty end."""
    token = req.query.get("pagination_token")
    if token is None:
        return Reply(PAGE1)
    if token == PAGE1["meta"]["next_token"]:
        return Reply(PAGE2)
    if token == PAGE2["meta"]["next_token"]:
        return Reply(ERRORS["timeline_end_200"])
    return Reply({"title": "Invalid Request"}, status=400)


def serve_user(api):
    api.add(USER_PATH, Reply(USER))
    api.route(TWEETS_PATH, timeline)


def opts(tmp_path, **kw):
    return SourceOptions(raw_dir=tmp_path / "raw", progress=False, **kw)


def test_pages_until_next_token_is_gone(api, tmp_path):
    serve_user(api)
    got = gather(parse("x:PhillyNEFL"), opts(tmp_path))

    assert got.profile.handle == "PhillyNEFL"
    assert got.profile.name == "Philly NEFL"
    assert got.profile.source == "x"
    assert got.profile.avatar_url.endswith("/CzRRZ8kj_400x400.jpg")
    expected = [t["text"] for t in PAGE1["data"] + PAGE2["data"]]
    assert [p.text for p in got.posts] == expected  # as the API gives them: "&amp;" kept
    assert any("&amp;" in p.text for p in got.posts)
    # SOURCES.md: the twarc page holds 34 retweets; tweepy's page none.
    assert sum(p.is_repost for p in got.posts) == 34
    assert all(p.is_repost == p.text.startswith("RT @") for p in got.posts)
    assert got.posts[0].created_at == PAGE1["data"][0]["created_at"]

    user_req = api.hits(USER_PATH)[0]
    assert user_req.query["user.fields"] == "name,profile_image_url,protected"
    reqs = api.hits(TWEETS_PATH)
    assert [r.query.get("pagination_token") for r in reqs] == [
        None,
        PAGE1["meta"]["next_token"],
        PAGE2["meta"]["next_token"],
    ]
    assert all(r.query["max_results"] == "100" for r in reqs)
    assert reqs[0].query["tweet.fields"] == "created_at,referenced_tweets,entities,note_tweet"
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)


def long_post_page() -> dict:
    """The twarc page with its first own post made a long one, as the API sends it when
    `tweet.fields` holds `note_tweet` (X's data dictionary: `text` cut at 280 characters and
    ended with `…`, the whole text, HTML-escaped like `text`, in `note_tweet.text`)."""
    page = copy.deepcopy(PAGE1)
    own = next(t for t in page["data"] if not t["text"].startswith("RT @"))
    whole = own["text"] + " " + " ".join(["and the bus was late again, &amp; so was I"] * 8)
    own["text"] = whole[:279] + "…"
    own["note_tweet"] = {"text": whole, "entities": own.get("entities", {})}
    return page


def test_a_long_post_is_read_whole_from_note_tweet(api, tmp_path):
    page = long_post_page()
    api.add(USER_PATH, Reply(USER))
    api.add(TWEETS_PATH, Reply(page), Reply(ERRORS["timeline_end_200"]))
    got = gather(parse("x:PhillyNEFL"), opts(tmp_path))

    own = next(t for t in page["data"] if "note_tweet" in t)
    post = next(p for p in got.posts if p.id == own["id"])
    assert post.text == own["note_tweet"]["text"] and "…" not in post.text
    assert not post.is_repost
    cleaned = clean(Gathered(got.profile, [post])).texts[0]
    assert cleaned.endswith("and the bus was late again, & so was I")  # unescaped once
    # The others are as the API gave them.
    assert [p.text for p in got.posts if p.id != own["id"]] == [
        t["text"] for t in page["data"] if t is not own
    ]


def test_rerun_reads_cache_without_any_request(api, tmp_path, monkeypatch):
    serve_user(api)
    first = gather(parse("@PhillyNEFL"), opts(tmp_path))
    api.requests.clear()
    monkeypatch.delenv("X_BEARER_TOKEN")  # a complete cache needs no token

    again = gather(parse("@PhillyNEFL"), opts(tmp_path))
    assert api.requests == []
    assert again == first
    cache = tmp_path / "raw" / "x_phillynefl"
    assert sorted(p.name for p in cache.iterdir()) == [
        "done.json",
        "page_0001.json",
        "page_0002.json",
    ]
    for f in cache.iterdir():
        assert TOKEN not in f.read_text(encoding="utf-8")


def test_refresh_fetches_anew(api, tmp_path):
    serve_user(api)
    gather(parse("x:PhillyNEFL"), opts(tmp_path))
    api.requests.clear()
    gather(parse("x:PhillyNEFL"), opts(tmp_path, refresh=True))
    assert len(api.hits(TWEETS_PATH)) == 3


def test_interrupted_download_is_fetched_again(api, tmp_path):
    api.add(USER_PATH, Reply(USER))

    def broken_after_first(req):
        return timeline(req) if "pagination_token" not in req.query else Reply({}, status=503)

    api.route(TWEETS_PATH, broken_after_first)
    with pytest.raises(FetchError, match="HTTP 503"):
        gather(parse("x:PhillyNEFL"), opts(tmp_path))
    assert not (tmp_path / "raw" / "x_phillynefl" / "done.json").exists()

    api.route(TWEETS_PATH, timeline)
    api.requests.clear()
    got = gather(parse("x:PhillyNEFL"), opts(tmp_path))
    assert len(got.posts) == len(PAGE1["data"]) + len(PAGE2["data"])
    assert len(api.hits(TWEETS_PATH)) == 3


def test_max_posts_caps_the_download(api, tmp_path):
    serve_user(api)
    got = gather(parse("x:PhillyNEFL"), opts(tmp_path, max_posts=40))
    assert len(got.posts) == 40
    assert len(api.hits(TWEETS_PATH)) == 1
    # A later run asking for more is not served from the shorter cache.
    api.requests.clear()
    more = gather(parse("x:PhillyNEFL"), opts(tmp_path, max_posts=3200))
    assert len(more.posts) == 102
    assert len(api.hits(TWEETS_PATH)) == 3


def test_429_waits_for_the_reset_then_succeeds(api, tmp_path, sleeps, capsys):
    reset = int(time.time()) + 20
    limited = Reply(ERRORS["too_many_requests_429"], 429, {"x-rate-limit-reset": str(reset)})
    api.add(USER_PATH, limited, Reply(USER))
    api.route(TWEETS_PATH, timeline)

    got = gather(parse("x:PhillyNEFL"), SourceOptions(raw_dir=tmp_path / "raw", progress=True))
    assert len(got.posts) == 102
    assert 15 <= sum(sleeps) <= 22
    assert "X rate limit: waiting" in capsys.readouterr().err


def test_429_with_a_distant_reset_stops_with_the_time(api, tmp_path, sleeps):
    reset = int(time.time()) + 15 * 60
    api.add(
        USER_PATH,
        Reply(ERRORS["too_many_requests_429"], 429, {"x-rate-limit-reset": str(reset)}),
    )
    with pytest.raises(RateLimitError) as e:
        gather(parse("x:PhillyNEFL"), opts(tmp_path))
    assert time.strftime("%H:%M", time.gmtime(reset)) in e.value.message
    assert e.value.hint
    assert sleeps == []


def test_server_errors_are_retried_with_backoff(api, tmp_path, sleeps):
    api.add(USER_PATH, Reply({}, 502), Reply({}, 503), Reply(USER))
    api.route(TWEETS_PATH, timeline)
    assert len(gather(parse("x:PhillyNEFL"), opts(tmp_path)).posts) == 102
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(
    ("user_reply", "tweets_reply", "message"),
    [
        (Reply(ERRORS["not_found_200"]), None, "no such X account"),
        (Reply(ERRORS["suspended_200"]), None, "suspended"),
        (Reply(ERRORS["protected_user_200"]), None, "protected"),
        (Reply(USER), Reply(ERRORS["protected_timeline_200"]), "protected"),
        (Reply(ERRORS["unauthorized_401"], 401), None, "HTTP 401"),
        (Reply(ERRORS["client_not_enrolled_403"], 403), None, "client-not-enrolled"),
        (Reply(USER), Reply(ERRORS["client_not_enrolled_403"], 403), "access tier"),
    ],
)
def test_errors_are_one_clean_line(api, tmp_path, user_reply, tweets_reply, message):
    api.add(USER_PATH, user_reply)
    if tweets_reply:
        api.add(TWEETS_PATH, tweets_reply)
    with pytest.raises(FetchError) as e:
        gather(parse("x:PhillyNEFL"), opts(tmp_path))
    assert message in e.value.message
    assert "\n" not in e.value.message
    assert TOKEN not in e.value.message + (e.value.hint or "")


def test_bare_handle_without_token_names_token_and_archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse("ada_l").kind == "x"
    with pytest.raises(SourceError) as e:
        gather(parse("ada_l"), opts(tmp_path))
    assert "X_BEARER_TOKEN" in e.value.message
    assert "no file or folder named ada_l" in e.value.message
    assert "archive" in e.value.hint


def test_unreachable_server_is_a_clean_error(tmp_path, monkeypatch, sleeps):
    with serve() as server:
        url = server.url  # the port is closed once the block ends
    monkeypatch.setenv("HF_TWEETBOT_X_API_URL", url)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    with pytest.raises(FetchError, match="cannot reach 127.0.0.1") as e:
        gather(parse("x:PhillyNEFL"), opts(tmp_path))
    assert TOKEN not in e.value.message
    assert sleeps == [1.0, 2.0, 4.0]


def test_invalid_handle_is_rejected_before_any_request(tmp_path):
    with pytest.raises(SourceError, match="not an X handle"):
        gather(parse("x:not-a-handle!"), opts(tmp_path))
