"""LoRA adapters (`--lora`) through peft, and the model a training run starts from.

Full fine-tuning keeps a gradient and two AdamW moments for every parameter: for SmolLM2-135M
that is about 1.6 GB of fp32 state, and every refresh of a bot re-uploads ~540 MB of weights.
With LoRA only low-rank matrices beside the frozen weights train (a few MB of state and of
adapter), which is what lets a 360M-1.7B base model train on a laptop CPU at all.

What is pushed stays usable everywhere: by default the adapter is merged into the weights, so
`DIR/repo/` is a plain transformers model (the inference widget, `pipeline()` and the Space need
nothing new). With `--push-adapter`, `DIR/repo/` holds only `adapter_config.json` and
`adapter_model.safetensors` (plus tokenizer, card, ...): `transformers` loads such a repo on top
of the base model it names when `peft` is installed, and the Space installs peft for it.

The learning rate under LoRA defaults to ten times the full fine-tuning one: LoRA's best rate
is consistently about 10x full fine-tuning's across model sizes (Schulman et al., "LoRA Without
Regret", Thinking Machines, 2025).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import base_models
from ..bot.layout import ADAPTER_CONFIG, is_adapter
from ..errors import TrainingError

DEFAULT_TARGETS = "all-linear"  # every linear layer of attention and MLP; never the LM head
LR_SCALE = 10  # LoRA's learning rate over full fine-tuning's (module docstring)


def targets(spec: str | None) -> str | list[str]:
    """`--lora-targets`: "all-linear" or comma-separated module names (q_proj,v_proj)."""
    spec = (spec or DEFAULT_TARGETS).strip()
    if spec == DEFAULT_TARGETS:
        return spec
    names = [t.strip() for t in spec.split(",") if t.strip()]
    if not names:
        raise TrainingError(
            f"--lora-targets {spec!r} names no module", hint="e.g. --lora-targets q_proj,v_proj"
        )
    return names


def check(cfg: Any, base: str) -> None:
    """Refuse option combinations that would push an unusable repo.

    Raises:
        TrainingError: `--push-adapter` without `--lora`, or with a base model that is a local
            folder (an adapter names its base: nobody else could load it).
    """
    if not cfg.push_adapter:
        return
    if not cfg.lora:
        raise TrainingError(
            "--push-adapter needs --lora", hint="add --lora, or drop --push-adapter"
        )
    if base_models.is_local(base):
        raise TrainingError(
            f"--push-adapter: the base model {base} is a local folder, so the adapter could not "
            "be loaded anywhere else",
            hint="push merged weights (drop --push-adapter), or train from a Hub id or smollm2",
        )


def load_start(base: str, cfg: Any) -> tuple[Any, Any]:
    """The model a run starts from: the base, or the bot's current weights (`cfg.init_from`).

    Args:
        base: the base model's name (Hub id, folder or alias).
        cfg: the `TrainConfig`; `init_from` is a model or adapter folder (`hf-tweetbot update`).

    Returns:
        (model, tokenizer). An adapter in `init_from` is loaded trainable under `--lora` (the
        update continues that adapter) and merged into the base otherwise.
    """
    start = cfg.init_from
    if start is None or not is_adapter(start):
        return base_models.load_base(str(start) if start else base)
    from peft import PeftModel

    model, tok = base_models.load_base(base)
    model = PeftModel.from_pretrained(model, str(start), is_trainable=bool(cfg.lora))
    return (model, tok) if cfg.lora else (model.merge_and_unload(), tok)


def wrap(model: Any, cfg: Any) -> Any:
    """Put LoRA matrices beside the model's linear layers (a no-op without `--lora`).

    Args:
        model: the causal LM (attention already set up), or a peft model loaded trainable.
        cfg: the `TrainConfig` (`lora`, `lora_r`, `lora_alpha`, `lora_targets`).

    Returns:
        The model to train: only the LoRA matrices require gradients under `--lora`.
    """
    if not cfg.lora or hasattr(model, "peft_config"):
        return model
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        target_modules=targets(cfg.lora_targets),
        lora_dropout=0.0,  # a few epochs on a few thousand posts; dropout only slowed it
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as e:  # peft names the target modules it did not find
        raise TrainingError(
            f"--lora-targets: {str(e).splitlines()[0][:200]}",
            hint="use --lora-targets all-linear, or names of the model's linear layers",
        ) from None


def for_repo(model: Any, cfg: Any, base: str) -> Any:
    """What `DIR/repo/` gets: merged weights, or the adapter alone under `--push-adapter`.

    Args:
        model: the trained model (a peft model under `--lora`).
        cfg: the `TrainConfig`.
        base: the base model's canonical name, recorded in the adapter as its base.

    Returns:
        A plain transformers model, or the peft model whose `save_pretrained` writes the adapter.
    """
    if not hasattr(model, "peft_config"):
        return model
    if not cfg.push_adapter:
        return model.merge_and_unload()
    # peft records the folder the base was loaded from (the offline SmolLM2's cache folder);
    # the repo must name the base as the Hub knows it.
    model.peft_config["default"].base_model_name_or_path = base
    return model


def describe(cfg: Any) -> dict[str, Any] | None:
    """bot.json's `adapter` key: how LoRA was used (None for full fine-tuning)."""
    if not cfg.lora:
        return None
    return {
        "method": "lora",
        "r": cfg.lora_r,
        "alpha": cfg.lora_alpha,
        "targets": cfg.lora_targets or DEFAULT_TARGETS,
        "repo": "adapter" if cfg.push_adapter else "merged",
    }


def adapter_base(folder: Path) -> str | None:
    """The base model an adapter folder names (None for a full model folder)."""
    if not is_adapter(folder):
        return None
    return json.loads((Path(folder) / ADAPTER_CONFIG).read_text(encoding="utf-8")).get(
        "base_model_name_or_path"
    )
