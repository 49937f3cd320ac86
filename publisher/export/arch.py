"""What each exported architecture looks like in GGUF: its hyperparameters and its tensors.

Tensor names come from gguf-py's own map (`gguf.get_tensor_name_map`), the one llama.cpp's
`convert_hf_to_gguf.py` and transformers' GGUF loader both use, so the three agree by
construction. What is written here is only what differs between architectures, as llama.cpp's
converter does it:

- GPT-2 stores its projections as `Conv1D` (input × output): they are transposed to the
  (output × input) layout of every other linear layer.
- Llama's query and key rows are permuted per head from the "rotate halves" RoPE layout of
  transformers to the interleaved pairs llama.cpp rotates (transformers' loader undoes it).
- Qwen2 needs neither (llama.cpp rotates it in the "NeoX" layout), and has q/k/v biases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gguf
import numpy as np

from ..errors import ExportError


@dataclass(frozen=True)
class Arch:
    """One architecture: llama.cpp's name for it, its hyperparameters, its tensor fix-ups."""

    gguf_arch: gguf.MODEL_ARCH
    hparams: Callable[[Any, gguf.GGUFWriter], None]
    # (transformers tensor name, fp32 array, config) -> the array as llama.cpp wants it
    fix: Callable[[str, np.ndarray, Any], np.ndarray]

    @property
    def name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]


def _gpt2_hparams(cfg: Any, w: gguf.GGUFWriter) -> None:
    if cfg.activation_function not in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        # llama.cpp's GPT-2 graph applies the tanh approximation of GELU, nothing else.
        raise ExportError(f"GPT-2 with activation {cfg.activation_function!r} has no GGUF form")
    w.add_context_length(cfg.n_positions)
    w.add_embedding_length(cfg.n_embd)
    w.add_feed_forward_length(cfg.n_inner or 4 * cfg.n_embd)
    w.add_block_count(cfg.n_layer)
    w.add_head_count(cfg.n_head)
    w.add_layer_norm_eps(cfg.layer_norm_epsilon)


def _gpt2_fix(name: str, data: np.ndarray, cfg: Any) -> np.ndarray:
    if name.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
        return np.ascontiguousarray(data.T)  # Conv1D is (in, out)
    return data


def rope_theta(cfg: Any) -> float:
    """RoPE's base frequency; only plain RoPE is exported (no scaling)."""
    params = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    kind = params.get("rope_type", params.get("type", "default"))
    if kind != "default":
        raise ExportError(f"RoPE scaling {kind!r} is not exported to GGUF yet")
    return float(params.get("rope_theta", getattr(cfg, "rope_theta", 10000.0)))


def head_dim(cfg: Any) -> int:
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def _llama_hparams(cfg: Any, w: gguf.GGUFWriter) -> None:
    if cfg.hidden_act != "silu":
        raise ExportError(f"a Llama with activation {cfg.hidden_act!r} has no GGUF form")
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(rope_theta(cfg))
    w.add_rope_dimension_count(head_dim(cfg))
    w.add_vocab_size(cfg.vocab_size)


def permute_rope(data: np.ndarray, n_head: int) -> np.ndarray:
    """Rows of each head from halves [x0..x(d/2-1), x(d/2)..] to pairs (x0, x(d/2)), (x1, ...).

    The same reordering as llama.cpp's `LlamaModel.permute`; transformers' loader reverses it.
    """
    half = data.shape[0] // n_head // 2
    out = data.reshape(n_head, 2, half, *data.shape[1:]).swapaxes(1, 2)
    return np.ascontiguousarray(out.reshape(data.shape))


def _llama_fix(name: str, data: np.ndarray, cfg: Any) -> np.ndarray:
    if name.endswith(("q_proj.weight", "q_proj.bias")):
        return permute_rope(data, cfg.num_attention_heads)
    if name.endswith(("k_proj.weight", "k_proj.bias")):
        return permute_rope(data, cfg.num_key_value_heads)
    return data


def _qwen2_hparams(cfg: Any, w: gguf.GGUFWriter) -> None:
    if getattr(cfg, "use_sliding_window", False):
        raise ExportError("a Qwen2 with sliding-window attention is not exported to GGUF yet")
    _llama_hparams(cfg, w)


ARCHS: dict[str, Arch] = {
    "gpt2": Arch(gguf.MODEL_ARCH.GPT2, _gpt2_hparams, _gpt2_fix),
    "llama": Arch(gguf.MODEL_ARCH.LLAMA, _llama_hparams, _llama_fix),
    "qwen2": Arch(gguf.MODEL_ARCH.QWEN2, _qwen2_hparams, lambda name, data, cfg: data),
}


def arch_of(cfg: Any) -> Arch:
    """The `Arch` of a transformers config, or an `ExportError` naming the supported ones."""
    arch = ARCHS.get(cfg.model_type)
    if arch is None:
        raise ExportError(
            f"cannot export a {cfg.model_type!r} model to GGUF (supported: {', '.join(ARCHS)})",
            hint="train the bot on GPT-2 (default) or `--base-model smollm2`",
        )
    return arch


def gguf_tensors(arch: Arch, cfg: Any, state: dict[str, Any]) -> Iterator[tuple[str, np.ndarray]]:
    """The model's tensors under their GGUF names, fixed up for llama.cpp, in fp32.

    Args:
        arch: the architecture.
        cfg: the transformers config.
        state: the model's state dict (tensors).

    Yields:
        (GGUF name, array) pairs, in the state dict's order, one at a time (only one fp32 copy
        is alive at once). A tied output head is left out: llama.cpp and transformers both
        reuse the token embedding when `output.weight` is absent.
    """
    names = gguf.get_tensor_name_map(arch.gguf_arch, _layers(cfg))
    for hf_name, tensor in state.items():
        if hf_name.startswith("lm_head.") and getattr(cfg, "tie_word_embeddings", False):
            continue
        if hf_name.endswith((".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")):
            continue  # buffers, not weights
        new = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise ExportError(f"tensor {hf_name} has no GGUF name for {arch.name}")
        data = tensor.detach().float().cpu().numpy()
        yield new, arch.fix(hf_name, data, cfg)


def _layers(cfg: Any) -> int:
    return int(getattr(cfg, "num_hidden_layers", None) or cfg.n_layer)
