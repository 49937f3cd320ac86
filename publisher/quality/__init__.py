"""Quality and privacy of what a bot writes: measured, and guarded where it writes.

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
