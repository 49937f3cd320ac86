"""Training on Hugging Face Jobs end to end: `--hf-jobs` against the test Hub, whose jobs run.

The job really runs (tests/fakes/jobs_server.py): hf-tweetbot's wheel, built from this checkout
and uploaded to the bot's dataset repo, is installed into a throw-away environment that borrows
this one's packages, then trains the tiny model and pushes to the test Hub.
"""

from __future__ import annotations

import json
import time

import pytest
from conftest import EXAMPLES, HUB_TOKEN

from publisher import cli, remote
from publisher.bot import manifest
from publisher.hub import jobs as hf_jobs

SAMPLE = EXAMPLES / "wrencalloway_archive.zip"
FAST = ["--block-size", "128", "--max-steps", "2", "--eval-samples", "4"]
REPO = "alice/wrencalloway"


def publish(tmp_path, tiny_model, *extra: str) -> int:
    return cli.main(["publish", str(SAMPLE), "--base-model", str(tiny_model), "--out",
                     str(tmp_path / "bot"), *FAST, *extra])  # fmt: skip


def submitted(hub) -> list[dict]:
    """The job specs sent to the Hub (run_job's request bodies)."""
    return [json.loads(e.body) for e in hub.log if e.method == "POST" and e.path == "/api/jobs/alice"]  # fmt: skip


def seed_model(hub) -> dict[str, bytes]:
    """An existing model repo whose main must survive a failed job as it was."""
    hub.seed("model", REPO, {"README.md": b"---\nlicense: mit\n---\nthe bot of yesterday\n"})
    return hub.files("model", REPO)


