from __future__ import annotations

import time

import pytest

from publisher import base_models
from publisher.errors import BaseModelError


def test_local_folder_loads(tiny_model):
    model, tok = base_models.load_base(str(tiny_model))
    assert model.config.model_type == "gpt2" and tok.eos_token == "<|endoftext|>"
    assert tok.pad_token is not None


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(BaseModelError, match="no config.json"):
        base_models.resolve(str(tmp_path))


def test_missing_folder_is_refused():
    with pytest.raises(BaseModelError, match="no such model folder"):
        base_models.resolve("./does-not-exist")


def test_unreachable_hub_id_fails_fast_and_suggests_smollm2():
    start = time.perf_counter()
    with pytest.raises(BaseModelError) as e:
        base_models.load_base("openai-community/gpt2")
    assert "openai-community/gpt2" in e.value.message
    assert "--base-model smollm2" in (e.value.hint or "")
    assert time.perf_counter() - start < 30, "no minute of download retries"


def test_aliases_record_the_hub_id():
    assert base_models.canonical_name("smollm2") == base_models.SMOLLM2_ID
    assert base_models.canonical_name("SmolLM2") == base_models.SMOLLM2_ID
    assert base_models.canonical_name("openai-community/gpt2") == "openai-community/gpt2"


@pytest.mark.slow
def test_smollm2_converts_once_and_loads_offline():
    folder = base_models.smollm2_folder()
    assert (folder / "model.safetensors").exists()
    assert "quantization_config" not in (folder / "config.json").read_text()
    start = time.perf_counter()
    model, tok = base_models.load_base("smollm2")
    assert time.perf_counter() - start < 60
    assert model.config.model_type == "llama"
    assert tok.eos_token == "<|im_end|>"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
