"""`--lora`: merged weights by default, an adapter-only repo with `--push-adapter`, both loadable
by `transformers.pipeline()` and the Space; against the test Hub, with the base model on it."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from conftest import HUB_TOKEN, write_posts_jsonl
from safetensors.torch import load_file

from publisher import cli, train
from publisher.bot import manifest
from publisher.errors import TrainingError
from publisher.train import TrainConfig


def cfg(**kw):
    return TrainConfig(**{"progress": False, "mixed_precision": "no", "report_to": "none", **kw})


def test_lora_trains_the_adapter_and_writes_merged_weights(prepared_bot, tiny_model):
    metrics = train.train(prepared_bot, cfg(lora=True, lora_r=4, max_steps=30))
    assert metrics.eval_loss_after < metrics.eval_loss_before
    repo = prepared_bot / "repo"
    assert (repo / "config.json").is_file() and (repo / "model.safetensors").is_file()
    assert not (repo / "adapter_config.json").exists(), "merged: a plain transformers model"
    m = manifest.load(prepared_bot)
    assert m.adapter == {"method": "lora", "r": 4, "alpha": 32, "targets": "all-linear",
                         "repo": "merged"}  # fmt: skip
    merged, base = (
        load_file(repo / "model.safetensors"),
        load_file(tiny_model / "model.safetensors"),
    )
    assert set(merged) == set(base), "no LoRA tensors left in the merged weights"
    changed = [k for k in base if not torch.equal(merged[k], base[k])]
    # Only adapted layers moved: attention and MLP projections, never embeddings or norms.
    assert changed and all(k.endswith(("attn.weight", "proj.weight", "fc.weight")) for k in changed)


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"push_adapter": True}, "--push-adapter needs --lora"),
        ({"lora": True, "push_adapter": True}, "is a local folder"),
        ({"lora": True, "lora_targets": "no_such_layer"}, "--lora-targets"),
    ],
)
def test_options_that_would_push_an_unusable_repo_are_refused(prepared_bot, kw, words):
    with pytest.raises(TrainingError, match=words):
        train.train(prepared_bot, cfg(max_steps=1, **kw))
    assert not (prepared_bot / "repo").exists()


@pytest.fixture
def hub_base(hub_env, tiny_llama) -> str:
    """The tiny Llama published on the test Hub, so an adapter can name it as its base."""
    from huggingface_hub import HfApi

    api = HfApi(token=HUB_TOKEN)
    api.create_repo("alice/tiny-llama")
    api.upload_folder(folder_path=str(tiny_llama), repo_id="alice/tiny-llama")
    return "alice/tiny-llama"


def generate_both_ways(repo_id: str, tmp_path) -> None:
    """`transformers.pipeline()` and the Space's loader both write from the pushed repo."""
    from transformers import pipeline

    from publisher.space.draw import DrawSettings, sample
    from publisher.space.load import load_bot

    gen = pipeline("text-generation", model=repo_id,
                   model_kwargs={"cache_dir": str(tmp_path / "tf")})  # fmt: skip
    assert gen("My dream is", max_new_tokens=4, do_sample=False)[0]["generated_text"]
    model, tok = load_bot(repo_id)
    assert len(sample(model, tok, DrawSettings("My dream is", n=2, max_new_tokens=4, seed=0))) == 2


def test_adapter_and_merged_repos_both_load_through_pipeline_and_the_space(
    tmp_path, hub_env, hub_base, capsys
):
    from publisher.hub import files as hub_files

    src = write_posts_jsonl(tmp_path / "wren.jsonl")
    out = tmp_path / "bot"
    code = cli.main(["publish", f"wren={src}", "--base-model", hub_base, "--out", str(out),
                     "--block-size", "64", "--max-steps", "3", "--lora", "--lora-r", "4",
                     "--push-adapter"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    repo = out / "repo"
    adapter = json.loads((repo / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == hub_base and adapter["r"] == 4
    assert not (repo / "config.json").exists() and not (repo / "model.safetensors").exists()
    on_hub = hub_env.files("model", "alice/wren")
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= set(on_hub)
    card = on_hub["README.md"].decode()
    front = yaml.safe_load(card.split("---\n")[1])
    assert (front["base_model"], front["library_name"]) == (hub_base, "peft")
    assert "peft==" in hub_files.requirements(
        [p for p in hub_files.space_sources() if p.suffix == ".py"], extra=("peft",)
    )
    space = tmp_path / "space"
    hub_files.stage_space(manifest.load(out), repo, space)
    assert "peft==" in (space / "requirements.txt").read_text()
    generate_both_ways("alice/wren", tmp_path)

    # The same bot as merged weights: the adapter files leave the Hub in the same commit.
    assert cli.main(["train", str(out), "--max-steps", "2", "--lora", "--lora-r", "4"]) == 0
    assert cli.main(["push", str(out)]) == 0
    on_hub = hub_env.files("model", "alice/wren")
    assert "config.json" in on_hub and "model.safetensors" in on_hub
    assert "adapter_config.json" not in on_hub and "adapter_model.safetensors" not in on_hub
    assert "library_name" not in on_hub["README.md"].decode().split("---")[1]
    generate_both_ways("alice/wren", tmp_path / "merged")


def test_a_plain_bot_s_space_does_not_install_peft(tmp_path, tiny_model):
    from publisher.hub import files as hub_files

    reqs = hub_files.requirements([p for p in hub_files.space_sources() if p.suffix == ".py"])
    assert "peft" not in reqs and "transformers==" in reqs


def test_an_update_continues_an_adapter_or_merges_it(tmp_path, tiny_llama):
    from publisher.train import lora

    model, _ = lora.load_start(str(tiny_llama), cfg())
    peft_model = lora.wrap(model, cfg(lora=True, lora_r=4))
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)
    lora.for_repo(peft_model, cfg(lora=True, push_adapter=True), "alice/tiny-llama")
    peft_model.save_pretrained(tmp_path / "adapter")
    assert lora.adapter_base(tmp_path / "adapter") == "alice/tiny-llama"

    go_on, _ = lora.load_start(str(tiny_llama), cfg(lora=True, init_from=tmp_path / "adapter"))
    trainable = [n for n, p in go_on.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable), "the same adapter trains on"
    merged, _ = lora.load_start(str(tiny_llama), cfg(init_from=tmp_path / "adapter"))
    assert not hasattr(merged, "peft_config"), "without --lora the adapter is merged"
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        torch.testing.assert_close(merged(ids).logits, go_on(ids).logits, atol=1e-4, rtol=1e-4)
