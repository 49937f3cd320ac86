"""The copy guard (space/guard.py): its file holds no text, and it catches copies as users see them."""

from __future__ import annotations

import hashlib
import secrets

import numpy as np
import pytest
from conftest import TINY_CORPUS

from publisher import dataset
from publisher.quality import guard as build
from publisher.space import guard

POSTS = sorted(set(TINY_CORPUS))


@pytest.fixture(scope="module")
def tok(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="module")
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture(scope="module")
def data(tok, key) -> bytes:
    return guard.pack(*build.hashes(POSTS, tok, key), key)


@pytest.fixture(scope="module")
def cg(tmp_path_factory, data, key) -> guard.CopyGuard:
    path = tmp_path_factory.mktemp("guard") / guard.GUARD_FILE
    path.write_bytes(data)
    return guard.CopyGuard.read(path, key)


def test_a_copy_is_caught_and_an_original_is_not(cg, tok):
    post = POSTS[0]
    assert cg.copies(tok, post)
    assert cg.copies(
        tok, "Well. " + post + " Anyway."
    )  # mid-sentence: the first span after a space
    assert not cg.copies(tok, "Gulls and ferries and a kettle that sings at dawn, every day.")
    # Nine tokens of a post are not a copy; ten are.
    ids = tok.encode(post)
    assert not cg.copies(tok, tok.decode(ids[: guard.SPAN - 1]))
    assert cg.copies(tok, tok.decode(ids[: guard.SPAN]))


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


def test_without_the_key_not_even_the_true_posts_can_be_matched(data, tok, key):
    """A dictionary attack with the exact posts (the strongest dictionary) finds nothing.

    The attacker has the file, the tokenizer and every training post word for word, and
    hashes each 10-token span as the guard does but without the key (plain BLAKE2b, xxHash,
    or a guessed key). With the key every span is found: the test is not vacuous.
    """
    import xxhash

    _, table = guard.unpack(data)
    stored = set(table.tolist())
    spans = [
        np.asarray(ids[i : i + guard.SPAN], dtype="<u4").tobytes()
        for ids in dataset.encode(tok, POSTS)
        for i in range(len(ids) - guard.SPAN + 1)
    ]
    assert len(spans) > 50

    def unkeyed(b: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(b, digest_size=8, person=b"span").digest(), "little")

    attacks = [
        unkeyed,
        lambda b: xxhash.xxh64_intdigest(b),
        lambda b: xxhash.xxh3_64_intdigest(b),
        lambda b: guard.span_hashes(np.frombuffer(b, "<u4").tolist(), secrets.token_bytes(32))[0],
    ]
    for attack in attacks:
        assert not stored & {attack(s) for s in spans}
    with_key = {guard.span_hashes(np.frombuffer(s, "<u4").tolist(), key)[0] for s in spans}
    assert with_key <= stored


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
