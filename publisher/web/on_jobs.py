"""The creator's "Train on Hugging Face Jobs (your account)": this app reads and prepares the
posts (under its limits, in its reading line), the training runs as a job in the signed-in
visitor's own namespace and on their bill (`publisher.remote`), and the page follows the job to
the finished bot. The app's training line is not used, so any number of visitors' jobs run at
once. The visitor's token is handed to the calls that need it and kept nowhere.
"""

from __future__ import annotations

from .. import hub, remote
from ..bot import manifest
from ..errors import UsageError
from ..hub import jobs as hf_jobs
from .jobs import Job, push_options, read_posts
from .session import WebConfig, Workspace
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
