"""Mastodon source against a loopback server replaying API responses (testkit/fakes/data/mastodon)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.clean import clean_text
from publisher.errors import FetchError
from publisher.sources import SourceOptions, gather
from publisher.sources.mastodon import html_to_text
from publisher.sources.spec import parse
from testkit.fakes.api_server import Reply, load, serve

LOOKUP_PATH = "/api/v1/accounts/lookup"
ACCOUNT = load("mastodon/account.json")
STATUSES_PATH = f"/api/v1/accounts/{ACCOUNT['id']}/statuses"
PAGES = [load(f"mastodon/statuses_page{i}.json") for i in (1, 2, 3)]
ERRORS = load("mastodon/errors.json")


@pytest.fixture
def api(sleeps):
    with serve() as server:
        yield server


def spec(api):
    return f"mastodon:{api.url}/@wren"


def statuses(req):
    """`max_id` paging: each page continues below the last id of the one before; then []."""
    max_ids = [None] + [p[-1]["id"] for p in PAGES]
    i = max_ids.index(req.query.get("max_id"))
    return Reply(PAGES[i] if i < len(PAGES) else [])


def serve_all(api, account=ACCOUNT):
    api.add(LOOKUP_PATH, Reply(account))
    api.route(STATUSES_PATH, statuses)


def opts(tmp_path, **kw):
    return SourceOptions(raw_dir=tmp_path / "raw", progress=False, **kw)


def test_pages_by_max_id_until_an_empty_page(api, tmp_path):
    serve_all(api)
    got = gather(parse(spec(api)), opts(tmp_path))

    assert api.hits(LOOKUP_PATH)[0].query == {"acct": "wren"}
    reqs = api.hits(STATUSES_PATH)
    assert [r.query.get("max_id") for r in reqs] == [None] + [p[-1]["id"] for p in PAGES]
    assert all(r.query["limit"] == "40" for r in reqs)
    assert len(got.posts) == sum(len(p) for p in PAGES)
    assert got.profile.source == "mastodon"
    assert got.profile.handle == "wren"
    assert got.profile.name == "wren"  # display_name is empty
    assert got.profile.avatar_url == ACCOUNT["avatar"]
    assert got.posts[0].created_at == PAGES[0][0]["created_at"]


def test_pages_by_the_cursor_of_the_link_header_on_the_instances_host(api, tmp_path):
    """Mastodon's `Link: rel="next"` knows about statuses it filtered out: its cursor wins."""
    serve_all(api)
    first, cursor = PAGES[0], "109999999999999999"
    link = f'<{api.url}{STATUSES_PATH}?max_id={cursor}>; rel="next", <{api.url}/x>; rel="prev"'
    api.add(STATUSES_PATH, Reply(first, headers={"Link": link}), Reply([]))
    got = gather(parse(spec(api)), opts(tmp_path))
    assert [r.query.get("max_id") for r in api.hits(STATUSES_PATH)] == [None, cursor]
    assert len(got.posts) == len(first)


def test_a_next_page_on_another_host_is_refused_unvisited(api, tmp_path):
    from testkit.fakes.api_server import Listener

    serve_all(api)
    with Listener() as other:  # the same machine, named another way: another host
        link = f'<http://localhost:{other.port}{STATUSES_PATH}?max_id=1>; rel="next"'
        api.add(STATUSES_PATH, Reply(PAGES[0], headers={"Link": link}))
        with pytest.raises(FetchError) as e:
            gather(parse(spec(api)), opts(tmp_path))
    assert e.value.message == (
        f"@wren@{api.url.split('//')[1]}: its next page is on another host "
        f"(localhost:{other.port}): refused"
    )
    assert other.connections == [] and len(api.hits(STATUSES_PATH)) == 1


def test_html_becomes_the_text_a_reader_sees(api, tmp_path):
    serve_all(api)
    texts = [p.text for p in gather(parse(spec(api)), opts(tmp_path)).posts]
    assert texts[0] == "Tea & biscuits with Charles. The engine <still> won't run."
    assert texts[1] == "First paragraph.\n\nSecond line one\nsecond line two"
    # A long link: its whole address (Mastodon shows 30 characters of it), which cleaning removes.
    assert texts[3] == "Read this: https://example.org/articles/2024/analytical-engine-notes"
    assert texts[4] == "@charles the cards are punched!"
    assert texts[5] == "Loving #math today"


def test_boosts_and_self_boosts_count_as_retweets(api, tmp_path):
    serve_all(api)
    posts = gather(parse(spec(api)), opts(tmp_path)).posts
    boosts = [p for p in posts if p.is_repost]
    assert [p.text for p in boosts] == [
        "The engine is finished! Well, the drawings are.",
        "Numbers are the poetry of the universe.",
    ]
    # The self-boosted status also counts once as an original post.
    originals = [p.text for p in posts if not p.is_repost]
    assert originals.count("Numbers are the poetry of the universe.") == 1


