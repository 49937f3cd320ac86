"""What the creator page's buttons do, and `/create`: each returns what the page shows.

Each takes the app's `WebConfig` and gradio's session hash; all the work goes through
`publisher.web.jobs`. Errors never escape as tracebacks: the page shows the CLI's `Error:` /
`Hint:` lines in the step's error box (and `/create` raises them as a `gr.Error`).
"""

from collections.abc import Iterator
from typing import Any

import gradio as gr

from .. import pipeline
from ..bot import layout
from ..card import THUMBNAIL_FILE
from ..errors import UsageError
from . import jobs, views
from .jobs import Job
from .session import WebConfig, Workspace, find_workspace, open_workspace


def read(cfg: WebConfig, files: list[str] | None, typed: str, base: str, session: str) -> tuple[Any, ...]:  # fmt: skip
    """Step 1: prepare the posts; returns (error, counts, warnings, sample, repo name, train,
    files: emptied, as the uploads are deleted once read)."""
    ws = open_workspace(cfg, session)
    said: list[str] = []
    try:
        with ws.busy():
            base, _ = jobs.check_request(base, 0, cfg)
            m = jobs.prepare(ws, list(files or []), typed or "", base, cfg, said.append)
            sample = views.sample_html(ws.bot_dir)
    except Exception as e:  # (uploads that were read are deleted by `jobs.prepare` already)
        error = views.error_html(jobs.message_lines(e, ws, None))
        return error, "", "", "", gr.skip(), gr.Button(interactive=False), None
    said = [ws.scrub(line) for line in said]
    for line in views.warnings_of(said):
        gr.Warning(line)
    return ("", views.counts_html(m), views.warnings_html(said), sample, m.model_name,
            gr.Button(interactive=True), None)  # fmt: skip


def train(cfg: WebConfig, steps: float, session: str) -> Iterator[tuple[Any, ...]]:
    """Steps 2 and 3: train, streaming progress.

    Yields:
        (error, status, loss curve, posts, thumbnail, publish button, train button).
    """
    ws = find_workspace(session)
    on, off = gr.Button(interactive=True), gr.Button(interactive=False)
    if ws is None or not layout.manifest_file(ws.bot_dir).exists():
        error = views.error_html(["Error: no posts read yet", "Hint: upload an archive first"])
        yield error, "", gr.skip(), "", None, off, on
        return
    try:
        _, n = jobs.check_request(cfg.base_models[0], steps, cfg)
        job = Job(lambda j: _train_job(ws, n, cfg, j), cancel=ws.closed)
        for _kind, _ in job.events():
            p = job.progress
            yield "", views.status_html(p), views.loss_frame(p), "", None, off, off
    except Exception as e:
        error = views.error_html(jobs.message_lines(e, ws, None))
        yield error, views.status_html(None, text="Stopped."), gr.skip(), "", None, off, on
        return
    p = job.progress
    yield ("", views.status_html(p, done=True), views.loss_frame(p), views.posts_html(job.result),
           _thumbnail(ws), on, on)  # fmt: skip


def _train_job(ws: Workspace, steps: int, cfg: WebConfig, job: Job) -> list[str]:
    with ws.busy():
        return jobs.train(ws, steps, cfg, job)


def _thumbnail(ws: Workspace) -> Any:
    """The card's thumbnail as an image (not a path: nothing of the workspace is served)."""
    from PIL import Image

    path = layout.repo_dir(ws.bot_dir) / THUMBNAIL_FILE
    if not path.exists():
        return None
    with Image.open(path) as im:
        return im.copy()


def publish(cfg: WebConfig, name: str, space: bool, dataset: bool, private: bool, oauth_token: Any, session: str) -> tuple[str, str]:  # fmt: skip
    """Step 4: push with the person's token; returns (error, links)."""
    ws = find_workspace(session)
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


def create(cfg: WebConfig, archive: str | None, source: str, base_model: str, steps: float, repo_name: str, oauth_token: Any) -> Iterator[str]:  # fmt: skip
    """`/create`: all four steps; yields progress lines, then the model repo's URL."""
    ws = Workspace(cfg.root())
    token = None
    try:
        token = jobs.publish_token(oauth_token, cfg)
        base, n = jobs.check_request(base_model, steps, cfg)
        files = [archive] if archive else []
        job = Job(lambda j: jobs.create(ws, files, source or "", base, n, repo_name, token, cfg, j), ws.closed)  # fmt: skip
        line = "Reading the posts"
        for kind, value in job.events(tick=5.0):
            line = ws.scrub(_progress_line(kind, value, job, line))
            yield line
        yield job.result
    except Exception as e:
        raise gr.Error("\n".join(jobs.message_lines(e, ws, token)), print_exception=False) from None
    finally:
        ws.close()


def _progress_line(kind: str, value: Any, job: Job, last: str) -> str:
    """One line of `/create`'s progress: a stage's line, or a training step."""
    if kind == "step" and job.progress is not None:
        step, loss = value
        elapsed = views.fmt_seconds(job.progress.elapsed())
        return f"Training: step {step} of {job.progress.total}, loss {loss:.3f}, {elapsed} elapsed"
    return str(value) if kind == "say" else last
