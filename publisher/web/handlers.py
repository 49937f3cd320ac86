"""What the creator page's buttons do, and `/create`: each returns what the page shows.

Each takes the app's `WebConfig`, its `Visitors` and the visitor asking (client address and
gradio's session hash); all the work goes through `publisher.web.jobs`. Errors never escape as
tracebacks: the page shows the CLI's `Error:` / `Hint:` lines in the step's error box (and
`/create` raises them as a `gr.Error`).
"""

from collections.abc import Iterator
from typing import Any

import gradio as gr

from .. import pipeline
from ..bot import layout
from ..card import THUMBNAIL_FILE
from ..errors import UsageError
from . import jobs, on_jobs, views
from .jobs import Job
from .session import WebConfig, Workspace, discard_uploads, find_workspace, open_workspace
from .visitors import Visitor, Visitors


def read(cfg: WebConfig, visitors: Visitors, files: list[str] | None, typed: str, base: str, who: Visitor) -> tuple[Any, ...]:  # fmt: skip
    """Step 1: prepare the posts; returns (error, counts, warnings, sample, repo name, train,
    files: emptied, as the uploads are deleted once read)."""
    ws = open_workspace(cfg, who.session)
    said: list[str] = []
    try:
        with ws.busy(), visitors.reading(who, cfg) as long:
            base, _ = jobs.check_request(base, 0, cfg)
            m = jobs.read_posts(ws, list(files or []), typed or "", base, cfg, said.append, ws.closed, long)  # fmt: skip
            sample = views.sample_html(ws.bot_dir)
    except Exception as e:  # (uploads that were read are deleted by `jobs.read_posts` already)
        discard_uploads(files or [])
        error = views.error_html(jobs.message_lines(e, ws, None))
        return error, "", "", "", gr.skip(), gr.Button(interactive=False), None
    said = [ws.scrub(line) for line in said]
    for line in views.warnings_of(said):
        gr.Warning(line)
    return ("", views.counts_html(m), views.warnings_html(said), sample, m.model_name,
            gr.Button(interactive=True), None)  # fmt: skip


def train(cfg: WebConfig, visitors: Visitors, steps: float, who: Visitor) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    """Steps 2 and 3: wait for the turn, then train, streaming the place in line and progress.

    Yields:
        (error, status, loss curve, posts, thumbnail, publish button, train button).
    """
    ws = find_workspace(who.session)
    on, off = gr.Button(interactive=True), gr.Button(interactive=False)
    if ws is None or not layout.manifest_file(ws.bot_dir).exists():
        error = views.error_html(["Error: no posts read yet", "Hint: upload an archive first"])
        yield error, "", gr.skip(), "", "", off, on
        return
    try:
        _, n = jobs.check_request(cfg.base_models[0], steps, cfg)
        job = Job(lambda j: jobs.train_in_line(visitors, who, ws, n, cfg, j), cancel=ws.closed)
        for kind, value in job.events():
            if kind == "line":
                yield "", views.status_html(None, text=views.in_line(value)), gr.skip(), "", "", off, off  # fmt: skip
                continue
            p = job.progress
            yield "", views.status_html(p), views.loss_frame(p), "", "", off, off
    except Exception as e:
        error = views.error_html(jobs.message_lines(e, ws, None))
        yield error, views.status_html(None, text="Stopped."), gr.skip(), "", "", off, on
        return
    p = job.progress
    yield ("", views.status_html(p, done=True), views.loss_frame(p), views.posts_html(job.result),
           _thumbnail(ws), on, on)  # fmt: skip


def _thumbnail(ws: Workspace) -> str:
    """The card's thumbnail, inline (not a path: nothing of the workspace is served)."""
    return views.thumbnail_html(layout.repo_dir(ws.bot_dir) / THUMBNAIL_FILE)


def publish(cfg: WebConfig, name: str, space: bool, dataset: bool, private: bool, oauth_token: Any, who: Visitor) -> tuple[str, str]:  # fmt: skip
    """Step 4: push with the person's token (this call's alone: kept nowhere); returns (error, links)."""
    ws = find_workspace(who.session)
    token = None
    try:
        if ws is None or not layout.is_trained(ws.bot_dir):
            raise UsageError("no trained bot to publish yet", hint="train it first")
        token = jobs.publish_token(oauth_token, cfg)
        with ws.busy():
            opts = jobs.push_options(name, space, dataset, private)
            result = pipeline.push_bot(ws.bot_dir, opts, token, lambda _: None)
    except Exception as e:
        return views.error_html(jobs.message_lines(e, ws, token)), ""
    return "", views.links_html(result)


def create(cfg: WebConfig, visitors: Visitors, archive: str | None, source: str, base_model: str, steps: float, repo_name: str, oauth_token: Any, who: Visitor, hf_jobs: str = "") -> Iterator[str]:  # fmt: skip
    """`/create`: all four steps; yields progress lines (the place in line while it waits),
    then the model repo's URL. `hf_jobs`: a flavor to train on Hugging Face Jobs, in the
    signed-in visitor's account, instead of this app's line."""
    ws = Workspace(cfg.root())
    token = None
    files = [archive] if archive else []
    try:
        token = jobs.publish_token(oauth_token, cfg)
        base, n = jobs.check_request(base_model, steps, cfg)
        if hf_jobs:
            flavor = on_jobs.check_flavor(hf_jobs)
            job = Job(lambda j: on_jobs.create(visitors, who, ws, files, source or "", base, n, repo_name, flavor, token, cfg, j), ws.closed)  # fmt: skip
        else:
            job = Job(lambda j: jobs.create(visitors, who, ws, files, source or "", base, n, repo_name, token, cfg, j), ws.closed)  # fmt: skip
        line = "Reading the posts"
        for kind, value in job.events(tick=5.0):
            line = ws.scrub(_progress_line(kind, value, job, line))
            yield line
        yield job.result
    except Exception as e:
        discard_uploads(files)
        raise gr.Error("\n".join(jobs.message_lines(e, ws, token)), print_exception=False) from None
    finally:
        ws.close()


def _progress_line(kind: str, value: Any, job: Job, last: str) -> str:
    """One line of `/create`'s progress: a stage's line, or a training step."""
    if kind == "step" and job.progress is not None:
        step, loss = value
        elapsed = views.fmt_seconds(job.progress.elapsed())
        return f"Training: step {step} of {job.progress.total}, loss {loss:.3f}, {elapsed} elapsed"
    if kind == "line":
        return views.in_line(value)
    return str(value) if kind == "say" else last
