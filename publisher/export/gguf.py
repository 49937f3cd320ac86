"""Write a transformers causal LM as one GGUF file, with gguf-py only (no llama.cpp checkout).

The file holds what llama.cpp reads: the architecture's hyperparameters, the byte-level BPE
tokenizer, the bot's sampling defaults (`general.sampling.*`, which llama.cpp takes as its
defaults), a chat template that writes a post after the EOS token, and the tensors. Types follow
llama.cpp's converter: 1-D tensors (norms, biases) and GPT-2's position embeddings stay F32;
2-D tensors are F16, or Q8_0 (blocks of 32 weights sharing one scale) where their rows divide
into blocks. The file is written beside its final name and renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from .arch import arch_of, gguf_tensors
from .vocab import gguf_vocab

QUANTS = {
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
}


@dataclass
class GgufInfo:
    """What the file says about itself and how the bot samples."""

    name: str
    description: str
    temperature: float
    top_p: float
    top_k: int
    chat_template: str
    base_model: str | None = None  # a Hub id
    url: str | None = None  # the bot's Hub page
    min_p: float = 0.0  # written only when fitted


def tensor_type(name: str, data: np.ndarray, quant: str) -> gguf.GGMLQuantizationType:
    """The GGML type of one tensor, as llama.cpp's converter picks it."""
    if data.ndim <= 1 or name.endswith("_norm.weight") or name.startswith("position_embd."):
        return gguf.GGMLQuantizationType.F32
    block = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0][0]
    if quant == "q8_0" and data.shape[-1] % block == 0:
        return gguf.GGMLQuantizationType.Q8_0
    return gguf.GGMLQuantizationType.F16


def write_gguf(model: Any, tokenizer: Any, path: Path, quant: str, info: GgufInfo) -> Path:
    """Write `model` and `tokenizer` to `path` as GGUF.

    Args:
        model: a transformers causal LM (GPT-2, Llama or Qwen2), any dtype.
        tokenizer: its fast tokenizer.
        path: the file to write (replaced atomically).
        quant: "f16" or "q8_0".
        info: names, sampling defaults and chat template.

    Returns:
        `path`.

    Raises:
        ExportError: an architecture, tokenizer or setting with no GGUF form here.
    """
    cfg = model.config
    arch = arch_of(cfg)
    vocab = gguf_vocab(tokenizer, cfg.vocab_size)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(tmp, arch.name)
    try:
        _describe(writer, info, quant)
        arch.hparams(cfg, writer)
        vocab.write(writer)
        writer.add_chat_template(info.chat_template)
        for name, data in _typed(gguf_tensors(arch, cfg, model.state_dict()), quant):
            writer.add_tensor(name, data[0], raw_dtype=data[1])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(tmp, path)
    finally:
        writer.close()
        tmp.unlink(missing_ok=True)
    return path


def _typed(
    tensors: Iterator[tuple[str, np.ndarray]], quant: str
) -> Iterator[tuple[str, tuple[np.ndarray, gguf.GGMLQuantizationType]]]:
    for name, data in tensors:
        kind = tensor_type(name, data, quant)
        yield name, (gguf.quants.quantize(data, kind), kind)


def _describe(w: gguf.GGUFWriter, info: GgufInfo, quant: str) -> None:
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(info.name)
    w.add_description(info.description)
    if info.url:
        w.add_url(info.url)
    if info.base_model:
        w.add_base_model_count(1)
        w.add_base_model_name(0, info.base_model)
        w.add_base_model_repo_url(0, f"https://huggingface.co/{info.base_model}")
    w.add_file_type(int(QUANTS[quant]))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_sampling_temp(float(info.temperature))
    w.add_sampling_top_p(float(info.top_p))
    w.add_sampling_top_k(int(info.top_k))
    if info.min_p > 0:
        w.add_sampling_min_p(float(info.min_p))