def test_display_name_is_used_when_set(api, tmp_path):
    serve_all(api, {**ACCOUNT, "display_name": "Wren Calloway"})
    assert gather(parse(spec(api)), opts(tmp_path)).profile.name == "Wren Calloway"


def test_rerun_reads_cache_and_refresh_refetches(api, tmp_path):
    serve_all(api)
    first = gather(parse(spec(api)), opts(tmp_path))
    api.requests.clear()
    assert gather(parse(spec(api)), opts(tmp_path)) == first
    assert api.requests == []
    gather(parse(spec(api)), opts(tmp_path, refresh=True))
    assert len(api.hits(STATUSES_PATH)) == 4


def test_429_waits_until_the_iso_reset_time(api, tmp_path, sleeps):
    reset = (datetime.now(timezone.utc) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    limited = Reply(ERRORS["rate_limit_429"], 429, {"X-RateLimit-Reset": reset})
    api.add(LOOKUP_PATH, limited, Reply(ACCOUNT))
    api.route(STATUSES_PATH, statuses)
    assert len(gather(parse(spec(api)), opts(tmp_path)).posts) == 9
    assert 25 <= sum(sleeps) <= 32


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(ERRORS["not_found_404"], 404), "no such Mastodon account"),
        (Reply(ERRORS["auth_required_401"], 401), "requires login"),
        (Reply(ERRORS["suspended_410"], 410), "suspended"),
        (Reply({**ACCOUNT, "suspended": True}), "suspended"),
        (Reply("<html><body>Welcome to my blog</body></html>"), "not a Mastodon server"),
        (Reply({"hello": "world"}), "not a Mastodon server"),
    ],
)
def test_lookup_errors_are_one_clean_line(api, tmp_path, reply, message):
    api.add(LOOKUP_PATH, reply)
    with pytest.raises(FetchError) as e:
        gather(parse(spec(api)), opts(tmp_path))
    assert message in e.value.message
    assert "\n" not in e.value.message


def test_statuses_hidden_from_visitors(api, tmp_path):
    api.add(LOOKUP_PATH, Reply(ACCOUNT))
    api.add(STATUSES_PATH, Reply(ERRORS["auth_required_401"], 401))
    with pytest.raises(FetchError, match="requires login"):
        gather(parse(spec(api)), opts(tmp_path))


def test_a_host_without_the_api(api, tmp_path):
    # No routes at all: every path is an HTML 404 page.
    with pytest.raises(FetchError, match="not a Mastodon server"):
        gather(parse(spec(api)), opts(tmp_path))


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>a &amp;lt; b</p>", "a &lt; b"),  # unescaped once, as typed
        ("<p>one</p><p>two</p><p>three</p>", "one\n\ntwo\n\nthree"),
        ("<p>x<br>y<br/>z</p>", "x\ny\nz"),
        (
            '<p><span class="invisible">https://</span><span class="ellipsis">a.b/c</span></p>',
            "a.b/c",
        ),
        ("<p>caf&eacute; &#x1F600; &quot;q&quot;</p>", 'café 😀 "q"'),
    ],
)
def test_html_to_text(content, text):
    assert html_to_text(content) == text


# Status HTML as Mastodon renders it (app/lib/text_formatter.rb: link_to_url, link_to_hashtag,
# link_to_mention, simple_format; 4.x adds translate="no" to the h-card).
LINK = (
    '<a href="https://www.example.com/a/very/long/path/that/goes/on?q=1&amp;r=2" target="_blank" '
    'rel="nofollow noopener noreferrer"><span class="invisible">https://www.</span>'
    '<span class="ellipsis">example.com/a/very/long/path/t</span><span class="invisible">'
    "hat/goes/on?q=1&amp;r=2</span></a>"
)
SHORT_LINK = (
    '<a href="https://ex.am/ple" target="_blank" rel="nofollow noopener noreferrer">'
    '<span class="invisible">https://</span><span class="">ex.am/ple</span>'
    '<span class="invisible"></span></a>'
)
TAG = '<a href="https://mastodon.social/tags/Fedora" class="mention hashtag" rel="tag">#<span>Fedora</span></a>'
MENTION = (
    '<span class="h-card" translate="no"><a href="https://fosstodon.org/@frameworkcomputer" '
    'class="u-url mention">@<span>frameworkcomputer</span></a></span>'
)
RENDERED = [
    (
        f"<p>Notes on the engine: {LINK} and {SHORT_LINK}, more soon</p>",
        "Notes on the engine: https://www.example.com/a/very/long/path/that/goes/on?q=1&r=2 and "
        "https://ex.am/ple, more soon",
        "Notes on the engine: and more soon",
    ),
    (
        f"<p>Trying {TAG} 40 with {MENTION}, thanks!</p><p>Tea &amp; cake &lt;3<br />{LINK}</p>",
        "Trying #Fedora 40 with @frameworkcomputer, thanks!\n\nTea & cake <3\n"
        "https://www.example.com/a/very/long/path/that/goes/on?q=1&r=2",
        "Trying #Fedora 40 with @frameworkcomputer, thanks! Tea & cake <3",
    ),
    (  # a typed "&lt;" is served as "&amp;lt;": it stays "&lt;", in the text and once cleaned
        "<p>In HTML, &amp;lt; is how you write a &lt; sign</p>",
        "In HTML, &lt; is how you write a < sign",
        "In HTML, &lt; is how you write a < sign",
    ),
    (  # a quote post: the RE: line the server adds is not the author's
        '<p class="quote-inline">RE: <a href="https://mastodon.social/@wren/1130">'
        '<span class="invisible">https://</span><span class="">mastodon.social/@wren/1130'
        '</span><span class="invisible"></span></a></p><p>So true, and still true today.</p>',
        "So true, and still true today.",
        "So true, and still true today.",
    ),
    (  # another server's Markdown link: its words are what was written
        '<p>See <a href="https://example.org/notes">my notes</a> on it</p>',
        "See my notes on it",
        "See my notes on it",
    ),
]


