"""The bot's Gradio Space: type the beginning of a post, get posts in the person's style.

Runs as `python app.py` in a Space (beside `draw.py`, `bot_info.py`, `ui.py`) and as
`space.app` from the hf-tweetbot package (`hf-tweetbot space DIR_OR_REPO`). The model comes
from `MODEL_ID` (a Hub repo id or a local folder) or from the `model_id.txt` file that
`hf-tweetbot push --space` writes beside this file. It is loaded once per process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    from . import model_thread
except ImportError:  # `python app.py`: the sibling modules are top-level
    sys.path.insert(0, str(HERE))
    import model_thread  # type: ignore[no-redef]

# Before torch loads (drawing imports it): OpenMP reads its threads' settings only then.
model_thread.fit_threads()

import gradio as gr  # noqa: E402

try:
    from . import guard, ui
    from .bot_info import (
        MODEL_ID_FILE,
        BotInfo,
        load_info,
        load_quality,
        quality_summary,
        resolve_model_id,
    )
    from .draw import DrawSettings, sample, stream
    from .load import load_bot
except ImportError:  # `python app.py`: the sibling modules are top-level
    import guard  # type: ignore[no-redef]
    import ui  # type: ignore[no-redef]
    from bot_info import (  # type: ignore[no-redef]
        MODEL_ID_FILE,
        BotInfo,
        load_info,
        load_quality,
        quality_summary,
        resolve_model_id,
    )
    from draw import DrawSettings, sample, stream  # type: ignore[no-redef]
    from load import load_bot  # type: ignore[no-redef]

log = logging.getLogger(__name__)

# Limits on one request; larger asks are clamped with a visible notice.
MAX_PROMPT_CHARS = 500
MAX_POSTS = 10
MAX_NEW_TOKENS = 200
# Requests sampled at once; on a small CPU one at a time gives each the whole machine.
CONCURRENCY = int(os.environ.get("TWEETBOT_CONCURRENCY", "1"))
MAX_QUEUE = int(os.environ.get("TWEETBOT_MAX_QUEUE", "32"))


@dataclass
class Bot:
    """A loaded bot: model, tokenizer and what the page says about it."""

    model: Any
    tokenizer: Any
    info: BotInfo
    guard: Any = None  # the copy guard (`guard.CopyGuard`), None when off or unavailable
    guard_status: str = "on"


_BOTS: dict[str, Bot] = {}
_LOCK = threading.Lock()


def load(model_id: str) -> Bot:
    """Load a bot once per process (later calls with the same id reuse it).

    Args:
        model_id: a Hub repo id or a local model folder.

    Returns:
        The bot, warmed up so that the first request streams without delay.
    """
    with _LOCK:
        if model_id not in _BOTS:
            # On the model thread, where every request draws (`model_thread.py` says why).
            _BOTS[model_id] = model_thread.run(_load, model_id)
        return _BOTS[model_id]


def _load(model_id: str) -> Bot:
    model_thread.fit_threads()  # a Space sees its host's cores, not its 2-CPU quota
    model, tok = load_bot(model_id)
    info = load_info(model_id)
    # Warm-up: touches every kernel once.
    sample(model, tok, DrawSettings(prompt=info.widget_text, n=2, max_new_tokens=2))
    copy_guard, status = guard.load_guard(model_id)
    return Bot(model, tok, info, copy_guard, status)


def clamp(prompt: str | None, n: float, max_new_tokens: float) -> tuple[str, int, int, list[str]]:
    """Bring one request within the limits.

    Args:
        prompt: the beginning of the posts (None or "" starts from the EOS token).
        n: how many posts were asked for.
        max_new_tokens: how many tokens each may add.

    Returns:
        (prompt, n, max_new_tokens, notices), a notice for each value changed.
    """
    notes = []
    prompt = prompt or ""
    if len(prompt) > MAX_PROMPT_CHARS:
        prompt = prompt[:MAX_PROMPT_CHARS]
        notes.append(f"The prompt was cut to its first {MAX_PROMPT_CHARS} characters.")
    posts = int(round(n))
    if not 1 <= posts <= MAX_POSTS:
        posts = min(max(posts, 1), MAX_POSTS)
        notes.append(f"Number of posts set to {posts} (1 to {MAX_POSTS}).")
    tokens = int(round(max_new_tokens))
    if not 1 <= tokens <= MAX_NEW_TOKENS:
        tokens = min(max(tokens, 1), MAX_NEW_TOKENS)
        notes.append(f"Maximum length set to {tokens} tokens (1 to {MAX_NEW_TOKENS}).")
    return prompt, posts, tokens, notes


def respond(
    bot: Bot, prompt: str, n: float, temperature: float, top_p: float, max_new_tokens: float
) -> Iterator[tuple[str, str, list[str]]]:
    """Draw posts for one request, streaming the first one.

    Args:
        bot: the loaded bot.
        prompt: the beginning of every post.
        n: how many posts.
        temperature: sampling temperature.
        top_p: nucleus sampling threshold.
        max_new_tokens: the most tokens added to the prompt.

    Returns:
        An iterator of (cards HTML, notice markdown, posts so far).
    """
    prompt, posts_n, tokens, notes = clamp(prompt, n, max_new_tokens)
    for note in notes:
        gr.Warning(note)
    notice = "\n".join(f"⚠️ {note}" for note in notes)
    temperature = min(max(float(temperature), 0.05), 2.0)
    top_p = min(max(float(top_p), 0.05), 1.0)
    settings = DrawSettings(prompt=prompt, n=posts_n, max_new_tokens=tokens,
                            temperature=temperature, top_p=top_p)  # fmt: skip
    for first, drawn in stream(bot.model, bot.tokenizer, settings, bot.guard):
        if drawn is None:
            yield ui.cards_html(bot.info, [first], posts_n, done=False), notice, [first]
        else:
            notice = "\n".join([notice, *(f"⚠️ {c}" for c in drawn.notes)]).strip()
            yield ui.cards_html(bot.info, drawn.posts, posts_n, done=True), notice, drawn.posts


def _bot_page(bot: Bot) -> gr.Blocks:
    info = bot.info
    # The bot's fitted sampling (generation_config.json), inside the sliders' range: a slider
    # refuses a value outside it when the visitor submits.
    own = DrawSettings().for_bot(bot.model)
    with gr.Blocks(title=f"{info.names} — AI bot", analytics_enabled=False) as demo:
        gr.HTML(f"<style>{ui.CSS}</style>{ui.header_html(info)}", elem_id="tb-header")
        with gr.Row():
            with gr.Column(scale=3):
                prompt = gr.Textbox(
                    value=info.widget_text,
                    label="Start of the post",
                    placeholder="Leave empty to let the bot start from scratch",
                    max_length=MAX_PROMPT_CHARS,
                    lines=2,
                    elem_id="tb-prompt",
                )
                button = gr.Button("Generate", variant="primary", elem_id="tb-generate")
            with gr.Column(scale=2):
                n = gr.Slider(
                    1, MAX_POSTS, value=5, step=1, label="Number of posts", elem_id="tb-n"
                )
                with gr.Accordion("Sampling", open=False):
                    temp = gr.Slider(
                        0.1,
                        2.0,
                        value=min(max(own.temperature or 0.0, 0.1), 2.0),
                        label="Temperature",
                    )
                    top_p = gr.Slider(
                        0.1, 1.0, value=min(max(own.top_p or 0.0, 0.1), 1.0), label="Top-p"
                    )
                    length = gr.Slider(
                        8, MAX_NEW_TOKENS, value=60, step=1, label="Maximum length (tokens)"
                    )
        notice = gr.Markdown(elem_id="tb-notice", label="Notice")
        cards = gr.HTML(elem_id="tb-results", label="Posts", js_on_load=ui.COPY_JS)
        posts = gr.JSON(visible=False, label="posts")
        gr.HTML(ui.footer_html(info, _guard_note(bot)), elem_id="tb-footer")

        def run(
            prompt: str, n: float, temperature: float, top_p: float, max_new_tokens: float
        ) -> Iterator[tuple[str, str, list[str]]]:
            yield from respond(bot, prompt, n, temperature, top_p, max_new_tokens)

        gr.on(
            [button.click, prompt.submit],
            run,
            [prompt, n, temp, top_p, length],
            [cards, notice, posts],
            api_name="generate",
        )
    return demo.queue(default_concurrency_limit=CONCURRENCY, max_size=MAX_QUEUE)


def _guard_note(bot: Bot) -> str:
    """The footer's line on copies: the measured rates, and the guard when it is not on."""
    note = quality_summary(load_quality(bot.info.model_id)) or ""
    if bot.guard_status != "on":
        note = f"{note} Copy guard {bot.guard_status}.".strip()
    return note