def test_publish_on_jobs_pushes_and_brings_the_bot_back(tmp_path, tiny_model, hub_env, capsys):
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes")
    out, err = capsys.readouterr()
    assert code == 0, err
    bot = tmp_path / "bot"
    # Before anything went up: the price (the Hub's hardware list), the estimate, the timeout.
    assert "Flavor cpu-basic: $0.01/hour (the Hub's hardware list)" in err
    assert "Estimated time: about" in err and "the job stops after" in err
    assert err.index("Flavor cpu-basic") < err.index("Uploading the prepared posts")
    # The job's own progress lines, relayed.
    assert "Training on the CPU, precision" in err
    assert "Training: 2/2 steps" in err and "Quality (4 posts" in err
    assert f"Bot ready in {bot}" in out

    (spec,) = submitted(hub_env)
    assert spec["flavor"] == "cpu-basic" and spec["dockerImage"] == hf_jobs.CPU_IMAGE
    assert set(spec["secrets"]) == {"HF_TOKEN", "HF_TWEETBOT_GUARD_KEY"}
    assert spec["environment"] == {"HF_TWEETBOT_EXPECT_GPU": "0"}
    assert spec["secrets"]["HF_TOKEN"] == HUB_TOKEN
    assert spec["labels"]["bot"] == "wrencalloway" and spec["timeoutSeconds"] >= 20 * 60
    (job,) = hub_env.jobs.jobs.values()
    assert job.stage == "COMPLETED"

    # The model repo: one commit of the finished bot; the job's inputs in a private dataset repo.
    model = hub_env.files("model", REPO)
    assert {"config.json", "model.safetensors", "README.md", "predictions.png"} <= set(model)
    assert [c.title for c in hub_env.history("model", REPO)][1:] == ["initial commit"]
    assert hub_env.repo("dataset", REPO).private
    inputs = hub_env.files("dataset", REPO)
    assert any(p.startswith("hf-tweetbot-job/hf_tweetbot-") and p.endswith(".whl") for p in inputs)
    assert "hf-tweetbot-job/data/posts.jsonl" in inputs

    # The folder is the bot the job made: repo/, curves and quality block, the job recorded.
    m = manifest.load(bot)
    assert m.repo_id == REPO and m.quality is not None and m.training is not None
    assert m.base_model == str(tiny_model)
    assert (
        m.hf_job["id"] == job.id and m.hf_job["brought_back"] and m.hf_job["stage"] == "COMPLETED"
    )
    assert (bot / "repo" / "model.safetensors").read_bytes() == model["model.safetensors"]
    assert not (bot / "repo" / ".cache").exists()

    # The token: a secret of the job and nothing else.
    for field, value in spec.items():
        if field != "secrets":
            assert HUB_TOKEN not in json.dumps(value), field
    elsewhere = [e.body for e in hub_env.log if not (e.method == "POST" and e.path == "/api/jobs/alice")]  # fmt: skip
    for body in elsewhere + list(inputs.values()) + list(model.values()):
        assert HUB_TOKEN.encode() not in body
    assert HUB_TOKEN not in hub_env.jobs.log_text(job) + out + err
    for path in bot.rglob("*"):
        if path.is_file():
            assert HUB_TOKEN.encode() not in path.read_bytes(), path

    code = cli.main(["generate", str(bot), "My dream is", "-n", "2", "--max-new-tokens", "8", "--seed", "1"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("My dream is") == 2


def test_a_failing_job_publishes_nothing_and_shows_its_log(tmp_path, tiny_model, hub_env, capsys):
    before = seed_model(hub_env)
    hub_env.fail(r"^/api/models/alice/wrencalloway/commit/", times=10, status=400)
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes")
    _, err = capsys.readouterr()
    assert code == 2
    assert "ended ERROR: Job failed with exit code: 2" in err
    assert f"nothing was published (model repo {REPO} is as it was)" in err
    assert "The job's last" in err and "  | Error: model repo alice/wrencalloway" in err
    assert "Traceback" not in err.split("The job's last")[0]
    assert hub_env.files("model", REPO) == before
    assert manifest.load(tmp_path / "bot").hf_job["stage"] == "ERROR"


def test_a_gpu_flavor_without_a_gpu_stops_instead_of_training_on_the_cpu(
    tmp_path, tiny_model, hub_env, capsys
):
    before = seed_model(hub_env)
    code = publish(tmp_path, tiny_model, "--hf-jobs", "t4-small", "--yes")
    _, err = capsys.readouterr()
    assert code == 2 and "ended ERROR" in err
    assert "the job's flavor has a GPU but torch sees none" in err
    assert "Training: " not in err
    assert submitted(hub_env)[0]["dockerImage"] == hf_jobs.GPU_IMAGE
    assert hub_env.files("model", REPO) == before


def test_a_cancelled_job_publishes_nothing(tmp_path, tiny_model, hub_env, capsys):
    before = seed_model(hub_env)
    hub_env.jobs.cancel_on = "Training: 1/2"
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes")
    _, err = capsys.readouterr()
    assert code == 2 and "ended CANCELED" in err
    assert hub_env.files("model", REPO) == before


def test_a_job_past_its_timeout_publishes_nothing(tmp_path, tiny_model, hub_env, capsys):
    before = seed_model(hub_env)
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", "--timeout", "2s")
    _, err = capsys.readouterr()
    assert code == 2 and "ended ERROR: Job timeout" in err
    assert hub_env.files("model", REPO) == before


@pytest.mark.parametrize(
    "world, flavor, said",
    [
        ("no_jobs_permission", "cpu-basic", "token may not run Hugging Face Jobs"),
        ("read_token", "cpu-basic", "token may not run Hugging Face Jobs"),
        ("no_credit", "t4-small", "no credit or payment method for paid Jobs"),
        ("good", "a100-giant", "the Hub has no Jobs flavor 'a100-giant'"),
    ],
)
def test_what_the_preflight_refuses_stops_before_anything_is_read(
    tmp_path, tiny_model, hub_env, monkeypatch, capsys, world, flavor, said
):
    from fakes.hub_server import Token

    token = "hf_PreflightToken0123456789abcdef"
    hub_env.tokens[token] = {
        "no_jobs_permission": Token("alice", role="fineGrained", scoped=[
            {"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.write"]}]),
        "read_token": Token("alice", role="read"),
    }.get(world, Token("alice"))  # fmt: skip
    hub_env.jobs.credit = world != "no_credit"
    monkeypatch.setenv("HF_TOKEN", token)
    code = publish(tmp_path, tiny_model, "--hf-jobs", flavor, "--yes")
    _, err = capsys.readouterr()
    assert code == 2 and said in err, err
    assert len([x for x in err.splitlines() if x.startswith("Error:")]) == 1
    assert "Traceback" not in err and token not in err
    assert not (tmp_path / "bot").exists(), "nothing read, nothing prepared"
    assert not submitted(hub_env) and hub_env.repo("dataset", REPO) is None


def test_the_hub_refusing_payment_at_the_start_is_one_line(tmp_path, tiny_model, hub_env, capsys):  # fmt: skip
    before = seed_model(hub_env)
    hub_env.jobs.credit, hub_env.jobs.claims_credit = False, True
    code = publish(tmp_path, tiny_model, "--hf-jobs", "t4-small", "--yes")
    _, err = capsys.readouterr()
    assert code == 2
    assert "Error: the Hub refused the job: no credit or payment method for t4-small (HTTP 402)" in err  # fmt: skip
    assert not hub_env.jobs.jobs and hub_env.files("model", REPO) == before
    assert HUB_TOKEN not in err


def test_a_fine_grained_token_with_the_jobs_permission_passes_the_preflight(hub_env):
    from fakes.hub_server import Token

    token = "hf_JobsToken0123456789abcdef0123"
    hub_env.tokens[token] = Token("alice", role="fineGrained", global_perms=["job.write"])
    me, price = hf_jobs.preflight("t4-small", token)
    assert (
        me["name"] == "alice" and price.gpu and price.usd_per_hour == pytest.approx(0.40, rel=1e-3)
    )


def test_the_dated_price_table_stands_in_when_the_hardware_list_fails(hub_env):
    hub_env.jobs.hardware_answers = False
    _, price = hf_jobs.preflight("a10g-small", HUB_TOKEN)
    assert price.usd_per_hour == hf_jobs.PRICES["a10g-small"]
    assert price.source == f"the table of {hf_jobs.PRICES_DATE}"


def test_without_yes_the_cost_is_confirmed_first(
    tmp_path, tiny_model, hub_env, monkeypatch, capsys
):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic")
    _, err = capsys.readouterr()
    assert code == 2 and "Start the job (about $" in err and "no job was started" in err
    assert not submitted(hub_env) and hub_env.repo("dataset", REPO) is None


def test_a_dropped_connection_stops_following_and_job_follow_picks_up(
    tmp_path, tiny_model, hub_env, monkeypatch, capsys
):
    monkeypatch.setattr(hf_jobs, "sleep", lambda s: time.sleep(min(s, 0.5)))
    before = seed_model(hub_env)
    hub_env.fail(r"^/api/jobs/alice/[0-9a-f]+$", times=1000, method="GET", drop=True)
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes")
    _, err = capsys.readouterr()
    assert code == 2 and "lost the connection to the Hub while following job" in err
    assert "hf-tweetbot job DIR --follow" in err
    assert hub_env.files("model", REPO) == before

    hub_env.faults.clear()
    bot = tmp_path / "bot"
    assert cli.main(["job", str(bot), "--follow"]) == 0
    out, err = capsys.readouterr()
    assert f"Bot ready in {bot}" in out, err
    assert manifest.load(bot).hf_job["brought_back"]
    assert hub_env.files("model", REPO) != before


def test_detach_then_job_shows_and_cancels_it(tmp_path, tiny_model, hub_env, capsys):
    before = seed_model(hub_env)
    bot = tmp_path / "bot"
    assert publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", "--detach") == 0
    out, err = capsys.readouterr()
    assert f"hf-tweetbot job {bot} --follow" in out
    assert cli.main(["job", str(bot)]) == 0
    out, _ = capsys.readouterr()
    job_id = manifest.load(bot).hf_job["id"]
    assert out.startswith(f"Job {job_id}: ") and "flavor cpu-basic, ran" in out and "so far" in out
    # Ctrl-C while following detaches: the job goes on.
    said: list[str] = []

    def interrupted(line: str) -> None:
        said.append(line)
        if len(said) == 2:
            raise KeyboardInterrupt

    assert remote.follow(bot, HUB_TOKEN, interrupted) is None
    assert said[-1].startswith("Detached: the job goes on. Follow it: hf-tweetbot job")
    assert hub_env.jobs.jobs[job_id].stage in ("SCHEDULING", "RUNNING")
    assert cli.main(["job", str(bot), "--cancel"]) == 0
    _, err = capsys.readouterr()
    assert f"Cancelled job {job_id}" in err
    for _ in range(100):
        if hub_env.jobs.jobs[job_id].stage == "CANCELED":
            break
        time.sleep(0.1)
    assert hub_env.jobs.jobs[job_id].stage == "CANCELED"
    assert hub_env.files("model", REPO) == before


def test_job_flags_need_hf_jobs(tmp_path, capsys):
    code = cli.main(["publish", str(SAMPLE), "--yes"])
    _, err = capsys.readouterr()
    assert code == 2 and "--yes goes with --hf-jobs FLAVOR" in err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--hf-jobs", ""], "--hf-jobs '' is not a Jobs flavor"),
        (["--hf-jobs", "CPU-BASIC"], "--hf-jobs 'CPU-BASIC' is not a Jobs flavor"),
        (["--hf-jobs", "cpu-basic", "--timeout", "5x"], "--timeout '5x' is not a duration"),
    ],
)
def test_a_mistyped_flavor_or_timeout_is_said_before_anything_is_read(
    flags, said, tmp_path, capsys, monkeypatch
):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    code = cli.main(["publish", str(SAMPLE), "--out", str(tmp_path / "bot"), *flags])
    _, err = capsys.readouterr()
    assert code == 2 and f"Error: {said}" in err, err
    assert not (tmp_path / "bot").exists()


