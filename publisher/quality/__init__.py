"""Quality and privacy of what a bot writes: measured, and guarded where it writes.

- `evaluate.py`: `evaluate(bot_dir, cfg) -> Quality` (`hf-tweetbot eval`, and the end of
  `train`): held-out perplexity per post, memorisation, variety, tokenizer fit;
- `measures.py`: shared token runs and distinct-n;
- `language_fit.py`: tokens per word and writing systems, and `prepare`'s language warning;
- `guard.py`: `build_guard(bot_dir, tokenizer)`, the copy guard file written into `DIR/repo/`
  (checked by `space/guard.py` wherever the bot writes);
- `report.py`: the figures in words.
"""

from .evaluate import QUALITY_FILE, Quality, QualityConfig, evaluate
from .guard import build_guard
from .language_fit import TokenizerFit, fit_warning, tokenizer_fit

__all__ = [
    "QUALITY_FILE",
    "Quality",
    "QualityConfig",
    "TokenizerFit",
    "build_guard",
    "evaluate",
    "fit_warning",
    "tokenizer_fit",
]
