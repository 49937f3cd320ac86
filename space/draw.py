"""How a post is drawn: the settings of a request, then every step in the order it runs.

One request draws `n` posts that start with the same prompt, in one batch:

1. the prompt, after the EOS token the bot saw before every post in training (`build_prompt`),
   shortened from its start where the model has too few positions (`fit_context`);
2. decoding (`sample_ids`): the prompt is run once and its cache repeated for the `n` posts;
   from a bare EOS, the first token's odds of beginning a reply are moved to `reply_share`
   (`reweight_start`); each step draws one token per post with temperature, top-k, top-p and
   min-p (`sample_next`; the first `untruncated_start` steps from the whole distribution), only
   among the tokens that keep the post valid UTF-8 (`utf8.py`), with no EOS or line break
   before `min_new_tokens`; a post leaves the batch at EOS or a line break. Each model pass is
   one step of `decode.py`;
3. the text a user sees: the prompt plus the decoded tokens, first line only (`post_text`);
4. the copy guard (`guard.py`): a post that repeats a span of a real post is drawn again, up to
   `MAX_ROUNDS` times, and one still copying is cut short before its copied run (`redraw`).

`draw` runs the steps and returns the posts; `stream` runs the same steps on the model thread
(`model_thread.py`) and yields the first post as it grows, as the Space shows it. For the same
settings and seed both give the same posts.

The loop is this project's own rather than `model.generate`: on a 2-core CPU with a 135M model
the per-step overhead of `generate` (logits processors over a 49k vocabulary, stopping
criteria, bookkeeping) is a third of the time. A setting is one field of `DrawSettings` and
its step here. Stands alone (no import from `publisher`): the Space ships it as is.
"""

from __future__ import annotations

import math
import queue
import re
from collections.abc import Iterator
from concurrent.futures import wait
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from transformers.generation.streamers import BaseStreamer

try:
    from . import decode, model_thread
    from .guard import CopyGuard
    from .utf8 import Utf8Rows, Utf8Table
except ImportError:  # `python app.py` in a Space: the sibling modules are top-level
    import decode  # type: ignore[no-redef]
    import model_thread  # type: ignore[no-redef]
    from guard import CopyGuard  # type: ignore[no-redef]
    from utf8 import Utf8Rows, Utf8Table  # type: ignore[no-redef]

# huggingtweets' sampling defaults, also written into generation_config.json.
DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "top_p": 0.95,
    "temperature": 1.0,
    "max_length": 160,
    "min_length": 10,
}
# transformers' default top-k, which huggingtweets' samples also went through.
TOP_K = 50
# The sampling fields beyond huggingtweets' three, and their values when a bot's
# generation_config.json lacks them (as a bot made before they existed samples); each is a field
# of `DrawSettings`, checked against its range here (a hand-edited config cannot break drawing).
EXTRA_DEFAULTS: dict[str, Any] = {"min_p": 0.0, "untruncated_start": 0, "reply_share": -1.0}
_EXTRA_RANGES = {"min_p": (float, 0.0, 0.99), "untruncated_start": (int, 0, 16),
                 "reply_share": (float, -1.0, 1.0)}  # fmt: skip
MAX_ROUNDS = 3  # the copy guard's redraws of the copies before one is cut short
# Every character `str.splitlines` breaks on: a post is one line, whatever the model emits.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class DrawSettings:
    """What one request asks for; each field is used by one step below.

    The sampling fields left at None are the bot's own (`for_bot`): its `generation_config.json`,
    fitted by `hf-tweetbot eval`, else huggingtweets' temperature 1, top-p 0.95, top-k 50.
    """

    prompt: str = ""  # the beginning of every post ("" starts from the EOS token alone)
    n: int = 5  # posts, drawn in one batch
    max_new_tokens: int = 60  # the most tokens added to the prompt
    min_new_tokens: int = DEFAULTS["min_length"]  # huggingtweets' min_length: no end before
    temperature: float | None = None  # divides the logits; small values approach greedy
    top_p: float | None = None  # keep the fewest tokens whose probability reaches top_p
    top_k: int | None = None  # keep the k most likely tokens (0: the whole vocabulary)
    min_p: float | None = None  # drop tokens under min_p times the likeliest one's probability
    # the first tokens of a post drawn from the whole distribution at temperature 1: truncation
    # cuts the long tail of ways a post can begin and so inflates the likeliest beginning
    untruncated_start: int | None = None
    # from a bare EOS, the share of posts that begin with an @mention, as the person's posts
    # do: the first token is reweighted to it (below 0: the model's own share)
    reply_share: float | None = None
    seed: int | None = None  # the same seed draws the same posts
    valid_utf8: bool = True  # only tokens that keep a post valid UTF-8 (False: benchmarks)
    stop_early: bool = True  # a post leaves the batch when it ends (False: benchmarks)

    def for_bot(self, model: Any) -> DrawSettings:
        """These settings with the sampling fields left at None set to the bot's own."""
        gen = getattr(model, "generation_config", None)
        if gen is None or not getattr(gen, "do_sample", False):  # huggingtweets'
            temperature, top_p, top_k = DEFAULTS["temperature"], DEFAULTS["top_p"], TOP_K
        else:  # the bot's fitted sampling; a filter its config leaves unset filters nothing
            temperature = DEFAULTS["temperature"] if gen.temperature is None else gen.temperature
            top_p = 1.0 if gen.top_p is None else gen.top_p
            top_k = 0 if gen.top_k is None else gen.top_k
        extra = extra_setting(vars(gen) if gen is not None and gen.do_sample else {})
        return replace(
            self,
            temperature=float(temperature if self.temperature is None else self.temperature),
            top_p=float(top_p if self.top_p is None else self.top_p),
            top_k=int(top_k if self.top_k is None else self.top_k),
            **{k: v if getattr(self, k) is None else getattr(self, k) for k, v in extra.items()},
        )


