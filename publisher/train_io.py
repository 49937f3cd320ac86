"""What the training loop reads and writes: batches, checkpoints and the model repo folder."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

# huggingtweets' sampling defaults, shared with the Space.
from space.sampling import DEFAULTS as SAMPLING_DEFAULTS  # noqa: E402

from . import manifest
from .plots import loss_curve


def log(accelerator: Any, msg: str) -> None:
    """A progress line on stderr from the main process (stdout is for results)."""
    if accelerator.is_main_process:
        print(msg, file=sys.stderr, flush=True)


def collate(rows: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad blocks to the longest in the batch; padding is masked out of attention and loss."""
    longest = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.as_tensor(r["input_ids"])
        mask[i, :n] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


class MasterAdamW(torch.optim.AdamW):
    """AdamW for a model kept in bfloat16, updating fp32 master copies of its weights.

    On CPUs, autocast re-casts every fp32 weight to bf16 in each forward and casts activations
    back and forth, which cost more than it saved here (fp32 matrix products run at a quarter of
    the bf16 speed on AVX512-BF16 CPUs). A bf16 model avoids those casts; the fp32 masters keep
    updates of ~lr x 1e-4 from rounding away in bf16's 8-bit mantissa.

    Args:
        params: the bf16 parameters of the model.
        **kwargs: `torch.optim.AdamW` arguments (lr, weight_decay, fused...).
    """

    def __init__(self, params: Any, **kwargs: Any) -> None:
        self.low = [p for p in params if p.requires_grad]
        self.masters = [p.detach().float().clone() for p in self.low]
        super().__init__(self.masters, **kwargs)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        for lo, hi in zip(self.low, self.masters, strict=True):
            hi.grad = None if lo.grad is None else lo.grad.float()
        loss = super().step(closure)
        for lo, hi in zip(self.low, self.masters, strict=True):
            lo.copy_(hi)
            hi.grad = None
        return loss

    def state_dict(self) -> dict[str, Any]:
        # Checkpoints carry the fp32 masters: the bf16 weights alone would lose their low bits.
        return {**super().state_dict(), "fp32_masters": [m.clone() for m in self.masters]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        masters = state_dict.pop("fp32_masters", None)
        super().load_state_dict(state_dict)
        with torch.no_grad():
            for lo, hi, saved in zip(self.low, self.masters, masters or self.low, strict=True):
                hi.copy_(saved)
                lo.copy_(hi)

    @torch.no_grad()
    def export_fp32(self, model: Any) -> Any:
        """Turn `model` back into fp32 holding the exact master weights (for saving)."""
        model.float()
        for lo, hi in zip(self.low, self.masters, strict=True):
            lo.copy_(hi)
        return model


def make_optimizer(model: Any, lr: float, bf16_weights: bool) -> torch.optim.Optimizer:
    """Fused AdamW (one kernel over all tensors), on fp32 masters when the model is bf16."""
    kw: dict[str, Any] = {"lr": lr, "weight_decay": 0.0, "fused": True}
    if bf16_weights:
        return MasterAdamW(model.parameters(), **kw)
    return torch.optim.AdamW(model.parameters(), **kw)


class Checkpoints:
    """`DIR/checkpoints/step_NNNNNN/`, the latest kept, tagged with what they were trained on."""

    def __init__(self, root: Path, tag: dict[str, Any]) -> None:
        self.root = root
        self.tag = tag

    def latest(self) -> Path | None:
        found = sorted(self.root.glob("step_*")) if self.root.exists() else []
        return found[-1] if found else None

    def save(self, accelerator: Any, step: int) -> None:
        path = self.root / f"step_{step:06d}"
        accelerator.save_state(str(path))
        if accelerator.is_main_process:
            (path / "hf_tweetbot.json").write_text(json.dumps({**self.tag, "step": step}))
            for old in sorted(self.root.glob("step_*"))[:-1]:
                shutil.rmtree(old, ignore_errors=True)
        accelerator.wait_for_everyone()

    def resume(self, accelerator: Any) -> int:
        """Load the latest checkpoint; return its optimizer step (0 when there is none)."""
        from .errors import TrainingError

        path = self.latest()
        if path is None:
            log(accelerator, "No checkpoint to resume from; training from the start.")
            return 0
        meta = json.loads((path / "hf_tweetbot.json").read_text())
        if meta.get("base_model") != self.tag["base_model"] or meta.get("data") != self.tag["data"]:
            raise TrainingError(
                f"{path} was made with base model {meta.get('base_model')} on other data",
                hint="train without --resume to start over",
            )
        accelerator.load_state(str(path))
        log(accelerator, f"Resumed from {path.name}")
        return int(meta["step"])

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def generation_settings(tokenizer: Any) -> dict[str, Any]:
    """huggingtweets' `task_specific_params["text-generation"]`, the EOS token as prefix."""
    return {**SAMPLING_DEFAULTS, "prefix": tokenizer.eos_token}


def write_repo(
    bot_dir: Path,
    model: Any,
    tokenizer: Any,
    m: manifest.Manifest,
    history: list[tuple[int, float]],
    timing: list[tuple[float, int]] | None = None,
) -> Path:
    """Write exactly what goes to the Hub into `DIR/repo/`, atomically.

    The new folder is staged beside the old one and swapped in with renames, so an interrupted
    run never leaves half a repo; files written by later stages (card, thumbnail) are redone.
    """
    from transformers import GenerationConfig

    stage = Path(tempfile.mkdtemp(dir=bot_dir, prefix=".repo-"))
    try:
        gen = generation_settings(tokenizer)
        model.config.task_specific_params = {"text-generation": gen}
        model.config.use_cache = True
        model.generation_config = GenerationConfig(
            **{k: v for k, v in gen.items() if k != "prefix"},
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        model.save_pretrained(stage, safe_serialization=True)
        tokenizer.save_pretrained(stage)
        for avatar in (bot_dir / "avatars").glob("*") if (bot_dir / "avatars").exists() else []:
            shutil.copy2(avatar, stage / avatar.name)
        if (bot_dir / "runs").exists():
            shutil.copytree(bot_dir / "runs", stage / "runs")
        info = {
            "model_name": m.model_name,
            "widget_text": m.widget_text,
            "users": [
                {"handle": u.handle, "name": u.name, "avatar_url": u.avatar_url} for u in m.users
            ],
        }
        (stage / "bot_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
        (stage / "training_metrics.json").write_text(
            json.dumps(
                # step_timing: (seconds, tokens) of each optimizer step, for benchmarks.
                {"metrics": vars(m.metrics), "loss_history": history, "step_timing": timing or []},
                indent=2,
            )
            + "\n"
        )
        if history:
            loss_curve(history, m.metrics, stage / "loss_curve.png")
        _swap_in(stage, bot_dir / "repo")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return bot_dir / "repo"


def _swap_in(stage: Path, target: Path) -> None:
    old = target.with_name(f".repo-old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(stage, target)
    shutil.rmtree(old, ignore_errors=True)
