"""The epoch a person would choose (publisher/quality/epochs.py), with the pipeline's defaults.

Two archives built here (a multilingual one, and a larger synthetic English one made by
`python -m examples.make_sample_archive --posts N`) train a tiny model with the defaults but 2 epochs;
the sample archive trains the real SmolLM2 for at most 8 epochs (slow).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import EXAMPLES, REPO_ROOT
from PIL import Image

from publisher import card, cli
from publisher.bot import manifest
from publisher.quality.epochs import EpochJudge, EpochRule
from testkit.x_archive import polyglot_archive

SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


def check_bot_json(bot) -> dict:
    """What every bot trained with the defaults records: curves, kept epoch, sampling, blind test."""
    m = manifest.load(bot)
    t = m.training
    assert t is not None and t["curves"] and not t["keep_last"]
    for c in t["curves"]:
        assert {"step", "epoch", "perplexity", "copy_rate", "blind_test", "lengths"} <= set(c)
    kept = t["curves"][t["best_measurement"]]
    assert t["kept"]["step"] == kept["step"] and m.metrics.eval_loss_after == kept["val_loss"]
    assert t["rule"]["copy_limit"] == EpochRule().copy_limit
    q = m.quality
    assert q["blind_test"]["accuracy"] is not None and q["blind_test"]["posts"] > 0
    assert {"default", "fitted", "grid"} <= set(q["sampling"])
    gen = json.loads((bot / "repo" / "generation_config.json").read_text())
    assert (gen["temperature"], gen["top_p"]) == (q["sampling"]["fitted"]["temperature"], q["sampling"]["fitted"]["top_p"])  # fmt: skip
    assert q["span_tokens"] == 10 and q["span_chars"] > 0
    return m.to_dict()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The two archives: several scripts and emoji; synthetic English posts in Wren's words."""
    root = tmp_path_factory.mktemp("built")
    polyglot = polyglot_archive(root / "polyglot.zip")
    synthetic = root / "synthetic.zip"
    subprocess.run([sys.executable, "-m", "examples.make_sample_archive", str(synthetic),
                    "--posts", "600"], check=True, capture_output=True, cwd=REPO_ROOT)  # fmt: skip
    return {"polyglot": polyglot, "synthetic": synthetic}


@pytest.mark.slow  # publishes a whole bot
@pytest.mark.parametrize("name", ["polyglot", "synthetic"])
def test_publish_with_the_defaults_records_the_choice(built, name, tiny_model, tmp_path, capsys):
    out = tmp_path / name
    code = cli.main(["publish", str(built[name]), "--base-model", str(tiny_model), "--out",
                     str(out), "--no-push", "--block-size", "256", "--batch-size", "8",
                     "--epochs", "2", "--card-metadata", "full", "--eval-samples", "40"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    d = check_bot_json(out)
    assert "Epoch 1: perplexity" in err and "Blind test:" in err and "Sampling:" in err
    assert [c["epoch"] for c in d["training"]["curves"]] == [1, 2]
    full = card.render_bot_card(out, full_metadata=True)
    assert (
        "| Epoch | Validation perplexity | Samples repeating a span | Blind test | Kept |" in full
    )
    assert (
        "inference:\n  parameters:\n" in full and "Blind test, word and character n-grams" in full
    )
    exact = card.render_bot_card(out, full_metadata=False)
    assert "Blind test" not in exact and "inference:" not in exact and "| Epoch |" not in exact
    assert Image.open(out / "repo" / "loss_curve.png").size == (900, 500)


def test_the_epochs_are_a_maximum_when_they_are_chosen():
    from publisher.train.loop import EPOCHS, MAX_EPOCHS, TrainConfig, epochs_of

    assert epochs_of(TrainConfig(judge=EpochJudge)) == MAX_EPOCHS
    assert epochs_of(TrainConfig()) == EPOCHS == 4, "without a judge: huggingtweets' 4"
    assert epochs_of(TrainConfig(epochs=8, judge=EpochJudge)) == 8


@pytest.mark.slow
@pytest.mark.timeout(1200)  # SmolLM2 trained up to 8 epochs, beside the other tests
def test_eight_epochs_of_smollm2_on_the_sample_archive(tmp_path):
    """The sample archive on SmolLM2 with `--epochs 8` (the defaults, and the full card): training
    stops and keeps what it chose; one bot, trained once, for every check below."""
    out = tmp_path / "wren"
    code = cli.main(["publish", str(SAMPLE), "--base-model", "smollm2", "--out", str(out),
                     "--no-push", "--epochs", "8", "--report-to", "none",
                     "--card-metadata", "full"])  # fmt: skip
    assert code == 0

    # At most 2% raw copies, at the epoch kept, which fits no worse than the margin allows.
    d = check_bot_json(out)
    assert d["quality"]["memorisation"]["copied_span_rate"] <= 0.02
    t = d["training"]
    kept = t["curves"][t["best_measurement"]]
    assert kept["copy_rate"] <= 0.02
    best = min(c["perplexity"] for c in t["curves"])
    assert kept["perplexity"] <= best * (1 + t["rule"]["perplexity_margin"])
    assert t["steps"] <= 80 and t["steps_per_epoch"] == 10

    # SmolLM2 learned the person, and the card names its instruct base.
    m = manifest.load(out)
    assert m.metrics.perplexity_after < m.metrics.perplexity_before, m.metrics
    assert m.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    full = (out / "repo" / "README.md").read_text()
    assert "pre-trained [HuggingFaceTB/SmolLM2-135M-Instruct](" in full
    assert m.base_is_chat and "without its chat template" in full  # trained on plain posts

    # The card shows the choice, the figures and the fitted sampling.
    fitted = m.quality["sampling"]["fitted"]
    assert f"    temperature: {fitted['temperature']}\n    top_p: {fitted['top_p']}\n" in full
    assert "The weights kept are those of epoch" in full and "| kept |" in full
    assert "Samples repeating a span of a training post (10+ tokens and 45+ characters)" in full


def judged(*points: tuple[float, float, float]) -> EpochJudge:
    """A judge that has measured `points` (perplexity, copy rate, blind test), none kept yet."""
    judge = EpochJudge.__new__(EpochJudge)
    judge.rule = EpochRule()
    judge.curves = [{"perplexity": p, "copy_rate": c, "blind_test": b} for p, c, b in points]
    return judge


def test_the_rule_prefers_weights_harder_to_tell_apart_that_neither_copy_nor_fit_worse():
    judge = judged((40.0, 0.0, 0.70), (41.0, 0.0, 0.60), (60.0, 0.0, 0.55), (30.0, 0.05, 0.52))
    honest, harder, loose, copier = judge.curves
    assert judge.beats(harder, honest), "10 points harder to tell apart, perplexity in the margin"
    assert not judge.beats(loose, honest), "perplexity 50% above the best that does not copy"
    assert not judge.beats(copier, honest), "5% of its posts repeat a training post"
    assert not judge.beats({**harder, "blind_test": 0.69}, honest), "within the draw's margin"


def test_below_half_the_classifier_is_guessing_and_no_better_than_half():
    judge = judged((40.0, 0.0, 0.50), (40.0, 0.0, 0.40))
    at_half, below = judge.curves
    assert not judge.beats(below, at_half)
    assert judge.beats(at_half, {**at_half, "blind_test": 0.60})
