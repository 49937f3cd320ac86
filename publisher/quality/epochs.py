"""Which epoch's weights a person would choose: the judge the training loop consults.

At every measurement (`publisher/train/choice.py` decides when) three figures, each cheap:

- the per-post validation perplexity (the loop's own evaluation, passed in);
- the raw copy rate: the share of `SAMPLES` posts drawn from a bare EOS (huggingtweets'
  sampling, the same seed every time) that hold a span of a training post (`span.py`), before
  the copy guard, which is what the GGUF file and anyone loading the weights get;
- the blind test of those posts against as many held-out posts, by the reader of n-grams and
  style (`blind.judge`).

The rule (`EpochRule`): among the weights whose raw copy rate is at most `copy_limit` and whose
perplexity is within `perplexity_margin` of the best seen among those (weights that copy score
held-out posts that resemble training posts too well to set the bar), the best are those the
classifier tells apart least; to replace the weights kept so far a later measurement must beat them by
`blind_margin` (the blind test is a sample: a smaller gap is mostly the draw). Where no weights
qualify, the least copying are kept. Each measurement is compared with the weights kept so far
only (the loop keeps one copy of weights).

The posts are drawn from a copy of the weights in the bot's serving precision and with the fast
decoding steps (`space/decode.py`), as the Space would write them. Defaults and how they were
chosen: docs/usage.md, "The epoch a person would choose".
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from ..bot.posts import read_texts
from ..space import decode
from ..space.draw import DrawSettings, sample
from ..space.load import bf16_supported
from ..train.attention import use_posts_attention
from ..train.loss import causal_lm
from .blind import judge, lengths, told_apart, vocabulary
from .evaluate import QualityConfig, held_out
from .measures import CopyCheck
from .sampling_search import default_setting

# The draw of `eval` (posts, seed, length, one batch): the kept weights' figures are the quality
# block's, and the copy limit holds for what `eval` reports.
SAMPLES = QualityConfig.samples  # posts drawn per measurement (and at most as many held-out posts)
SEED = QualityConfig.seed  # the same draw every time: the differences are the weights'
MAX_NEW_TOKENS = QualityConfig.max_new_tokens  # the Space's default length


@dataclass
class EpochRule:
    """Which measured weights are the best (docs/usage.md, "The epoch a person would choose" says how they were chosen)."""

    copy_limit: float = 0.02  # the most posts (share) repeating a span of a training post
    perplexity_margin: float = 0.10  # within this share above the best perplexity seen
    blind_margin: float = 0.02  # a later measurement must beat the kept one's blind test by this


class EpochJudge:
    """Measure the weights at each epoch's end; say whether they are the best so far.

    Args:
        bot_dir: the bot folder (its `data/` holds the training and held-out posts).
        tokenizer: the bot's tokenizer.
        rule: which weights are the best.
        samples: posts drawn at each measurement.
    """

    def __init__(self, bot_dir: Path, tokenizer: Any, rule: EpochRule | None = None,
                 samples: int = SAMPLES) -> None:  # fmt: skip
        train, val = read_texts(Path(bot_dir))
        train_texts = [t for ts in train.values() for t in ts]
        self.tokenizer = tokenizer
        self.rule = rule or EpochRule()
        self.samples = samples
        self.check = CopyCheck(train_texts, tokenizer)
        self.vocab = vocabulary(train_texts)
        self.real = held_out([t for ts in val.values() for t in ts], samples, SEED)
        self.curves: list[dict[str, Any]] = []
        self.kept: int | None = None  # index into curves

    # -- measuring -----------------------------------------------------------------------------

    def measure(self, model: Any, step: int, epoch: float, val_loss: float) -> tuple[bool, str]:
        """Measure the weights of `model` at `step`; (best so far?, a line for the terminal)."""
        start = time.perf_counter()
        posts = self._draw(model)
        blind = judge(self.real, posts, self.vocab, SEED, reasons=False)
        point = {
            "step": step,
            "epoch": round(epoch, 3),
            "val_loss": round(val_loss, 4),
            "perplexity": round(math.exp(min(val_loss, 50.0)), 3),
            "copy_rate": round(self.check.rate(posts), 4),
            "blind_test": blind.accuracy,
            "lengths": lengths(self.real, posts),
            "seconds": 0.0,
        }
        point["seconds"] = round(time.perf_counter() - start, 1)
        self.curves.append(point)
        better = self.kept is None or self.beats(point, self.curves[self.kept])
        if better:
            self.kept = len(self.curves) - 1
        blind_pct = "n/a" if blind.accuracy is None else f"{blind.accuracy:.0%}"
        line = (f"Epoch {point['epoch']:g}: perplexity {point['perplexity']:.1f}, copies "
                f"{point['copy_rate']:.0%}, blind test {blind_pct}; measured in "
                f"{point['seconds']:.0f} s")  # fmt: skip
        return better, line

    def _draw(self, model: Any) -> list[str]:
        """`samples` posts from a copy of `model` in serving precision, fast decoding."""
        device = next(model.parameters()).device
        twin = copy.deepcopy(model)
        if hasattr(twin, "merge_and_unload"):  # LoRA: the adapter merged, as the repo holds it
            twin = twin.merge_and_unload()
        twin = causal_lm(twin)
        use_posts_attention(twin, False)
        # The weights in serving precision, the buffers as they are: loaded in bf16, a bot keeps
        # its RoPE frequencies in fp32, and rounding them changes what it writes.
        dtype = torch.bfloat16 if bf16_supported(device.type) else torch.float32
        with torch.no_grad():
            for p in twin.parameters():
                p.data = p.data.to(dtype)
        twin.eval()
        decode.build_fast_path(twin)
        try:
            settings = DrawSettings(n=self.samples, max_new_tokens=MAX_NEW_TOKENS, seed=SEED,
                                    **default_setting())  # fmt: skip
            return sample(twin, self.tokenizer, settings)
        finally:
            del twin

    # -- the rule ------------------------------------------------------------------------------

    def _eligible(self, p: dict[str, Any]) -> bool:
        """Copies at most `copy_limit`, perplexity within the margin of the best such weights'.

        The best perplexity is taken among the weights that do not copy: weights that learned
        posts by heart score held-out posts that resemble them well, and must not push honest
        weights out of the margin.
        """
        honest = [c["perplexity"] for c in self.curves if c["copy_rate"] <= self.rule.copy_limit]
        best = min(honest or [c["perplexity"] for c in self.curves])
        return (p["copy_rate"] <= self.rule.copy_limit
                and p["perplexity"] <= best * (1 + self.rule.perplexity_margin))  # fmt: skip

    def beats(self, new: dict[str, Any], old: dict[str, Any]) -> bool:
        """Whether `new` weights are better than the `old` ones kept."""
        ok_new, ok_old = self._eligible(new), self._eligible(old)
        if ok_new != ok_old:
            return ok_new
        if not ok_new:  # neither qualifies: the one copying less (then the lower perplexity)
            return (new["copy_rate"], new["perplexity"]) < (old["copy_rate"], old["perplexity"])
        if new["blind_test"] is None or old["blind_test"] is None:  # too few held-out posts
            return bool(new["perplexity"] < old["perplexity"])
        return (
            told_apart(new["blind_test"]) < told_apart(old["blind_test"]) - self.rule.blind_margin
        )

    # -- state ---------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The rule, the curves and which measurement is kept (bot.json's `training`)."""
        return {"rule": {**asdict(self.rule), "samples": self.samples,
                         "held_out_posts": len(self.real)},
                "curves": list(self.curves), "best_measurement": self.kept}  # fmt: skip

    def load_state(self, state: dict[str, Any]) -> None:
        self.curves = list(state.get("curves") or [])
        self.kept = state.get("best_measurement")
