"""Sampling fitted to each bot (publisher/quality/sampling_search.py), and used wherever it writes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
import torch

from publisher import cli
from publisher.bot import manifest
from publisher.quality import sampling_search as search
from publisher.space import draw
from publisher.space.draw import DrawSettings
from publisher.space.load import load_bot


def huggingtweets(judge: float | None, copies: float = 0.0) -> search.Trial:
    return search.Trial(1.0, 0.95, 50, judge, copies)


def kept(t: float, p: float, judge: float | None, copies: float = 0.0) -> search.Trial:
    """A trial at a setting that keeps the way posts begin (40% replies)."""
    return search.Trial(t, p, 50, judge, copies, untruncated_start=1, reply_share=0.4)


KEEP = search.keeping_setting(0.4)


def test_the_setting_told_apart_least_is_the_grids_best():
    trials = [huggingtweets(0.70), kept(1.0, 0.95, 0.66), kept(1.1, 1.0, 0.60)]
    assert search.choose(trials) == {**KEEP, "temperature": 1.1, "top_p": 1.0}
    tied = [huggingtweets(0.70), kept(1.0, 0.95, 0.64), kept(1.1, 1.0, 0.64)]
    assert search.choose(tied) == KEEP, "ties: the first that keeps the way posts begin"


def test_huggingtweets_setting_is_a_reference_never_the_choice():
    trials = [huggingtweets(0.52), kept(1.0, 0.95, 0.70)]
    assert search.choose(trials) == KEEP, "its truncation changes the share of replies"


def test_a_setting_that_copies_more_is_never_chosen():
    trials = [huggingtweets(0.70, copies=0.01), kept(1.0, 0.95, 0.68), kept(0.9, 1.0, 0.50, 0.03)]
    assert search.choose(trials) == KEEP


def test_the_grids_best_is_adopted_only_if_fresh_posts_confirm_it():
    first = kept(1.0, 0.95, 0.70)
    assert search.adopt(kept(1.1, 0.95, 0.60), first, rougher=False)
    assert not search.adopt(kept(1.1, 0.95, 0.70 - search.MIN_GAIN / 2), first, rougher=False)
    assert not search.adopt(kept(1.1, 0.95, 0.50, copies=0.02), first, rougher=False)


def test_below_half_no_setting_is_better_than_one_at_half():
    guessing = [huggingtweets(0.55), kept(1.0, 0.95, 0.50), kept(1.2, 1.0, 0.42)]
    assert search.choose(guessing) == KEEP, "both are guesses: the first"
    assert not search.adopt(kept(1.2, 1.0, 0.42), kept(1.0, 0.95, 0.50), rougher=False)
    assert search.adopt(kept(1.2, 1.0, 0.42), kept(1.0, 0.95, 0.60), rougher=False)


def test_word_salad_is_never_adopted_however_hard_to_tell_apart():
    assert not search.adopt(kept(1.2, 1.0, 0.50), kept(1.0, 0.95, 0.70), rougher=True)


def test_the_grid_holds_untruncated_and_min_p_settings_that_keep_the_proportions():
    settings = search.grid(0.4)
    assert settings[0] == search.default_setting(), "huggingtweets' setting, as a reference"
    assert settings[1] == KEEP, "then its truncation with the beginning kept, the fallback"
    rest = settings[1:]
    assert all(s["untruncated_start"] == 1 and s["reply_share"] == 0.4 for s in rest)
    assert any(s["top_k"] == 0 and s["top_p"] == 1.0 and s["min_p"] == 0 for s in rest)
    assert any(s["min_p"] == search.MIN_P for s in rest)
    assert len(settings) == 7, "huggingtweets' posts are not drawn again: six draws, one fresh"


def test_write_setting_changes_only_the_sampling_keys(tmp_path):
    (tmp_path / "generation_config.json").write_text(json.dumps({"do_sample": True, "max_length": 160, "temperature": 1.0}))  # fmt: skip
    params = {"text-generation": {"prefix": "<|endoftext|>", "temperature": 1.0, "top_p": 0.95}}
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "task_specific_params": params}))  # fmt: skip
    search.write_setting(tmp_path, {"temperature": 1.1, "top_p": 0.9, "top_k": 50})
    gen = json.loads((tmp_path / "generation_config.json").read_text())
    assert gen == {"do_sample": True, "max_length": 160, "temperature": 1.1, "top_p": 0.9, "top_k": 50}  # fmt: skip
    task = json.loads((tmp_path / "config.json").read_text())["task_specific_params"]
    assert task["text-generation"] == {"prefix": "<|endoftext|>", "temperature": 1.1, "top_p": 0.9}


@pytest.fixture(scope="session")  # kept by the one worker of its group
def bot(tmp_path_factory, tiny_model):
    """A tiny bot, trained a few steps and measured (`eval`: blind test and the search)."""
    from testkit.posts import write_posts_jsonl

    root = tmp_path_factory.mktemp("fitted")
    src = write_posts_jsonl(root / "wren.jsonl")
    out = root / "bot"
    assert cli.main(["prepare", f"wren={src}", "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "64"]) == 0  # fmt: skip
    assert cli.main(["train", str(out), "--max-steps", "8", "--mixed-precision", "no",
                     "--eval-samples", "30"]) == 0  # fmt: skip
    return out


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("searched")  # one worker trains and measures the bot its tests share
def test_eval_records_the_blind_test_and_the_fitted_setting(bot):
    q = manifest.load(bot).quality
    assert q == json.loads((bot / "repo" / "quality.json").read_text())
    assert q["blind_test"]["posts"] == 30 and 0 <= q["blind_test"]["accuracy"] <= 1
    assert set(q["blind_test"]["lengths"]) == {"median_real", "median_bot", "distance"}
    fitted = q["sampling"]
    assert fitted["default"]["temperature"] == 1.0 and fitted["default"]["top_p"] == 0.95
    assert len(fitted["grid"]) == len(search.grid(0.5))
    gen = json.loads((bot / "repo" / "generation_config.json").read_text())
    assert (gen["temperature"], gen["top_p"]) == (fitted["fitted"]["temperature"], fitted["fitted"]["top_p"])  # fmt: skip
    f = fitted["fitted"]
    assert f["untruncated_start"] == 1 and 0 <= f["reply_share"] <= 1, "the beginning is kept"
    assert {k: gen[k] for k in search.KEYS} == {k: f[k] for k in search.KEYS}
    measured_on = [fitted["confirmation"], fitted["grid"][1]]  # fresh posts, or the fallback's
    assert any(f["judge"] == m["judge"] and f["copy_rate"] == m["copy_rate"] for m in measured_on)
    for side in ("huggingtweets", "fitted"):
        assert 0 <= q["judge"][side]["accuracy"] <= 1 and q["proportions"][side]["rows"]
    read, flu = q["judge"]["fitted"], q["fluency"]["fitted"]
    assert read["low"] <= read["accuracy"] <= read["high"] and read["accuracy"] == f["judge"]
    low, high = flu["person_range"]
    assert flu["bot"] == f["fluency"] and low <= flu["person"] <= high


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("searched")  # one worker trains and measures the bot its tests share
def test_everything_that_writes_uses_the_bots_setting(bot, capsys, monkeypatch):
    setting = {**search.keeping_setting(0.25), "temperature": 0.7, "top_p": 0.8}
    search.write_setting(bot / "repo", setting)
    model, tok = load_bot(str(bot / "repo"))
    own = DrawSettings().for_bot(model)
    assert {k: getattr(own, k) for k in search.KEYS} == setting

    def posts(*args: str) -> list[str]:
        assert cli.main(["generate", str(bot), "", "-n", "6", "--seed", "3", "--allow-copies", *args]) == 0  # fmt: skip
        return capsys.readouterr().out.splitlines()

    own = posts()
    assert own == posts("--temperature", "0.7", "--top-p", "0.8")
    assert own != posts("--temperature", "1.0", "--top-p", "0.95")

    from publisher.space import app

    monkeypatch.delenv("MODEL_ID", raising=False)
    page = app.build_demo(str(bot / "repo"), strict=True)
    sliders = {c.label: c.value for c in page.blocks.values() if getattr(c, "label", None) in ("Temperature", "Top-p")}  # fmt: skip
    assert sliders == {"Temperature": 0.7, "Top-p": 0.8}


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("searched")  # one worker trains and measures the bot its tests share
def test_the_spaces_sliders_start_inside_their_range(bot, monkeypatch, tmp_path):
    repo = shutil.copytree(bot / "repo", tmp_path / "repo")  # a bot the Space has not loaded yet
    search.write_setting(repo, {"temperature": 3.5, "top_p": 0.05, "top_k": 50})
    from publisher.space import app

    monkeypatch.delenv("MODEL_ID", raising=False)
    page = app.build_demo(str(repo), strict=True)
    sliders = {c.label: c.value for c in page.blocks.values() if getattr(c, "label", None) in ("Temperature", "Top-p")}  # fmt: skip
    assert sliders == {"Temperature": 2.0, "Top-p": 0.1}, "a value outside is refused on submit"


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("searched")  # one worker trains and measures the bot its tests share
def test_eval_says_what_it_is_doing_setting_by_setting(bot, capsys):
    assert cli.main(["eval", str(bot), "--samples", "30"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"Loading the bot from {bot / 'repo'}..." in err
    tried = [line for line in err if line.startswith("  sampling setting ")]
    n = len(search.grid(0.0))
    assert [line.split(":")[0] for line in tried] == [
        f"  sampling setting {i} of {n}" for i in range(1, n + 1)
    ]
    assert tried[0].endswith(": temperature 1, top-p 0.95"), "huggingtweets' first"
    start = next(i for i, line in enumerate(err) if line.startswith("Blind test, and the sampling"))
    assert start < err.index(tried[0])


@pytest.fixture(scope="module")
def tiny_bot(tiny_model):
    return load_bot(str(tiny_model), device="cpu")


def replies(posts: list[str]) -> float:
    return sum(p.lstrip().startswith("@") for p in posts) / len(posts)


def test_posts_from_a_bare_eos_reply_as_often_as_the_person_does(tiny_bot):
    model, tok = tiny_bot
    asked = DrawSettings(n=300, max_new_tokens=2, seed=0, untruncated_start=1)

    def drawn(prompt: str = "", share: float = -1.0) -> list[str]:
        return draw.sample(model, tok, replace(asked, prompt=prompt, reply_share=share))

    assert replies(drawn()) < 0.05, "the model's own share"
    assert 0.32 <= replies(drawn(share=0.4)) <= 0.48
    assert replies(drawn(share=0.0)) == 0.0
    assert all(p.startswith("My dream is") for p in drawn("My dream is", 1.0)), (
        "a prompt is never reweighted"
    )


def test_min_p_drops_the_unlikely_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.04, 0.01]]))
    gen = torch.Generator().manual_seed(0)
    cut = DrawSettings(temperature=1.0, top_p=1.0, top_k=0, min_p=0.1)
    assert {int(draw.sample_next(logits, cut, gen)) for _ in range(400)} == {0, 1, 2}, (
        "0.04 and 0.01 are under a tenth of 0.5"
    )
    whole = replace(cut, min_p=0.0)
    assert {int(draw.sample_next(logits, whole, gen)) for _ in range(2000)} == {0, 1, 2, 3, 4}


def test_untruncated_drawing_draws_from_the_allowed_tokens_with_their_odds_kept():
    class NotZero:  # a UTF-8 state that never allows token 0
        def allowed(self, ids, rows=None):
            return ids != 0

    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]])).expand(4000, -1)
    gen = torch.Generator().manual_seed(0)
    whole = DrawSettings(temperature=1.0, top_p=1.0, top_k=0)
    drawn = draw.sample_next(logits, whole, gen, NotZero())  # type: ignore[arg-type]
    assert 0 not in drawn.tolist()
    assert 0.55 <= (drawn == 1).float().mean() <= 0.65, "0.3 of the allowed 0.5"


def test_untruncated_drawing_keeps_posts_valid_utf8(tiny_bot):
    model, tok = tiny_bot
    whole = DrawSettings(n=50, max_new_tokens=12, seed=2, temperature=1.0, top_p=1.0, top_k=0)
    assert not any("\ufffd" in p for p in draw.sample(model, tok, whole))


def test_a_bot_made_before_samples_as_it_did(tiny_model, tmp_path):
    repo = shutil.copytree(tiny_model, tmp_path / "old")
    (repo / "generation_config.json").write_text(json.dumps({"do_sample": True, "temperature": 1.1, "top_p": 0.9, "top_k": 50}))  # fmt: skip
    model, tok = load_bot(str(repo), device="cpu")
    assert search.current_setting(repo) == {"temperature": 1.1, "top_p": 0.9, "top_k": 50, **draw.EXTRA_DEFAULTS}  # fmt: skip
    asked = DrawSettings(n=8, max_new_tokens=8, seed=1)
    explicit = replace(asked, temperature=1.1, top_p=0.9, top_k=50, min_p=0.0,
                       untruncated_start=0, reply_share=-1.0)  # fmt: skip
    assert draw.sample(model, tok, asked) == draw.sample(model, tok, explicit)
    search.write_setting(repo, search.keeping_setting(0.3))
    model, tok = load_bot(str(repo), device="cpu")
    own = DrawSettings().for_bot(model)
    assert (own.reply_share, own.untruncated_start, own.min_p) == (0.3, 1, 0.0)
