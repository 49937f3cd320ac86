"""The kinds of post, the bot's against the person's (publisher/quality/proportions.py)."""

from __future__ import annotations

from publisher.quality import proportions
from publisher.quality.report import proportion_lines


def test_a_feed_with_half_again_as_many_replies_is_named():
    person = ["@ana yes, tomorrow"] * 40 + ["The tide came in early today."] * 60
    bot = ["@ana sure thing"] * 56 + ["Fog over the harbour again."] * 44
    p = proportions.compare(bot, person)
    reply = next(r for r in p["rows"] if r["kind"] == "reply")
    assert (reply["bot"], reply["person"], reply["differs"]) == (0.56, 0.4, True)
    assert "reply" in p["differ"]
    close = proportions.compare(["@ana sure"] * 44 + ["Fog again."] * 56, person)
    assert "reply" not in close["differ"], "4 points on 100 posts is the draw"


def test_each_script_emoji_question_and_length():
    person = [
        "Кот спит на словаре?",
        "今日は雨です",
        "Rain again 🌧",
        "Long walk by the sea today.",
    ] * 10
    bot = ["Кот спит", "Rain again", "Rain again", "Rain"] * 10
    p = proportions.compare(bot, person)
    rows = {r["kind"]: r for r in p["rows"]}
    assert rows["script:Cyrillic"]["person"] == 0.25 and rows["script:Cyrillic"]["bot"] == 0.25
    assert rows["script:Han"]["person"] == 0.25 and rows["script:Han"]["differs"]
    assert rows["emoji"]["person"] == 0.25 and rows["emoji"]["bot"] == 0.0
    assert rows["question"]["person"] == 0.25
    assert rows["short"]["bot"] > rows["short"]["person"] and rows["short"]["differs"]
    assert p["length"]["person"][1] > p["length"]["bot"][1]


def test_the_proportions_read_as_short_plain_lines():
    person = ["@ana yes"] * 40 + ["The tide came in early today #sea"] * 60
    bot = ["@ana sure"] * 70 + ["Fog over the harbour again"] * 30
    text = "\n".join(proportion_lines(proportions.compare(bot, person)))
    assert "replies (start with @)" in text and "70% vs  40%  <- more than chance" in text
    assert "with a hashtag" in text and "length, quartiles" in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
