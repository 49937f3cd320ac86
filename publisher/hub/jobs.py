"""Hugging Face Jobs: flavors and prices, the checks before a job, running and following one.

A job rents a CPU or GPU of the Hub by the minute (`huggingface_hub.run_job`). What runs there is
hf-tweetbot itself: the job installs the wheel the bot's dataset repo holds and runs
`hf-tweetbot job-train DATASET_REPO`, which trains and pushes as a local run does. The user's
token reaches the job only as a secret (`HF_TOKEN`): never in its command, environment, labels
or name. Every Hub failure becomes one line here, as in `access.py`.
"""

from __future__ import annotations

import math
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AuthError, HubError, UsageError
from .access import client_timeout, hub_errors, repo_url

# Prices per hour in USD when the Hub's hardware list does not answer (billed per minute).
PRICES_DATE = "2026-12-01"
PRICES = {
    "cpu-basic": 0.01, "cpu-upgrade": 0.03, "cpu-performance": 0.05, "cpu-xl": 0.10,
    "t4-small": 0.40, "t4-medium": 0.60, "l4x1": 0.80, "l4x4": 3.80, "l40sx1": 1.80,
    "a10g-small": 1.00, "a10g-large": 1.50, "a10g-largex2": 3.00, "a10g-largex4": 5.00,
    "a100-large": 2.50, "h200": 5.00,
}  # fmt: skip
# Training tokens per second of a ~135M-parameter model (SmolLM2-135M, posts attention), by
# flavor: docs/performance.md "Hugging Face Jobs" (CPUs from the measured 2-core figure; GPUs
# planned at 10% of their bf16 peak, T4 at 30% of its fp32 one). A larger base takes longer in
# proportion to its parameters.
THROUGHPUT = {
    "cpu-basic": 300, "cpu-upgrade": 1000, "cpu-performance": 1500, "cpu-xl": 3000,
    "t4-small": 3000, "t4-medium": 3000, "l4x1": 15000, "l4x4": 15000, "l40sx1": 45000,
    "a10g-small": 8600, "a10g-large": 8600, "a10g-largex2": 8600, "a10g-largex4": 8600,
    "a100-large": 38500, "h200": 122000,
}  # fmt: skip
LOCAL_CPU_THROUGHPUT = 500  # this project's 2-core CPU with bf16 (docs/performance.md)
REFERENCE_PARAMS = 135e6
SETUP_MINUTES = 4.0  # the image pulled, hf-tweetbot installed, the base model downloaded
MIN_TIMEOUT_S = 20 * 60
CPU_IMAGE = "python:3.12"
GPU_IMAGE = "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"
TERMINAL = ("COMPLETED", "ERROR", "CANCELED", "DELETED")
JOBS_PERMISSION = "job.write"  # a fine-grained token's permission to run jobs
BILLING_URL = "https://huggingface.co/settings/billing"
FOLLOW_RETRIES = 3  # polls that may fail in a row before following stops (the job goes on)
sleep: Callable[[float], None] = time.sleep  # module-level so tests can shorten the waits


@dataclass
class Price:
    """A flavor's price per hour and where it comes from."""

    flavor: str
    usd_per_hour: float
    source: str  # "the Hub's hardware list" or "the table of DATE"
    gpu: bool


@dataclass
class Plan:
    """What a job will cost: the price, the minutes estimated, the timeout set from them."""

    price: Price
    minutes: float
    timeout_s: int

    @property
    def cost(self) -> float:
        return self.price.usd_per_hour * self.minutes / 60

    def lines(self) -> list[str]:
        p = self.price
        return [
            f"Flavor {p.flavor}: ${p.usd_per_hour:.2f}/hour ({p.source}), billed per minute",
            f"Estimated time: about {math.ceil(self.minutes)} min, cost about ${self.cost:.2f}; "
            f"the job stops after {math.ceil(self.timeout_s / 60)} min (--timeout)",
        ]


def is_gpu_flavor(flavor: str) -> bool:
    return not flavor.startswith("cpu-")


def parse_timeout(text: str) -> int:
    """Seconds of `5400`, `90m`, `2h` (or `30s`, `1d`)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"--timeout {text!r} is not a duration", hint="use e.g. 5400, 90m or 2h")
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return math.ceil(float(m.group(1)) * factor)


def estimate_minutes(train_tokens: int, epochs: int, flavor: str, params: float | None) -> float:
    """Minutes of a training job: setup, then the tokens of every epoch at the flavor's speed."""
    speed = THROUGHPUT.get(flavor, THROUGHPUT["cpu-basic"])
    return SETUP_MINUTES + training_minutes(train_tokens, epochs, speed, params)