def extra_setting(config: dict[str, Any]) -> dict[str, Any]:
    """`min_p`, `untruncated_start` and `reply_share` of a generation config, checked.

    A missing, null or out-of-range value is the `EXTRA_DEFAULTS` one.
    """
    out = dict(EXTRA_DEFAULTS)
    for key, (kind, low, high) in _EXTRA_RANGES.items():
        try:
            value = kind(config[key])
        except (KeyError, TypeError, ValueError):
            continue
        if low <= value <= high:
            out[key] = value
    return out


@dataclass
class Drawn:
    """The posts shown, how many the copy guard drew again, which it cut short in the end."""

    posts: list[str]
    redrawn: int = 0
    cut: list[int] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return [f"Post {i + 1} was cut short: after {MAX_ROUNDS} new draws it still went on to "
                "repeat a real post." for i in self.cut]  # fmt: skip


def draw(
    model: Any, tokenizer: Any, settings: DrawSettings, guard: CopyGuard | None = None
) -> Drawn:
    """Draw `settings.n` posts: decode them in one batch, then pass them through the copy guard.

    Args:
        model: a causal LM from `load.load_bot`.
        tokenizer: its tokenizer.
        settings: the request.
        guard: the bot's copy guard (`guard.load_guard`), None for none.
    """
    posts = sample(model, tokenizer, settings)
    return redraw(model, tokenizer, settings, guard, posts)


def stream(model: Any, tokenizer: Any, settings: DrawSettings,
           guard: CopyGuard | None = None) -> Iterator[tuple[str, Drawn | None]]:  # fmt: skip
    """`draw` on the model thread, streaming the first post as it grows.

    The streamed first post stops growing as soon as it repeats a real post; once the batch is
    done, copies are drawn again and the final posts replace it.

    Returns:
        An iterator of `(first post so far, None)` while decoding, then one `(first, drawn)`.
        An error in decoding is raised here.
    """
    streamer = FirstPostStreamer(tokenizer, settings.prompt)
    job = model_thread.submit(_sample_streamed, model, tokenizer, settings, streamer)
    shown, frozen = "", False
    try:
        for text in streamer:
            frozen = frozen or (
                guard is not None and guard.copies(tokenizer, text, settings.prompt)
            )
            shown = shown if frozen else text
            yield shown, None
    finally:  # also when the reader stops early (a closed tab): let the decoding end too
        streamer.cancelled = True
        wait([job])
    posts = job.result()
    if guard is None:
        done = Drawn(posts)
    else:  # on the model thread, where the redraws decode
        done = model_thread.run(redraw, model, tokenizer, settings, guard, posts)
    yield done.posts[0], done


def _sample_streamed(model: Any, tokenizer: Any, settings: DrawSettings,
                     streamer: FirstPostStreamer) -> list[str]:  # fmt: skip
    try:
        return sample(model, tokenizer, settings, streamer)
    except BaseException:
        streamer.end()  # the reader waits on the streamer: let it see the end, then the error
        raise


def sample(model: Any, tokenizer: Any, settings: DrawSettings, streamer: Any = None) -> list[str]:
    """The posts of one batch as a user sees them, before the copy guard.

    Args:
        model, tokenizer: the bot.
        settings: the request.
        streamer: a transformers streamer (`sample_ids`).

    Returns:
        `settings.n` posts, each the prompt plus its continuation, cut at the first line break.
    """
    rows = sample_ids(model, tokenizer, settings, streamer)
    return [post_text(tokenizer, settings.prompt, row) for row in rows]


