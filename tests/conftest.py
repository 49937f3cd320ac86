"""Shared fixtures.

Environment variables that huggingface_hub, transformers, datasets and gradio read at import
time are set here, at conftest import, before any test module imports them.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="hf-tweetbot-tests-"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The Hub-compatible test server (testkit/fakes/hub_server.py) listens here; nothing else is reachable.
HUB_PORT = _free_port()
HUB_ENDPOINT = f"http://127.0.0.1:{HUB_PORT}"
SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "X_BEARER_TOKEN", "WANDB_API_KEY")
for _name in SECRET_ENV:
    os.environ.pop(_name, None)
os.environ.update(
    {
        "HF_HOME": str(_SESSION_TMP / "hf_home"),
        "HF_ENDPOINT": HUB_ENDPOINT,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        # The test Hub speaks LFS, not Xet (as any Hub mirror): without this, huggingface_hub
        # uploads through Xet whenever hf_xet is installed (it is: a dependency of the client).
        "HF_HUB_DISABLE_XET": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "WANDB_MODE": "disabled",
        "DO_NOT_TRACK": "1",
    }
)

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Every test starts with no tokens and a private HF_HOME."""
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(_SESSION_TMP / "hf_home"))
    monkeypatch.delenv("HF_TWEETBOT_DEBUG", raising=False)
    yield


TINY_CORPUS = [
    "My dream is to build an engine that weaves algebra like a loom weaves flowers.",
    "Numbers are the poetry of the universe, and I intend to read every verse.",
    "Tea with Charles again today. The difference engine is a stubborn beast.",
    "Who needs sleep when there are Bernoulli numbers to compute?",
    "The analytical engine has no pretensions to originate anything.",
    "Riding through the countryside, thinking about punched cards and patterns.",
] * 4