def test_the_estimate_grows_with_tokens_epochs_and_model_size():
    small = hf_jobs.estimate_minutes(1_000_000, 8, "t4-small", 135e6)
    assert hf_jobs.estimate_minutes(2_000_000, 8, "t4-small", 135e6) > small
    assert hf_jobs.estimate_minutes(1_000_000, 8, "t4-small", 1.5e9) > 5 * (small - hf_jobs.SETUP_MINUTES)  # fmt: skip
    cpu = hf_jobs.estimate_minutes(1_000_000, 8, "cpu-basic", 135e6)
    assert cpu - hf_jobs.SETUP_MINUTES > 9 * (small - hf_jobs.SETUP_MINUTES)
    p = hf_jobs.plan(hf_jobs.Price("t4-small", 0.4, "t", True), 30.0, None)
    assert p.timeout_s == 90 * 60 and p.cost == pytest.approx(0.2)
    assert hf_jobs.plan(p.price, 30.0, "2h").timeout_s == 7200
    assert hf_jobs.parse_timeout("90m") == 5400


def test_a_big_preset_trains_lora_and_a_long_cpu_run_names_hf_jobs():
    from publisher.bot.manifest import Manifest
    from publisher.pipeline import fit_to_base
    from publisher.train import TrainConfig

    said: list[str] = []
    m = Manifest("wren", "Qwen/Qwen2.5-1.5B", [], data={"train_tokens": 200_000})
    cfg = fit_to_base(m, TrainConfig(), said.append, cuda=False)
    assert cfg.lora and "1.5B parameters: training LoRA adapters" in said[0]
    assert said[1].startswith("Warning: training Qwen/Qwen2.5-1.5B on this CPU may take about")
    assert "`--hf-jobs a10g-small`" in said[1]
    said.clear()
    cfg = fit_to_base(m, TrainConfig(), said.append, cuda=True)
    assert cfg.lora and not any("Warning" in s for s in said)
    small = Manifest(
        "wren", "HuggingFaceTB/SmolLM2-135M-Instruct", [], data={"train_tokens": 20_000}
    )
    said.clear()
    assert not fit_to_base(small, TrainConfig(), said.append, cuda=False).lora and not said


