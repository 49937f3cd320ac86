"""Fine-tune: the Accelerate loop and what it is built from.

- `loop.py`: `train(bot_dir, cfg) -> Metrics`, the loop that reads top to bottom (batches built by
  `collate`), and `TrainConfig`;
- `attention.py`: posts attention (each post of a packed block attends only to itself);
- `loss.py`: the LM head and cross-entropy in chunks, never a full fp32 copy of the logits;
- `checkpoints.py`: checkpoints to resume from, and the finished `DIR/repo/`; `plots.py`: the loss curve;
- `accel.py`: the Accelerator (precision, trackers);
- `lora.py`: LoRA adapters through peft, and the weights a run starts from.
"""

from .accel import resolve_precision
from .loop import TrainConfig, evaluate, train

__all__ = ["TrainConfig", "evaluate", "resolve_precision", "train"]
