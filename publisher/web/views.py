"""What the creator page shows: limits, counts, posts, training progress, links, errors.

Everything a person or a source wrote (posts, names, messages) is escaped: it is shown as text,
never as HTML.
"""

from __future__ import annotations

import base64
import random
import re
from html import escape
from pathlib import Path
from typing import Any

from ..bot.manifest import Manifest
from ..bot.posts import read_rows
from .jobs import TrainProgress
from .session import WebConfig

SAMPLE_POSTS = 8
IN_LINE = "Waiting for your turn: one training runs at a time…"
MAX_THUMBNAIL_BYTES = 2 << 20  # the card's thumbnail is a 1200x628 PNG of ~100 kB
# `prepare`'s own progress lines; everything else it says is a warning worth showing.
_INFO_LINE = re.compile(r"^(@\S+: \d+ posts downloaded|Prepared )")

CSS = """
.tw-box {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px;}
.tw-error {color: var(--error-text-color, #b91c1c); background: var(--error-background-fill, #fef2f2);
  border: 1px solid var(--error-border-color, #fca5a5); border-radius: 8px; padding: 8px 12px;
  white-space: pre-wrap; font-family: var(--font-mono);}
.tw-warning {background: #fffbeb; color: #92400e; border-radius: 6px; padding: 6px 10px; margin: 4px 0;}
.tw-counts {border-collapse: collapse; width: 100%;}
.tw-counts th, .tw-counts td {padding: 4px 10px; border-bottom: 1px solid var(--border-color-primary);
  text-align: right;}
.tw-counts th:first-child, .tw-counts td:first-child {text-align: left;}
.tw-post {border-left: 3px solid #1d9bf0; padding: 4px 10px; margin: 6px 0; white-space: pre-wrap;}
.tw-status progress {width: 100%; height: 14px;}
.tw-thumb {max-width: 100%; border-radius: 8px;}
"""


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "…"
    s = int(round(s))
    return f"{s // 60}:{s % 60:02d}"


def limits_html(cfg: WebConfig) -> str:
    """The limits, shown before anyone starts."""
    reach = "servers on public addresses" + (
        " and on networks this server's operator allowed" if cfg.allow_networks else ""
    )
    items = [
        f"Archives up to {cfg.max_upload_mb} MB (X's “Download an archive of your data” .zip, "
        "Mastodon's archive .zip or .tar.gz, Bluesky's “Export my data” .car, or a .jsonl/.csv "
        "with a <code>text</code> column); 1 to 3 accounts per bot, uploaded or typed; "
        f"{cfg.uploads_per_hour} uploads an hour",
        f"Live sources: the {cfg.max_posts:,} most recent posts per account, from {reach} only; "
        f"{cfg.reads_per_hour} readings an hour, one at a time, each within "
        f"{cfg.read_cpu_seconds:g} s of CPU time and {cfg.read_memory_mb:,} MB of memory",
        f"Training stops after {cfg.time_budget / 60:g} minutes on this machine and keeps "
        f"what it learned; at most {cfg.max_steps:,} steps",
        f"Base model: {escape(cfg.base_models[0])} by default, small enough for a CPU",
        f"One training at a time, taking turns: you see your place in line. Up to "
        f"{cfg.trainings_per_hour} trainings an hour and {cfg.line_per_address} in line at once "
        "from one address. Your files are deleted when you close the page",
    ]
    return (
        '<ul class="tw-box" id="tw-limits-list">'
        + "".join(f"<li>{i}</li>" for i in items)
        + "</ul>"
    )


def error_html(lines: list[str]) -> str:
    """The CLI's `Error:` / `Hint:` lines, as text."""
    return f'<div class="tw-error" role="alert">{escape(chr(10).join(lines))}</div>'


def counts_html(m: Manifest) -> str:
    """huggingtweets' four counts per account."""
    head = (
        "<tr><th>account</th><th>downloaded</th><th>retweets</th><th>short</th><th>kept</th></tr>"
    )
    rows = "".join(
        f"<tr><td>@{escape(u.handle)} ({escape(u.name)})</td><td>{u.tweets_downloaded:,}</td>"
        f"<td>{u.retweets:,}</td><td>{u.short_tweets:,}</td><td>{u.tweets_kept:,}</td></tr>"
        for u in m.users
    )
    return f'<table class="tw-counts">{head}{rows}</table>'


def warnings_html(lines: list[str]) -> str:
    """Everything `prepare` said besides its progress lines (too few posts, language, ...)."""
    return "".join(f'<div class="tw-warning">⚠️ {escape(line)}</div>' for line in warnings_of(lines))


