"""Training on Hugging Face Jobs (`--hf-jobs FLAVOR`): read here, train there, bring the bot back.

The posts are read and cleaned on this machine (posts for a limited audience never leave it);
the prepared data, hf-tweetbot's own wheel and the run's options go to the bot's dataset repo,
private, under `JOB_FOLDER/`. A job of the user's account installs that wheel and runs
`hf-tweetbot job-train` (`run_in_job`): the same training, quality block, copy guard, card and
thumbnail as a local run, then one commit to the model repo (and the Space when asked), and the
bot.json it ended with beside its inputs. Here the job's log is relayed line by line; when it
ends the bot folder is brought up to date from the Hub (`bring_back`). A job that fails, times
out or is cancelled pushed nothing: its push is its last step.

The token goes to the job as its `HF_TOKEN` secret, and the copy guard's key (made here, kept
here) as another: the guard the job writes is the one this folder checks with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import base_models, console, pipeline
from .bot import layout, manifest, outdir
from .errors import AuthError, HubError, TrainingError, UsageError
from .hub import PushOptions, get_token, privacy
from .hub import jobs as hf_jobs
from .hub import preflight as hub_preflight
from .hub.access import client_timeout, hub_errors
from .quality import QualityConfig
from .train import TrainConfig

JOB_FOLDER = "hf-tweetbot-job"  # in the bot's dataset repo: what the job reads
JOB_SPEC = "job.json"  # the run's options, in JOB_FOLDER
RESULT_MANIFEST = "result/bot.json"  # the bot.json the job ended with, in JOB_FOLDER
BASE_FOLDER = "base"  # a local base model's files, in JOB_FOLDER
# The latest checkpoint a job sent, in JOB_FOLDER: the next job of the same bot resumes it.
CHECKPOINT_FOLDER = "checkpoint"
CHECKPOINT_UPLOAD_SECONDS = 600  # a job sends its first checkpoint, then one at most this often
GUARD_KEY_ENV = "HF_TWEETBOT_GUARD_KEY"  # the job's secret holding the copy guard's key
GPU_ENV = "HF_TWEETBOT_EXPECT_GPU"  # the job's environment: "1" on a GPU flavor
LOG_TAIL = 20  # lines of a failed job's log shown
JOB_STARTED = "Job started: "  # the line that names the running job's page
Say = Callable[[str], None]
Confirm = Callable[[str], bool]


@dataclass
class JobOptions:
    """`--hf-jobs FLAVOR` and its companions."""

    flavor: str
    yes: bool = False  # no confirmation of the cost
    detach: bool = False  # return once the job is started
    timeout: str | None = None  # e.g. "90m"; default 3x the estimate
    confirm: Confirm | None = None  # asks to start the job (without `yes`); not a flag


def publish(specs: list[str], opts: pipeline.PrepareOptions, train_cfg: TrainConfig,
            push_opts: PushOptions, job: JobOptions, quality: QualityConfig | None = None,
            say: Say = console.say, confirm: Confirm | None = None) -> Path:  # fmt: skip
    """`publish --hf-jobs`: preflight, prepare here, train and push in a job, bring it back."""
    token = _token()
    pipeline.check_specs(specs)
    guessed = pipeline.guess_handles(specs)
    me, price = hf_jobs.preflight(job.flavor, token)
    if push_opts.repo_id or guessed:
        name = manifest.model_name_for(guessed) if guessed else ""
        push_opts.repo_id = hub_preflight(name, _with_dataset(push_opts), token)
    _say_preflight(push_opts, price, say)
    bot_dir, m = pipeline.prepare(specs, opts, say)
    for warning in privacy.check(m, push_opts):
        say(f"Warning: {warning}")
    if not push_opts.repo_id:
        push_opts.repo_id = hub_preflight(m.model_name, _with_dataset(push_opts), token)
        _say_preflight(push_opts, price, say)
    return _submit_and_follow(bot_dir, train_cfg, push_opts, job, quality, token, me, price, say, confirm)  # fmt: skip


def train(bot_dir: Path, train_cfg: TrainConfig, job: JobOptions,
          quality: QualityConfig | None = None, say: Say = console.say,
          confirm: Confirm | None = None, token: str | None = None,
          push_opts: PushOptions | None = None) -> Path:  # fmt: skip
    """`train --hf-jobs`: the prepared bot trained by a job, pushed where `push_opts` (else
    bot.json, else the default repo) says, and brought back.

    `token`: whose account runs the job (the creator's signed-in visitor); default this
    machine's.
    """
    token = token or _token()
    m = manifest.load(bot_dir)
    me, price = hf_jobs.preflight(job.flavor, token)
    push_opts = push_opts or PushOptions()
    push_opts.repo_id = push_opts.repo_id or m.repo_id
    for warning in privacy.check(m, push_opts):
        say(f"Warning: {warning}")
    push_opts.repo_id = hub_preflight(m.model_name, _with_dataset(push_opts), token)
    _say_preflight(push_opts, price, say)
    return _submit_and_follow(bot_dir, train_cfg, push_opts, job, quality, token, me, price, say, confirm)  # fmt: skip


def _token() -> str:
    token = get_token()
    if token is None:
        raise AuthError("--hf-jobs needs a Hugging Face token (the job runs on your account)",
                        hint="set HF_TOKEN or run `hf auth login`")  # fmt: skip
    return token


def _with_dataset(opts: PushOptions) -> PushOptions:
    """The push options the preflight checks: the dataset repo is written to in any case."""
    return replace(opts, dataset=True)


def _say_preflight(opts: PushOptions, price: hf_jobs.Price, say: Say) -> None:
    if opts.repo_id:
        say(f"Preflight OK: will push to {opts.repo_id}; may run Jobs on {price.flavor}")


def _submit_and_follow(bot_dir: Path, train_cfg: TrainConfig, push_opts: PushOptions,
                       job: JobOptions, quality: QualityConfig | None, token: str,
                       me: dict[str, Any], price: hf_jobs.Price, say: Say,
                       confirm: Confirm | None) -> Path:  # fmt: skip
    m = manifest.load(bot_dir)
    the_plan = hf_jobs.plan(price, _minutes(m, train_cfg, price.flavor), job.timeout)
    _confirm(the_plan, job, confirm or job.confirm, say)
    repo_id = push_opts.repo_id
    assert repo_id is not None
    spec = {"mode": "train", "quality": asdict(quality) if quality is not None else None}
    wheel = _upload_inputs(bot_dir, repo_id, train_cfg, push_opts, spec, token, say)
    _start(bot_dir, repo_id, wheel, the_plan, token, me, say, push_opts.public_dataset)
    if job.detach:
        say(f"Detached. Follow it: hf-tweetbot job {bot_dir} --follow; "
            f"cancel it: hf-tweetbot job {bot_dir} --cancel")  # fmt: skip
        return bot_dir
    follow(bot_dir, token, say)
    return bot_dir


def _confirm(the_plan: hf_jobs.Plan, job: JobOptions, confirm: Confirm | None, say: Say) -> None:
    for line in the_plan.lines():
        say(line)
    if not job.yes and (
        confirm is None or not confirm(f"Start the job (about ${the_plan.cost:.2f})?")
    ):
        raise UsageError("no job was started", hint="run the same command with --yes to start it")  # fmt: skip


def _start(bot_dir: Path, repo_id: str, wheel: str, the_plan: hf_jobs.Plan, token: str,
           me: dict[str, Any], say: Say, public_dataset: bool = False) -> None:  # fmt: skip
    """Run the job and record it in bot.json (`hf_job`)."""
    from .quality.guard import guard_key

    price = the_plan.price
    secrets = {"HF_TOKEN": token, GUARD_KEY_ENV: guard_key(bot_dir).hex()}
    labels = {"hf-tweetbot": "train", "bot": repo_id.split("/")[1]}
    command = hf_jobs.train_command(repo_id, wheel)
    env = {GPU_ENV: "1" if price.gpu else "0"}
    ns = me["name"]
    name = f"hf-tweetbot-{repo_id.split('/')[1]}"
    info = hf_jobs.run(command, price, the_plan.timeout_s, labels, name, env, secrets, ns, token)
    m = manifest.load(bot_dir)
    m.hf_job = {
        "id": info.id, "namespace": ns, "url": hf_jobs.job_url(ns, info.id), "flavor": price.flavor,
        "usd_per_hour": price.usd_per_hour, "repo_id": repo_id, "dataset_repo_id": repo_id,
        "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "estimated_minutes": round(the_plan.minutes, 1), "timeout_s": the_plan.timeout_s,
        "stage": str(info.status.stage), "brought_back": False,
        "public_dataset": public_dataset,
    }  # fmt: skip
    manifest.save(m, bot_dir)
    say(f"{JOB_STARTED}{m.hf_job['url']}")


def jobs_preflight(job: JobOptions, token: str) -> tuple[dict[str, Any], hf_jobs.Price]:
    """The Jobs checks of `update --hf-jobs` (its repo checks are `update`'s own)."""
    return hf_jobs.preflight(job.flavor, token)


def update_on_jobs(bot_dir: Path, stage: Path, summary: dict[str, Any], train_cfg: TrainConfig,
                   push_opts: PushOptions, job: JobOptions, token: str,
                   checked: tuple[dict[str, Any], hf_jobs.Price], say: Say) -> None:  # fmt: skip
    """`update --hf-jobs`: the new posts staged here (`stage`) are trained on by a job, from the
    model repo's current weights; the job pushes one commit and the bot is brought back."""
    from .train.loop import EPOCHS

    me, price = checked
    staged = manifest.load(stage)
    tokens = int(staged.data.get("update_blocks", 0)) * int(staged.data.get("block_size", 1024))
    if summary["from_scratch"]:
        tokens = int(staged.data.get("train_tokens") or 0)
    params = base_models.known_params(staged.base_model)
    minutes = hf_jobs.estimate_minutes(tokens, train_cfg.epochs or EPOCHS, price.flavor, params)
    the_plan = hf_jobs.plan(price, minutes, job.timeout)
    _confirm(the_plan, job, job.confirm, say)
    repo_id = push_opts.repo_id
    assert repo_id is not None
    spec = {"mode": "update", "update": summary}
    wheel = _upload_inputs(stage, repo_id, train_cfg, push_opts, spec, token, say)
    _start(bot_dir, repo_id, wheel, the_plan, token, me, say, push_opts.public_dataset)
    if job.detach:
        say(f"Detached. Follow it: hf-tweetbot job {bot_dir} --follow; "
            f"cancel it: hf-tweetbot job {bot_dir} --cancel")  # fmt: skip
        return
    follow(bot_dir, token, say)


def _minutes(m: manifest.Manifest, train_cfg: TrainConfig, flavor: str) -> float:
    from .train.loop import EPOCHS, MAX_EPOCHS

    tokens = int((m.data or {}).get("train_tokens") or 0)
    epochs = train_cfg.epochs or (EPOCHS if train_cfg.keep_last else MAX_EPOCHS)
    return hf_jobs.estimate_minutes(tokens, epochs, flavor, base_models.known_params(m.base_model))


# --- What goes up: the prepared bot, the wheel, the options.


def _upload_inputs(bot_dir: Path, repo_id: str, train_cfg: TrainConfig, push_opts: PushOptions,
                   extra: dict[str, Any], token: str, say: Say) -> str:  # fmt: skip
    """One commit of JOB_FOLDER/ (`bot_dir`'s bot.json, data/ and avatars/, the wheel, the
    options) to the private dataset repo; returns the wheel's repo path (or the requirement the
    job installs)."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

    m = manifest.load(bot_dir)
    with tempfile.TemporaryDirectory(prefix="hf-tweetbot-job-") as tmp:
        stage = Path(tmp) / JOB_FOLDER
        stage.mkdir()
        _copy_inputs(bot_dir, stage)
        base = None
        if base_models.is_local(m.base_model):
            shutil.copytree(Path(m.base_model).expanduser(), stage / BASE_FOLDER)
            base = BASE_FOLDER
        wheel = _wheel(Path(tmp), say)
        if wheel.suffix == ".whl":
            shutil.copy2(wheel, stage / wheel.name)
        spec = {
            **extra,
            "train": _plain(
                train_cfg, skip={"judge", "on_step", "on_checkpoint", "init_from", "progress"}
            ),  # fmt: skip
            "push": asdict(push_opts),
            "base": base,
            "version": _version(),
        }
        (stage / JOB_SPEC).write_text(json.dumps(spec, indent=1), encoding="utf-8")
        privacy.refuse_secrets(stage, token, bot_dir)
        with hub_errors(f"dataset repo {repo_id}", token, None), client_timeout(300.0):
            api = HfApi(token=token)
            if api.repo_exists(repo_id, repo_type="dataset"):
                if not api.repo_info(repo_id, repo_type="dataset").private:
                    raise HubError(
                        f"dataset repo {repo_id} is public: the job's inputs go to a private repo",
                        hint="make it private on the Hub, or push elsewhere with --repo-id",
                    )
            else:
                api.create_repo(repo_id, repo_type="dataset", private=True)
            # An earlier job's checkpoint stays for this one to resume (a training job, unless
            # --restart); everything else of JOB_FOLDER/ is replaced.
            keep = f"{JOB_FOLDER}/{CHECKPOINT_FOLDER}/"
            resumes = extra.get("mode") == "train" and not getattr(train_cfg, "restart", False)
            adds = [
                CommitOperationAdd(f"{JOB_FOLDER}/{f.relative_to(stage).as_posix()}", str(f))
                for f in sorted(stage.rglob("*")) if f.is_file()
            ]  # fmt: skip
            added = {op.path_in_repo for op in adds}
            old = [p for p in api.list_repo_files(repo_id, repo_type="dataset")
                   if p.startswith(f"{JOB_FOLDER}/") and p not in added]  # fmt: skip
            kept = [p for p in old if resumes and p.startswith(keep)]
            gone = [CommitOperationDelete(p) for p in old if p not in kept]
            say(f"Uploading the prepared posts and hf-tweetbot {_version()} to dataset repo {repo_id} (private)")  # fmt: skip
            api.create_commit(
                repo_id=repo_id, repo_type="dataset", operations=[*adds, *gone],
                commit_message=f"hf-tweetbot: the inputs of a training job ({m.model_name})",
            )  # fmt: skip
            if kept:
                say(f"The job resumes from the checkpoint an earlier job sent ({keep} in "
                    f"{repo_id}); --restart starts over")  # fmt: skip
        return f"{JOB_FOLDER}/{wheel.name}" if wheel.suffix == ".whl" else str(wheel)


def _copy_inputs(src: Path, dest: Path) -> None:
    """What a job trains from: bot.json, data/ and avatars/."""
    for item in (layout.MANIFEST, layout.DATA, layout.AVATARS):
        if (src / item).is_dir():
            shutil.copytree(src / item, dest / item)
        elif (src / item).is_file():
            shutil.copy2(src / item, dest / item)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hf-tweetbot")
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "0+local"


def _wheel(out: Path, say: Say) -> Path:
    """This hf-tweetbot as a wheel: built from its checkout, else the released version's name."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        return Path(f"hf-tweetbot=={_version()}")
    say("Building hf-tweetbot's wheel for the job")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
           "-w", str(out / "wheel"), str(root)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted((out / "wheel").glob("hf_tweetbot-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel"]
        raise TrainingError(f"could not build hf-tweetbot's wheel for the job ({tail[0]})",
                            hint="pip install build tools (setuptools>=77), or install hf-tweetbot from a wheel")  # fmt: skip
    return wheels[0]


def _plain(cfg: Any, skip: set[str]) -> dict[str, Any]:
    out = {}
    for f in fields(cfg):
        if f.name in skip:
            continue
        value = getattr(cfg, f.name)
        out[f.name] = str(value) if isinstance(value, Path) else value
    return out


# --- While it runs, and after.


def follow(bot_dir: Path, token: str, say: Say = console.say) -> Any:
    """Relay the bot's job's log until it ends; bring the bot back when it completed.

    Ctrl-C detaches (the job goes on). A job that did not complete raises `TrainingError` with
    the last lines of its log said first.
    """
    m = manifest.load(bot_dir)
    job = _job_of(m, bot_dir)
    say(f"Following job {job['url']} (Ctrl-C detaches; the job goes on)")
    try:
        info = hf_jobs.follow(job["id"], job["namespace"], token, say)
    except KeyboardInterrupt:
        say(f"Detached: the job goes on. Follow it: hf-tweetbot job {bot_dir} --follow; "
            f"cancel it: hf-tweetbot job {bot_dir} --cancel")  # fmt: skip
        return None
    stage = str(info.status.stage)
    _record_stage(bot_dir, stage)
    if stage != "COMPLETED":
        tail = hf_jobs.logs(job["id"], job["namespace"], token)[-LOG_TAIL:]
        say(f"The job's last {len(tail)} log lines:")
        for line in tail:
            say(f"  | {line}")
        why = f": {info.status.message}" if info.status.message else ""
        raise TrainingError(
            f"job {job['id']} ended {stage}{why}; nothing was published (model repo {job['repo_id']} is as it was)",  # fmt: skip
            hint=f"see {job['url']}; then run the same command again",
        )
    bring_back(bot_dir, token, say)
    return info


def _job_of(m: manifest.Manifest, bot_dir: Path) -> dict[str, Any]:
    if not m.hf_job:
        raise UsageError(f"{bot_dir} has no Hugging Face job",
                         hint=f"start one: hf-tweetbot train {bot_dir} --hf-jobs cpu-basic")  # fmt: skip
    return m.hf_job


def _record_stage(bot_dir: Path, stage: str) -> None:
    m = manifest.load(bot_dir)
    if m.hf_job:
        m.hf_job["stage"] = stage
        manifest.save(m, bot_dir)


def bring_back(bot_dir: Path, token: str, say: Say = console.say) -> None:
    """Bring the bot folder up to date from the Hub after its job: `repo/` as the model repo's
    main, `data/` as the job trained on it, and bot.json as the job ended with it (training
    curves, quality block, repos)."""
    from huggingface_hub import hf_hub_download, snapshot_download

    m = manifest.load(bot_dir)
    job = _job_of(m, bot_dir)
    repo_id = job["repo_id"]
    with outdir.staging_dir(bot_dir, outdir.REPO_PREFIX) as stage:
        with hub_errors(f"model repo {repo_id}", token, None), client_timeout(300.0):
            snapshot_download(repo_id, local_dir=stage / "model", token=token)
            got = hf_hub_download(job["dataset_repo_id"], f"{JOB_FOLDER}/{RESULT_MANIFEST}",
                                  repo_type="dataset", token=token, local_dir=stage / "result")  # fmt: skip
            inputs = snapshot_download(job["dataset_repo_id"], repo_type="dataset", token=token,
                                       allow_patterns=[f"{JOB_FOLDER}/{layout.DATA}/**"],
                                       local_dir=stage / "inputs")  # fmt: skip
        shutil.rmtree(stage / "model" / ".cache", ignore_errors=True)
        ended = manifest.Manifest.from_dict(json.loads(Path(got).read_text(encoding="utf-8")))
        ended.base_model = m.base_model  # the job's copy of a local base was its own path
        ended.hf_job = {**job, "stage": "COMPLETED", "brought_back": True}
        outdir.swap_in(stage / "model", layout.repo_dir(bot_dir), stage)
        # The posts the job trained on (an update's new ones staged here included).
        outdir.swap_in(Path(inputs) / JOB_FOLDER / layout.DATA, layout.data_dir(bot_dir), stage)
        manifest.save(ended, bot_dir)
    say(f"Brought {bot_dir} up to date from {repo_id}")
    if job.get("public_dataset"):
        _open_dataset(job["dataset_repo_id"], token, say)


def _open_dataset(repo_id: str, token: str, say: Say) -> None:
    """`--public-dataset`: once the job is done and brought back, the job's inputs leave the
    dataset repo and the repo is made public (it stayed private while the job ran)."""
    from huggingface_hub import HfApi

    with hub_errors(f"dataset repo {repo_id}", token, None), client_timeout(300.0):
        api = HfApi(token=token)
        api.delete_folder(JOB_FOLDER, repo_id=repo_id, repo_type="dataset",
                          commit_message="hf-tweetbot: the training job's inputs, done with")  # fmt: skip
        api.update_repo_settings(repo_id, repo_type="dataset", private=False)
    say(f"Dataset repo {repo_id} is public now (--public-dataset)")


def status_lines(bot_dir: Path, token: str) -> list[str]:
    """`hf-tweetbot job DIR`: stage, how long, the cost so far, the log's last lines."""
    m = manifest.load(bot_dir)
    job = _job_of(m, bot_dir)
    info = hf_jobs.inspect(job["id"], job["namespace"], token)
    minutes, cost = hf_jobs.running_cost(info, float(job.get("usd_per_hour") or 0))
    stage = str(info.status.stage)
    why = f" ({info.status.message})" if info.status.message else ""
    out = [
        f"Job {job['id']}: {stage}{why}",
        f"  {job['url']}",
        f"  flavor {job['flavor']}, ran {minutes:.1f} min, about ${cost:.2f} so far",
    ]
    tail = hf_jobs.logs(job["id"], job["namespace"], token)[-LOG_TAIL:]
    out += [f"  | {line}" for line in tail]
    if stage == "COMPLETED" and not job.get("brought_back"):
        out.append(f"Bring the bot here: hf-tweetbot job {bot_dir} --follow")
    elif stage not in hf_jobs.TERMINAL:
        out.append(f"Follow it: hf-tweetbot job {bot_dir} --follow; cancel it: --cancel")
    _record_stage(bot_dir, stage)
    return out


def cancel(bot_dir: Path, token: str, say: Say = console.say) -> None:
    m = manifest.load(bot_dir)
    job = _job_of(m, bot_dir)
    hf_jobs.cancel(job["id"], job["namespace"], token)
    _record_stage(bot_dir, "CANCELED")
    say(f"Cancelled job {job['id']}; nothing was published (model repo {job['repo_id']} is as it was)")  # fmt: skip


# --- Inside the job.


def _say_device(expect_gpu: bool, say: Say) -> None:
    """Name the device the job trains on; a GPU flavor whose GPU torch cannot see stops here."""
    import torch

    from .train.accel import resolve_precision

    precision = resolve_precision("auto")
    if torch.cuda.is_available():
        say(f"Training on {torch.cuda.get_device_name(0)} (CUDA), precision {precision}")
    elif expect_gpu:
        raise TrainingError(
            "the job's flavor has a GPU but torch sees none (a CPU build of torch?)",
            hint="run the same command again; if it fails alike, use a cpu-* flavor",
        )
    else:
        say(f"Training on the CPU, precision {precision}")


class CheckpointSender:
    """Send a job's latest checkpoint to the bot's dataset repo (JOB_FOLDER/checkpoint/, one
    commit replacing the one before): the first at once, then at most every
    CHECKPOINT_UPLOAD_SECONDS, so a job that fails, times out or is cancelled can be resumed."""

    def __init__(self, dataset_repo: str, token: str, say: Say) -> None:
        self.repo, self.token, self.say = dataset_repo, token, say
        self.sent_at: float | None = None

    def __call__(self, root: Path) -> None:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

        if self.sent_at is not None and time.time() - self.sent_at < CHECKPOINT_UPLOAD_SECONDS:
            return
        latest = sorted(root.glob("step_*"))[-1:]
        if not latest:
            return
        there = f"{JOB_FOLDER}/{CHECKPOINT_FOLDER}/"
        adds = [
            CommitOperationAdd(f"{there}{f.relative_to(root).as_posix()}", str(f))
            for f in sorted(latest[0].rglob("*")) if f.is_file()
        ]  # fmt: skip
        with hub_errors(f"dataset repo {self.repo}", self.token, None), client_timeout(300.0):
            api = HfApi(token=self.token)
            new = {op.path_in_repo for op in adds}
            stale = [CommitOperationDelete(p) for p in api.list_repo_files(self.repo, repo_type="dataset")
                     if p.startswith(there) and p not in new]  # fmt: skip
            api.create_commit(
                repo_id=self.repo, repo_type="dataset", operations=[*adds, *stale],
                commit_message=f"hf-tweetbot: the training job's checkpoint {latest[0].name}",
            )  # fmt: skip
        self.sent_at = time.time()
        self.say(f"Checkpoint {latest[0].name} sent to dataset repo {self.repo}")


def run_in_job(dataset_repo: str, say: Say = console.say, finish_update: Any = None) -> None:
    """`hf-tweetbot job-train DATASET_REPO`: what the job runs after installing hf-tweetbot.

    Reads JOB_FOLDER/ of the dataset repo, trains as `hf-tweetbot train` does (an update: from
    the model repo's current weights, by `finish_update`, `publisher.update.finish`), pushes
    (one commit per repo), and leaves the bot.json it ended with in the dataset repo.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, snapshot_download

    from .hub import PushOptions as Push
    from .train.checkpoints import rebase

    token = get_token()
    if token is None:
        raise AuthError("the job has no HF_TOKEN secret", hint="start it with `--hf-jobs`")
    work = Path(tempfile.mkdtemp(prefix="hf-tweetbot-job-"))
    with hub_errors(f"dataset repo {dataset_repo}", token, None), client_timeout(300.0):
        got = Path(snapshot_download(dataset_repo, repo_type="dataset", token=token,
                                     allow_patterns=[f"{JOB_FOLDER}/*", f"{JOB_FOLDER}/**"],
                                     local_dir=work / "inputs"))  # fmt: skip
    inputs = got / JOB_FOLDER
    spec = json.loads((inputs / JOB_SPEC).read_text(encoding="utf-8"))
    m = manifest.Manifest.from_dict(json.loads((inputs / layout.MANIFEST).read_text("utf-8")))
    bot_dir = work / m.model_name
    bot_dir.mkdir()
    _copy_inputs(inputs, bot_dir)
    key = os.environ.get(GUARD_KEY_ENV)
    if key:
        from . import atomic

        atomic.write_bytes(layout.guard_key_file(bot_dir), key.encode() + b"\n", 0o600)
    _say_device(os.environ.get(GPU_ENV) == "1", say)
    given_base = m.base_model
    if spec.get("base"):  # a local base model, sent along: its copy here, the posts as tokenized
        here = str(inputs / spec["base"])
        if m.data.get("tokenizer") == m.base_model:
            m.data["tokenizer"] = here
        m.base_model = here
        manifest.save(m, bot_dir)
    train_spec = dict(spec["train"])
    cfg = TrainConfig(**train_spec)
    if spec.get("mode") != "update":
        sent = inputs / CHECKPOINT_FOLDER
        if sent.is_dir() and not cfg.restart:  # an earlier job's: the loop decides if it continues
            shutil.copytree(sent, layout.checkpoints_dir(bot_dir))
            if spec.get("base"):
                rebase(layout.checkpoints_dir(bot_dir), base_models.canonical_name(m.base_model),
                       m.data.get("tokenizer"))  # fmt: skip
        cfg.on_checkpoint = CheckpointSender(dataset_repo, token, say)
    quality = QualityConfig(**spec["quality"]) if spec.get("quality") else None
    start = time.time()
    push = Push(**spec["push"])
    if spec.get("mode") == "update":
        current = work / "current"  # the bot as its model repo's main has it
        with hub_errors(f"model repo {push.repo_id}", token, None), client_timeout(300.0):
            snapshot_download(str(push.repo_id), local_dir=layout.repo_dir(current), token=token)
        shutil.rmtree(layout.repo_dir(current) / ".cache", ignore_errors=True)
        message = finish_update(current, bot_dir, spec["update"], cfg, say)
        bot_dir, push = current, replace(push, commit_message=push.commit_message or message)
    else:
        pipeline.train_bot(bot_dir, cfg, say, quality)
    result = pipeline.push_bot(bot_dir, push, token, say)
    say(str(result))
    ended = manifest.load(bot_dir)
    ended.base_model = given_base
    out = work / "result.json"
    out.write_text(json.dumps(ended.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    if token in out.read_text(encoding="utf-8"):  # never: bot.json holds no secret
        raise HubError("the job's bot.json holds the token; it was not uploaded")
    with hub_errors(f"dataset repo {dataset_repo}", token, None), client_timeout(300.0):
        api = HfApi(token=token)
        done: list[Any] = [CommitOperationAdd(f"{JOB_FOLDER}/{RESULT_MANIFEST}", str(out))]
        there = f"{JOB_FOLDER}/{CHECKPOINT_FOLDER}/"
        if any(p.startswith(there) for p in api.list_repo_files(dataset_repo, repo_type="dataset")):
            done.append(CommitOperationDelete(there, is_folder=True))  # trained: not needed
        api.create_commit(
            repo_id=dataset_repo, repo_type="dataset", operations=done,
            commit_message="hf-tweetbot: the bot.json the training job ended with",
        )  # fmt: skip
    say(f"Job done in {console.duration(time.time() - start)}")
