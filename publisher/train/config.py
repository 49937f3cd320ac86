"""`TrainConfig`: the training options, shared by the flags of `train`, `publish` and `update`
and by Python callers. Light (no torch), so that the command line is built from it at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import dataset
from ..flags import flag
from .lora import LR_SCALE

if TYPE_CHECKING:
    from .choice import Judge

DEFAULT_LR = 1.372e-4  # huggingtweets' sweep winner (full fine-tuning)
EPOCHS = 4  # huggingtweets trained 4 epochs: the default when no epoch is chosen
MAX_EPOCHS = 8  # the default most epochs when a judge chooses the epoch (docs/usage.md)
PATIENCE = 2  # measurements without better weights before training stops


def _sci(x: float) -> str:
    return f"{x:.3e}".replace("e-0", "e-")  # 1.372e-4


@dataclass
class TrainConfig:
    """Hyperparameters; defaults are huggingtweets' tuned values where it had them."""

    # None: the one `prepare` recorded in bot.json
    base_model: str | None = flag(None, help="Train another base model than `prepare` recorded (re-tokenizes).")  # fmt: skip
    # The most epochs. None: MAX_EPOCHS when a judge chooses the epoch, else EPOCHS.
    epochs: int | None = flag(None, min=1, help=f"The most epochs (default {MAX_EPOCHS}): training keeps the epoch whose posts pass best for the person's, and stops once {PATIENCE} measurements in a row were no better.")  # fmt: skip
    # stop after this many optimizer steps (beats epochs)
    max_steps: int | None = flag(None, min=1, help="Stop after N optimizer steps.")
    # None: DEFAULT_LR, x lora.LR_SCALE under --lora; cosine decay, no warmup
    learning_rate: float | None = flag(None, name="--lr", min=0, min_open=True, help=f"Default {_sci(DEFAULT_LR)} (huggingtweets); {_sci(DEFAULT_LR * LR_SCALE)} with --lora.")  # fmt: skip
    # blocks per step per process (huggingtweets: 1 block of 1024)
    batch_size: int = flag(1, min=1, help="Blocks per step per process.")
    grad_accum: int = flag(
        1, min=1, help="Gradient accumulation steps."
    )  # micro-batches per optimizer step
    block_size: int | None = None  # re-tokenize with this block size (default: as prepared)
    # auto = bf16 where the hardware has it (AVX512-BF16, CUDA)
    mixed_precision: str = flag("auto", choices=["auto", "bf16", "fp16", "no"])
    # posts: each post attends only to itself, as in generation (and 3x cheaper attention);
    # block: huggingtweets' causal attention over the whole 1024-token block of posts.
    attention: str = flag("posts", choices=["posts", "block"], help="posts: each post attends only to itself; block: the whole block (huggingtweets).")  # fmt: skip
    max_grad_norm: float = 1.0  # clipping, as transformers.Trainer does by default
    seed: int = flag(dataset.SEED)  # `publish`: the posts' split's --seed
    # optimizer steps between checkpoints; 0 = never
    checkpoint_every: int = flag(50, min=0, help="Optimizer steps between checkpoints (0: never).")
    # A checkpoint of the same run in DIR/checkpoints/ is continued by default (`same_run`);
    # `resume` only says so when there is none, `restart` removes it and starts over.
    resume: bool = flag(False, help="Continue from the latest checkpoint (the default when it is one of the same run).")  # fmt: skip
    restart: bool = flag(False, help="Start over, removing the checkpoint of an earlier run.")
    # tensorboard (into DIR/repo/runs/), wandb, none, or auto: tensorboard when installed
    report_to: str = flag("auto", choices=["auto", "tensorboard", "wandb", "none"], help="Where training metrics go; auto: TensorBoard when installed (hf-tweetbot[tensorboard]).")  # fmt: skip
    progress: bool = True
    # LoRA (publisher/train/lora.py): train low-rank adapters instead of every weight.
    lora: bool = flag(False, help="Train LoRA adapters (peft) instead of every weight.")
    lora_r: int = flag(16, min=1, help="Rank of the LoRA matrices.")  # rank of the adapter matrices
    # the adapter's update is scaled by alpha / r
    lora_alpha: int = flag(32, min=1, help="LoRA scaling: updates are scaled by alpha / r.")
    # or comma-separated module names: q_proj,v_proj
    lora_targets: str = flag("all-linear", help="Layers to adapt: all-linear, or names such as q_proj,v_proj.")  # fmt: skip
    # DIR/repo/ holds the adapter alone instead of merged weights
    push_adapter: bool = flag(False, help="With --lora: the repo holds the adapter alone (needs a Hub base model), not merged weights.")  # fmt: skip
    # Start from these weights (a model or adapter folder) instead of the base model, and train
    # on this split of DIR/data/tokenized/: how `hf-tweetbot update` continues a bot.
    init_from: Path | None = None
    train_split: str = "train"
    # Called after every optimizer step with (step, total steps, loss); returning True stops
    # training there and keeps what was learned, raising aborts it. For callers that draw
    # progress or enforce a time budget (the web app); not a command-line flag.
    on_step: Callable[[int, int, float], bool | None] | None = None
    # Called with DIR/checkpoints/ after each checkpoint is saved (main process): how a job on
    # Hugging Face Jobs sends its checkpoints where a later job resumes them; not a flag.
    on_checkpoint: Callable[[Path], None] | None = None
    # The epoch a person would choose (`choice.py`): with a judge, made by `judge(bot_dir,
    # tokenizer)` (`publisher.quality.epochs.EpochJudge`, set by the pipeline; not a flag), the
    # weights are measured at every epoch's end, the best are kept and training stops once
    # `patience` measurements brought nothing better.
    judge: Callable[[Path, Any], Judge] | None = None
    # measure, but train exactly as asked and keep the last weights
    keep_last: bool = flag(False, help="Train exactly --epochs (or --max-steps) and keep the last weights; each epoch is still measured.")  # fmt: skip
    patience: int = flag(PATIENCE, min=1, help="Measurements without better weights before training stops.")  # fmt: skip
    # optimizer steps between measurements; 0: every epoch's end
    measure_every: int = flag(0, min=0, help="Optimizer steps between measurements (0: every epoch's end, at most 500 steps apart).")  # fmt: skip
