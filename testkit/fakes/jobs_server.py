"""Hugging Face Jobs as the Hub serves them, for the test Hub (`hub_server.py` routes here).

The routes huggingface_hub 2.x calls: `POST /api/jobs/{ns}` (run_job: the job spec with
`dockerImage`, `command`, `environment`, `secrets`, `flavor`, `timeoutSeconds`, `labels`),
`GET /api/jobs/{ns}/{id}` (inspect_job), `GET /api/jobs/{ns}` (list_jobs, `stage=` and
`label=k=v` filters), `GET /api/jobs/{ns}/{id}/logs` (server-sent events, one
`data: {"data": LINE, "timestamp": ISO}` per line; the stream holds the log as it is when asked,
and the client asks again while the job runs), `POST /api/jobs/{ns}/{id}/cancel` and
`GET /api/jobs/hardware` (the flavors and their price per minute).

A job really runs: its command in a local subprocess (the image is ignored) with its environment
and secrets, inside a throw-away virtual environment that sees this test environment's packages
(a path line to its site-packages, without the editable install of the checkout) and no package
index, so `pip install` of a wheel resolves every dependency from what is there and downloads
nothing. The job talks to the test Hub (`HF_ENDPOINT`). Stages SCHEDULING → RUNNING →
COMPLETED, ERROR (non-zero exit, or the timeout ran out) or CANCELED.

Tokens: a `write` token may run jobs, a `read` token may not, a fine-grained one needs
`job.write` among its global permissions (as the Hub's). `credit = False` makes the account one
without a payment method: `canPay` false in whoami, and a paid flavor answers 402.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .replies import Reply, err

TERMINAL = ("COMPLETED", "ERROR", "CANCELED", "DELETED")

# The Hub's hardware list (prices per minute in micro-dollars, as `list_jobs_hardware` reads them).
HARDWARE: list[dict[str, Any]] = [
    {"name": "cpu-basic", "prettyName": "CPU Basic", "cpu": "2 vCPU", "ram": "16 GB",
     "ephemeralStorage": "50 GB", "accelerator": None, "unitCostMicroUSD": 167,
     "unitCostUSD": 0.000167, "unitLabel": "minute"},
    {"name": "cpu-upgrade", "prettyName": "CPU Upgrade", "cpu": "8 vCPU", "ram": "32 GB",
     "ephemeralStorage": "50 GB", "accelerator": None, "unitCostMicroUSD": 500,
     "unitCostUSD": 0.0005, "unitLabel": "minute"},
    {"name": "t4-small", "prettyName": "Nvidia T4 - small", "cpu": "4 vCPU", "ram": "15 GB",
     "ephemeralStorage": "50 GB",
     "accelerator": {"type": "gpu", "model": "T4", "quantity": "1", "vram": "16 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 6667, "unitCostUSD": 0.006667, "unitLabel": "minute"},
    {"name": "l4x1", "prettyName": "1x Nvidia L4", "cpu": "8 vCPU", "ram": "30 GB",
     "ephemeralStorage": "400 GB",
     "accelerator": {"type": "gpu", "model": "L4", "quantity": "1", "vram": "24 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 13333, "unitCostUSD": 0.013333, "unitLabel": "minute"},
    {"name": "a10g-small", "prettyName": "Nvidia A10G - small", "cpu": "4 vCPU", "ram": "15 GB",
     "ephemeralStorage": "110 GB",
     "accelerator": {"type": "gpu", "model": "A10G", "quantity": "1", "vram": "24 GB", "manufacturer": "Nvidia"},
     "unitCostMicroUSD": 16667, "unitCostUSD": 0.016667, "unitLabel": "minute"},
]  # fmt: skip


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Job:
    id: str
    owner: str
    spec: dict[str, Any]
    endpoint: str
    stage: str = "SCHEDULING"
    message: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)
    proc: subprocess.Popen[str] | None = None
    cancelled: bool = False
    timed_out: bool = False

    def info(self) -> dict[str, Any]:
        """The Hub's JSON for the job (secrets by name only: their values never come back)."""
        now = self.finished or time.time()
        running = int(now - self.started) if self.started else None
        return {
            "id": self.id,
            "createdAt": iso(self.created),
            "startedAt": iso(self.started) if self.started else None,
            "finishedAt": iso(self.finished) if self.finished else None,
            "dockerImage": self.spec.get("dockerImage"),
            "command": self.spec.get("command"),
            "arguments": self.spec.get("arguments", []),
            "environment": self.spec.get("environment", {}),
            "secrets": dict.fromkeys(self.spec.get("secrets") or {}),
            "flavor": self.spec.get("flavor"),
            "labels": self.spec.get("labels"),
            "status": {"stage": self.stage, "message": self.message},
            "durations": {"runningSecs": running, "totalSecs": int(now - self.created)},
            "owner": {"id": self.owner, "name": self.owner, "type": "user"},
        }


