"""The epoch a person would choose: measured as training goes, the best weights kept.

Trained too briefly, a bot is easy to tell from its person; trained too long, it has learned
posts by heart. So the loop (`loop.py`) calls `EpochChoice` at the end of every epoch (every
`LONG_EPOCH` optimizer steps when an epoch is longer) and at the last step. A judge, set by
the caller in `TrainConfig.judge` (`publisher.quality.epochs.EpochJudge` from the pipeline),
measures the weights and says whether they are the best so far; this module keeps a copy of the
best weights, stops training once `patience` measurements in a row brought nothing better, and
puts the best weights back at the end. With `keep_last` the same measurements are made and
recorded, and training runs exactly as asked and keeps its last weights.

Under several processes the main one measures and its verdict is broadcast, so every process
keeps, stops and restores alike. A checkpoint carries the choice (the judge's record, and the
best weights when they are not the checkpoint's own), so a resumed run chooses as an
uninterrupted one does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import torch
from safetensors.torch import load_file, save_file

LONG_EPOCH = 500  # optimizer steps: an epoch longer than this is measured every LONG_EPOCH steps
STATE_FILE = "epoch_choice.json"
KEPT_FILE = "kept_weights.safetensors"


class Judge(Protocol):
    """What measures the weights at each measurement (`publisher.quality.epochs.EpochJudge`)."""

    def measure(self, model: Any, step: int, epoch: float, val_loss: float) -> tuple[bool, str]:
        """Measure `model` (main process only); (best so far?, a line for the terminal)."""
        ...

    def state(self) -> dict[str, Any]:
        """Everything measured so far, as JSON (for checkpoints and bot.json)."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """Take back what `state` returned (a resumed run)."""
        ...


class EpochChoice:
    """Measure at epoch ends, keep the best weights, stop when patience runs out.

    Args:
        judge: what measures.
        accelerator: the run's Accelerator.
        steps_per_epoch: optimizer steps in an epoch.
        total_steps: the most optimizer steps of the run.
        patience: measurements without a better one before training stops.
        keep_last: measure, but train every step and keep the last weights.
        every: optimizer steps between measurements (0: each epoch, at most `LONG_EPOCH` apart).
    """

    def __init__(self, judge: Judge, accelerator: Any, steps_per_epoch: int, total_steps: int,
                 patience: int, keep_last: bool, every: int = 0) -> None:  # fmt: skip
        self.judge = judge
        self.accelerator = accelerator
        self.steps_per_epoch = max(steps_per_epoch, 1)
        self.total_steps = total_steps
        self.patience = max(int(patience), 1)
        self.keep_last = keep_last
        self.every = max(1, int(every) or min(self.steps_per_epoch, LONG_EPOCH))
        self.best_step: int | None = None
        self.best_loss: float | None = None
        self.last_step: int | None = None  # the last step measured
        self.last_loss: float | None = None
        self.stale = 0  # measurements since the best
        self.stopped = ""  # why training stopped before its last step ("" if it did not)
        self._kept: dict[str, torch.Tensor] | None = None

    def due(self, step: int) -> bool:
        """Whether weights at `step` are measured."""
        return step % self.every == 0 or step >= self.total_steps

    def measure(self, model: Any, step: int, val_loss: float, say: Any) -> bool:
        """Measure the weights at `step` (validation loss already known); True: stop training.

        Args:
            model: the trained model (unwrapped: a transformers or peft model).
            step: the optimizer step.
            val_loss: its per-post validation loss (every process computed it).
            say: where the judge's line goes (the progress display's `write`).
        """
        verdict: list[Any] = [False, ""]
        if self.accelerator.is_main_process:
            better, line = self.judge.measure(model, step, step / self.steps_per_epoch, val_loss)
            verdict = [better, line]
        if self.accelerator.num_processes > 1:
            from accelerate.utils import broadcast_object_list

            broadcast_object_list(verdict, from_process=0)
        better, line = bool(verdict[0]), str(verdict[1])
        self.last_step, self.last_loss = step, val_loss
        if better:
            self.best_step, self.best_loss, self.stale = step, val_loss, 0
            self._kept = None if self.keep_last else _snapshot(model)
        else:
            self.stale += 1
        if line and self.accelerator.is_main_process:
            say(line + ("; the best so far" if better else ""))
        if not self.keep_last and self.stale >= self.patience and step < self.total_steps:
            self.stopped = f"no better in {self.stale} measurements"
            return True
        return False

    def outcome(self, step: int) -> str:
        """What the person reads once training ends: where it stopped and the epoch kept.

        "Stopped after epoch 4 of 8: no better in 2 measurements; keeping epoch 2", or "Kept
        epoch 6 of 8, the best measured" when training ran to its end; "" when the last weights
        stay (they were the best, or `keep_last`).
        """
        of = f"of {self.epoch(self.total_steps)}"
        kept = self.best_step if not self.keep_last and self.best_step is not None else step
        if self.stopped:
            return f"Stopped after epoch {self.epoch(step)} {of}: {self.stopped}; keeping epoch {self.epoch(kept)}"  # fmt: skip
        if kept != step:
            return f"Kept epoch {self.epoch(kept)} {of}, the best measured"
        return ""

    def epoch(self, step: int) -> str:
        """The epoch a step ends, as a person counts: 4, or 2.5 within a long epoch."""
        return f"{round(step / self.steps_per_epoch, 2):g}"

    def finish(self, model: Any, step: int) -> float | None:
        """Put the best weights back into `model` (unless `keep_last`); their validation loss.

        Returns:
            The validation loss of the weights the model now holds, when it was measured.
        """
        if self.keep_last or self.best_step is None or self.best_step == step:
            return self.last_loss if self.last_step == step else None
        if self._kept is not None:
            params = dict(model.named_parameters())
            with torch.no_grad():
                for name, value in self._kept.items():
                    params[name].copy_(value)
        return self.best_loss

    def summary(self, step: int) -> dict[str, Any]:
        """The choice for bot.json's `training`: the judge's record and what was kept."""
        kept = step if self.keep_last or self.best_step is None else self.best_step
        return {
            **self.judge.state(),
            "patience": self.patience,
            "keep_last": self.keep_last,
            "measured_every": self.every,
            "steps_per_epoch": self.steps_per_epoch,
            "steps": step,
            "kept": {"step": kept, "epoch": round(kept / self.steps_per_epoch, 3)},
            "stopped_early": self.stopped or None,
        }

    # -- checkpoints ------------------------------------------------------------------------

    def save(self, folder: Path, step: int) -> None:
        """Write the choice so far into a checkpoint folder (main process)."""
        state = {"best_step": self.best_step, "best_loss": self.best_loss, "stale": self.stale,
                 "last_step": self.last_step, "last_loss": self.last_loss,
                 "judge": self.judge.state()}  # fmt: skip
        (folder / STATE_FILE).write_text(json.dumps(state))
        if self._kept is not None and self.best_step != step:
            save_file({k: v.contiguous() for k, v in self._kept.items()}, folder / KEPT_FILE)

    def load(self, folder: Path | None, model: Any, step: int) -> None:
        """Take the choice back from a checkpoint folder (every process), after its weights."""
        if folder is None or not (folder / STATE_FILE).is_file():
            return
        path = folder / STATE_FILE
        state = json.loads(path.read_text())
        self.best_step, self.best_loss = state["best_step"], state["best_loss"]
        self.last_step, self.last_loss = state["last_step"], state["last_loss"]
        self.stale = int(state["stale"])
        self.judge.load_state(state["judge"])
        if self.keep_last or self.best_step is None:
            return
        if (folder / KEPT_FILE).is_file():
            self._kept = load_file(folder / KEPT_FILE)
        elif self.best_step == step:
            self._kept = _snapshot(model)


def _snapshot(model: Any) -> dict[str, torch.Tensor]:
    """A copy of the weights that train (all of them, or the LoRA adapter's)."""
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
