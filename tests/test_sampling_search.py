"""Sampling fitted to each bot (publisher/quality/sampling_search.py), and used wherever it writes."""

from __future__ import annotations

import json
import shutil

import pytest

from publisher import cli
from publisher.bot import manifest
from publisher.quality import sampling_search as search
from publisher.space.draw import DrawSettings
from publisher.space.load import load_bot


def trial(t: float, p: float, blind: float | None, copies: float = 0.0) -> search.Trial:
    return search.Trial(t, p, 50, blind, copies)


def test_the_setting_told_apart_least_is_the_grids_best():
    trials = [trial(1.0, 0.95, 0.70), trial(1.1, 0.95, 0.60), trial(1.2, 1.0, 0.62)]
    assert search.choose(trials) == {"temperature": 1.1, "top_p": 0.95, "top_k": 50}
    tied = [trial(1.0, 0.95, 0.70), trial(1.2, 1.0, 0.70)]
    assert search.choose(tied) == search.default_setting(), "ties: the default's side"


def test_a_setting_that_copies_more_is_never_chosen():
    trials = [trial(1.0, 0.95, 0.70, copies=0.01), trial(0.9, 0.95, 0.50, copies=0.03)]
    assert search.choose(trials) == search.default_setting()


def test_the_grids_best_is_adopted_only_if_fresh_posts_confirm_it():
    assert search.adopt(trial(1.1, 0.95, 0.60), default_blind=0.70, default_copy_rate=0.0)
    assert not search.adopt(trial(1.1, 0.95, 0.70 - search.MIN_GAIN / 2), 0.70, 0.0)
    assert not search.adopt(trial(1.1, 0.95, 0.50, copies=0.02), 0.70, 0.01)


def test_below_half_no_setting_is_better_than_one_at_half():
    guessing = [trial(1.0, 0.95, 0.50), trial(1.2, 1.0, 0.42)]
    assert search.choose(guessing) == search.default_setting(), "both are guesses: the default"
    assert not search.adopt(trial(1.2, 1.0, 0.42), default_blind=0.50, default_copy_rate=0.0)
    assert search.adopt(trial(1.2, 1.0, 0.42), default_blind=0.60, default_copy_rate=0.0)


def test_write_setting_changes_only_the_sampling_keys(tmp_path):
    (tmp_path / "generation_config.json").write_text(json.dumps({"do_sample": True, "max_length": 160, "temperature": 1.0}))  # fmt: skip
    params = {"text-generation": {"prefix": "<|endoftext|>", "temperature": 1.0, "top_p": 0.95}}
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "task_specific_params": params}))  # fmt: skip
    search.write_setting(tmp_path, {"temperature": 1.1, "top_p": 0.9, "top_k": 50})
    gen = json.loads((tmp_path / "generation_config.json").read_text())
    assert gen == {"do_sample": True, "max_length": 160, "temperature": 1.1, "top_p": 0.9, "top_k": 50}  # fmt: skip
    task = json.loads((tmp_path / "config.json").read_text())["task_specific_params"]
    assert task["text-generation"] == {"prefix": "<|endoftext|>", "temperature": 1.1, "top_p": 0.9}


@pytest.fixture(scope="module")
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
    assert len(fitted["grid"]) == len(search.TEMPERATURES) * len(search.TOP_PS)
    gen = json.loads((bot / "repo" / "generation_config.json").read_text())
    assert (gen["temperature"], gen["top_p"]) == (fitted["fitted"]["temperature"], fitted["fitted"]["top_p"])  # fmt: skip


@pytest.mark.slow  # trains and measures a bot
@pytest.mark.xdist_group("searched")  # one worker trains and measures the bot its tests share
def test_everything_that_writes_uses_the_bots_setting(bot, capsys, monkeypatch):
    search.write_setting(bot / "repo", {"temperature": 0.7, "top_p": 0.8, "top_k": 50})
    model, tok = load_bot(str(bot / "repo"))
    own = DrawSettings().for_bot(model)
    assert (own.temperature, own.top_p, own.top_k) == (0.7, 0.8, 50)

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
    grid = [(t, p) for t in search.TEMPERATURES for p in search.TOP_PS]
    assert tried == [f"  sampling setting {i} of {len(grid)}: temperature {t:g}, top-p {p:g}"
                     for i, (t, p) in enumerate(grid, 1)]  # fmt: skip
    start = err.index("Blind test, and the sampling setting whose posts pass best for the person's...")  # fmt: skip
    assert start < err.index(tried[0])
