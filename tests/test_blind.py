"""The blind test (publisher/quality/blind.py): a style classifier's cross-validated accuracy."""

from __future__ import annotations

import random
import statistics

import pytest

from publisher.quality import blind
from testkit.wren_posts import POSTS


def test_two_samples_of_the_same_persons_posts_score_at_chance():
    scores = []
    for seed in range(8):
        pool = POSTS[:]
        random.Random(seed).shuffle(pool)
        a, b, rest = pool[:40], pool[40:80], pool[80:]
        scores.append(blind.blind_test(a, b, blind.vocabulary(rest), seed).accuracy)
    assert 0.4 <= statistics.mean(scores) <= 0.6, scores


def test_posts_in_another_voice_are_told_apart():
    rng = random.Random(0)
    real = rng.sample(POSTS, 40)
    shouted = [f"OMG {p.upper()}!!! #wow @everyone" for p in rng.sample(POSTS, 40)]
    assert blind.blind_test(real, shouted).accuracy >= 0.95
    terse = [" ".join(p.split()[:4]) for p in rng.sample(POSTS, 40)]
    result = blind.blind_test(real, terse)
    assert result.accuracy >= 0.9
    assert result.lengths["median_bot"] < result.lengths["median_real"]
    assert result.lengths["distance"] > 0.8


def test_the_score_is_the_same_for_the_same_posts():
    real, bot = POSTS[:30], POSTS[30:60]
    assert blind.blind_test(real, bot, seed=3) == blind.blind_test(real, bot, seed=3)


def test_equal_numbers_and_too_few_posts():
    result = blind.blind_test(POSTS[:50], POSTS[50:70])
    assert result.posts == 20
    few = blind.blind_test(POSTS[:5], POSTS[5:10])
    assert few.accuracy is None and few.posts == 5


def test_features_read_any_script_and_emoji():
    vocab = blind.vocabulary(["Кот спит на словаре"])
    for text in ("", "😀😀😀", "Кот спит", "今日は雨です", "a" * 5000, "@x #y http://z"):
        values = blind.features(text, vocab)
        assert len(values) == len(blind.FEATURES)
        assert all(v == v and abs(v) < 1e6 for v in values)  # finite, no NaN


@pytest.mark.parametrize(("a", "b", "d"), [([1, 2, 3], [1, 2, 3], 0.0), ([1, 2], [5, 6], 1.0)])
def test_ks_distance(a, b, d):
    assert blind.ks_distance(a, b) == d


# --- the reader: n-grams beside the style features ----------------------------------------------


def test_the_reader_scores_two_halves_of_the_persons_posts_at_chance():
    scores = []
    for seed in range(6):
        pool = POSTS[:]
        random.Random(seed).shuffle(pool)
        j = blind.judge(pool[:50], pool[50:100], blind.vocabulary(pool[100:]), seed)
        assert j.low <= j.accuracy <= j.high
        scores.append(j.accuracy)
    assert 0.4 <= statistics.mean(scores) <= 0.6, scores


def test_the_reader_sees_what_style_features_miss_and_says_what_gave_it_away():
    rng = random.Random(1)
    pool = POSTS[:]
    rng.shuffle(pool)
    real, own = pool[:60], pool[60:120]
    # The same kind of posts, but a third of them open with a stock phrase the person never
    # writes: the style features barely move, the words do.
    bot = [f"Honestly the vibe today, {p[0].lower()}{p[1:]}" if i % 3 == 0 else p
           for i, p in enumerate(own)]  # fmt: skip
    vocab = blind.vocabulary(pool[120:])
    style, reader = blind.blind_test(real, bot, vocab), blind.judge(real, bot, vocab)
    assert reader.accuracy >= style.accuracy + 0.05, (reader, style)
    assert any("honestly" in r or "vibe" in r for r in reader.reasons), reader.reasons


def test_the_reader_names_replies_in_words_a_person_can_act_on():
    rng = random.Random(2)
    real = rng.sample(POSTS, 50)
    bot = [f"@sam {p}" if i % 2 == 0 else p for i, p in enumerate(rng.sample(POSTS, 50))]
    j = blind.judge(real, bot)
    assert j.accuracy >= 0.6 and j.reasons
    assert any("@" in r and "more often" in r for r in j.reasons), j.reasons
    assert blind.judge(POSTS[:5], POSTS[5:10]).accuracy is None
    assert blind.judge(real, bot, seed=4) == blind.judge(real, bot, seed=4)