def _setup_page(error: str | None = None) -> gr.Blocks:
    """The page shown when no model is configured or it cannot be loaded."""
    with gr.Blocks(title="hf-tweetbot Space", analytics_enabled=False) as demo:
        what = f"Could not load the model: `{escape(error)}`\n\n" if error else ""
        gr.Markdown(
            f"## No bot to serve yet\n\n{what}Set the `MODEL_ID` environment variable "
            "(a Space variable, or `MODEL_ID=... python app.py`) to the bot's Hub repo id or "
            f"local folder, or put the repo id in `{MODEL_ID_FILE}` beside `app.py`."
        )
    return demo


def build_demo(model_id: str | None = None, strict: bool = False) -> gr.Blocks:
    """The Space's page for a bot.

    Args:
        model_id: a Hub repo id or a local folder (a bot folder holding `repo/` works too);
            defaults to `$MODEL_ID`, then to `model_id.txt` beside this file.
        strict: raise when the model cannot be loaded, instead of showing the error.

    Returns:
        The Blocks, queued, ready to `launch()`.
    """
    mid = resolve_model_id(model_id, HERE)
    if mid is None:
        if strict:
            raise ValueError(f"no model: set MODEL_ID or write {MODEL_ID_FILE}")
        return _setup_page()
    try:
        bot = load(mid)
    except Exception as e:
        if strict:
            raise
        log.exception("could not load %s", mid)
        return _setup_page(f"{mid}: {type(e).__name__}: {e}")
    return _bot_page(bot)


demo = build_demo()

if __name__ == "__main__":
    demo.launch()
