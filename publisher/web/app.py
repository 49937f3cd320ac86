"""The bot creator page (`hf-tweetbot web`): posts in, a published bot out, in four steps.

1. Read: upload an archive (or type live sources), see the four counts, warnings and a sample;
2. Train: a progress bar, elapsed/remaining time and the loss curve drawn as it goes;
3. Read what the new bot writes;
4. Publish the model (+ Space, + dataset) to the person's own namespace and get the links.

Here is the layout and its wiring; `handlers.py` does what the buttons ask through `jobs.py`,
which calls `publisher.pipeline`: nothing here knows how posts are cleaned or models trained. `/create` does all four in one call for scripts
(gradio_client), with the same one-line errors as the CLI. Launch it with `file_routes.launch_options`.
"""

from collections.abc import Iterator
from typing import Any

import gradio as gr

from .. import hub
from ..train.loop import MAX_EPOCHS
from . import handlers, on_jobs, views
from .session import UPLOAD_SUFFIXES, WebConfig, close_workspace, find_workspace
from .visitors import Visitors, visitor_of

# Every training event shares it; gradio lets `line_size` of them in, and the fair line of
# `visitors.py` runs them one at a time, showing each its place.
TRAIN_QUEUE = "train"
MAX_QUEUE = 50
INTRO = (
    "# 🐦 Make a bot that writes like you\n"
    "Upload your X archive, or up to three people's, and get a text-generation bot published on "
    "the Hugging Face Hub with a model card and a Space to play with it."
)


def build_app(cfg: WebConfig | None = None, visitors: Visitors | None = None) -> gr.Blocks:
    """The creator page.

    Args:
        cfg: limits and base models (default: `WebConfig.from_env()`).
        visitors: the state of its visitors' limits and training line (default: a new one).

    Returns:
        The Blocks, queued; launch with `demo.launch(**launch_options(cfg))`.

    Raises:
        UsageError: an allowed network is not a CIDR.
    """
    cfg = cfg or WebConfig.from_env()
    cfg.address_policy()  # a bad --allow-network fails now, not at a visitor's first request
    visitors = visitors or Visitors()
    with gr.Blocks(
        title="hf-tweetbot: make a bot that writes like you",
        analytics_enabled=False,
        delete_cache=(600, 3600),  # uploads nobody read leave gradio's cache within the hour
    ) as demo:
        gr.HTML(f"<style>{views.CSS}</style>", padding=False)
        gr.Markdown(INTRO)
        gr.HTML(views.limits_html(cfg), elem_id="tw-limits", padding=False)
        _account(cfg)
        r = _read_section(cfg)
        t = _train_section(cfg)
        p = _publish_section()
        _jobs_section(cfg, p)
        _api(cfg, visitors)
        _wire(cfg, visitors, demo, r, t, p)
    return demo.queue(max_size=MAX_QUEUE)


