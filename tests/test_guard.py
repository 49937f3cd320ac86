"""The copy guard (space/guard.py): its file holds no text, and it catches copies as users see them."""

from __future__ import annotations

import hashlib
import secrets

import numpy as np
import pytest
from conftest import TINY_CORPUS

from publisher import dataset
from publisher.quality import guard as build
from publisher.quality.span import span_for
from publisher.space import guard, utf8

POSTS = sorted(set(TINY_CORPUS))


@pytest.fixture(scope="module")
def tok(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="module")
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture(scope="module")
def span(tok) -> guard.Span:
    return span_for(tok)


@pytest.fixture(scope="module")
def data(tok, key, span) -> bytes:
    return guard.pack(*build.hashes(POSTS, tok, key, span), key, span)


@pytest.fixture(scope="module")
def cg(tmp_path_factory, data, key) -> guard.CopyGuard:
    path = tmp_path_factory.mktemp("guard") / guard.GUARD_FILE
    path.write_bytes(data)
    return guard.CopyGuard.read(path, key)


def test_a_copy_is_caught_and_an_original_is_not(cg, tok, span):
    post = POSTS[0]
    assert cg.copies(tok, post)
    assert cg.copies(
        tok, "Well. " + post + " Anyway."
    )  # mid-sentence: the first span after a space
    assert not cg.copies(tok, "Gulls and ferries and a kettle that sings at dawn, every day.")
    # One token short of a span is not a copy; a span is.
    ids = tok.encode(post)
    end = int(span.windows(guard.token_chars(tok, ids))[0, 1])
    assert end >= guard.SPAN and cg.span == span
    assert not cg.copies(tok, tok.decode(ids[: end - 1]))
    assert cg.copies(tok, tok.decode(ids[:end]))


def test_the_users_own_prompt_is_not_a_copy(cg, tok):
    post = POSTS[1]
    assert not cg.copies(tok, post, prompt=post)  # the user typed it: not the bot's copy
    assert cg.copies(tok, post + " " + POSTS[2], prompt=post)


def test_a_copy_is_cut_short_before_its_tenth_token(cg, tok):
    post = POSTS[3]
    cut = cg.cut(tok, "Oh! " + post)
    assert cut.endswith("…") and not cg.copies(tok, cut)
    assert cut.startswith("Oh!")


def test_the_file_holds_no_text_and_no_token_ids(data, tok):
    for post in POSTS:
        for words in zip(*(post.split()[i:] for i in range(3)), strict=False):
            assert " ".join(words).encode() not in data
        assert post.encode("utf-16-le")[:24] not in data
        ids = tok.encode(post)
        for width in ("<u2", "<u4", "<u8"):  # any integer width a reader might try
            for i in range(len(ids) - 2):
                assert np.asarray(ids[i : i + 3], dtype=width).tobytes() not in data


def test_without_the_key_not_even_the_true_posts_can_be_matched(data, tok, key, span):
    """A dictionary attack with the exact posts (the strongest dictionary) finds nothing.

    The attacker has the file, the tokenizer and every training post word for word, and
    hashes each span as the guard does but without the key (plain BLAKE2b, xxHash, or a
    guessed key). With the key every span is found: the test is not vacuous.
    """
    import xxhash

    _, table = guard.unpack(data)
    stored = set(table.tolist())
    spans = [
        np.asarray(ids[i:j], dtype="<u4").tobytes()
        for ids in dataset.encode(tok, POSTS)
        for i, j in span.windows(guard.token_chars(tok, ids)).tolist()
    ]
    assert len(spans) > 50

    def unkeyed(b: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(b, digest_size=8, person=b"span").digest(), "little")

    attacks = [
        unkeyed,
        lambda b: xxhash.xxh64_intdigest(b),
        lambda b: xxhash.xxh3_64_intdigest(b),
        lambda b: keyed(b, secrets.token_bytes(32)),
    ]
    for attack in attacks:
        assert not stored & {attack(s) for s in spans}
    assert {keyed(s, key) for s in spans} <= stored


def keyed(b: bytes, key: bytes) -> int:
    """The guard's hash of a whole span given as its ids' bytes."""
    ids = np.frombuffer(b, "<u4").tolist()
    return guard.span_hashes(ids, key, np.array([[0, len(ids)]]))[0]


def test_a_wrong_key_or_a_damaged_file_is_refused(tmp_path, data, key):
    path = tmp_path / guard.GUARD_FILE
    path.write_bytes(data)
    with pytest.raises(guard.GuardError, match="key does not match"):
        guard.CopyGuard.read(path, secrets.token_bytes(32))
    path.write_bytes(data[:-3])
    with pytest.raises(guard.GuardError, match="size"):
        guard.CopyGuard.read(path, key)
    path.write_bytes(b"<html>not a guard</html>")
    with pytest.raises(guard.GuardError, match="not a copy guard"):
        guard.CopyGuard.read(path, key)