def sample_ids(model: Any, tokenizer: Any, settings: DrawSettings,
               streamer: Any = None) -> list[list[int]]:  # fmt: skip
    """Decode `settings.n` continuations of the prompt in one batch; the new token ids of each.

    Args:
        model, tokenizer: the bot.
        settings: the request.
        streamer: a transformers streamer; like `generate`, it gets the prompt ids first, then
            the (n,) new tokens of each step (rows that ended repeat EOS). One that sets
            `cancelled` (its reader went away) stops the decoding.

    Returns:
        `n` lists of new token ids, each ending before its EOS or line-break token.
    """
    s = settings.for_bot(model)
    n, gen = s.n, None if s.seed is None else torch.Generator().manual_seed(s.seed)
    text = build_prompt(tokenizer, s.prompt)
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    ids, steps = fit_context(model, ids, s.max_new_tokens)
    stops = stop_ids(tokenizer)
    eos = int(tokenizer.eos_token_id)
    min_new = min(s.min_new_tokens, steps)
    share = -1.0 if s.prompt.strip() or s.reply_share is None else s.reply_share
    mentions = mention_ids(tokenizer) if share >= 0 else None  # a prompt is never reweighted
    state = decode.stepper(model)
    valid = Utf8Table.of(tokenizer).rows(n, steps) if s.valid_utf8 else None
    out: list[list[int]] = [[] for _ in range(n)]
    live = list(range(n))  # rows of `out` still in the batch, in batch order
    if streamer is not None:
        streamer.put(ids)
    with torch.inference_mode():
        # Prefill once, then repeat the cache: the prompt is the same for every post.
        logits = state.prefill(ids, ids.shape[1] + steps).expand(n, -1)
        state.expand(n)
        for step in range(steps):
            if step < min_new:  # no EOS (nor line break) too early
                logits = logits.index_fill(-1, stops.to(logits.device), float("-inf"))
            if step == 0 and mentions is not None:
                logits = reweight_start(logits, mentions, share)
            if step < (s.untruncated_start or 0):  # the way a post begins: the whole distribution
                whole = replace(s, temperature=1.0, top_p=1.0, top_k=0, min_p=0.0)
                nxt = sample_next(logits, whole, gen, valid).cpu()
            else:
                nxt = sample_next(logits, s, gen, valid).cpu()
            if valid is not None:
                valid.advance(nxt)
            ended = (
                torch.isin(nxt, stops) if s.stop_early else torch.zeros_like(nxt, dtype=torch.bool)
            )
            for row, tok, end in zip(live, nxt.tolist(), ended.tolist(), strict=True):
                if not end:
                    out[row].append(tok)
            if streamer is not None:
                full = torch.full((n,), eos, dtype=torch.long)
                full[live] = torch.where(ended, eos, nxt)
                streamer.put(full)
            keep = (~ended).nonzero().squeeze(-1)
            if getattr(streamer, "cancelled", False):
                break
            if len(keep) == 0 or step == steps - 1:
                break
            if len(keep) < len(live):  # the posts that ended leave the batch
                state.keep(keep)
                if valid is not None:
                    valid.keep(keep)
                live = [live[i] for i in keep.tolist()]
                nxt = nxt[keep]
            logits = state.step(nxt)
    if streamer is not None:
        streamer.end()
    return out


