from __future__ import annotations

import pytest

from publisher import base_models, dataset
from publisher.bot import layout
from publisher.bot.posts import read_texts


@pytest.fixture(scope="module")
def tok(tiny_model):
    return base_models.load_tokenizer(str(tiny_model))


def posts(prefix: str, n: int) -> list[str]:
    return [f"{prefix} post number {i} about the engine" for i in range(n)]


def test_split_holds_out_a_seeded_fraction_per_user():
    texts = {"ada": posts("ada", 50), "bob": posts("bob", 10)}
    train, val = dataset.split_posts(texts, 0.1, seed=1)
    assert [len(val["ada"]), len(val["bob"])] == [5, 1]
    for h in texts:
        assert sorted(train[h] + val[h]) == sorted(texts[h])
        assert not set(train[h]) & set(val[h])
    assert dataset.split_posts(texts, 0.1, seed=1) == (train, val)
    assert dataset.split_posts(texts, 0.1, seed=2)[1] != val


def test_a_post_shared_by_two_users_is_never_on_both_sides():
    shared = posts("both", 20)  # e.g. the same greeting posted by both accounts
    texts = {"ada": posts("ada", 30) + shared, "bob": posts("bob", 30) + shared}
    for seed in range(20):
        train, val = dataset.split_posts(texts, 0.2, seed=seed)
        trained = {t for h in train for t in train[h]}
        assert not trained & {t for h in val for t in val[h]}
        for h in texts:
            assert sorted(train[h] + val[h]) == sorted(texts[h])  # nothing lost


def test_balance_oversamples_smaller_users_up_to_the_largest():
    out = dataset.balance({"ada": posts("ada", 10), "bob": posts("bob", 3)}, seed=0)
    assert sum(t.startswith("ada") for t in out) == 10
    assert sum(t.startswith("bob") for t in out) == 10
    assert set(posts("bob", 3)) <= set(out)


def test_pack_wraps_every_post_in_eos_and_keeps_every_token(tok):
    texts = posts("ada", 30)
    blocks = dataset.pack(texts, tok, block_size=64)["input_ids"]
    assert all(len(b) <= 64 for b in blocks) and len(blocks[-1]) < 64
    flat = [int(t) for b in blocks for t in b]
    # EOS post EOS post ... EOS: blocks overlap by nothing and drop nothing.
    assert flat[0] == tok.eos_token_id and flat[-1] == tok.eos_token_id
    assert flat.count(tok.eos_token_id) == len(texts) + 1
    assert tok.decode(flat).split(tok.eos_token)[1:-1] == texts


def test_validation_posts_never_reach_training(tok):
    texts = {"ada": posts("ada", 40), "bob": posts("bob", 8)}
    train, val = dataset.split_posts(texts, 0.2, seed=3)
    dd = dataset.build_datasets(train, val, tok, dataset.DataConfig(block_size=32))
    train_text = tok.decode([t for b in dd["train"]["input_ids"] for t in b])
    for post in val["ada"] + val["bob"]:
        assert f"{tok.eos_token}{post}{tok.eos_token}" not in train_text
    assert len(dd["validation"]) >= 1


def test_block_size_is_capped_by_the_model(tok):
    assert dataset.effective_block_size(tok, 1024, 256) == 256
    assert dataset.effective_block_size(tok, 128, 256) == 128


def test_save_and_reload_round_trip(tmp_path, tok):
    texts = {"ada": posts("ada", 20)}
    train, val = dataset.split_posts(texts, 0.1, seed=0)
    cfg = dataset.DataConfig(block_size=32)
    dd = dataset.build_datasets(train, val, tok, cfg)
    info = dataset.save(layout.data_dir(tmp_path), dd, train, val, cfg, "tiny")
    assert info["train_blocks"] == len(dd["train"]) and info["tokenizer"] == "tiny"
    assert read_texts(tmp_path) == (train, val)
    loaded = dataset.load_tokenized(layout.data_dir(tmp_path))
    assert loaded["train"]["input_ids"] == dd["train"]["input_ids"]


@pytest.mark.parametrize("length", [0, 1, 2, 7, 8, 9, 16, 17])
def test_the_arrow_blocks_are_the_packed_blocks(length):
    import numpy as np

    stream = np.arange(length, dtype=np.int32)
    ds = dataset._blocks_dataset(stream, 8)
    want = [stream[i : i + 8].tolist() for i in dataset._block_starts(stream, 8)]
    assert ds["input_ids"] == want
    # Every token is in exactly one block, but a last lone one (nothing to predict from it).
    assert sum(len(b) for b in want) == (length - (length % 8 == 1))
