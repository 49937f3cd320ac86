"""What the training loop writes: checkpoints to resume from, and the finished `DIR/repo/`."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from ..bot import layout, manifest
from ..bot.outdir import REPO_PREFIX, staging_dir
from ..errors import Interrupted, OutputError, TrainingError, os_reason

# huggingtweets' sampling defaults, shared with the Space.
from ..space.draw import DEFAULTS as SAMPLING_DEFAULTS  # noqa: E402
from .plots import loss_curve

# What a full disk, a read-only folder or a missing permission raises while saving weights:
# safetensors reports its own I/O errors.
WRITE_ERRORS = (OSError, SafetensorError)


def write_reason(e: BaseException) -> str:
    """'File too large: PATH' for an error of WRITE_ERRORS."""
    if isinstance(e, OSError):
        return os_reason(e)
    # safetensors says "I/O error: File too large (os error 27)"; before 0.6, "Error while
    # serializing: IoError(Os { code: 27, kind: FileTooLarge, message: "File too large" })".
    text = str(e)
    older = re.search(r'IoError\(Os \{.*message: "([^"]*)"', text)
    return older.group(1) if older else text.rpartition("I/O error: ")[2]


def log(accelerator: Any, msg: str) -> None:
    """A progress line on stderr from the main process (stdout is for results)."""
    if accelerator.is_main_process:
        print(msg, file=sys.stderr, flush=True)


class Checkpoints:
    """`DIR/checkpoints/step_NNNNNN/`, the latest kept, tagged with what they were trained on.

    A checkpoint is written as `.step_NNNNNN.partial` and renamed when complete, so a run killed
    while saving (even by `kill -9`) leaves the previous checkpoint to resume from.
    """

    def __init__(self, root: Path, tag: dict[str, Any]) -> None:
        self.root = root
        self.tag = tag

    def latest(self) -> Path | None:
        found = sorted(self.root.glob("step_*")) if self.root.exists() else []
        found = [p for p in found if (p / "hf_tweetbot.json").is_file()]
        return found[-1] if found else None

    def save(self, accelerator: Any, step: int,
             extra: Callable[[Path, int], None] | None = None) -> None:  # fmt: skip
        """Save the run's state at `step`; `extra(folder, step)` adds files (main process)."""
        path = self.root / f"step_{step:06d}"
        partial = self.root / f".{path.name}.partial"
        try:
            if accelerator.is_main_process:
                shutil.rmtree(partial, ignore_errors=True)  # left by a run killed while saving
            accelerator.wait_for_everyone()
            accelerator.save_state(str(partial))
            if accelerator.is_main_process:
                if extra is not None:
                    extra(partial, step)
                (partial / "hf_tweetbot.json").write_text(json.dumps({**self.tag, "step": step}))
                shutil.rmtree(path, ignore_errors=True)
                os.replace(partial, path)
                for old in sorted(self.root.glob("step_*"))[:-1]:
                    shutil.rmtree(old, ignore_errors=True)
        except WRITE_ERRORS as e:
            raise OutputError(
                f"{self.root}: could not save the checkpoint of step {step} ({write_reason(e)}); "
                "the previous checkpoint is intact",
                hint=f"free some disk space, then: hf-tweetbot train {self.root.parent} --resume",
            ) from None
        accelerator.wait_for_everyone()

    def pick(self, accelerator: Any, resume: bool, restart: bool) -> dict[str, Any] | None:
        """The latest checkpoint's record when this run continues it, else None (from step 0).

        A checkpoint of the same run (same base model, data and options: `tag`) is resumed by
        default; `restart` removes it instead. A checkpoint of another run is never resumed
        silently, nor thrown away: the run is refused with what differs.

        Raises:
            TrainingError: the checkpoint was made by another run (and `restart` is not set).
        """
        path = self.latest()
        if restart:
            if path is not None and accelerator.is_main_process:
                log(accelerator, f"Starting over (--restart): removed {path}")
                self.clear()
            accelerator.wait_for_everyone()
            return None
        if path is None:
            if resume:
                log(accelerator, "No checkpoint to resume from; training from the start.")
            return None
        meta: dict[str, Any] = json.loads((path / "hf_tweetbot.json").read_text())
        differs = [k for k in ("base_model", "data") if meta.get(k) != self.tag[k]]
        run = meta.get("run") or {}
        differs += sorted(
            k for k in {**run, **self.tag["run"]} if run.get(k) != self.tag["run"].get(k)
        )
        if differs:
            raise TrainingError(
                f"{path} is a checkpoint of another run (different {', '.join(differs)})",
                hint="run with that run's options to resume it, or add --restart to start over",
            )
        meta["path"] = str(path)
        return meta

    def load(self, accelerator: Any, meta: dict[str, Any], total_steps: int) -> int:
        """Load the checkpoint `pick` chose; return its optimizer step."""
        path = Path(meta["path"])
        accelerator.load_state(str(path))
        step = int(meta["step"])
        log(accelerator, f"Resuming from {path.name} ({step} of {total_steps} steps done; "
                         "--restart starts over)")  # fmt: skip
        return step

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def rebase(root: Path, base: str, tokenizer: str | None) -> None:
    """Name a moved base model in the records of the checkpoints under `root`: a job on
    Hugging Face Jobs trains from its own copy of a local base model, in another folder each
    time, and still continues the checkpoint an earlier job made from the same copy."""
    for record in root.glob("step_*/hf_tweetbot.json"):
        meta = json.loads(record.read_text())
        meta["base_model"] = base
        if tokenizer is not None:
            meta.setdefault("data", {})["tokenizer"] = tokenizer
        record.write_text(json.dumps(meta))


