"""`DIR/data/posts.jsonl`: the cleaned posts a bot learns from, one JSON object a line.

A row is `{"handle", "text", "split"}` plus `"id"` where the source gave one (what
`hf-tweetbot update` merges new posts by). `split` is `train` or `validation`. Training,
evaluation, the copy guard, the dataset repo and `update` all read the posts through here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ManifestError
from . import layout

SPLITS = ("train", "validation")
PerUser = dict[str, list[str]]
IdsPerUser = dict[str, list[str | None]]


def write(data_dir: Path, train: PerUser, val: PerUser,
          ids: tuple[IdsPerUser, IdsPerUser] | None = None) -> Path:  # fmt: skip
    """Write `data_dir/posts.jsonl`.

    Args:
        data_dir: the `data/` folder being written (a staging folder's, until it is swapped in).
        train: each user's training posts.
        val: each user's validation posts.
        ids: (train, validation) source ids aligned with the texts, None where unknown.

    Returns:
        The file written.
    """
    path = Path(data_dir) / layout.POSTS
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for side, (split, per_user) in enumerate(zip(SPLITS, (train, val), strict=True)):
            for handle, texts in per_user.items():
                known = ids[side].get(handle, []) if ids else []
                for i, text in enumerate(texts):
                    row: dict[str, Any] = {"handle": handle, "text": text, "split": split}
                    if i < len(known) and known[i] is not None:
                        row["id"] = known[i]
                    f.write(json.dumps(row) + "\n")
    return path


def read_rows(bot_dir: Path) -> list[dict[str, Any]]:
    """Every row of `DIR/data/posts.jsonl`, in file order.

    Raises:
        ManifestError: the file is missing (the bot was never prepared) or unreadable.
    """
    path = layout.posts_file(bot_dir)
    try:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for row in rows:
            if not isinstance(row.get("text"), str) or row.get("split") not in SPLITS:
                raise ValueError(f"a row without text or split: {str(row)[:80]}")
            str(row["handle"])
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no cleaned posts here",
            hint=f"run `hf-tweetbot prepare USER --out {bot_dir}` first",
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ManifestError(
            f"{path}: unreadable posts file ({e})",
            hint=f"run `hf-tweetbot prepare USER --out {bot_dir}` again",
        ) from e
    return rows


def read_texts(bot_dir: Path) -> tuple[PerUser, PerUser]:
    """Each user's (training, validation) post texts, in file order."""
    train: PerUser = {}
    val: PerUser = {}
    for row in read_rows(bot_dir):
        target = train if row["split"] == "train" else val
        target.setdefault(row["handle"], []).append(row["text"])
    return train, val