def training_minutes(train_tokens: int, epochs: int, speed: float, params: float | None) -> float:
    """Minutes of training at `speed` tokens/s of a 135M model, scaled to `params`."""
    scale = max(1.0, (params or REFERENCE_PARAMS) / REFERENCE_PARAMS)
    # Measurements at each epoch's end cost about a fifth of the training itself.
    return 1.2 * train_tokens * epochs * scale / speed / 60


def plan(price: Price, minutes: float, timeout: str | None) -> Plan:
    """The plan of a job; the timeout is 3x the estimate (at least 20 min) unless given."""
    timeout_s = parse_timeout(timeout) if timeout else max(MIN_TIMEOUT_S, math.ceil(minutes * 180))
    return Plan(price, minutes, timeout_s)


def preflight(flavor: str, token: str) -> tuple[dict[str, Any], Price]:
    """Check, before anything is uploaded, that this token may run a job of `flavor`.

    Returns:
        (whoami's answer, the flavor's price).

    Raises:
        AuthError: the token may not run jobs, or the account has no credit for a paid flavor.
        HubError: the flavor is unknown, or the Hub is unreachable.
    """
    from huggingface_hub import HfApi

    with hub_errors("Jobs preflight", token, None), client_timeout(10.0):
        api = HfApi(token=token)
        me = api.whoami(cache=True)
        check_may_run_jobs(me)
        price = flavor_price(api, flavor)
        if me.get("canPay") is False and price.usd_per_hour > 0:
            raise AuthError(
                f"{me.get('name')}'s account has no credit or payment method for paid Jobs "
                f"({flavor} costs ${price.usd_per_hour:.2f}/hour)",
                hint=f"add a payment method or credit at {BILLING_URL}, then run the same command",
            )
    return me, price


def check_may_run_jobs(me: dict[str, Any]) -> None:
    """Raise unless whoami's token may run jobs (a write token, or fine-grained `job.write`)."""
    access = (me.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    granted = (access.get("fineGrained") or {}).get("global") or []
    if role == "read" or (role == "fineGrained" and JOBS_PERMISSION not in granted):
        raise AuthError(
            f"{me.get('name')}'s token may not run Hugging Face Jobs",
            hint=f"use a write token, or a fine-grained one with the `{JOBS_PERMISSION}` "
            "permission (Jobs: start and manage jobs), in HF_TOKEN or `hf auth login`",
        )


def flavor_price(api: Any, flavor: str) -> Price:
    """The flavor's price from the Hub's hardware list, else from the dated table."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        listed = {h.name: h for h in api.list_jobs_hardware()}
    except HfHubHTTPError:
        listed = {}
    if listed:
        if flavor not in listed:
            raise HubError(f"the Hub has no Jobs flavor {flavor!r}",
                           hint="pick one of " + ", ".join(sorted(listed)))  # fmt: skip
        hw = listed[flavor]
        per_hour = hw.unit_cost_usd * (60 if hw.unit_label == "minute" else 1)
        return Price(flavor, per_hour, "the Hub's hardware list", hw.accelerator is not None)
    if flavor not in PRICES:
        raise HubError(f"unknown Jobs flavor {flavor!r}", hint="pick one of " + ", ".join(PRICES))
    return Price(flavor, PRICES[flavor], f"the table of {PRICES_DATE}", is_gpu_flavor(flavor))


def train_command(dataset_repo: str, wheel: str) -> list[str]:
    """The job's command: install hf-tweetbot (the wheel in the dataset repo, or a requirement
    from the package index), then train and push. No secret appears in it."""
    if wheel.endswith(".whl"):
        fetch = (
            'W=$(python -c "import sys; from huggingface_hub import hf_hub_download as d; '
            "print(d(sys.argv[1], sys.argv[2], repo_type='dataset'))\" "
            f"{shlex.quote(dataset_repo)} {shlex.quote(wheel)})"
        )
        install = f'python -m pip install -q "huggingface_hub>=1.22" && {fetch} && python -m pip install -q "$W"'  # fmt: skip
    else:
        install = f"python -m pip install -q {shlex.quote(wheel)}"
    script = f"set -e; {install}; exec hf-tweetbot job-train {shlex.quote(dataset_repo)}"
    return ["bash", "-c", script]


def run(command: list[str], price: Price, timeout_s: int, labels: dict[str, str], name: str,
        env: dict[str, str], secrets: dict[str, str], namespace: str, token: str) -> Any:  # fmt: skip
    """Start the job; returns huggingface_hub's `JobInfo`."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with hub_errors("Hugging Face Jobs", token, None), client_timeout(30.0):
        try:
            return HfApi(token=token).run_job(
                image=GPU_IMAGE if price.gpu else CPU_IMAGE, command=command, env=env, secrets=secrets,
                flavor=price.flavor, timeout=timeout_s, labels=labels, name=name, namespace=namespace,
            )  # fmt: skip
        except HfHubHTTPError as e:
            refused = _refused(e, price.flavor)
            if refused is None:
                raise
            raise refused from None