def sample_next(logits: torch.Tensor, settings: DrawSettings, generator: torch.Generator | None = None,
                valid: Utf8Rows | None = None) -> torch.Tensor:  # fmt: skip
    """Draw one token per row with temperature, top-k, top-p (nucleus) and min-p sampling.

    Top-p runs on the `top_k` best logits only: sorting 50 values instead of 49k per row is
    what makes it cheap, and it is what `generate` does with its default `top_k=50`; min-p
    sorts only the tokens it can keep. With `valid`, the k best are those among the tokens that
    keep each row's text valid UTF-8. Untruncated (top-k 0, top-p 1, no min-p), nothing needs
    sorting: each row draws from its whole masked distribution (`_sample_whole`).

    Args:
        logits: (batch, vocab) scores of the next token.
        settings: the request, its sampling fields set (`DrawSettings.for_bot`).
        generator: a seeded generator for reproducible draws.
        valid: the rows' UTF-8 state (`utf8.py`): only tokens that continue it are drawn.

    Returns:
        (batch,) token ids.
    """
    temperature, top_p, top_k = settings.temperature, settings.top_p, settings.top_k
    if temperature is None or top_p is None or top_k is None:
        raise ValueError("sample_next draws with set sampling fields: DrawSettings.for_bot")
    min_p = settings.min_p or 0.0
    if top_k <= 0 and top_p >= 1.0 and min_p <= 0.0:
        return _sample_whole(logits, temperature, generator, valid)
    k = logits.shape[-1] if top_k <= 0 else min(int(top_k), logits.shape[-1])
    if min_p > 0.0:  # only the tokens min-p can keep need sorting
        top = logits.max(-1, keepdim=True).values.float()
        floor = top + max(temperature, 1e-3) * math.log(min_p)
        k = max(1, min(k, int((logits.float() >= floor).sum(-1).max()) + 8))
    # A positive temperature keeps the order, so the k best are picked from the raw logits and
    # only those k are converted and scaled (not the whole vocabulary, twice, at every token).
    vals, idx = torch.topk(logits, k, dim=-1)  # sorted, best first
    if valid is not None:
        vals, idx = valid.restrict(logits, vals, idx, k)
    probs = torch.softmax(vals.float() / max(float(temperature), 1e-3), dim=-1)
    if top_p < 1.0:
        # Drop a token when the tokens before it already reach top_p (the best one always stays).
        drop = (torch.cumsum(probs, dim=-1) - probs) >= float(top_p)
        probs = probs.masked_fill(drop, 0.0)
    if min_p > 0.0:
        probs = probs.masked_fill(probs < float(min_p) * probs.max(-1, keepdim=True).values, 0.0)
    pick = torch.multinomial(probs, 1, generator=generator)
    return idx.gather(-1, pick).squeeze(-1)


def _sample_whole(logits: torch.Tensor, temperature: float, generator: torch.Generator | None,
                  valid: Utf8Rows | None) -> torch.Tensor:  # fmt: skip
    """One token per row from the whole vocabulary at `temperature`, among the allowed ones.

    Each row draws from its whole distribution; a row whose token is not allowed (rare: a stray
    byte) draws again from its allowed tokens alone, which is drawing from the allowed ones with
    their odds kept, without masking 49k tokens per row at every step.
    """
    probs = torch.softmax(logits.float() / max(float(temperature), 1e-3), dim=-1)
    pick = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    if valid is None:
        return pick
    bad = (~valid.allowed(pick.cpu()[:, None])[:, 0]).nonzero().squeeze(-1)
    if len(bad):
        ids = torch.arange(logits.shape[-1])[None, :].expand(len(bad), -1)
        mask = valid.allowed(ids, rows=bad).to(logits.device)
        rows = probs[bad.to(logits.device)]
        rows = torch.where(mask.any(-1, keepdim=True), rows.masked_fill(~mask, 0.0), rows)
        pick = pick.clone()
        pick[bad.to(pick.device)] = torch.multinomial(rows, 1, generator=generator).squeeze(-1)
    return pick


_MENTION_IDS: dict[int, tuple[Any, torch.Tensor]] = {}


def mention_ids(tokenizer: Any) -> torch.Tensor:
    """Ids of the tokens a reply begins with: those whose text starts with "@" (cached).

    Only the tokens whose vocabulary entry holds "@" (or its byte, "<0x40>") are decoded, not
    the whole vocabulary.
    """
    hit = _MENTION_IDS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    vocab = tokenizer.get_vocab()
    maybe = sorted(i for t, i in vocab.items() if "@" in t or "<0x40>" in t)
    texts = tokenizer.batch_decode([[i] for i in maybe])
    out = torch.tensor([i for i, t in zip(maybe, texts, strict=True) if t.lstrip().startswith("@")],
                       dtype=torch.long)  # fmt: skip
    _MENTION_IDS[id(tokenizer)] = (tokenizer, out)
    return out


def reweight_start(logits: torch.Tensor, mentions: torch.Tensor, share: float) -> torch.Tensor:
    """The first token's logits with the tokens that begin a reply holding `share` of the mass.

    The model's own share of replies (its probability of an @-token at temperature 1) is moved
    to the person's; within replies and within the other posts the model's odds stay as they
    are. A model that (almost) never begins with "@", or never otherwise, is left as it is.
    """
    if not len(mentions):
        return logits
    logp = torch.log_softmax(logits.float(), dim=-1)
    own = logp.index_select(-1, mentions.to(logits.device)).exp().sum(-1, keepdim=True)
    share = min(max(float(share), 1e-4), 1 - 1e-4)
    ok = (own > 1e-4) & (own < 1 - 1e-4)
    up = torch.where(ok, torch.log(share / own.clamp(1e-6, 1)), torch.zeros_like(own))
    down = torch.where(ok, torch.log((1 - share) / (1 - own).clamp(1e-6, 1)), torch.zeros_like(own))
    is_mention = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
    is_mention[mentions.to(logits.device)] = True
    return logits.float() + torch.where(is_mention, up, down)


