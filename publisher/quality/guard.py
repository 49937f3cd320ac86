"""Write the copy guard into `DIR/repo/`: keyed hashes of the posts' spans, no text.

The file format, the hash and the check live in `space/guard.py` (the Space enforces the guard
without the posts and without `publisher`); this module only feeds it the bot's kept posts and
keeps the key. The key is 32 random bytes in `DIR/copy_guard.key` (owner-only, outside `repo/`,
so never uploaded with the model); `hf-tweetbot push --space` hands it to the Space as a secret.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import atomic, dataset
from ..bot import layout
from ..bot.posts import read_texts
from ..space import guard as space_guard
from .span import span_for

CHUNK = 20_000  # posts hashed at a time: spans go into uint64 arrays, never a list of ints
HEAD_CHARS = 300  # of a post's start, tokenized after a space: more than a span of any script


@dataclass
class GuardFile:
    """What was written: the file's name in the repo, the hashes it holds, its size."""

    file: str
    spans: int
    short_posts: int
    bytes: int


def guard_key(bot_dir: Path) -> bytes:
    """The bot's guard key, created on first use (`DIR/copy_guard.key`, readable by you only)."""
    key = key_of(bot_dir)
    if key is not None:
        try:
            return bytes.fromhex(key)
        except ValueError:
            pass  # a damaged key is replaced: the guard file is rewritten with the new one
    new = secrets.token_bytes(32)
    atomic.write_bytes(layout.guard_key_file(bot_dir), new.hex().encode() + b"\n", 0o600)
    return new


def key_of(bot_dir: Path) -> str | None:
    """The hex guard key of a bot folder, or None (for the Space's secret)."""
    path = layout.guard_key_file(bot_dir)
    text = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    return text or None


def hashes(texts: list[str], tokenizer: Any, key: bytes,
           span: space_guard.Span | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Span hashes of every post, and whole-post hashes of those shorter than a span.

    A post's first span is hashed twice: as it starts the post and as it looks after a space,
    because mid-sentence the same words tokenize with the space in their first token.

    Args:
        texts: the posts.
        tokenizer: the bot's tokenizer.
        key: the guard key.
        span: what a span is (default: `span_for(tokenizer)`).
    """
    span = span or span_for(tokenizer)
    spans: list[np.ndarray] = []
    short: list[int] = []
    for i in range(0, len(texts), CHUNK):
        chunk = texts[i : i + CHUNK]
        heads = dataset.encode(tokenizer, [" " + t[:HEAD_CHARS] for t in chunk])
        part: list[int] = []
        for ids, head in zip(dataset.encode(tokenizer, chunk), heads, strict=True):
            windows = span.windows(space_guard.token_chars(tokenizer, ids))
            if not len(windows):
                short.append(space_guard.post_hash(ids, key))
                continue
            part += space_guard.span_hashes(ids, key, windows)
            first = span.windows(space_guard.token_chars(tokenizer, head))[:1]
            part += space_guard.span_hashes(head, key, first)
        spans.append(np.array(part, dtype=np.uint64))
    flat = np.concatenate(spans) if spans else np.zeros(0, dtype=np.uint64)
    return flat, np.array(short, dtype=np.uint64)


def build_guard(bot_dir: Path, tokenizer: Any) -> GuardFile:
    """Write `DIR/repo/copy_guard.bin` from every kept post (training and held out).

    Args:
        bot_dir: a trained bot folder (`data/posts.jsonl`, `repo/`).
        tokenizer: the bot's tokenizer (the Space checks samples with the same one).

    Returns:
        What was written.
    """
    bot_dir = Path(bot_dir)
    train, val = read_texts(bot_dir)
    texts = [t for per_user in (train, val) for ts in per_user.values() for t in ts]
    key = guard_key(bot_dir)
    span = span_for(tokenizer)
    data = space_guard.pack(*hashes(texts, tokenizer, key, span), key, span)
    atomic.write_bytes(layout.repo_dir(bot_dir) / space_guard.GUARD_FILE, data)
    header, _ = space_guard.unpack(data)
    return GuardFile(space_guard.GUARD_FILE, header["spans"], header["short_posts"], len(data))
