"""How long a copied span is: 10 tokens, and as many characters as 10 tokens of English.

The memorisation measure and the copy guard call a sample a copy when it shares a span with a
training post. Counted in tokens alone, a span means different lengths of text in different
scripts: SmolLM2's tokenizer writes English in about 1.3 tokens per word but Ukrainian in 4.7,
so 10 tokens are seven English words and two Ukrainian ones, and ordinary phrases "copied".
A span is therefore at least `SPAN_TOKENS` tokens *and* at least as many characters as that
many tokens of the base model's English cover (`span_for`), measured on `ENGLISH`: everyday
posts written for this purpose. For SmolLM2 that is 45 characters; an English bot's
spans are then what they always were, and a Ukrainian or Japanese bot's are as long in text.
"""

from __future__ import annotations

from typing import Any

from ..dataset import encode
from ..space.guard import SPAN, Span

SPAN_TOKENS = SPAN

# Plain English as people post it: the yardstick of a span's length in characters.
ENGLISH = [
    "Just got back from the farmers market and the peaches are finally good again.",
    "Does anyone else think the new bus schedule makes no sense at all?",
    "My sister sent me a photo of her garden and now I want tomatoes.",
    "Three meetings before lunch. I need a nap and a very large coffee.",
    "We watched the storm roll in from the porch and counted the seconds after each flash.",
    "Reading a book about old maps tonight, the kind with sea monsters in the corners.",
    "The kids built a fort out of couch cushions and refuse to leave it.",
    "If you see a lost grey cat near the park, please let me know.",
    "Finished the half marathon! Slow, sore and very happy about it.",
    "Why does every printer decide to break on the one day I really need it?",
    "Made soup with whatever was left in the fridge and it was honestly great.",
    "The train was late again, so I talked to a stranger about birds for twenty minutes.",
    "Trying to learn the guitar at forty. My fingers are not amused.",
    "Happy birthday to my best friend, who still owes me a pizza from last summer.",
    "It snowed overnight and the whole street looks like a postcard this morning.",
    "New episode of the podcast is up, we talk about cooking for a crowd on a budget.",
]


def chars_per_token(tokenizer: Any) -> float:
    """Characters per token of `ENGLISH` under `tokenizer` (no special tokens)."""
    tokens = sum(len(ids) for ids in encode(tokenizer, ENGLISH))
    return sum(len(t) for t in ENGLISH) / max(tokens, 1)


def span_for(tokenizer: Any) -> Span:
    """The span of a bot whose base model has this tokenizer."""
    return Span(SPAN_TOKENS, round(SPAN_TOKENS * chars_per_token(tokenizer)))
