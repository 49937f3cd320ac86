"""Training data: kept posts → train/validation `datasets` of packed token blocks.

The order matters: the validation split is held out per user *before* anything else, so no
oversampled copy of a validation post can leak into training.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .bot import layout, posts
from .flags import flag

T = TypeVar("T")
SEED = 42  # split, oversampling and shuffling are reproducible (and training, by default)


@dataclass
class DataConfig:
    """How posts become training blocks."""

    # huggingtweets' GPT-2 context; capped by the model
    block_size: int = flag(1024, min=8, help="Tokens per training block (capped by the model).")
    # share of each user's kept posts held out for validation
    val_fraction: float = flag(0.1, min=0, max=0.5, help="Share of posts held out for validation.")
    seed: int = flag(SEED, help="Seed for the split, shuffling and training.")


def split_posts(
    items_per_user: dict[str, list[T]],
    val_fraction: float,
    seed: int,
    key: Callable[[Any], Hashable] = lambda item: item,
) -> tuple[dict[str, list[T]], dict[str, list[T]]]:
    """Hold out `val_fraction` of each user's posts (at least one) for validation.

    A text is never on both sides: one held out that is also trained on (the same post by
    two users) moves to training, so validation measures unseen posts only.

    Args:
        items_per_user: each user's posts: texts, or (text, id) pairs with `key` giving the text.
        val_fraction: the share of each user's posts to hold out.
        seed: the split depends on it, each user's handle and number of posts only.
        key: what makes two items the same post.

    Returns:
        (training, validation) items per user.
    """
    train, val = {}, {}
    for handle, texts in items_per_user.items():
        order = list(range(len(texts)))
        random.Random(f"{seed}-{handle}").shuffle(order)
        n_val = max(1, round(len(texts) * val_fraction)) if val_fraction > 0 else 0
        n_val = min(n_val, len(texts) - 1)
        val[handle] = [texts[i] for i in sorted(order[:n_val])]
        train[handle] = [texts[i] for i in sorted(order[n_val:])]
    # A set of the (small) validation side, probed with every training text.
    held = {key(t) for texts in val.values() for t in texts}
    both = {key(t) for texts in train.values() for t in texts if key(t) in held}
    for handle in val if both else ():
        train[handle] += [t for t in val[handle] if key(t) in both]
        val[handle] = [t for t in val[handle] if key(t) not in both]
    return train, val


def balance(train: dict[str, list[str]], seed: int) -> list[str]:
    """Oversample smaller users up to the largest, as huggingtweets did, then shuffle."""
    rng = random.Random(seed)
    largest = max(len(t) for t in train.values())
    out: list[str] = []
    for texts in train.values():
        reps, rest = divmod(largest, len(texts))
        out += texts * reps + rng.sample(texts, rest)
    rng.shuffle(out)
    return out


def token_stream(texts: list[str], tokenizer: Any, chunk: int = 20_000) -> Any:
    """All posts as one int32 array `EOS post EOS post EOS ...`.

    Every post starts after an EOS (that is how generation prompts look) and ends with one (so
    the bot learns where a post stops). Posts are tokenized in chunks into int32 arrays, so a
    million posts never exist as Python lists of ints.
    """
    import numpy as np

    eos = tokenizer.eos_token_id
    parts = [np.array([eos], dtype=np.int32)]
    for i in range(0, len(texts), chunk):
        ids = _encode(tokenizer, texts[i : i + chunk])
        for row in ids:
            row.append(eos)
        parts.append(np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int32))
    return np.concatenate(parts)


def _block_starts(stream: Any, block_size: int) -> range:
    # The last, shorter block is kept: small validation splits would otherwise vanish.
    return range(0, len(stream) - 1, block_size) if len(stream) >= 2 else range(0)


def pack(texts: list[str], tokenizer: Any, block_size: int) -> Any:
    """Wrap each post in EOS tokens, concatenate, and cut into blocks of `block_size`.

    Returns:
        A `datasets.Dataset` with one `input_ids` block per row, each at most `block_size` long.
    """
    return _blocks_dataset(token_stream(texts, tokenizer), block_size)


def _encode(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """Token ids of each text, no special tokens.

    Fast tokenizers go straight to the Rust `encode_batch`: transformers' own `__call__` spends
    about half of its time converting each encoding into Python dicts we do not need.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return tokenizer(texts, add_special_tokens=False)["input_ids"]
    encode = getattr(backend, "encode_batch_fast", backend.encode_batch)
    return [e.ids for e in encode(texts, add_special_tokens=False)]