def _wire(cfg: WebConfig, visitors: Visitors, demo: gr.Blocks, r: dict[str, Any], t: dict[str, Any], p: dict[str, Any]) -> None:  # fmt: skip
    """Connect the buttons of the read (`r`), train (`t`) and publish (`p`) sections."""

    def read(files: list[str] | None, typed: str, base: str, request: gr.Request) -> tuple[Any, ...]:  # fmt: skip
        return handlers.read(cfg, visitors, files, typed, base, visitor_of(request, cfg))

    def train(steps: float, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        yield from handlers.train(cfg, visitors, steps, visitor_of(request, cfg))

    def publish(name: str, space: bool, dataset: bool, private: bool, oauth_token: gr.OAuthToken | None, request: gr.Request) -> tuple[str, str]:  # fmt: skip
        return handlers.publish(cfg, name, space, dataset, private, oauth_token, visitor_of(request, cfg))  # fmt: skip

    r["button"].click(
        read,
        [r["files"], r["typed"], r["base"]],
        [r[k] for k in ("error", "counts", "warnings", "sample")]
        + [p["name"], t["button"], r["files"]],  # fmt: skip
        api_visibility="private",
        concurrency_id="read",
        concurrency_limit=2,
    )
    # Said at once; the training's own updates then say the place in line.
    in_line = t["button"].click(lambda: (views.status_html(None, text=views.IN_LINE), gr.Button(interactive=False)),
                                None, [t["status"], t["button"]], queue=False, api_visibility="private")  # fmt: skip
    in_line.then(
        train,
        [t["steps"]],
        [t["error"], t["status"], t["loss"], t["posts"], t["thumb"], p["button"], t["button"]],
        show_progress="hidden",  # the status box shows the place in line and the progress
        api_visibility="private",
        concurrency_id=TRAIN_QUEUE,
        concurrency_limit=cfg.line_size,
    )
    p["button"].click(
        publish,
        [p["name"], p["space"], p["dataset"], p["private"]],
        [p["error"], p["links"]],
        api_visibility="private",
        concurrency_id="publish",
        concurrency_limit=2,
    )

    def unload(request: gr.Request) -> None:
        close_workspace(request.session_hash or "")

    demo.unload(unload)


def _account(cfg: WebConfig) -> None:
    """Who the bot is published for: sign-in on a Space, this machine's token locally."""
    if cfg.on_space:
        with gr.Row():
            gr.Markdown("Sign in so your bot is published to **your** Hugging Face account:")
            gr.LoginButton(elem_id="tw-login")
        return
    if hub.get_token():
        text = "Bots are published with this machine's Hugging Face token (HF_TOKEN or `hf auth login`)."  # fmt: skip
    else:
        text = "No Hugging Face token on this machine: you can make a bot, but to publish it set HF_TOKEN or run `hf auth login`, then restart."  # fmt: skip
    gr.Markdown(text, elem_id="tw-account")


def _read_section(cfg: WebConfig) -> dict[str, Any]:
    gr.Markdown("## 1. Your posts")
    with gr.Row():
        files = gr.File(
            label="Your X or Mastodon archive (.zip, .tar.gz), Bluesky export (.car), or a "
            ".jsonl/.csv of posts: up to 3",
            file_count="multiple",
            file_types=list(UPLOAD_SUFFIXES),
            elem_id="tw-files",
        )
        with gr.Column():
            typed = gr.Textbox(
                label="…or live sources",
                placeholder="bsky:handle.bsky.social, mastodon:@user@instance"
                + (", or an X handle" if _x_api() else ""),
                elem_id="tw-typed",
            )
            base = gr.Dropdown(
                list(cfg.base_models),
                value=cfg.base_models[0],
                label="Base model",
                elem_id="tw-base",
            )
            button = gr.Button("Read the posts", variant="primary", elem_id="tw-read")
    error = gr.HTML(elem_id="tw-read-error", padding=False)
    counts = gr.HTML(elem_id="tw-counts", padding=False)
    warnings = gr.HTML(elem_id="tw-warnings", padding=False)
    sample = gr.HTML(elem_id="tw-sample", padding=False)
    return dict(files=files, typed=typed, base=base, button=button, error=error, counts=counts,
                warnings=warnings, sample=sample)  # fmt: skip


def _train_section(cfg: WebConfig) -> dict[str, Any]:
    gr.Markdown("## 2. Train your bot")
    with gr.Row():
        steps = gr.Number(
            value=0,
            minimum=0,
            maximum=cfg.max_steps,
            precision=0,
            label=f"Training steps (0: up to {MAX_EPOCHS} passes over your posts; the best pass is kept)",  # fmt: skip
            elem_id="tw-steps",
        )
        button = gr.Button("Train", variant="primary", interactive=False, elem_id="tw-train")
    error = gr.HTML(elem_id="tw-train-error", padding=False)
    status = gr.HTML(elem_id="tw-status", padding=False, min_height=40)
    loss = gr.LinePlot(x="step", y="loss", title="Training loss", elem_id="tw-loss", height=220)
    gr.Markdown("## 3. Read what it writes")
    with gr.Row():
        posts = gr.HTML(elem_id="tw-posts", padding=False)
        thumb = gr.HTML(elem_id="tw-thumb", padding=False)  # inline: no file route serves it
    return dict(steps=steps, button=button, error=error, status=status, loss=loss, posts=posts,
                thumb=thumb)  # fmt: skip


def _publish_section() -> dict[str, Any]:
    gr.Markdown("## 4. Publish")
    with gr.Row():
        name = gr.Textbox(label="Model name (in your namespace)", elem_id="tw-name")
        with gr.Column():
            space = gr.Checkbox(True, label="Also publish a Space to play with it", elem_id="tw-space")  # fmt: skip
            dataset = gr.Checkbox(False, label="Also publish the cleaned posts as a dataset", elem_id="tw-dataset")  # fmt: skip
            private = gr.Checkbox(False, label="Private repos", elem_id="tw-private")
        button = gr.Button("Publish", variant="primary", interactive=False, elem_id="tw-publish")
    error = gr.HTML(elem_id="tw-publish-error", padding=False)
    links = gr.HTML(elem_id="tw-links", padding=False)
    return dict(name=name, space=space, dataset=dataset, private=private, button=button,
                error=error, links=links)  # fmt: skip


def _jobs_section(cfg: WebConfig, p: dict[str, Any]) -> None:
    """Or: train and publish on Hugging Face Jobs, in the signed-in visitor's account (with the
    name and choices of the publish section)."""
    gr.Markdown("## Or: train on Hugging Face Jobs (your account)\n"
                "Your posts are read here; a job of your Hugging Face account trains and "
                "publishes the bot, billed to you per minute, without waiting in this page's line.")  # fmt: skip
    flavor = gr.Radio(on_jobs.flavor_choices(), value=on_jobs.FLAVORS[0], label="Hardware", elem_id="tw-jobs-flavor")  # fmt: skip
    cost = gr.Markdown(elem_id="tw-jobs-cost")
    button = gr.Button("Train on Hugging Face Jobs (your account)", elem_id="tw-train-jobs")
    error = gr.HTML(elem_id="tw-jobs-error", padding=False)
    status = gr.HTML(elem_id="tw-jobs-status", padding=False)
    links = gr.HTML(elem_id="tw-jobs-links", padding=False)

    def estimate(choice: str, request: gr.Request) -> str:
        return on_jobs.estimate_line(find_workspace(visitor_of(request, cfg).session), choice)

    def run(choice: str, name: str, space: bool, dataset: bool, private: bool, oauth_token: gr.OAuthToken | None, request: gr.Request) -> Iterator[tuple[str, str, str]]:  # fmt: skip
        yield from on_jobs.train_page(cfg, choice, name, space, dataset, private, oauth_token, visitor_of(request, cfg))  # fmt: skip

    flavor.change(estimate, [flavor], [cost], api_visibility="private", queue=False)
    button.click(estimate, [flavor], [cost], api_visibility="private", queue=False).then(
        run, [flavor, p["name"], p["space"], p["dataset"], p["private"]], [error, status, links],
        api_visibility="private", concurrency_id="jobs", concurrency_limit=None,
    )  # fmt: skip


def _api(cfg: WebConfig, visitors: Visitors) -> None:
    """`/create` (archive, source, base model, steps, repo name, and optionally a Hugging Face
    Jobs flavor to train in the caller's account) -> model URL, for scripts."""
    with gr.Group(visible=False):
        archive = gr.File(label="archive", file_count="single")
        source = gr.Textbox(label="source")
        base = gr.Textbox(label="base_model", value=cfg.base_models[0])
        steps = gr.Number(label="steps", value=0, precision=0)
        repo = gr.Textbox(label="repo_name")
        flavor = gr.Textbox(
            label="hf_jobs", value=""
        )  # a Jobs flavor: train in the caller's account
        url = gr.Textbox(label="model_url")
        button = gr.Button()

    def create(archive: str | None, source: str, base_model: str, steps: float, repo_name: str, hf_jobs: str, oauth_token: gr.OAuthToken | None, request: gr.Request) -> Iterator[str]:  # fmt: skip
        who = visitor_of(request, cfg)
        yield from handlers.create(cfg, visitors, archive, source, base_model, steps, repo_name, oauth_token, who, hf_jobs)  # fmt: skip

    button.click(create, [archive, source, base, steps, repo, flavor], url, api_name="create",
                 concurrency_id=TRAIN_QUEUE, concurrency_limit=cfg.line_size)  # fmt: skip


def _x_api() -> bool:
    import os

    return bool(os.environ.get("X_BEARER_TOKEN"))
