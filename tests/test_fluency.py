"""Fluency (publisher/quality/fluency.py): the base model's reading of the bot's posts and the person's."""

from __future__ import annotations

import pytest

from publisher.quality import fluency
from publisher.space.load import load_bot


@pytest.fixture(scope="module")
def reader(tiny_model):
    return load_bot(str(tiny_model), device="cpu")


def test_posts_read_in_batches_of_like_length_keep_their_order(reader):
    model, tok = reader
    posts = ["a much longer post about the tide and the harbour and the fog", "hi", "",
             "@ana see you tomorrow at the pier", "ok then"]  # fmt: skip
    together = fluency.post_perplexities(model, tok, posts)
    alone = [fluency.post_perplexities(model, tok, [p]) for p in posts if p.strip()]
    assert len(together) == 4, "an empty post is not read"
    assert together == pytest.approx([a[0] for a in alone], rel=1e-3)


def test_at_most_posts_are_read_each_cut_to_max_tokens(reader, monkeypatch):
    model, tok = reader
    monkeypatch.setattr(fluency, "POSTS", 3)
    assert len(fluency.post_perplexities(model, tok, [f"post {i}" for i in range(10)])) == 3
    long = "word " * 500
    cut = " ".join(tok.decode(tok(long)["input_ids"][: fluency.MAX_TOKENS]).split())
    assert fluency.post_perplexities(model, tok, [long]) == pytest.approx(
        fluency.post_perplexities(model, tok, [cut]), rel=1e-3
    )


def test_the_verdict_is_the_persons_middle_half():
    person = [40.0, 60.0, 80.0, 100.0, 120.0]
    assert fluency.judge_fluency([70.0, 90.0], person)["within"]
    smooth = fluency.judge_fluency([20.0, 30.0], person)
    assert not smooth["within"] and not smooth["rougher"], "smoother, not word salad"
    salad = fluency.judge_fluency([400.0, 900.0], person)
    assert salad["rougher"] and salad["person_range"] == [60.0, 100.0]
    assert fluency.judge_fluency([], person) == {}
