"""Quality and privacy of what a bot writes: measured, and guarded where it writes.

- `evaluate.py`: `evaluate(bot_dir, cfg) -> Quality` (`hf-tweetbot eval`, and the end of
  `train`): held-out perplexity per post, memorisation, variety, tokenizer fit;
- `measures.py`: shared token runs and distinct-n;
- `fit.py`: tokens per word and writing systems, and `prepare`'s language warning;
- `guard.py`: `build_guard(bot_dir, tokenizer)`, the copy guard file written into `DIR/repo/`
  (checked by `space/guard.py` wherever the bot writes);
- `report.py`: the figures in words.
"""

from .evaluate import Quality, QualityConfig, evaluate
from .fit import TokenizerFit, fit_warning, tokenizer_fit
from .guard import build_guard

__all__ = [
    "Quality",
    "QualityConfig",
    "TokenizerFit",
    "build_guard",
    "evaluate",
    "fit_warning",
    "tokenizer_fit",
]