class JobsState:
    """Every job of the test Hub; tests configure the world and inspect what ran."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.credit = True  # False: an account without a payment method
        # With `credit` False: whoami still says `canPay` (a spending limit reached since).
        self.claims_credit = False
        self.hardware_answers = True  # False: the hardware list fails (HTTP 503)
        self.cancel_on: str | None = None  # cancel a job once a log line holds this text
        self.root = Path(tempfile.mkdtemp(prefix="hf-tweetbot-jobs-"))

    def stop_all(self) -> None:
        for job in list(self.jobs.values()):
            self.cancel(job, "reset")
        for job in list(self.jobs.values()):
            if job.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    job.proc.wait(timeout=10)

    def price(self, flavor: str) -> dict[str, Any] | None:
        return next((h for h in HARDWARE if h["name"] == flavor), None)

    def submit(self, owner: str, spec: dict[str, Any], endpoint: str) -> Job:
        job = Job(uuid.uuid4().hex[:24], owner, spec, endpoint)
        with self.lock:
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    def cancel(self, job: Job, message: str = "Canceled by the user") -> None:
        with self.lock:
            if job.stage in TERMINAL:
                return
            job.cancelled, job.message = True, message
            proc = job.proc
            if proc is None:
                job.stage, job.finished = "CANCELED", time.time()
        if proc is not None:
            _kill(proc)

    def log_text(self, job: Job) -> str:
        return "\n".join(text for _, text in job.lines)

    # -- running a job ------------------------------------------------------------------------
    def _environment(self, job: Job, home: Path, venv: Path) -> dict[str, str]:
        keep = ("LANG", "LC_ALL", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(home),
            HF_HOME=str(home / "hf"),
            HF_ENDPOINT=job.endpoint,  # the job's machine talks to the Hub that runs it
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            PIP_NO_INDEX="1",  # the image's packages are all there is: nothing is downloaded
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            OMP_NUM_THREADS="1",
            TOKENIZERS_PARALLELISM="false",
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in (job.spec.get("environment") or {}).items()})
        env.update({k: str(v) for k, v in (job.spec.get("secrets") or {}).items()})
        return env

    def _image(self, where: Path) -> Path:
        """A throw-away venv whose packages are this environment's (hf-tweetbot left out)."""
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
        python = where / "bin" / "python"
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        (Path(purelib) / "image.pth").write_text(f"{image_packages()}\n")
        return where

    def _run(self, job: Job) -> None:
        work = self.root / job.id
        (work / "home").mkdir(parents=True)
        try:
            venv = self._image(work / "venv")
        except Exception as e:  # noqa: BLE001
            self._end(job, "ERROR", f"the image failed: {e}")
            return
        with self.lock:
            if job.cancelled:
                return
            job.stage, job.started = "RUNNING", time.time()
            job.lines.append((time.time(), f"===== Job started at {iso(time.time())} ====="))
            job.proc = proc = subprocess.Popen(
                job.spec["command"] + list(job.spec.get("arguments") or []),
                cwd=work / "home",
                env=self._environment(job, work / "home", venv),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        timeout = job.spec.get("timeoutSeconds")
        timer = None
        if timeout:
            timer = threading.Timer(float(timeout), self._time_out, args=(job,))
            timer.daemon = True
            timer.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.rstrip("\n")
            with self.lock:
                job.lines.append((time.time(), text))
            if self.cancel_on and self.cancel_on in text:
                self.cancel(job)
        code = proc.wait()
        if timer is not None:
            timer.cancel()
        if job.cancelled:
            self._end(job, "CANCELED", job.message)
        elif job.timed_out:
            self._end(job, "ERROR", "Job timeout")
        elif code == 0:
            self._end(job, "COMPLETED", None)
        else:
            self._end(job, "ERROR", f"Job failed with exit code: {code}")

    def _time_out(self, job: Job) -> None:
        job.timed_out = True
        if job.proc is not None:
            _kill(job.proc)

    def _end(self, job: Job, stage: str, message: str | None) -> None:
        with self.lock:
            job.stage, job.message, job.finished = stage, message, time.time()


_IMAGE_LOCK = threading.Lock()
_IMAGE: list[Path] = []


def image_packages() -> Path:
    """One folder of links to every package this environment has, but hf-tweetbot itself.

    What a job's image has preinstalled: the job's `pip install` of the wheel finds every
    dependency satisfied and installs hf-tweetbot alone (the editable install of the checkout,
    its finder and its .pth files are not linked).
    """
    with _IMAGE_LOCK:
        if _IMAGE:
            return _IMAGE[0]
        # Named site-packages as an image's are: dill (under datasets) pickles classes of modules
        # whose path says so by reference, as it does in this environment.
        out = Path(tempfile.mkdtemp(prefix="hf-tweetbot-image-")) / "site-packages"
        out.mkdir()
        sites = [Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
        for site in sites:
            for entry in site.iterdir():
                name = entry.name
                skip = name.startswith(("__editable__", "hf_tweetbot", "publisher", "__pycache__"))
                if skip or name.endswith(".pth") or (out / name).exists():
                    continue
                (out / name).symlink_to(entry)
        _IMAGE.append(out)
        return out


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


class JobsRoutes:
    """The Jobs routes of the test Hub's `Route` (a mixin: it uses the route's state and helpers)."""

    s: Any
    method: str
    path: str
    body: bytes
    query: dict[str, list[str]]
    endpoint: str
    tok: Any

    def jobs_api(self) -> Any:
        jobs: JobsState = self.s.jobs
        parts = [unquote(p) for p in self.path.split("/")[3:]]  # after /api/jobs/
        if parts == ["hardware"] and self.method == "GET":
            if not jobs.hardware_answers:
                raise err(503, "Service Unavailable")
            return Reply(200, HARDWARE)
        if self.tok is None:
            raise err(401, "Invalid credentials in Authorization header")
        ns = parts[0]
        if ns not in self.s.namespaces(self.tok):
            raise err(403, f"You don't have the rights to manage jobs in {ns}")
        if len(parts) == 1 and self.method == "POST":
            return Reply(200, self._run_job(jobs, ns).info())
        if len(parts) == 1 and self.method == "GET":
            return Reply(200, [j.info() for j in self._listed(jobs, ns)])
        with jobs.lock:
            job = jobs.jobs.get(parts[1])
        if job is None or job.owner != ns:
            raise err(404, "Job not found")
        rest = parts[2:]
        if not rest and self.method == "GET":
            return Reply(200, job.info())
        if rest == ["logs"] and self.method == "GET":
            return Reply(200, self._events(job), {"Content-Type": "text/event-stream"})
        if rest == ["cancel"] and self.method == "POST":
            self._may_run_jobs()
            jobs.cancel(job)
            return Reply(200, b"")
        raise err(404, f"no route for {self.method} {self.path}")

    def _may_run_jobs(self) -> None:
        tok = self.tok
        ok = tok.role == "write" or (tok.role == "fineGrained" and "job.write" in tok.global_perms)
        if not ok:
            raise err(403, "This token does not have the permission to run jobs (job.write)")

    def _run_job(self, jobs: JobsState, ns: str) -> Job:
        self._may_run_jobs()
        spec = json.loads(self.body)
        for key in ("command", "flavor"):
            if key not in spec:
                raise err(400, f"Missing field: {key}")
        hardware = jobs.price(spec["flavor"])
        if hardware is None:
            raise err(400, f"Invalid flavor: {spec['flavor']}")
        if not jobs.credit and hardware["unitCostMicroUSD"] > 0:
            raise err(402, "Payment Required: add a payment method to run jobs on this hardware")
        return jobs.submit(ns, spec, self.endpoint)

    def _listed(self, jobs: JobsState, ns: str) -> list[Job]:
        stages = self.query.get("stage") or []
        labels = dict(lbl.split("=", 1) for lbl in self.query.get("label") or [])
        with jobs.lock:
            out = [j for j in jobs.jobs.values() if j.owner == ns]
        out = [j for j in out if not stages or j.stage in stages]
        return [j for j in out if all((j.spec.get("labels") or {}).get(k) == v for k, v in labels.items())]  # fmt: skip

    def _events(self, job: Job) -> bytes:
        tail = self.query.get("tail")
        lines = list(job.lines)
        if tail:
            lines = lines[-int(tail[0]) :]
        out = [
            "data: " + json.dumps({"data": text, "timestamp": iso(ts)}) + "\n\n"
            for ts, text in lines
        ]
        return "".join(out).encode()
