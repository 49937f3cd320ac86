"""Stream the first post token by token while all posts are sampled in one batch.

Stands alone like `sampling.py` (no import from `publisher`), so the Space ships it as is.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import torch
from transformers.generation.streamers import BaseStreamer

try:
    from . import model_thread
    from .sampling import generate_posts, post_text
    from .utf8 import Utf8Table
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    import model_thread  # type: ignore[no-redef]
    from sampling import generate_posts, post_text  # type: ignore[no-redef]
    from utf8 import Utf8Table  # type: ignore[no-redef]


class FirstPostStreamer(BaseStreamer):
    """A streamer for batched sampling that publishes the first post's text as it grows.

    It follows transformers' `BaseStreamer` protocol (`put`, `end`); each `put` after the prompt
    brings the whole batch's new tokens, of which only row 0 is decoded. Iterating yields the
    first post's text after each token that ends on a whole character (a token can hold the
    first bytes of an emoji, whose last bytes come with the next one), until sampling ends.

    Args:
        tokenizer: the bot's tokenizer.
        prompt: the prompt every post starts with.
        timeout: seconds to wait for the next token before giving up.
    """

    def __init__(self, tokenizer: Any, prompt: str, timeout: float = 120.0) -> None:
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.timeout = timeout
        self.ids: list[int] = []
        self.done = False
        self.queue: queue.Queue[str | None] = queue.Queue()
        self._prompt_seen = False
        self._table = Utf8Table.of(tokenizer)
        self._state = 0  # where row 0 stands in a UTF-8 sequence
        self.cancelled = False  # set by the reader to stop sampling early

    def put(self, value: torch.Tensor) -> None:
        if not self._prompt_seen:  # the first put is the prompt itself
            self._prompt_seen = True
            return
        if self.done:
            return
        tok = int(value.reshape(-1)[0])
        if tok == self.tokenizer.eos_token_id:
            self.done = True  # row 0 ended; later steps only concern the other posts
            return
        self.ids.append(tok)
        self._state = self._table.next_state(self._state, tok)
        if self._state == 0:
            self.queue.put(post_text(self.tokenizer, self.prompt, self.ids))

    def end(self) -> None:
        self.done = True
        self.queue.put(None)

    def __iter__(self) -> Iterator[str]:
        while (item := self.queue.get(timeout=self.timeout)) is not None:
            yield item


def stream_posts(
    model: Any, tokenizer: Any, prompt: str = "", n: int = 5, **kwargs: Any
) -> Iterator[tuple[str, list[str] | None]]:
    """Sample `n` posts in one batch on the model thread (`model_thread.py`), streaming the first.

    Args:
        model: a causal LM from `load_bot`.
        tokenizer: its tokenizer.
        prompt: the beginning of every post.
        n: how many posts.
        **kwargs: more `generate_posts` arguments (max_new_tokens, temperature, top_p, seed...).

    Returns:
        An iterator of `(first_post_so_far, None)` while sampling, then one `(first, posts)`
        with all `n` posts. An error in sampling is raised here.
    """
    streamer = FirstPostStreamer(tokenizer, prompt)
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["posts"] = generate_posts(
                model, tokenizer, prompt, n=n, streamer=streamer, **kwargs
            )
        except BaseException as e:  # handed to the consumer thread
            result["error"] = e
            streamer.end()

    job = model_thread.submit(work)
    try:
        for text in streamer:
            yield text, None
    finally:  # also when the consumer stops early: let the sampling end too
        streamer.cancelled = True
        job.result()
    if "error" in result:
        raise result["error"]
    posts = result["posts"]
    yield posts[0], posts