def test_load_guard_says_why_it_is_off(tmp_path, tiny_model, monkeypatch, data, key):
    import shutil

    monkeypatch.delenv(guard.KEY_ENV, raising=False)
    repo = tmp_path / "bot" / "repo"
    shutil.copytree(tiny_model, repo)
    assert guard.load_guard(str(repo))[1].startswith("unavailable: the model has no")
    (repo / guard.GUARD_FILE).write_bytes(data)
    assert "no guard key" in guard.load_guard(str(repo))[1]
    monkeypatch.setenv(guard.KEY_ENV, key.hex())
    found, status = guard.load_guard(str(repo))
    assert status == "on" and found is not None
    assert guard.load_guard(str(repo), allow_copies=True)[0] is None
    monkeypatch.delenv(guard.KEY_ENV)
    (tmp_path / "bot" / guard.KEY_FILE).write_text(key.hex() + "\n")  # the bot folder's key
    assert guard.load_guard(str(repo))[1] == "on"


def test_a_span_is_as_long_in_text_whatever_the_script():
    """10 tokens of Ukrainian on SmolLM2 are two words: a span needs as many characters as 10
    tokens of English, so it covers about the same text in both scripts."""
    from publisher import base_models
    from publisher.quality.measures import CopyCheck
    from testkit.posts import UKRAINIAN

    tok = base_models.load_tokenizer("smollm2")
    span = span_for(tok)
    assert span == guard.Span(10, 45)
    english = "Three meetings before lunch today, and then the printer broke again as always."
    for post in (english, UKRAINIAN[0]):
        ids = tok.encode(post)
        start, end = span.windows(guard.token_chars(tok, ids))[0].tolist()
        covered = len(tok.decode(ids[start:end]))
        assert 45 <= covered <= 60, (post, covered)
    ukrainian_ids = tok.encode(UKRAINIAN[0])
    two_words = tok.decode(ukrainian_ids[:10])
    assert len(two_words.split()) <= 3
    check = CopyCheck(UKRAINIAN, tok)
    assert check.copied([two_words + " і все.", UKRAINIAN[0] + " Так!"]) == [False, True]


def test_guard_files_are_versioned_and_the_first_format_is_still_read(tmp_path, tok, key):
    import json
    import struct

    spans, posts = build.hashes(POSTS, tok, key, guard.Span())  # 10-token spans: format 1
    header = {"format": 1, "span_tokens": 10, "hash": "blake2b-64, keyed", "spans": len(set(spans.tolist())),
              "short_posts": len(set(posts.tolist())), "key_check": guard.key_check(key)}  # fmt: skip
    head = json.dumps(header, sort_keys=True).encode()
    old = b"".join([b"HFTBGRD1", struct.pack("<I", len(head)), head,
                    np.unique(spans).astype("<u8").tobytes(), np.unique(posts).astype("<u8").tobytes()])  # fmt: skip
    path = tmp_path / guard.GUARD_FILE
    path.write_bytes(old)
    cg = guard.CopyGuard.read(path, key)
    assert cg.span == guard.Span(10, 0) and cg.copies(tok, POSTS[0])
    new = guard.pack(spans, posts, key, guard.Span(10, 15))
    assert guard.unpack(new)[0]["format"] == 2 and guard.unpack(new)[0]["span_chars"] == 15
    newer = new.replace(b'"format": 2', b'"format": 3')
    path.write_bytes(newer)
    with pytest.raises(guard.GuardError, match="format 3 is newer"):
        guard.CopyGuard.read(path, key)


def test_a_cut_copy_never_ends_in_half_a_character(tiny_model, tmp_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    key = b"k" * 32
    # Each emoji is several byte tokens here; spans of 10 tokens (a guard of format 1) end
    # inside one, and a cut one token short of the span would end inside it too.
    post = "😀😀😀😀😀😀 und danach Kaffee"
    span = guard.Span(10, 0)
    assert not utf8.Utf8Table.of(tok).complete(tok.encode(post)[:9]), "the test could pass blindly"
    (tmp_path / guard.GUARD_FILE).write_bytes(guard.pack(*build.hashes([post], tok, key, span), key, span))  # fmt: skip
    cg = guard.CopyGuard.read(tmp_path / guard.GUARD_FILE, key)
    assert cg.copies(tok, post)
    cut = cg.cut(tok, post)
    assert cut.endswith("…") and "\ufffd" not in cut and not cg.copies(tok, cut)
