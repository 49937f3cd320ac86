"""Quality: `hf-tweetbot eval` on a bot trained to copy, the guard wherever the bot writes, language fit."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from conftest import EXAMPLES, TINY_CORPUS

from publisher import cli, dataset
from publisher.bot import manifest
from publisher.bot.posts import read_texts
from publisher.quality import language_fit as fit
from publisher.quality import measures
from publisher.space import guard
from testkit.posts import CHINESE, UKRAINIAN, combos
from testkit.x_archive import write_archive

SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


def copier_posts() -> list[str]:
    """120 distinct posts made of the same 6 sentences: a tiny model learns them by heart."""
    posts = [" ".join(p) for p in itertools.permutations(sorted(set(TINY_CORPUS)), 3)]
    random.Random(0).shuffle(posts)
    return posts


@pytest.fixture(scope="session")  # kept by the one worker of its group
def copier(tmp_path_factory, tiny_model):
    """A bot overfit on a few posts (`train` ran its eval at the end, with 20 samples)."""
    root = tmp_path_factory.mktemp("copier")
    src = root / "ada.jsonl"
    src.write_text("".join(json.dumps({"text": p}) + "\n" for p in copier_posts()))
    bot = root / "bot"
    assert cli.main(["prepare", f"ada={src}", "--base-model", str(tiny_model), "--out", str(bot),
                     "--block-size", "128"]) == 0  # fmt: skip
    assert cli.main(["train", str(bot), "--max-steps", "200", "--lr", "1e-2", "--keep-last",
                     "--eval-samples", "20", "--mixed-precision", "no"]) == 0  # fmt: skip
    return bot


def independent_copies(bot, texts: list[str]) -> list[str]:
    """Texts holding 10 tokens of a training post, found without the guard (exact windows)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(bot / "repo")
    train, _ = read_texts(bot)
    corpus = measures.Corpus(dataset.encode(tok, [t for ts in train.values() for t in ts]))
    ids = dataset.encode(tok, [measures.fold(t) for t in texts])
    return [t for t, i in zip(texts, ids, strict=True) if corpus.shares(i, guard.SPAN)]


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_a_bot_trained_to_copy_shows_a_high_memorisation_rate(copier):
    q = manifest.load(copier).quality
    assert q == json.loads((copier / "repo" / "quality.json").read_text())
    assert q["samples"] == 20 and q["span_tokens"] == 10
    assert q["memorisation"]["copied_span_rate"] >= 0.7, q["memorisation"]
    assert q["memorisation"]["longest_span"] >= 20
    assert q["perplexity"]["bot"] < q["perplexity"]["base"] / 10
    assert q["guard"]["enabled"] and q["guard"]["flagged_rate"] >= 0.7
    assert q["guard"]["copies_shown_rate"] == 0.0
    assert (copier / "repo" / guard.GUARD_FILE).is_file()
    assert not (copier / "repo" / guard.KEY_FILE).exists(), "the key never goes into repo/"