def redraw(model: Any, tokenizer: Any, settings: DrawSettings, guard: CopyGuard | None,
           posts: list[str]) -> Drawn:  # fmt: skip
    """Draw again every post that copies, up to `MAX_ROUNDS` times, in one batch per round.

    A post still copying after that is cut short before its copied run: what is shown never
    holds a span of a real post. Each round has its own seed, derived from `settings.seed`.
    """
    out = Drawn(list(posts))
    if guard is None:
        return out
    prompt = settings.prompt
    bad = [i for i, p in enumerate(out.posts) if guard.copies(tokenizer, p, prompt)]
    for r in range(1, MAX_ROUNDS + 1):
        if not bad:
            break
        seed = None if settings.seed is None else settings.seed + 7919 * r
        fresh = sample(model, tokenizer, replace(settings, n=len(bad), seed=seed))
        out.redrawn += len(bad)
        for i, post in zip(bad, fresh, strict=True):
            out.posts[i] = post
        bad = [i for i in bad if guard.copies(tokenizer, out.posts[i], prompt)]
    for i in bad:
        out.posts[i] = guard.cut(tokenizer, out.posts[i], prompt)
    out.cut = bad
    return out


# -- the prompt, the end of a post, its text -------------------------------------------------


def build_prompt(tokenizer: Any, prompt: str) -> str:
    """The prompt as the bot saw posts in training: after the EOS token."""
    return tokenizer.eos_token + prompt.strip()


def fit_context(model: Any, ids: torch.Tensor, max_new_tokens: int) -> tuple[torch.Tensor, int]:
    """Keep prompt + new tokens within the model's positions, dropping the prompt's start.

    Args:
        model: the causal LM.
        ids: (1, length) prompt ids.
        max_new_tokens: the tokens asked for.

    Returns:
        (ids, max_new_tokens), shortened where the model has fewer positions.
    """
    cfg = model.config
    limit = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
    if not limit:
        return ids, int(max_new_tokens)
    max_new_tokens = max(1, min(int(max_new_tokens), limit // 2))
    keep = limit - max_new_tokens
    return (ids[:, -keep:] if ids.shape[1] > keep else ids), max_new_tokens


_STOP_IDS: dict[int, tuple[Any, torch.Tensor]] = {}


def stop_ids(tokenizer: Any) -> torch.Tensor:
    """Ids of the tokens that end a post: EOS and every token whose text holds a line break.

    Decoding the whole vocabulary takes ~0.3 s for 49k tokens, so it is cached per tokenizer.
    """
    hit = _STOP_IDS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    ids = {i for i, t in enumerate(texts) if _LINE_BREAK.search(t)}
    ids.add(tokenizer.eos_token_id)
    out = torch.tensor(sorted(ids), dtype=torch.long)
    _STOP_IDS[id(tokenizer)] = (tokenizer, out)
    return out


def post_text(tokenizer: Any, prompt: str, new_ids: list[int]) -> str:
    """The post a user sees: the prompt plus the decoded continuation, first line only."""
    cont = tokenizer.decode(new_ids, skip_special_tokens=True)
    return first_line(prompt.strip() + cont)


def first_line(text: str) -> str:
    """Cut a sample at its first line break, as huggingtweets did."""
    return _LINE_BREAK.split(text, maxsplit=1)[0].rstrip()


def warm(model: Any, tokenizer: Any) -> None:
    """Build now what the first request would otherwise build: the model's fast decoding path
    (fused, packed weights: ~1 s for 135M), the stop tokens (~0.3 s), every token's bytes (~0.2 s).
    """
    decode.build_fast_path(model)
    stop_ids(tokenizer)
    Utf8Table.of(tokenizer)


# -- streaming the first post ----------------------------------------------------------------


class FirstPostStreamer(BaseStreamer):
    """A streamer for batched decoding that publishes the first post's text as it grows.

    It follows transformers' `BaseStreamer` protocol (`put`, `end`); each `put` after the prompt
    brings the whole batch's new tokens, of which only row 0 is decoded. Iterating yields the
    first post's text after each token that ends on a whole character (a token can hold the
    first bytes of an emoji, whose last bytes come with the next one), until decoding ends.

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
        self.cancelled = False  # set by the reader to stop decoding early

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
