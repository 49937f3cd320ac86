"""Where a bot's posts end (`publisher/sources/since.py`): what `update` asks the sources for."""

from __future__ import annotations

from publisher.sources import Post
from publisher.sources.since import Since, is_newer, newest


def test_snowflake_ids_are_compared_as_numbers_not_text():
    since = Since(id="999", at="2024-01-01T00:00:00+00:00")
    assert is_newer(Post("a", "2023-01-01T00:00:00Z", id="1000"), since), "longer id, later post"
    assert not is_newer(Post("a", "2030-01-01T00:00:00Z", id="998"), since)


def test_other_ids_fall_back_to_times_in_any_offset():
    since = Since(id="at://did:plc:x/app.bsky.feed.post/abc", at="2024-05-01T12:00:00+00:00")
    assert is_newer(Post("a", "2024-05-01T14:30:00+02:00", id="at://b"), since)
    assert not is_newer(Post("a", "2024-05-01T13:30:00+02:00", id="at://c"), since)
    assert is_newer(Post("a", None, id="at://d"), since), "nothing tells: the id check decides"
    assert is_newer(Post("a", "2000-01-01T00:00:00Z"), None)


def test_newest_keeps_the_old_marker_when_nothing_is_newer():
    posts = [Post("a", "2024-01-02T00:00:00Z", id="20"), Post("b", "2024-01-03T00:00:00Z", id="30")]
    assert newest(posts) == Since("30", "2024-01-03T00:00:00+00:00")
    assert newest([], Since("5", "2020-01-01T00:00:00+00:00")) == Since(
        "5", "2020-01-01T00:00:00+00:00"
    )
    bsky = [
        Post("x", "2024-02-01T00:00:00Z", id="at://new"),
        Post("y", "2024-01-01T00:00:00Z", id="at://old"),
    ]
    assert newest(bsky).id == "at://new"


def test_since_key_names_the_id_or_the_time():
    assert Since("123").key() == "since_123" and Since("at://x", "2024").key() == "since_2024"
