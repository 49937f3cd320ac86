"""The creator's "Train on Hugging Face Jobs (your account)": this app reads and prepares the
posts (under its limits, in its reading line), the training runs as a job in the signed-in
visitor's own namespace and on their bill (`publisher.remote`), and the page follows the job to
the finished bot. The app's training line is not used, so any number of visitors' jobs run at
once. The visitor's token is handed to the calls that need it and kept nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import base_models, hub, remote
from ..bot import layout, manifest
from ..errors import UsageError
from ..hub import jobs as hf_jobs
from . import views
from .jobs import Job, message_lines, publish_token, push_options, read_posts
from .session import WebConfig, Workspace, find_workspace
from .visitors import Visitor, Visitors

# The flavors offered to visitors (the cheapest that train the offered base models well).
FLAVORS = ("cpu-basic", "cpu-upgrade", "t4-small", "l4x1", "a10g-small")


def check_flavor(flavor: str) -> str:
    """A flavor this page offers.

    Raises:
        UsageError: anything else.
    """
    flavor = (flavor or "").strip()
    if flavor not in FLAVORS:
        raise UsageError(f"Jobs flavor '{flavor}' is not offered here",
                         hint=f"choose one of: {', '.join(FLAVORS)}")  # fmt: skip
    return flavor


def flavor_choices() -> list[tuple[str, str]]:
    """(label with the price per hour, flavor) for the page's list, from the dated table."""
    return [(f"{f}: ${hf_jobs.PRICES[f]:.2f}/hour", f) for f in FLAVORS]


def create(visitors: Visitors, who: Visitor, ws: Workspace, uploads: list[str], typed: str,
           base: str, steps: int, repo_name: str | None, flavor: str, token: str,
           cfg: WebConfig, job: Job) -> str:  # fmt: skip
    """`/create` with a Jobs flavor: read here, train and push in the visitor's job.

    Returns:
        The model repo's URL.
    """
    from ..train import TrainConfig

    with ws.busy():
        with visitors.reading(who, cfg, wait=True, cancel=job.cancel):
            read_posts(ws, uploads, typed, base, cfg, job.say)
        tcfg = TrainConfig(max_steps=steps or None, checkpoint_every=0)
        opts = push_options(repo_name)
        remote.train(ws.bot_dir, tcfg, remote.JobOptions(flavor, yes=True), None, job.say,
                     token=token, push_opts=opts)  # fmt: skip
        return hub.repo_url("model", str(manifest.load(ws.bot_dir).repo_id))


def estimate_line(ws: Workspace | None, flavor: str) -> str:
    """ "About N min, about $X" for the posts read, on `flavor` (from the dated price table)."""
    from ..train.loop import MAX_EPOCHS

    if ws is None or flavor not in FLAVORS or not layout.manifest_file(ws.bot_dir).exists():
        return "Read your posts first: the estimate follows from how many there are."
    m = manifest.load(ws.bot_dir)
    tokens = int((m.data or {}).get("train_tokens") or 0)
    minutes = hf_jobs.estimate_minutes(tokens, MAX_EPOCHS, flavor, base_models.known_params(m.base_model))  # fmt: skip
    cost = hf_jobs.PRICES[flavor] * minutes / 60
    return (
        f"{flavor}: about {minutes:.0f} min, about ${cost:.2f}, billed to your account per minute"
    )


def train_page(cfg: WebConfig, flavor: str, name: str, space: bool, dataset: bool, private: bool,
               oauth_token: Any, who: Visitor) -> Iterator[tuple[str, str, str]]:  # fmt: skip
    """The page's "Train on Hugging Face Jobs (your account)": yields (error, status, links)
    while the visitor's job runs, then the links of the published bot."""
    from ..train import TrainConfig

    ws = find_workspace(who.session)
    token = None
    job_url = job_link = ""
    try:
        if ws is None or not layout.manifest_file(ws.bot_dir).exists():
            raise UsageError("no posts read yet", hint="upload an archive first")
        token = publish_token(oauth_token, cfg)
        flavor = check_flavor(flavor)
        opts = push_options(name, space, dataset, private)
        tcfg = TrainConfig(checkpoint_every=0, progress=False)
        bot_dir = ws.bot_dir

        def work(job: Job) -> None:
            with ws.busy():
                remote.train(bot_dir, tcfg, remote.JobOptions(flavor, yes=True), None, job.say,
                             token=token, push_opts=opts)  # fmt: skip

        job = Job(work, cancel=ws.closed)
        for kind, value in job.events():
            if kind == "say":
                line = ws.scrub(str(value))
                if line.startswith(remote.JOB_STARTED):  # the job's page stays on screen
                    job_url = line.removeprefix(remote.JOB_STARTED)
                    job_link = views.job_link_html(job_url)
                yield "", views.status_html(None, text=line), job_link
    except Exception as e:
        yield views.error_html(message_lines(e, ws, token)), views.status_html(None, text="Stopped."), job_link  # fmt: skip
        return
    m = manifest.load(ws.bot_dir)
    repos = [hub.RepoPush("model", str(m.repo_id), hub.repo_url("model", str(m.repo_id)), None, [])]
    if m.space_repo_id:
        repos.append(hub.RepoPush("space", m.space_repo_id, hub.repo_url("space", m.space_repo_id), None, []))  # fmt: skip
    result = hub.PushResult(repos[0], space=repos[1] if len(repos) > 1 else None)
    yield "", views.status_html(None, text="Trained and published by your job."), views.links_html(result, job_url)  # fmt: skip