@pytest.mark.slow  # trains a bot to copy
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_generate_shows_no_copies_with_the_guard(copier, capsys):
    assert cli.main(["generate", str(copier), "", "-n", "12", "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    posts = out.splitlines()  # one a line: the output is not a terminal
    assert len(posts) == 12 and not independent_copies(copier, posts)
    assert "The copy guard drew" in err

    assert cli.main(["generate", str(copier), "", "-n", "12", "--seed", "1", "--allow-copies"]) == 0
    out, err = capsys.readouterr()
    unguarded = out.splitlines()
    assert len(independent_copies(copier, unguarded)) >= 6, "the check above could fail"
    assert "Copy guard off" in err


@pytest.mark.slow  # trains a bot to copy
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_the_space_shows_no_copies_streamed_or_final(copier, monkeypatch):
    from publisher.space import app

    monkeypatch.delenv("MODEL_ID", raising=False)
    bot = app.load(str(copier / "repo"))
    assert bot.guard is not None and bot.guard_status == "on"
    steps = list(app.respond(bot, "", 4, 1.0, 0.95, 40))
    shown = [t for _, _, posts in steps for t in posts]
    assert shown and not independent_copies(copier, shown)
    cards, notice, final = steps[-1]
    assert len(final) == 4 and cards.count("<article") == 4
    footer = app._guard_note(bot)
    assert "Measured on 20 sample posts" in footer and "copy guard draws those again" in footer


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_eval_is_seeded_and_reproducible(copier, capsys):
    before = manifest.load(copier).quality
    assert cli.main(["eval", str(copier), "--samples", "20"]) == 0
    out, _ = capsys.readouterr()
    assert "  Copies: " in out and "  Copy guard: on" in out and "quality.json" in out
    after = manifest.load(copier).quality
    for key in ("memorisation", "variety", "tokenizer"):
        assert after[key] == before[key], key
    assert cli.main(["eval", str(copier), "--samples", "4", "--seed", "5"]) == 0
    assert manifest.load(copier).quality["seed"] == 5


@pytest.mark.slow  # trains a bot to copy
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_allow_copies_is_recorded_for_the_space(copier, capsys):
    assert cli.main(["eval", str(copier), "--samples", "4", "--allow-copies"]) == 0
    assert "Copy guard: off" in capsys.readouterr()[0]
    assert manifest.load(copier).privacy["allow_copies"] is True
    assert guard.load_guard(str(copier / "repo"))[1].startswith("off")
    assert cli.main(["eval", str(copier), "--samples", "4", "--no-allow-copies"]) == 0
    assert guard.load_guard(str(copier / "repo"))[1] == "on"


@pytest.mark.slow  # trains a bot to copy
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_card_with_full_metadata_reports_the_rates(copier):
    from publisher import card

    full = card.render_bot_card(copier, full_metadata=True)
    assert (
        "## Quality" in full and "Samples repeating a span of a training post (10+ tokens" in full
    )
    assert "## Quality" not in card.render_bot_card(copier, full_metadata=False)


# --- measures ---------------------------------------------------------------------------------


def test_longest_shared_run_never_crosses_posts():
    corpus = measures.Corpus([[1, 2, 3, 4, 5], [6, 7, 8]])
    assert measures.longest_shared(corpus, [[9, 2, 3, 4, 9]]) == 3
    assert measures.longest_shared(corpus, [[4, 5, 6, 7]]) == 2  # 5→6 spans two posts
    assert measures.longest_shared(corpus, [[9, 9]]) == 0
    assert corpus.shares([0, 1, 2, 3, 4, 5, 0], 5) and not corpus.shares([1, 2, 3, 4, 6], 5)


def test_distinct_2():
    assert measures.distinct_n(["a b a b"]) == pytest.approx(2 / 3)
    assert measures.distinct_n(["A b", "a B"]) == 0.5
    assert measures.distinct_n(["one"]) == 0.0


# --- language fit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sentences", "sep", "script"),
    [("olena", UKRAINIAN, " ", "Cyrillic"), ("meilin", CHINESE, "", "Han")],
)
def test_posts_in_another_script_warn_with_figures(tmp_path, capsys, name, sentences, sep, script):
    archive = write_archive(
        tmp_path / f"{name}.zip", name, name.title(), combos(sentences, 200, sep=sep)
    )
    code = cli.main(
        ["prepare", str(archive), "--base-model", "smollm2", "--out", str(tmp_path / "b")]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    warning = next(line for line in err.splitlines() if "tokenizer fits" in line)
    assert warning.startswith("Warning: HuggingFaceTB/SmolLM2-135M-Instruct's tokenizer")
    assert "tokens per word" in warning and f"most are {script}" in warning
    assert "--base-model Qwen/Qwen2.5-0.5B" in warning


def test_english_posts_do_not_warn(tmp_path, capsys):
    code = cli.main(
        ["prepare", str(SAMPLE), "--base-model", "smollm2", "--out", str(tmp_path / "b")]
    )
    err = capsys.readouterr().err
    assert code == 0 and "tokenizer fits" not in err


def test_tokenizer_fit_figures():
    assert (
        fit.script_of("я") == "Cyrillic"
        and fit.script_of("字") == "Han"
        and fit.script_of("!") is None
    )
    assert fit.count_words("今天下雨") == 4 and fit.count_words("it rains, again") == 3


@pytest.mark.slow  # trains a bot to copy
@pytest.mark.xdist_group("copier")  # one worker trains the bot its tests share
def test_the_guard_cost_benchmark_runs_side_by_side(copier):
    from benchmarks.bench_generate import guard_cost

    lines: list[str] = []
    out = guard_cost(str(copier), runs=1, say=lines.append)
    assert len(out["plain"]) == len(out["guarded"]) == 1 and out["redrawn"] >= 1
    assert "cost" in lines[0] and "drawn again" in lines[-1]


# --- the block in words -------------------------------------------------------------------------


def measured(**over):
    """A `quality` block as `eval` writes it, after the sampling was fitted."""
    from publisher.quality import proportions

    person = ["@ana yes, tomorrow"] * 40 + ["The tide came in early today #sea"] * 60
    bot = ["@ana sure thing"] * 58 + ["Fog over the harbour again"] * 42
    judged = {"accuracy": 0.58, "low": 0.52, "high": 0.64, "posts": 100, "drawn": 100,
              "reasons": ["starts with @ more often", "shorter"]}  # fmt: skip
    setting = {"temperature": 1.0, "top_p": 0.95, "top_k": 50, "min_p": 0.0,
               "untruncated_start": 1, "reply_share": 0.4, "judge": 0.58, "blind_test": 0.6,
               "copy_rate": 0.0, "fluency": 80.0}  # fmt: skip
    q = {
        "samples": 100, "seed": 0, "max_new_tokens": 60, "span_tokens": 10, "span_chars": 45,
        "perplexity": {"base": 140.7, "bot": 42.5, "held_out_posts": 34},
        "memorisation": {"copied_span_rate": 0.01, "exact_copy_rate": 0.0, "longest_span": 9},
        "variety": {"distinct_2_samples": 0.8, "distinct_2_posts": 0.9},
        "tokenizer": {"tokens_per_word": 1.3, "main_script": "Latin", "main_script_share": 1.0},
        "guard": {"enabled": True, "file": "copy_guard.bin", "spans": 7065, "flagged_rate": 0.01,
                  "copies_shown_rate": 0.0},
        "seconds": {"total": 61.0},
        "blind_test": {"accuracy": 0.61, "posts": 34, "drawn": 100,
                       "lengths": {"median_real": 126, "median_bot": 121, "distance": 0.21}},
        "sampling": {"default": {**setting, "untruncated_start": 0, "reply_share": -1.0, "judge": 0.67},
                     "fitted": setting, "grid": [setting]},
        "judge": {"huggingtweets": {**judged, "accuracy": 0.67, "low": 0.6, "high": 0.74},
                  "fitted": judged},
        "proportions": {"fitted": proportions.compare(bot, person)},
        "fluency": {"fitted": {"bot": 80.0, "person": 95.0, "person_range": [60.0, 150.0],
                               "within": True}},
    }  # fmt: skip
    return {**q, **over}


def test_the_quality_block_is_short_plain_lines_and_verbose_adds_the_details():
    from publisher.quality.report import lines

    plain, full = lines(measured()), lines(measured(), verbose=True)
    text, details = "\n".join(plain), "\n".join(full)
    assert max(map(len, plain)) <= 90 and max(map(len, full)) <= 90, max(full, key=len)
    details_only = ("distinct-2", "KS distance 0.21", "span hashes", "EOS", "grid:", "n-grams",
                    "at huggingtweets' sampling: 67% (60%-74%)", "middle half 60 to 150")  # fmt: skip
    for term in details_only:
        assert term not in text, term
        assert term in details, term
    assert "  Blind test: told from the person 58% of the time (52%-64%; 50%: a guess)" in plain
    assert "  Gives it away: starts with @ more often; shorter" in plain
    assert "  Sampling: temperature 1, top-p 0.95, first token untruncated, 40% replies" in plain
    assert "  Fluency: about as fluent as the person's posts" in plain
    kinds = "  Kinds of post, unlike the person's: replies (start with @) 58% vs 40%; 3 more"
    assert kinds in plain
    assert "replies (start with @)      58% vs  40%  <- more than chance" in details
    assert set(plain) <= set(full)


def test_a_block_measured_before_the_reader_still_reads():
    from publisher.quality.report import lines

    old = measured(judge={}, proportions={}, fluency={})
    old["sampling"] = {"default": {"temperature": 1.0, "top_p": 0.95, "top_k": 50, "blind_test": 0.61,
                                   "copy_rate": 0.0}, "fitted": {"temperature": 1.1, "top_p": 1.0,
                                   "top_k": 50, "blind_test": 0.58, "copy_rate": 0.0}}  # fmt: skip
    plain = lines(old)
    assert "  Blind test: told from the person 61% of the time (50%: a guess)" in plain
    assert "  Sampling: temperature 1.1, top-p 1" in plain and len(plain) == 8, plain
    assert "told apart 58% fitted, 61% at huggingtweets'" in "\n".join(lines(old, verbose=True))
