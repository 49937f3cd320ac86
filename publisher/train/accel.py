"""The Accelerator a training run uses: precision, trackers, and a reset between runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch

from ..bot import layout
from ..errors import require
from ..space.load import bf16_supported


def resolve_precision(requested: str) -> str:
    """bf16 wherever the hardware runs it natively (AVX512-BF16/AMX CPUs, CUDA), else fp32.

    Measured side by side on this project's 2-core AVX512-BF16 CPU with SmolLM2 and 1024-token
    blocks: bf16 autocast trains about 2.5x faster than fp32 (docs/performance.md).
    """
    if requested != "auto":
        return requested
    return "bf16" if bf16_supported("cuda" if torch.cuda.is_available() else "cpu") else "no"


def tracker(report_to: str) -> str | None:
    """The experiment tracker of `--report-to`: `auto` is TensorBoard when it is installed.

    Raises:
        MissingPackageError: `tensorboard` or `wandb` asked for by name and not installed.
    """
    if report_to == "auto":
        return "tensorboard" if importlib.util.find_spec("tensorboard") else None
    if report_to in ("tensorboard", "wandb"):
        require(report_to, report_to, f"--report-to {report_to}")
        return report_to
    return None


def make_accelerator(bot_dir: Path, cfg: Any) -> Any:
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration

    log_with = tracker(cfg.report_to)
    # Accelerate keeps its state in process-wide singletons: a second training in the same
    # process (tests, notebooks) with another precision would be refused without this reset.
    # The process group (PartialState) is kept, so `accelerate launch` runs are unaffected.
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=False)
    GradientState._reset_state()
    return Accelerator(
        # Without this, processes started by `accelerate launch` on a machine without CUDA
        # would each train alone instead of joining one gloo process group.
        cpu=not torch.cuda.is_available(),
        mixed_precision=resolve_precision(cfg.mixed_precision),
        gradient_accumulation_steps=cfg.grad_accum,
        # Each epoch's order comes from (seed, epoch) alone, not from the global RNG's state, so a
        # run resumed mid-epoch sees the very batches an uninterrupted run would.
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=cfg.seed),
        log_with=log_with,
        # Trackers write under DIR/runs/; the folder is copied into DIR/repo/runs/ at the end.
        project_config=ProjectConfiguration(
            project_dir=str(bot_dir), logging_dir=str(layout.runs_dir(bot_dir))
        ),
    )


def wandb_url(accelerator: Any) -> str | None:
    try:
        return accelerator.get_tracker("wandb", unwrap=True).url
    except Exception:
        return None