def build_tiny_model(path: Path, arch: str = "gpt2", positions: int = 256) -> Path:
    """A tiny randomly initialised causal LM and a BPE tokenizer trained on a few sentences.

    Args:
        path: folder to save `config.json`, weights and tokenizer files into.
        arch: "gpt2", "llama" (SmolLM2's architecture), "qwen2" or "gpt_neox".
        positions: the context length (transformers' GGUF loader assumes GPT-2's 1024).

    Returns:
        `path`, usable as `--base-model path`.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (
        GPT2Config,
        GPT2LMHeadModel,
        GPTNeoXConfig,
        GPTNeoXForCausalLM,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    eos = "<|endoftext|>"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[eos],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(TINY_CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, bos_token=eos)
    torch.manual_seed(0)
    vocab = len(fast)
    eos_id = fast.eos_token_id
    if arch == "gpt2":
        cfg = GPT2Config(
            vocab_size=vocab, n_positions=positions, n_embd=32, n_layer=2, n_head=2,
            bos_token_id=eos_id, eos_token_id=eos_id,
        )  # fmt: skip
        model = GPT2LMHeadModel(cfg)
    elif arch == "qwen2":  # biases on q/k/v, grouped-query attention, untied head
        cfg = Qwen2Config(
            vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=positions,
            bos_token_id=eos_id, eos_token_id=eos_id, tie_word_embeddings=False,
        )  # fmt: skip
        model = Qwen2ForCausalLM(cfg)
    elif arch == "gpt_neox":  # Pythia's: fused qkv, partial rotary, parallel residual, embed_out
        cfg = GPTNeoXConfig(
            vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=positions, rotary_pct=0.25,
            bos_token_id=eos_id, eos_token_id=eos_id,
        )  # fmt: skip
        model = GPTNeoXForCausalLM(cfg)
    else:
        cfg = LlamaConfig(
            vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=positions,
            bos_token_id=eos_id, eos_token_id=eos_id, tie_word_embeddings=True,
        )  # fmt: skip
        model = LlamaForCausalLM(cfg)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    """Folder of a tiny GPT-2 (random weights) usable as `--base-model`."""
    return build_tiny_model(_SESSION_TMP / "tiny-gpt2")


@pytest.fixture(scope="session")
def tiny_llama() -> Path:
    """Folder of a tiny Llama (SmolLM2's architecture, random weights)."""
    return build_tiny_model(_SESSION_TMP / "tiny-llama", arch="llama")


@pytest.fixture(scope="session")
def tiny_qwen2() -> Path:
    """Folder of a tiny Qwen2 (random weights)."""
    return build_tiny_model(_SESSION_TMP / "tiny-qwen2", arch="qwen2")


@pytest.fixture(scope="session")
def tiny_neox() -> Path:
    """Folder of a tiny GPT-NeoX (Pythia's architecture, random weights)."""
    return build_tiny_model(_SESSION_TMP / "tiny-neox", arch="gpt_neox")


# The four architectures every training test runs on (fixture names).
ARCHS = ["tiny_model", "tiny_llama", "tiny_qwen2", "tiny_neox"]


@pytest.fixture(scope="session")
def hub_server():
    """The Hub-compatible test server (testkit/fakes/hub_server.py) listening on HUB_ENDPOINT.

    Session-wide; tests call `hub_server.state.reset()` (or use a fixture that does) first.
    """
    from huggingface_hub.utils._runtime import is_xet_available

    from testkit.fakes.hub_server import HubServer

    # HF_HUB_DISABLE_XET is read when huggingface_hub is imported: fail loudly if it was too late.
    assert not is_xet_available(), "HF_HUB_DISABLE_XET=1 must be set before huggingface_hub loads"
    server = HubServer(HUB_PORT).start()
    yield server
    server.stop()


HUB_TOKEN = "hf_HubEnvToken0123456789abcdef0"


@pytest.fixture
def hub_env(hub_server, monkeypatch):
    """The test Hub, reset, with alice's write token `HUB_TOKEN` in HF_TOKEN."""
    from testkit.fakes.hub_server import Token

    hub_server.state.reset()
    hub_server.state.tokens[HUB_TOKEN] = Token("alice")
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    yield hub_server.state
    hub_server.state.reset()


@pytest.fixture
def prepared_bot(tmp_path, tiny_model):
    """A bot folder prepared from 300 posts with the tiny GPT-2 (block size 64)."""
    from publisher import pipeline
    from publisher.dataset import DataConfig
    from publisher.sources.spec import parse
    from testkit.posts import write_posts_jsonl

    src = write_posts_jsonl(tmp_path / "wren.jsonl")
    opts = pipeline.PrepareOptions(
        out=tmp_path / "bot", base_model=str(tiny_model), data=DataConfig(block_size=64)
    )
    bot, _ = pipeline.prepare([parse(f"wren={src}")], opts, say=lambda _: None)
    return bot


@pytest.fixture
def sleeps(monkeypatch):
    """Record the live sources' HTTP client's sleeps (backoff, rate limits) instead of sleeping."""
    from publisher.sources import http as http_mod

    calls: list[float] = []
    monkeypatch.setattr(http_mod, "sleep", calls.append)
    return calls


# Debian's Chromium, driven by playwright (never `playwright install`): the browser tests.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def serve_then_ctrl_c(*args: str, timeout: float = 180) -> tuple[int, str]:
    """Run `hf-tweetbot ARGS` (a server), press Ctrl-C once it says where it runs.

    Returns:
        The exit status and everything it printed (stdout and stderr).
    """
    import signal
    import subprocess
    import sys
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "publisher.cli", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    lines: list[str] = []
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("Running on "):
                proc.send_signal(signal.SIGINT)
        return proc.wait(timeout=60), "".join(lines)
    finally:
        timer.cancel()
        proc.kill()


def read_or_fail_in_one_line(path: Path) -> None:
    """Read any input as a user would: its posts are text, or it fails with a one-line error."""
    from publisher.errors import TweetbotError
    from publisher.sources import SourceOptions, gather
    from publisher.sources.spec import parse

    try:
        g = gather(parse(str(path)), SourceOptions(progress=False))
        assert g.posts and all(isinstance(p.text, str) for p in g.posts)
    except TweetbotError as e:
        assert e.message and "\n" not in e.message


def peak_mib(read) -> tuple[object, float]:
    """(what `read()` returns or raises, the peak of Python's allocations while it ran, MiB)."""
    import tracemalloc

    from publisher.errors import ArchiveError

    tracemalloc.start()
    try:
        out: object = read()
    except ArchiveError as e:
        out = e
    peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    tracemalloc.stop()
    return out, peak
