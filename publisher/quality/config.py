"""`QualityConfig`: how a bot is measured, the options of `eval` and of the measurement after
training. Light (no torch), so that the command line is built from it at once."""

from __future__ import annotations

from dataclasses import dataclass

from ..flags import flag


@dataclass
class QualityConfig:
    """How the quality is measured (`hf-tweetbot eval` options)."""

    # posts drawn from a bare EOS with the Space's default sampling
    samples: int = flag(100, min=0, help="Posts drawn from a bare EOS (0: none).")
    seed: int = flag(0)  # the same seed gives the same samples and figures
    max_new_tokens: int = 60  # the Space's default length
    batch: int = 100  # posts sampled at once (one batch: fewer, larger steps are faster)
    # turn the copy guard off; None: as recorded in bot.json
    allow_copies: bool | None = flag(None, help="Record the copy guard off (on). Default: as recorded.")  # fmt: skip
    fit_sampling: bool = True  # search the sampling setting and write it to generation_config