def warnings_of(lines: list[str]) -> list[str]:
    """The lines of `prepare` that are not its own progress lines."""
    return [line for line in lines if not _INFO_LINE.match(line)]


def sample_html(bot_dir: Path, n: int = SAMPLE_POSTS) -> str:
    """A few kept posts, as the model will learn them."""
    posts = [r for r in read_rows(bot_dir) if r["split"] == "train"]
    picked = random.Random(0).sample(posts, min(n, len(posts)))
    items = "".join(
        f'<div class="tw-post"><b>@{escape(p["handle"])}</b> {escape(p["text"])}</div>'
        for p in picked
    )
    return f"<p>A few of the posts it will learn from:</p>{items}"


def in_line(ahead: int) -> str:
    """What a visitor waiting for the turn to train reads."""
    if ahead <= 0:
        return "Your turn: starting the training…"
    before = "1 training" if ahead == 1 else f"{ahead} trainings"
    return f"Waiting for your turn: {before} before yours (one training runs at a time)…"


def thumbnail_html(path: Path) -> str:
    """The card's thumbnail inline (a data URL): nothing of the session's folder is served."""
    if not path.is_file() or path.stat().st_size > MAX_THUMBNAIL_BYTES:
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        '<img class="tw-thumb" alt="The model card\'s thumbnail" '
        f'src="data:image/png;base64,{data}">'
    )


def status_html(p: TrainProgress | None, done: bool = False, text: str = "") -> str:
    """The progress bar with steps, elapsed and remaining time and the last loss.

    Args:
        p: the training's progress (None or no step yet: `text`, or the loading message).
        done: the training has finished.
        text: what to say before the first step.
    """
    if p is None or not p.total:
        text = text or "Loading the base model and measuring it before training…"
        return f'<div class="tw-status" data-done="0"><progress></progress> {escape(text)}</div>'
    loss = f" · loss {p.losses[-1][1]:.3f}" if p.losses else ""
    if done:
        early = " (stopped by the time budget)" if p.stopped_early else ""
        text = f"Trained {p.step} of {p.total} steps in {fmt_seconds(p.elapsed())}{early}{loss}"
    else:
        text = (
            f"Step {p.step} of {p.total} · {fmt_seconds(p.elapsed())} elapsed · "
            f"about {fmt_seconds(p.remaining())} left{loss}"
        )
    value = p.total if done else p.step
    return (
        f'<div class="tw-status" data-done="{int(done)}" data-step="{p.step}" '
        f'data-total="{p.total}"><progress value="{value}" max="{p.total}"></progress> '
        f"{escape(text)}</div>"
    )


def loss_frame(p: TrainProgress | None) -> Any:
    """The loss curve so far, for `gr.LinePlot`."""
    import pandas as pd

    rows = p.losses if p else []
    # Typed columns even when empty: an object column would make the plot's y axis categorical.
    return pd.DataFrame(
        {"step": pd.Series([s for s, _ in rows], dtype="int64"),
         "loss": pd.Series([v for _, v in rows], dtype="float64")}
    )  # fmt: skip


def posts_html(posts: list[str]) -> str:
    items = "".join(f'<div class="tw-post tw-generated">{escape(p)}</div>' for p in posts)
    return f"<p>What your bot writes:</p>{items}"


def job_link_html(url: str) -> str:
    """The running Hugging Face job's page, kept on screen while its lines change."""
    href = escape(url, quote=True)
    return (f'<div class="tw-box"><p>Job started: <a href="{href}" target="_blank" '
            f'rel="noopener" class="tw-link-job">{escape(url)}</a></p></div>')  # fmt: skip


def links_html(result: Any, job_url: str = "") -> str:
    """A link per published repo (model, Space, dataset), and the job that made them."""
    labels = {"model": "Model", "space": "Space (play with it)", "dataset": "Dataset"}
    items = "".join(
        f'<li>{labels[r.repo_type]}: <a href="{escape(r.url, quote=True)}" target="_blank" '
        f'class="tw-link-{r.repo_type}">{escape(r.url)}</a></li>'
        for r in result.repos
    )
    if job_url:
        href = escape(job_url, quote=True)
        items += (f'<li>Job: <a href="{href}" target="_blank" rel="noopener" '
                  f'class="tw-link-job">{escape(job_url)}</a></li>')  # fmt: skip
    return f'<div class="tw-box"><p>Published!</p><ul>{items}</ul></div>'