def _refused(e: Any, flavor: str) -> HubError | None:
    """The one line for the Hub refusing a job: no credit, no permission, unknown flavor."""
    status = e.response.status_code if e.response is not None else None
    if status == 402:
        return AuthError(f"the Hub refused the job: no credit or payment method for {flavor} (HTTP 402)",
                         hint=f"add a payment method or credit at {BILLING_URL}, then run the same command")  # fmt: skip
    if status == 403:
        return AuthError("the Hub refused the job: this token may not run Jobs (HTTP 403)",
                         hint=f"use a write token, or a fine-grained one with `{JOBS_PERMISSION}`")  # fmt: skip
    if status == 400 and "flavor" in str(e).lower():
        return HubError(f"the Hub has no Jobs flavor {flavor!r} (HTTP 400)",
                        hint="pick a flavor of `hf jobs hardware`")  # fmt: skip
    return None


def inspect(job_id: str, namespace: str, token: str) -> Any:
    from huggingface_hub import HfApi

    with hub_errors(f"job {job_id}", token, None), client_timeout(30.0):
        return HfApi(token=token).inspect_job(job_id=job_id, namespace=namespace)


def logs(job_id: str, namespace: str, token: str, tail: int | None = None) -> list[str]:
    """The job's log as it is now (server-sent events replayed, not followed)."""
    from huggingface_hub import HfApi

    with hub_errors(f"job {job_id}", token, None), client_timeout(30.0):
        api = HfApi(token=token)
        return [scrub_line(x, token) for x in api.fetch_job_logs(job_id=job_id, namespace=namespace, tail=tail)]  # fmt: skip


def cancel(job_id: str, namespace: str, token: str) -> None:
    from huggingface_hub import HfApi

    with hub_errors(f"job {job_id}", token, None), client_timeout(30.0):
        HfApi(token=token).cancel_job(job_id=job_id, namespace=namespace)


def scrub_line(line: str, token: str) -> str:
    """A log line with the token (and anything shaped like one) masked, spacing kept."""
    return re.sub(r"\bhf_[A-Za-z0-9]{8,}\b", "hf_***", line.replace(token, "***") if token else line)  # fmt: skip


def follow(job_id: str, namespace: str, token: str, on_line: Callable[[str], None],
           poll: float = 2.0) -> Any:  # fmt: skip
    """Relay the job's new log lines until it ends; returns its last `JobInfo`.

    A poll that fails (connection lost, the Hub failing) is tried again; after FOLLOW_RETRIES in
    a row following stops with a `HubError` (the job itself goes on).
    """
    seen, failures = 0, 0
    while True:
        try:
            info = inspect(job_id, namespace, token)
            lines = logs(job_id, namespace, token)
        except HubError as e:
            failures += 1
            if failures >= FOLLOW_RETRIES:
                raise HubError(
                    f"lost the connection to the Hub while following job {job_id} ({e.message}); "
                    "the job goes on",
                    hint="follow it again with `hf-tweetbot job DIR --follow`",
                ) from None
            sleep(poll)
            continue
        failures = 0
        for line in lines[seen:]:
            on_line(line)
        seen = max(seen, len(lines))
        if str(info.status.stage) in TERMINAL:
            return info
        sleep(poll)


def job_url(namespace: str, job_id: str) -> str:
    return f"{repo_url('model', '').rstrip('/')}/jobs/{namespace}/{job_id}"


def running_cost(info: Any, usd_per_hour: float) -> tuple[float, float]:
    """(minutes it ran, dollars so far) of a job's `JobInfo`."""
    secs = (info.durations.running_secs if info.durations else None) or 0
    return secs / 60, usd_per_hour * secs / 3600
