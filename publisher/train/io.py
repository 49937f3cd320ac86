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

from .. import manifest
from ..plots import loss_curve


def log(accelerator: Any, msg: str) -> None:
    """A progress line on stderr from the main process (stdout is for results)."""
    if accelerator.is_main_process:
        print(msg, file=sys.stderr, flush=True)


def collate(
    rows: list[dict[str, Any]], pad_id: int, eos_id: int | None = None
) -> dict[str, torch.Tensor]:
    """Pad blocks to the longest in the batch; padding is masked out of attention and loss.

    With `eos_id`, the batch also carries `position_ids` restarting at every post, which
    post-by-post attention (`publisher.attention`) reads as the posts' boundaries.
    """
    longest = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, r in enumerate(rows):
        n = len(r["input_ids"])
        ids[i, :n] = torch.as_tensor(r["input_ids"])
        mask[i, :n] = 1
    labels = ids.masked_fill(mask == 0, -100)
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    if eos_id is not None:
        from .attention import post_positions

        batch["position_ids"] = post_positions(ids, mask, eos_id)
    return batch


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
        from ..errors import TrainingError

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