# Public name: the quality checks and the copy guard tokenize posts exactly as training does.
encode = _encode


def effective_block_size(tokenizer: Any, requested: int, model_max: int | None) -> int:
    """The block size actually used: the request capped by the model's context."""
    limits = [requested]
    if model_max:
        limits.append(model_max)
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        limits.append(tok_max)
    return max(8, min(limits))


def build_datasets(
    train: dict[str, list[str]], val: dict[str, list[str]], tokenizer: Any, cfg: DataConfig
) -> Any:
    """Turn split posts into the train/validation datasets of token blocks.

    Args:
        train: training posts per handle (from `split_posts`), in command-line order.
        val: validation posts per handle.
        tokenizer: the base model's tokenizer (its EOS token separates posts).
        cfg: block size (already capped by the model) and seed.

    Returns:
        A DatasetDict with "train" (balanced across users) and "validation" `input_ids` blocks.
    """
    from datasets import DatasetDict

    return DatasetDict(
        train=pack(balance(train, cfg.seed), tokenizer, cfg.block_size),
        validation=pack([t for texts in val.values() for t in texts], tokenizer, cfg.block_size),
    )


def _blocks_dataset(stream: Any, block_size: int) -> Any:
    """A `datasets.Dataset` of `input_ids` blocks cut from `stream`, sharing its memory.

    The Arrow list column is the token stream itself plus block offsets, handed to Arrow
    without a copy; `Dataset.from_dict` would convert it block by block through Python.
    """
    import numpy as np
    import pyarrow as pa
    from datasets import Dataset
    from datasets.table import InMemoryTable

    starts = _block_starts(stream, block_size)
    if not starts:
        return Dataset.from_dict({"input_ids": []})
    end = min(starts[-1] + block_size, len(stream))
    offsets = np.array([*starts, end], dtype=np.int32)
    column = pa.ListArray.from_arrays(pa.array(offsets), pa.array(stream[:end]))
    # Without a fingerprint `datasets` hashes the table by pickling it: a transient copy as
    # big as the tokens (+380 MB for a million posts). The stream's digest costs no copy.
    digest = hashlib.blake2b(memoryview(stream[:end]), digest_size=16)
    digest.update(f"{block_size}".encode())
    table = InMemoryTable(pa.table({"input_ids": column}))
    return Dataset(table, fingerprint=digest.hexdigest())


def save(
    data_dir: Path,
    dd: Any,
    train: dict[str, list[str]],
    val: dict[str, list[str]],
    cfg: DataConfig,
    tokenizer_name: str,
    ids: tuple[dict[str, list[str | None]], dict[str, list[str | None]]] | None = None,
) -> dict[str, Any]:
    """Write `data_dir/tokenized/` and `data_dir/posts.jsonl`; return the info for bot.json.

    `ids` (train, validation), aligned with the texts, go into posts.jsonl's `id` column, which
    `hf-tweetbot update` merges new posts by.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    dd.save_to_disk(str(data_dir / layout.TOKENIZED))
    posts.write(data_dir, train, val, ids)
    return {
        **asdict(cfg),
        "tokenizer": tokenizer_name,
        "train_blocks": len(dd["train"]),
        "validation_blocks": len(dd["validation"]),
        "train_tokens": _count_tokens(dd["train"]),
    }


def _count_tokens(ds: Any) -> int:
    """Tokens in a dataset of blocks, counted in Arrow (no Python list per block)."""
    import pyarrow.compute as pc

    return int(pc.sum(pc.list_value_length(ds.data.column("input_ids"))).as_py() or 0)


def load_tokenized(data_dir: Path) -> Any:
    """The saved DatasetDict of token blocks."""
    from datasets import load_from_disk

    return load_from_disk(str(data_dir / layout.TOKENIZED))
