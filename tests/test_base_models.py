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


@pytest.mark.slow
def test_the_first_conversion_shows_our_progress_line_only(tmp_path):
    """`make demo` on a fresh machine: stderr is a pipe, the conversion cache is empty."""
    import os
    import subprocess
    import sys

    from conftest import EXAMPLES

    env = {**os.environ, "HF_TWEETBOT_CACHE": str(tmp_path / "cache")}
    args = ["prepare", str(EXAMPLES / "wrencalloway_archive.zip"), "--base-model", "smollm2",
            "--out", str(tmp_path / "bot")]  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "publisher.cli", *args], env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "cache" / "smollm2-135m-instruct" / "model.safetensors").is_file()
    lines = run.stderr.splitlines()
    assert "\r" not in run.stderr and "de-quantizing" not in run.stderr.lower()
    assert lines[0].startswith("Converting SmolLM2-135M-Instruct.Q4_1.gguf to safetensors (once;")
    counted = [
        ln for ln in lines if ln.startswith("Dequantizing SmolLM2-135M-Instruct.Q4_1.gguf: ")
    ]
    assert counted and counted[-1].split(": ")[1].startswith("272/272 tensors")
    assert lines[len(counted) + 1].startswith("@wrencalloway: 404 posts downloaded")


def _save_config(path, config):
    path.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(path)
    return str(path)


@pytest.mark.parametrize(
    "kind, words",
    [("bert", "an encoder (BertForMaskedLM)"), ("t5", "sequence-to-sequence (encoder-decoder) t5")],
)
def test_encoders_and_seq2seq_models_are_refused_in_one_line(tmp_path, kind, words):
    from transformers import BertConfig, T5Config

    config = BertConfig() if kind == "bert" else T5Config()
    config.architectures = ["BertForMaskedLM"] if kind == "bert" else ["T5ForConditionalGeneration"]
    folder = _save_config(tmp_path / kind, config)
    with pytest.raises(BaseModelError) as e:
        base_models.load_tokenizer(folder)
    assert words in e.value.message and "\n" not in e.value.message
    assert "decoder-only" in (e.value.hint or "")


def test_prepare_refuses_an_encoder_before_reading_posts(tmp_path, capsys):
    from transformers import BertConfig

    from publisher import cli

    folder = _save_config(tmp_path / "bert", BertConfig(architectures=["BertModel"]))
    code = cli.main(["prepare", "wren=missing.jsonl", "--base-model", folder])
    err = capsys.readouterr().err
    assert code == 2 and "not a causal language model" in err and "Traceback" not in err


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_llama", "tiny_qwen2", "tiny_neox"])
def test_the_four_decoder_architectures_are_accepted(request, arch):
    folder = str(request.getfixturevalue(arch))
    base_models.check_causal(folder, folder)  # no error
    assert not base_models.is_local("smollm2") and base_models.is_local(folder)


def test_a_tokenizer_with_a_chat_template_marks_an_instruct_base(tiny_llama):
    tok = base_models.load_tokenizer(str(tiny_llama))
    assert not base_models.has_chat_template(tok)
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert base_models.has_chat_template(tok)
