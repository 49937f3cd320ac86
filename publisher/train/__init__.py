"""Fine-tune: the Accelerate loop and what it is built from.

- `config.py`: `TrainConfig`, the options (light: the command line is built from it);
- `loop.py`: `train(bot_dir, cfg) -> Metrics`, the loop that reads top to bottom (batches built by
  `collate`);
- `attention.py`: posts attention (each post of a packed block attends only to itself);
- `loss.py`: the LM head and cross-entropy in chunks, never a full fp32 copy of the logits;
- `checkpoints.py`: checkpoints to resume from, and the finished `DIR/repo/`; `plots.py`: the loss curve;
- `accel.py`: the Accelerator (precision, trackers);
- `lora.py`: LoRA adapters through peft, and the weights a run starts from.

The loop and the Accelerator import torch: they are loaded when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import TrainConfig

if TYPE_CHECKING:
    from .accel import resolve_precision
    from .loop import evaluate, train

_HEAVY = {"evaluate": "loop", "train": "loop", "resolve_precision": "accel"}

__all__ = ["TrainConfig", "evaluate", "resolve_precision", "train"]


def __getattr__(name: str) -> Any:
    if name in _HEAVY:
        return getattr(importlib.import_module(f".{_HEAVY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
