"""huggingtweets cleaning rules and counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.clean import (
    MIN_CHARS,
    WARN_CHARS,
    Counts,
    Skipped,
    check_enough,
    clean,
    clean_text,
    describe_skipped,
    is_short,
    joined_length,
    scrub,
)
from publisher.clean import warnings as clean_warnings
from publisher.errors import NotEnoughPostsError
from publisher.sources import Gathered, Post, Profile, gather
from publisher.sources.spec import parse


def run(*texts: str, reposts: tuple[int, ...] = ()) -> tuple[list[str], Counts]:
    posts = [Post(text=t, is_repost=i in reposts) for i, t in enumerate(texts)]
    c = clean(Gathered(Profile("ada", "Ada", "file"), posts))
    return c.texts, c.counts


def test_rt_prefix_is_a_retweet_even_when_not_marked():
    texts, counts = run("RT @bob: a very good point about engines", "a post of my own words")
    assert texts == ["a post of my own words"]
    assert counts == Counts(tweets_downloaded=2, retweets=1, short_tweets=0, tweets_kept=1)


def test_source_marked_repost_is_a_retweet():
    texts, counts = run("a long enough reposted text here", "and one of mine too", reposts=(0,))
    assert texts == ["and one of mine too"]
    assert counts.retweets == 1


def test_rt_without_mention_is_not_a_retweet():
    texts, _ = run("RT is what I call my radio tuner")
    assert texts == ["RT is what I call my radio tuner"]


def test_html_entities_are_unescaped_in_order():
    assert clean_text("fish &amp; chips &lt;3 &gt; all") == "fish & chips <3 > all"
    # huggingtweets replaces &amp; first, so an escaped entity unescapes twice
    assert clean_text("a &amp;lt; b") == "a < b"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("look at this https://t.co/abc please now", "look at this please now"),
        ("https://t.co/abc starts the post", "starts the post"),
        ("ends with a link http://t.co/abc", "ends with a link"),
        ("line one\nhttps://t.co/abc\nline two", "line one line two"),
        ("two links https://a.co/1 https://b.co/2 gone", "two links gone"),
        # huggingtweets' regexes also eat the space after a glued URL
        ("see:https://t.co/x more words", "see:more words"),
        ("https: alone stays", "https: alone stays"),
    ],
)
def test_urls_are_removed(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_whitespace_and_newlines_fold_to_single_spaces():
    assert clean_text("  one\n\ntwo\t three  \r\n four ") == "one two three four"


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("hello there world", False),
        ("hello world", True),
        ("@bob @carol #tea thanks so much", False),
        ("@bob #tea thanks so", True),
        ("@bob lol", True),
        ("🌊🌊🌊", True),
        ("", True),
        ("me@example.com or #this ok", True),
        ("HTTP/2 is fast", True),  # huggingtweets lowers each word before the test
        ("fast and clever", False),
    ],
)
def test_short_posts(text, short):
    assert is_short(text) is short


def test_posts_in_scripts_without_spaces_count_each_character():
    assert not is_short("今天早上又下雨了。") and not is_short("きょうはあめ")
    assert is_short("好吃") and is_short("Ünïcode café")


def test_short_test_runs_after_cleaning():
    # Three words plus a link: the link is gone before the test, three words remain.
    texts, counts = run("three good words https://t.co/x", "two words https://t.co/y")
    assert texts == ["three good words"]
    assert counts.short_tweets == 1


def test_link_only_and_emoji_only_posts_are_short():
    texts, counts = run("https://t.co/abc", "😂😂", "#fine", "ok")
    assert texts == []
    assert counts == Counts(4, 0, 4, 0)


def test_replies_are_kept_with_their_mention():
    texts, counts = run("@marisol_tides see you on the ferry tomorrow")
    assert texts == ["@marisol_tides see you on the ferry tomorrow"]
    assert counts.tweets_kept == 1


# --- huggingtweets-demo.ipynb as an oracle -------------------------------------------------
# A direct transcription of the notebook's fix_text / clean_tweet / boring_tweet with the
# retweet filter of its tweet service, used to check our fast version against it.


def _oracle(texts: list[str]) -> tuple[list[str], Counts]:
    kept, rts, short = [], 0, 0
    for t in texts:
        if t.startswith("RT @"):
            rts += 1
            continue
        t = t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        for w in ("http:", "https:"):
            t = re.sub(f" {w}\\S+", "", t)
            t = re.sub(f"{w}\\S+ ", "", t)
            t = re.sub(f"\n{w}\\S+ ", "", t)
            t = re.sub(f"\n{w}\\S+", "", t)
            t = re.sub(f"{w}\\S+", "", t)
        t = re.sub(" +", " ", t)
        t = " ".join(t.split()).strip()
        good = [w for w in t.split() if all(b not in w.lower() for b in ("http", "@", "#"))]
        if len(good) < 3:
            short += 1
        else:
            kept.append(t)
    return kept, Counts(len(texts), rts, short, len(kept))


_PIECES = st.sampled_from(
    ["RT @", "@bob", "#tea", "&amp;", "&lt;", "&gt;", "http://t.co/a", "https://x.y/z?q=1",
     "https:", "HTTP", " ", "  ", "\n", "\t", ":", "word", "Ünïcode", "🌊", "a", "bread", "x&y"]
)  # fmt: skip
_TEXTS = st.lists(st.lists(_PIECES, max_size=14).map("".join), max_size=25)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_counts_add_up_and_match_huggingtweets(texts):
    kept, counts = run(*texts)
    assert counts.tweets_downloaded == counts.retweets + counts.short_tweets + counts.tweets_kept
    want, want_counts = _oracle(texts)
    # huggingtweets' counts exactly; each kept text once, in the order it first appears.
    assert counts == want_counts
    assert kept == list(dict.fromkeys(want))


@settings(max_examples=100, deadline=None)
@given(_TEXTS, st.sets(st.integers(0, 24)))
def test_counts_add_up_with_source_reposts(texts, reposts):
    kept, counts = run(*texts, reposts=tuple(reposts))
    assert counts.tweets_downloaded == len(texts)
    assert counts.tweets_downloaded == counts.retweets + counts.short_tweets + counts.tweets_kept
    assert all(k == clean_text(k) for k in kept)


def test_sample_archive_matches_huggingtweets():
    g = gather(
        parse(str(Path(__file__).resolve().parent.parent / "examples/wrencalloway_archive.zip"))
    )
    kept, counts = run(*(p.text for p in g.posts))
    assert (kept, counts) == _oracle([p.text for p in g.posts])


# --- check_enough ---------------------------------------------------------------------------


def _texts(total: int, eos: str = "<|endoftext|>") -> list[str]:
    """Posts of 100 chars (the last one shorter) whose EOS-joined length is exactly `total`."""
    n = total // (100 + len(eos)) + 1
    texts = ["x" * 100] * (n - 1)
    texts.append("x" * (total - joined_length(texts + [""], eos)))
    assert len(eos.join(texts)) == total
    return texts


def test_joined_length_is_the_joined_string_length():
    texts = ["ab", "", "cde"]
    assert joined_length(texts, "<|im_end|>") == len("<|im_end|>".join(texts))
    assert joined_length([], "<eos>") == 0


def test_too_little_text_is_an_error_naming_the_user():
    texts = _texts(MIN_CHARS - 1)
    with pytest.raises(NotEnoughPostsError) as e:
        check_enough("wren", texts, "<|endoftext|>")
    assert "@wren" in e.value.message
    assert f"{MIN_CHARS - 1:,} characters" in e.value.message
    assert "6,000" in e.value.message
    assert e.value.hint


def test_little_text_is_a_warning():
    warning = check_enough("wren", _texts(MIN_CHARS), "<|endoftext|>")
    assert warning and "@wren" in warning and f"{MIN_CHARS:,}" in warning
    assert check_enough("wren", _texts(WARN_CHARS - 1), "<|endoftext|>")


def test_enough_text_is_fine():
    assert check_enough("wren", _texts(WARN_CHARS), "<|endoftext|>") is None


def test_eos_token_length_counts():
    texts = ["y" * 50] * 100  # 5,000 chars of posts alone
    with pytest.raises(NotEnoughPostsError):
        check_enough("wren", texts, "")
    assert check_enough("wren", texts, "<|endoftext|>")  # + 99 * 13 chars


# --- counted, not silent ---------------------------------------------------------------------


def _cleaned(texts: list[str], skipped: dict[str, int] | None = None):
    g = Gathered(Profile("ada", "Ada", "file"), [Post(text=t) for t in texts], skipped or {})
    return clean(g)


def test_a_post_over_the_cap_is_skipped_and_counted_apart():
    c = _cleaned(["a perfectly normal post", "w " * 60_000, "another normal post here"])
    assert c.texts == ["a perfectly normal post", "another normal post here"]
    assert c.skipped == Skipped(too_long=1)
    assert c.counts == Counts(2, 0, 0, 2)  # huggingtweets' counts are of what was read as posts


def test_lone_surrogates_are_skipped_and_counted():
    c = _cleaned(["broken \ud83d text from a bad export", "a fine post with 🌊 in it"])
    assert c.texts == ["a fine post with 🌊 in it"]
    assert c.skipped.unencodable == 1
    assert scrub("Ada \udfff Lovelace") == "Ada \ufffd Lovelace"


def test_duplicates_are_kept_once_and_counted_next_to_huggingtweets_counts():
    texts = ["the same post again", "RT @bob: hi there you", "the same  post again", "too short"]
    texts += ["a different post entirely", "the same post again"]
    c = _cleaned(texts, {"malformed": 2})
    assert c.texts == ["the same post again", "a different post entirely"]
    assert c.counts == Counts(6, 1, 1, 4)  # kept counts the copies, as huggingtweets did
    assert c.skipped == Skipped(malformed=2, duplicate=2)
    assert c.dominant is None  # 3 copies: fewer than DOMINANT_MIN
    line = describe_skipped(c.skipped)
    assert line == "not trained on: 2 malformed, 2 duplicates of a kept post"


def test_a_dominating_post_gets_a_warning():
    texts = [f"post number {i} about the tide" for i in range(300)]
    c = _cleaned(texts + ["happy new year to all of you"] * 50_000)
    assert c.texts[-1] == "happy new year to all of you" and len(c.texts) == 301
    assert c.skipped.duplicate == 49_999
    assert c.dominant == ("happy new year to all of you", 50_000)
    warned = clean_warnings("ada", c, "<|endoftext|>")
    assert any("99% of the kept posts" in w and "50,000 copies" in w for w in warned)
    twice = clean_warnings("ada", _cleaned(texts * 2), "")  # 2 copies of each: no warning
    assert not any("copies" in w for w in twice)


def test_control_characters_no_one_types_never_reach_the_training_text():
    assert clean_text("tide\x00 is\x1b[31m in\x7f\ttonight\x1f") == "tide is[31m in tonight"
    assert clean_text("Мы у моря 🌊\x00") == "Мы у моря 🌊"
