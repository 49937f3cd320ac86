"""The loop's side of choosing the epoch (publisher/train/choice.py): keep, stop, put back, resume.

The judge here is given its verdicts by step: what is tested is what the loop does with them.
The judge that measures (perplexity, copies, blind test) is tested in test_epochs.py.
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from publisher import train
from publisher.bot import manifest
from publisher.train import TrainConfig
from publisher.train import checkpoints as train_io


class Scripted:
    """A judge that calls the weights of `best` steps the best so far, and remembers them."""

    def __init__(self, best: set[int]) -> None:
        self.best = best
        self.seen: list[int] = []
        self.weights: dict[int, dict[str, torch.Tensor]] = {}
        self.losses: dict[int, float] = {}

    def measure(self, model, step, epoch, val_loss):
        self.seen.append(step)
        self.losses[step] = val_loss
        self.weights[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return step in self.best, f"step {step}"

    def state(self):
        return {"seen": list(self.seen)}

    def load_state(self, state):
        self.seen = list(state["seen"])


def cfg(judge: Scripted, **kw) -> TrainConfig:
    return TrainConfig(**{"progress": False, "mixed_precision": "no", "report_to": "none",
                          "checkpoint_every": 0, "measure_every": 5, "patience": 2,
                          "judge": lambda bot_dir, tok: judge, **kw})  # fmt: skip


def saved(bot) -> dict[str, torch.Tensor]:
    return load_file(bot / "repo" / "model.safetensors")


def same_weights(repo: dict[str, torch.Tensor], measured: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(t, measured[name]) for name, t in repo.items())


@pytest.mark.slow  # trains for several measured epochs
def test_training_stops_when_patience_runs_out_and_keeps_the_best_weights(prepared_bot):
    judge = Scripted({5, 10})
    metrics = train.train(prepared_bot, cfg(judge, max_steps=40))
    assert judge.seen == [5, 10, 15, 20], "two measurements without better weights: stop"
    assert same_weights(saved(prepared_bot), judge.weights[10])
    assert not same_weights(saved(prepared_bot), judge.weights[20])
    assert metrics.eval_loss_after == round(judge.losses[10], 4)
    m = manifest.load(prepared_bot)
    assert m.training["kept"]["step"] == 10 and m.training["steps"] == 20
    assert m.training["seen"] == [5, 10, 15, 20] and m.training["stopped_early"]
    history = json.loads((prepared_bot / "repo" / "training_metrics.json").read_text())
    assert [s for s, _ in history["loss_history"]][-1] == 20


def test_keep_last_trains_every_step_and_keeps_the_last_weights(prepared_bot):
    judge = Scripted({5})
    train.train(prepared_bot, cfg(judge, max_steps=22, keep_last=True))
    assert judge.seen == [5, 10, 15, 20, 22], "measured at the end too"
    assert same_weights(saved(prepared_bot), judge.weights[22])
    m = manifest.load(prepared_bot)
    assert m.training["kept"]["step"] == 22 and m.training["keep_last"] is True


def test_without_a_judge_nothing_is_measured(prepared_bot):
    train.train(prepared_bot, TrainConfig(max_steps=3, progress=False, mixed_precision="no"))
    assert manifest.load(prepared_bot).training is None


@pytest.mark.slow  # trains for several measured epochs, twice
def test_a_resumed_run_chooses_as_an_uninterrupted_one(prepared_bot, tmp_path, monkeypatch):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(prepared_bot, other)
    run = dict(max_steps=30, checkpoint_every=12)
    straight = Scripted({5, 10})
    train.train(prepared_bot, cfg(straight, **run))

    real_save = train_io.Checkpoints.save

    def crash_after_first_checkpoint(self, accelerator, step, extra=None):
        real_save(self, accelerator, step, extra)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_io.Checkpoints, "save", crash_after_first_checkpoint)
    first = Scripted({5, 10})
    with pytest.raises(KeyboardInterrupt):
        train.train(other, cfg(first, **run))
    assert first.seen == [5, 10]
    monkeypatch.setattr(train_io.Checkpoints, "save", real_save)
    resumed = Scripted({5, 10})
    train.train(other, cfg(resumed, **run, resume=True))
    assert resumed.seen == [5, 10, 15, 20], "the record came back with the checkpoint"
    assert straight.seen == [5, 10, 15, 20]
    for name, tensor in saved(prepared_bot).items():
        assert torch.equal(saved(other)[name], tensor), name


class BestUntil(Scripted):
    """A judge for which every epoch up to `last` is better than the one before, none after."""

    def __init__(self, last: float) -> None:
        super().__init__(set())
        self.last = last

    def measure(self, model, step, epoch, val_loss):
        super().measure(model, step, epoch, val_loss)
        return epoch <= self.last, f"epoch {epoch:g}"


@pytest.mark.slow  # trains for several measured epochs
def test_an_early_stop_is_announced_and_the_progress_ends_at_what_was_done(prepared_bot, capsys):
    judge = BestUntil(2)
    train.train(prepared_bot, cfg(judge, epochs=8, measure_every=0, progress=True))
    err = capsys.readouterr().err
    lines = err.splitlines()
    said = "Stopped after epoch 4 of 8: no better in 2 measurements; keeping epoch 2"
    assert said in lines, err
    progress = [line for line in lines if line.startswith("Training: ")]
    steps = manifest.load(prepared_bot).training["steps_per_epoch"]
    assert progress[-1].startswith(f"Training: {4 * steps}/{8 * steps} steps, ")
    assert "left" not in progress[-1], "nothing is left once training has stopped"
    assert lines.index(said) > lines.index(progress[-1]), "told after the progress display ends"


@pytest.mark.slow  # trains for several measured epochs
def test_the_kept_epoch_is_said_when_it_is_not_the_last(prepared_bot, capsys):
    judge = BestUntil(1)
    train.train(prepared_bot, cfg(judge, epochs=2, measure_every=0, patience=5))
    assert "Kept epoch 1 of 2, the best measured" in capsys.readouterr().err.splitlines()
