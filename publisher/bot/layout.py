"""Where everything lives inside a bot folder `DIR` (and inside its model repo `DIR/repo/`).

Every stage finds its inputs and outputs through these names and functions, so the folder's
layout is defined here once:

    DIR/bot.json            the manifest (`publisher.bot.manifest`)
    DIR/data/posts.jsonl    the cleaned posts, one JSON object a line (`publisher.bot.posts`)
    DIR/data/tokenized/     the token blocks (`publisher.dataset`)
    DIR/avatars/            avatars read from an archive, copied into the repo by `train`
    DIR/checkpoints/        training checkpoints (`--resume`)
    DIR/raw/                live sources' raw pages (`--refresh` fetches them again)
    DIR/runs/               TensorBoard logs, copied into the repo
    DIR/export/             GGUF and Ollama files (`hf-tweetbot export`)
    DIR/copy_guard.key      the copy guard's key; never uploaded
    DIR/.lock               locked (flock) by the run writing the folder (`publisher.bot.lock`)
    DIR/repo/               exactly what goes to the model repo on the Hub

A model repo holds full weights (`config.json` and safetensors) or, for `--push-adapter`, a
LoRA adapter alone (`adapter_config.json` and `adapter_model.safetensors`).
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = "bot.json"
DATA = "data"
POSTS = "posts.jsonl"  # in DATA
TOKENIZED = "tokenized"  # in DATA
AVATARS = "avatars"
CHECKPOINTS = "checkpoints"
RAW = "raw"
RUNS = "runs"
EXPORT = "export"
GUARD_KEY = "copy_guard.key"
REPO = "repo"
LOCK = ".lock"

# Everything a bot folder may hold; `--overwrite` removes these and refuses a folder with more.
ENTRIES = frozenset(
    {MANIFEST, DATA, REPO, CHECKPOINTS, RAW, AVATARS, EXPORT, RUNS, GUARD_KEY, LOCK}
)

# In a model repo.
MODEL_CONFIG = "config.json"
GENERATION_CONFIG = "generation_config.json"  # the bot's own sampling
CARD = "README.md"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
# What makes a folder a full model, which an adapter repo must not also hold: a local folder
# with config.json would be loaded as a full model with the adapter applied on top.
FULL_MODEL_FILES = (MODEL_CONFIG, "model.safetensors", "model.safetensors.index.json")


def manifest_file(bot_dir: Path) -> Path:
    """`DIR/bot.json`."""
    return Path(bot_dir) / MANIFEST


def data_dir(bot_dir: Path) -> Path:
    """`DIR/data/`: the cleaned posts and their token blocks."""
    return Path(bot_dir) / DATA


def posts_file(bot_dir: Path) -> Path:
    """`DIR/data/posts.jsonl`."""
    return data_dir(bot_dir) / POSTS


def tokenized_dir(bot_dir: Path) -> Path:
    """`DIR/data/tokenized/`."""
    return data_dir(bot_dir) / TOKENIZED


def repo_dir(bot_dir: Path) -> Path:
    """`DIR/repo/`: exactly what goes to the model repo on the Hub."""
    return Path(bot_dir) / REPO


def avatars_dir(bot_dir: Path) -> Path:
    """`DIR/avatars/`."""
    return Path(bot_dir) / AVATARS


def checkpoints_dir(bot_dir: Path) -> Path:
    """`DIR/checkpoints/`."""
    return Path(bot_dir) / CHECKPOINTS


def raw_dir(bot_dir: Path) -> Path:
    """`DIR/raw/`: live sources' raw pages."""
    return Path(bot_dir) / RAW


def runs_dir(bot_dir: Path) -> Path:
    """`DIR/runs/`: TensorBoard logs."""
    return Path(bot_dir) / RUNS


def export_dir(bot_dir: Path) -> Path:
    """`DIR/export/`: GGUF and Ollama files."""
    return Path(bot_dir) / EXPORT


def guard_key_file(bot_dir: Path) -> Path:
    """`DIR/copy_guard.key`: the copy guard's key, beside (never inside) the repo."""
    return Path(bot_dir) / GUARD_KEY


def lock_file(bot_dir: Path) -> Path:
    """`DIR/.lock`: held by the one run writing the folder, and naming it."""
    return Path(bot_dir) / LOCK


def is_adapter(folder: Path | str) -> bool:
    """Whether a model folder holds a LoRA adapter (`--push-adapter`) instead of full weights."""
    return (Path(folder) / ADAPTER_CONFIG).is_file()


def holds_model(folder: Path | str) -> bool:
    """Whether a folder holds a model: full weights' config or a LoRA adapter."""
    return (Path(folder) / MODEL_CONFIG).is_file() or is_adapter(folder)


def is_trained(bot_dir: Path) -> bool:
    """Whether `train` has written the bot's model into `DIR/repo/`."""
    return holds_model(repo_dir(bot_dir))
