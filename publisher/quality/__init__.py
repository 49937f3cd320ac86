"""Quality and privacy of what a bot writes: measured, and guarded where it writes.

- `config.py`: `QualityConfig`, the options (light: the command line is built from it);
- `evaluate.py`: `evaluate(bot_dir, cfg) -> Quality` (`hf-tweetbot eval`, and the end of
  `train`): held-out perplexity per post, memorisation, variety, blind test, tokenizer fit, and
  the sampling fitted to the bot;
- `measures.py`: shared spans and token runs, distinct-n;
- `span.py`: what a copied span is (10 tokens, and as many characters as 10 tokens of English);
- `blind.py`: the blind test, a classifier telling the bot's posts from held-out ones (style
  features alone, and the reader of n-grams and style, `ngrams.py`);
- `proportions.py`: the kinds of post (replies, hashtags, emoji, scripts, lengths...), the
  bot's shares against the person's;
- `fluency.py`: the base model's perplexity of the bot's posts against the person's;
- `sampling_search.py`: the sampling setting whose posts pass best for the person's;
- `epochs.py`: the judge of the epoch a person would choose, consulted by the training loop;
- `language_fit.py`: tokens per word and writing systems, and `prepare`'s language warning;
- `guard.py`: `build_guard(bot_dir, tokenizer)`, the copy guard file written into `DIR/repo/`
  (checked by `space/guard.py` wherever the bot writes);
- `report.py`: the figures in words.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import QualityConfig

if TYPE_CHECKING:
    from .evaluate import QUALITY_FILE, Quality
    from .guard import build_guard
    from .language_fit import TokenizerFit, fit_warning, tokenizer_fit

# These import torch or a tokenizer: loaded when first used. `evaluate` is the module (its
# function: `quality.evaluate.evaluate`), whether or not it was imported yet.
_HEAVY = {"QUALITY_FILE": "evaluate", "Quality": "evaluate",
          "build_guard": "guard", "TokenizerFit": "language_fit", "fit_warning": "language_fit",
          "tokenizer_fit": "language_fit"}  # fmt: skip

__all__ = [
    "QUALITY_FILE",
    "Quality",
    "QualityConfig",
    "TokenizerFit",
    "build_guard",
    "fit_warning",
    "tokenizer_fit",
]


def __getattr__(name: str) -> Any:
    if name in _HEAVY:
        return getattr(importlib.import_module(f".{_HEAVY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
