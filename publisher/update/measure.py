"""Per-post validation loss of a model on a list of posts, as the bot generates them.

Every post is scored on its own from an EOS token (posts attention), by one fp32 evaluator for
the base, the bot before and the bot after an update, so the numbers compare.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def per_post_loss(model: Any, tokenizer: Any, texts: list[str], block_size: int) -> float | None:
    """Mean loss per predicted token over `texts`, each post attending only to itself.

    Args:
        model: a causal LM (fp32).
        tokenizer: its tokenizer.
        texts: cleaned posts.
        block_size: tokens per packed block (as the bot was trained).

    Returns:
        The loss, or None for no posts.
    """
    from .. import dataset
    from ..train import attention, evaluate
    from ..train.accel import make_accelerator
    from ..train.loop import TrainConfig
    from ..train.loss import LossModel

    if not texts:
        return None
    blocks = dataset.pack(texts, tokenizer, block_size)["input_ids"]
    eos = attention.setup(model, tokenizer, "posts")
    acc = make_accelerator(Path("."), TrainConfig(mixed_precision="no", report_to="none"))
    loss = evaluate(LossModel(model), blocks, acc, 1, tokenizer.pad_token_id, eos)
    attention.use_posts_attention(model, False)
    return loss


def losses(model_dir: Path | None, base: str, texts: dict[str, list[str]], block_size: int) -> dict:
    """`per_post_loss` of one model on several lists of posts.

    Args:
        model_dir: a bot's `repo/` (full weights or an adapter); None for the base model.
        base: the base model's name.
        texts: name -> posts.
        block_size: tokens per block.

    Returns:
        name -> loss (None for an empty list).
    """
    from ..base_models import load_base
    from ..train.loop import TrainConfig
    from ..train.lora import load_start

    if model_dir is None:
        model, tok = load_base(base)
    else:
        model, tok = load_start(base, TrainConfig(init_from=Path(model_dir)))
    model.eval()
    return {k: per_post_loss(model, tok, v, block_size) for k, v in texts.items()}


def ppl(loss: float | None) -> float | None:
    """Perplexity of a loss, rounded as bot.json keeps it."""
    return None if loss is None else round(math.exp(min(loss, 50)), 3)