@pytest.mark.parametrize(("content", "text", "cleaned"), RENDERED)
def test_rendered_status_html_reads_as_typed_and_cleans_without_link_fragments(
    content, text, cleaned
):
    got = html_to_text(content)
    assert got == text
    kept = clean_text(got, escaped=False)
    assert kept == cleaned
    for fragment in ("example.com", "ex.am", "www.", "/path", "mastodon.social/@"):
        assert fragment not in kept


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_escaped_text_round_trips(s):
    assert html_to_text(f"<p>{html.escape(s)}</p>") == s.strip()


# --- hostile markup: read in time linear in its length, as html.parser would read it -------------

MIB = 1 << 20


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<b>" * (MIB // 7) + "</i>" * (MIB // 7), ""),  # deep nesting, stray end tags
        ("<b>" * (MIB // 7) + "x" + "</b>" * (MIB // 7), "x"),
        ("<!--" * (MIB // 4), "<!--" * (MIB // 4)),  # never closed: text, as html.parser has it
        ("<!-- a -->" * (MIB // 10) + "b", "b"),
        ('<a href="' * (MIB // 9), '<a href="' * (MIB // 9)),
        ("&amp;" * (MIB // 5), "&" * (MIB // 5)),
        ("&#" + "9" * MIB + ";", "\ufffd"),  # a number html.unescape cannot convert
        ("<" * MIB, "<" * MIB),
        ("<p>x</p>" * (MIB // 8), "\n\n".join(["x"] * (MIB // 8))),
    ],
    ids=[
        "nested",
        "nested-closed",
        "open-comments",
        "comments",
        "open-quotes",
        "entities",
        "huge-number",
        "lt",
        "paragraphs",
    ],  # fmt: skip
)
def test_a_megabyte_of_hostile_markup_reads_in_one_pass(content, text):
    assert html_to_text(content) == text


def _html_parser_text(content: str) -> str:
    """What Python's own html.parser makes of `content`, through the same rules."""
    from html.parser import HTMLParser

    from publisher.sources import mastodon_html

    rules = mastodon_html._StatusText()

    class Oracle(HTMLParser):
        def handle_starttag(self, tag, attrs):
            rules.handle_starttag(tag, dict(attrs))

        def handle_startendtag(self, tag, attrs):
            if rules.handle_starttag(tag, dict(attrs)):
                rules.handle_endtag(tag)

        def handle_endtag(self, tag):
            rules.handle_endtag(tag)

        def handle_data(self, data):
            rules.handle_data(data)

    oracle = Oracle(convert_charrefs=True)
    oracle.feed(content)
    oracle.close()
    rules.close()
    return "".join(rules.parts).strip()


PIECES = [LINK, SHORT_LINK, TAG, MENTION, "<br />", "<br>", "</p><p>", "&amp;", "&lt;3", "&quot;",
          "&#39;", "caf&eacute;", "<em>x</em>", "<strong>y</strong>", "<ul><li>a</li><li>b</li></ul>",
          "<!-- note -->", '<span class="invisible">z</span>', "word", " ", "Привет", "😀",
          '<a href="https://e.org/n">my notes</a>', "<code>a &gt; b</code>", "<pre>x\n y</pre>",
          "<blockquote><p>q</p></blockquote>", "<h1>T</h1>", "a < b", "a > b"]  # fmt: skip


@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_status_html_reads_as_python_html_parser_reads_it(pieces):
    content = "<p>" + "".join(pieces) + "</p>"
    assert html_to_text(content) == _html_parser_text(content)


def test_a_live_status_over_the_html_cap_is_counted_unparsed(monkeypatch):
    from publisher.sources import limits, mastodon

    monkeypatch.setattr(limits, "MAX_HTML_CHARS", 100)
    page = [
        {"id": "1", "content": "<p>" + "<b>" * 40 + "</p>"},
        {"id": "2", "content": "<p>ok</p>"},
    ]
    skipped: dict[str, int] = {}
    assert [p.text for p in mastodon._posts([page], skipped)] == ["ok"]
    assert skipped == {"too_long": 1}