def interrupted(bot_dir: Path, every: int) -> Interrupted:
    """What to tell a person who stopped training with Ctrl-C: what is kept, how to go on."""
    latest = Checkpoints(layout.checkpoints_dir(bot_dir), {}).latest()
    if latest is None:
        saved = f"checkpoints are saved every {every} steps" if every else "--checkpoint-every 0"
        return Interrupted(f"Training interrupted before its first checkpoint ({saved}): "
                           f"`hf-tweetbot train {bot_dir}` starts it again")  # fmt: skip
    meta = json.loads((latest / "hf_tweetbot.json").read_text())
    done = f"{meta['step']} of {meta['total_steps']}" if meta.get("total_steps") else meta["step"]
    return Interrupted(f"Training interrupted: `hf-tweetbot train {bot_dir}` resumes it from "
                       f"its checkpoint ({done} steps done)")  # fmt: skip


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

    Raises:
        OutputError: something could not be written (disk full, ...); `DIR/repo/` is as it was.
    """
    repo = layout.repo_dir(bot_dir)
    try:
        with staging_dir(bot_dir, REPO_PREFIX) as staged:
            stage = staged / layout.REPO
            _write_files(stage, bot_dir, model, tokenizer, m, history, timing)
            if repo.exists():  # into the stage, removed with it
                os.replace(repo, staged / "old-repo")
            os.replace(stage, repo)
    except WRITE_ERRORS as e:
        raise OutputError(
            f"{bot_dir}: could not write the trained model ({write_reason(e)}); "
            f"{repo} is as it was",
            hint=f"free some disk space, then: hf-tweetbot train {bot_dir} --resume",
        ) from None
    return repo


def _write_files(
    stage: Path,
    bot_dir: Path,
    model: Any,
    tokenizer: Any,
    m: manifest.Manifest,
    history: list[tuple[int, float]],
    timing: list[tuple[float, int]] | None,
) -> None:
    """Everything `DIR/repo/` holds, into `stage`: the model and what the Hub page shows."""
    from transformers import GenerationConfig

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
    # Only the avatars bot.json names, as regular files `prepare` wrote: never a link.
    for u in m.users:
        avatar = layout.avatars_dir(bot_dir) / (u.avatar_url or "")
        if (
            u.avatar_url
            and "/" not in u.avatar_url
            and avatar.is_file()
            and not avatar.is_symlink()
        ):
            shutil.copyfile(avatar, stage / u.avatar_url)
    if layout.runs_dir(bot_dir).exists():
        shutil.copytree(layout.runs_dir(bot_dir), stage / layout.RUNS, symlinks=True)
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
        loss_curve(history, m.metrics, stage / "loss_curve.png", m.training)