def test_update_on_jobs_trains_the_new_posts_from_the_pushed_weights(tmp_path, tiny_model, hub_env, capsys):  # fmt: skip
    from benchmarks.bench_prepare import make_archive

    old, new = make_archive(tmp_path / "old.zip", 300), make_archive(tmp_path / "new.zip", 360)
    bot = tmp_path / "bot"
    assert cli.main(["publish", str(old), "--base-model", str(tiny_model), "--out", str(bot),
                     "--block-size", "64", "--max-steps", "2", "--eval-samples", "4"]) == 0  # fmt: skip
    repo = manifest.load(bot).repo_id
    first = hub_env.files("model", repo)
    capsys.readouterr()

    code = cli.main(["update", str(bot), str(new), "--max-steps", "2", "--hf-jobs", "cpu-basic", "--yes"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "@synthetic (archive): 60 new posts downloaded" in err
    assert "Training from the bot's weights on" in err  # the job's own line, relayed
    assert f"Bot ready in {bot}" in out
    (commit, *_) = hub_env.history("model", repo)
    assert commit.title.startswith("hf-tweetbot update: +")
    assert hub_env.files("model", repo)["model.safetensors"] != first["model.safetensors"]
    m = manifest.load(bot)
    assert m.users[0].tweets_downloaded == 360 and len(m.updates) == 1
    assert m.hf_job["brought_back"] and m.base_model == str(tiny_model)
    assert len((bot / "data" / "posts.jsonl").read_text().splitlines()) == m.users[0].tweets_kept
    assert (bot / "repo" / "model.safetensors").read_bytes() == commit.files["model.safetensors"]
    assert not list(bot.glob(".update-*"))


def test_a_public_dataset_stays_private_until_the_job_is_done(
    tmp_path, tiny_model, hub_env, capsys
):
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", "--dataset",
                   "--public-dataset")  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    created, *_ = [json.loads(e.body) for e in hub_env.log
                  if e.method == "POST" and e.path == "/api/repos/create"
                  and json.loads(e.body).get("type") == "dataset"]  # fmt: skip
    assert created.get("private") or created.get("visibility") == "private", (
        "the job's inputs never sit in a public repo"
    )
    assert not hub_env.repo("dataset", REPO).private
    files = hub_env.files("dataset", REPO)
    assert not [p for p in files if p.startswith("hf-tweetbot-job/")], "the inputs are gone"
    assert any(p.endswith(".parquet") for p in files), "the posts, as --dataset pushes them"
    assert f"Dataset repo {REPO} is public now (--public-dataset)" in err


def test_a_cancelled_job_is_resumed_from_the_checkpoint_it_sent(tmp_path, tiny_model, hub_env, capsys):  # fmt: skip
    steps = ["--max-steps", "4", "--checkpoint-every", "2"]
    hub_env.jobs.cancel_on = "Checkpoint step_000002 sent"
    assert publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", *steps) == 2
    _, err = capsys.readouterr()
    assert "ended CANCELED" in err
    sent = [
        p for p in hub_env.files("dataset", REPO) if p.startswith("hf-tweetbot-job/checkpoint/")
    ]
    assert "hf-tweetbot-job/checkpoint/step_000002/hf_tweetbot.json" in sent

    hub_env.jobs.cancel_on = None
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", *steps)
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "The job resumes from the checkpoint an earlier job sent" in err
    assert "Resuming from step_000002 (2 of 4 steps done" in err
    assert manifest.load(tmp_path / "bot").training["steps"] == 4
    # Trained: the checkpoint is gone from the dataset repo.
    assert not any(p.startswith("hf-tweetbot-job/checkpoint/") for p in hub_env.files("dataset", REPO))  # fmt: skip


def test_restart_leaves_an_earlier_jobs_checkpoint_behind(tmp_path, tiny_model, hub_env, capsys):
    steps = ["--max-steps", "4", "--checkpoint-every", "2"]
    hub_env.jobs.cancel_on = "Checkpoint step_000002 sent"
    assert publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", *steps) == 2
    hub_env.jobs.cancel_on = None
    capsys.readouterr()
    code = publish(tmp_path, tiny_model, "--hf-jobs", "cpu-basic", "--yes", "--restart", *steps)
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "resumes from the checkpoint" not in err and "Resuming from" not in err
