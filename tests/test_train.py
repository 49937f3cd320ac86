from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from PIL import Image

from publisher import train
from publisher.bot import manifest
from publisher.train import TrainConfig
from publisher.train import checkpoints as train_io


def cfg(**kw):
    return TrainConfig(**{"progress": False, "mixed_precision": "no", **kw})


def test_training_lowers_validation_loss_and_writes_the_repo(prepared_bot):
    metrics = train.train(prepared_bot, cfg(max_steps=40, learning_rate=2e-3))
    assert metrics.eval_loss_after < metrics.eval_loss_before
    assert metrics.perplexity_after < metrics.perplexity_before
    assert metrics.train_tokens > 0 and metrics.tokens_per_second > 0

    repo = prepared_bot / "repo"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "generation_config.json",
                 "bot_info.json", "training_metrics.json", "loss_curve.png"):  # fmt: skip
        assert (repo / name).exists(), name
    assert list((repo / "runs").rglob("events.out.tfevents.*")), "TensorBoard logs missing"
    gen = json.loads((repo / "generation_config.json").read_text())
    assert gen["do_sample"] is True and gen["top_p"] == 0.95 and gen["max_length"] == 160
    assert gen["min_length"] == 10 and gen["temperature"] == 1.0
    params = json.loads((repo / "config.json").read_text())["task_specific_params"]
    assert params["text-generation"]["prefix"] == "<|endoftext|>"
    assert Image.open(repo / "loss_curve.png").size == (900, 500)
    saved = manifest.load(prepared_bot).metrics
    assert saved.perplexity_after == metrics.perplexity_after
    assert not (prepared_bot / "checkpoints").exists(), "checkpoints are removed once done"


def test_resume_continues_from_the_last_checkpoint(prepared_bot, monkeypatch):
    real_save = train_io.Checkpoints.save

    def crash_after_first_checkpoint(self, accelerator, step, extra=None):
        real_save(self, accelerator, step, extra)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_io.Checkpoints, "save", crash_after_first_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        train.train(prepared_bot, cfg(max_steps=12, checkpoint_every=5))
    assert (prepared_bot / "checkpoints" / "step_000005").exists()
    assert not (prepared_bot / "repo").exists(), "no half-written repo after a crash"

    monkeypatch.setattr(train_io.Checkpoints, "save", real_save)
    train.train(prepared_bot, cfg(max_steps=12, checkpoint_every=5, resume=True))
    history = json.loads((prepared_bot / "repo" / "training_metrics.json").read_text())
    steps = [s for s, _ in history["loss_history"]]
    assert steps == list(range(6, 13)), "resumed at step 6, not from scratch"


def crash_after_first_checkpoint(monkeypatch, bot, **run) -> None:
    """Train `bot` until its first checkpoint is saved, then stop as Ctrl-C would."""
    real_save = train_io.Checkpoints.save

    def save_then_stop(self, accelerator, step, extra=None):
        real_save(self, accelerator, step, extra)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_io.Checkpoints, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train.train(bot, cfg(**run))
    monkeypatch.setattr(train_io.Checkpoints, "save", real_save)


def steps_trained(bot) -> list[int]:
    history = json.loads((bot / "repo" / "training_metrics.json").read_text())
    return [s for s, _ in history["loss_history"]]


def test_a_resumed_run_reports_the_base_models_perplexity_not_the_checkpoints(prepared_bot, tmp_path, monkeypatch):  # fmt: skip
    import shutil

    run = dict(max_steps=12, checkpoint_every=6, learning_rate=3e-3, report_to="none")
    straight = tmp_path / "straight"
    shutil.copytree(prepared_bot, straight)
    base = train.train(straight, cfg(**run)).perplexity_before
    crash_after_first_checkpoint(monkeypatch, prepared_bot, **run)
    resumed = train.train(prepared_bot, cfg(**run, resume=True))
    assert steps_trained(prepared_bot) == list(range(7, 13))
    assert resumed.perplexity_before == base, "the base model's figure, measured once"
    assert manifest.load(prepared_bot).metrics.perplexity_before == base


def test_training_again_resumes_a_checkpoint_of_the_same_run_by_default(prepared_bot, monkeypatch, capfd):  # fmt: skip
    run = dict(max_steps=12, checkpoint_every=5)
    crash_after_first_checkpoint(monkeypatch, prepared_bot, **run)
    capfd.readouterr()
    train.train(prepared_bot, cfg(**run))
    assert steps_trained(prepared_bot) == list(range(6, 13)), "resumed at step 6"
    err = capfd.readouterr().err
    assert "Resuming from step_000005 (5 of 12 steps done; --restart starts over)" in err


def test_a_checkpoint_of_another_run_is_refused_then_restart_starts_over(prepared_bot, monkeypatch):  # fmt: skip
    from publisher.errors import TrainingError

    crash_after_first_checkpoint(monkeypatch, prepared_bot, max_steps=12, checkpoint_every=5)
    with pytest.raises(TrainingError) as e:
        train.train(prepared_bot, cfg(max_steps=12, checkpoint_every=5, learning_rate=1e-3))
    assert "is a checkpoint of another run (different learning_rate)" in e.value.message
    assert "--restart" in e.value.hint
    assert (prepared_bot / "checkpoints" / "step_000005").is_dir(), "never thrown away unasked"
    train.train(
        prepared_bot, cfg(max_steps=12, checkpoint_every=5, learning_rate=1e-3, restart=True)
    )
    assert steps_trained(prepared_bot) == list(range(1, 13))


def test_ctrl_c_says_how_to_resume_and_the_folder_is_held_meanwhile(prepared_bot, capsys):
    """While `train` runs, a second writer is told who holds the folder and a reader that
    training is in progress; Ctrl-C (SIGINT) then ends it with exit 130 and one line naming
    the command that resumes it."""
    import signal
    import time

    from publisher import cli

    args = ["train", str(prepared_bot), "--max-steps", "2000", "--checkpoint-every", "3",
            "--mixed-precision", "no", "--report-to", "none"]  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "publisher.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((prepared_bot / "checkpoints").glob("step_*")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        time.sleep(0.01)
    try:
        assert cli.main(["train", str(prepared_bot), "--max-steps", "2"]) == 2
        err = capsys.readouterr().err
        assert f"{prepared_bot} is being written by hf-tweetbot train {prepared_bot}" in err, err
        assert f"(pid {proc.pid}, training)" in err
        assert cli.main(["generate", str(prepared_bot)]) == 2
        err = capsys.readouterr().err
        assert f"Error: {prepared_bot}: training in progress (hf-tweetbot train" in err, err
        assert "Hint: hf-tweetbot train" not in err
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"Training interrupted: `hf-tweetbot train {prepared_bot}` resumes it "
                           "from its checkpoint ("), err[-2000:]  # fmt: skip
    assert last.endswith(" of 2000 steps done)") and "Traceback" not in err
    assert not (prepared_bot / ".lock").exists(), "the lock went with its run"


def test_another_base_model_retokenizes(prepared_bot, tiny_llama):
    train.train(prepared_bot, cfg(base_model=str(tiny_llama), max_steps=2))
    m = manifest.load(prepared_bot)
    assert m.base_model == str(tiny_llama) and m.data["tokenizer"] == str(tiny_llama)
    assert json.loads((prepared_bot / "repo" / "config.json").read_text())["model_type"] == "llama"


def test_auto_precision_picks_bf16_only_where_supported(monkeypatch):
    monkeypatch.setenv("HF_TWEETBOT_NO_BF16", "1")
    from publisher.space.load import bf16_supported

    bf16_supported.cache_clear()
    assert train.resolve_precision("auto") == "no"
    assert train.resolve_precision("bf16") == "bf16"
    monkeypatch.delenv("HF_TWEETBOT_NO_BF16")
    bf16_supported.cache_clear()
    with open("/proc/cpuinfo") as f:
        native = "avx512_bf16" in f.read() or "amx_bf16" in f.read()
    assert train.resolve_precision("auto") == ("bf16" if native else "no")


def test_runs_unchanged_under_accelerate_launch_with_two_processes(prepared_bot):
    # accelerate 1.15 starts `--cpu --num_processes 2` as ONE process (its simple launcher);
    # `--multi_gpu` on a machine without CUDA starts two processes joined by gloo (MULTI_CPU).
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for flags in (["--cpu"], ["--multi_gpu"]):
        cmd = [sys.executable, "-m", "accelerate.commands.launch", *flags, "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "-m", "publisher.cli", "train", str(prepared_bot), "--max-steps", "4"]  # fmt: skip
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert (prepared_bot / "repo" / "model.safetensors").exists()
        assert manifest.load(prepared_bot).metrics.eval_loss_after is not None


def logged(bot, tag: str) -> list[tuple[int, float]]:
    """(step, value) of a scalar the run logged to TensorBoard (DIR/repo/runs/)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(bot / "repo" / "runs" / "train"))
    events.Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)]


def test_two_processes_follow_the_single_process_learning_rate(prepared_bot, tmp_path):
    import math
    import shutil

    # The same global batch: 2 processes x 1 block, or 1 process accumulating 2 blocks.
    steps, lr = 8, 2e-3
    two = tmp_path / "two"
    shutil.copytree(prepared_bot, two)
    one = train.train(prepared_bot, cfg(max_steps=steps, learning_rate=lr, grad_accum=2))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "-m", "publisher.cli", "train", str(two), "--max-steps", str(steps),
           "--lr", str(lr), "--checkpoint-every", "0"]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]

    cosine = [lr * 0.5 * (1 + math.cos(math.pi * k / steps)) for k in range(1, steps + 1)]
    for bot in (prepared_bot, two):
        assert [s for s, _ in logged(bot, "train/lr")] == list(range(1, steps + 1))
        assert [v for _, v in logged(bot, "train/lr")] == pytest.approx(cosine, rel=1e-5, abs=1e-9)
    drop_one = one.eval_loss_before - one.eval_loss_after
    after_two = manifest.load(two).metrics
    drop_two = after_two.eval_loss_before - after_two.eval_loss_after
    assert drop_one > 0.1 and drop_two == pytest.approx(drop_one, rel=0.15)


def test_attention_mode_changes_what_the_model_is_trained_and_scored_on(prepared_bot):
    posts = train.train(prepared_bot, cfg(max_steps=2))
    config = (prepared_bot / "repo" / "config.json").read_text()
    assert "hf_tweetbot_posts" not in config, "the pushed config must load without hf-tweetbot"
    block = train.train(prepared_bot, cfg(max_steps=2, attention="block"))
    # Post by post, a token never sees the posts before it: the same weights score differently.
    assert posts.eval_loss_before != block.eval_loss_before


def test_an_unknown_attention_mode_is_refused(prepared_bot):
    from publisher.errors import TrainingError

    with pytest.raises(TrainingError, match="unknown attention 'sideways'") as e:
        train.train(prepared_bot, cfg(max_steps=1, attention="sideways"))
    assert e.value.hint == "use --attention posts or block"


@pytest.mark.parametrize("arch", ["tiny_qwen2", "tiny_neox"])
def test_the_same_loop_trains_qwen2_and_gpt_neox(prepared_bot, request, arch):
    folder = request.getfixturevalue(arch)
    metrics = train.train(
        prepared_bot, cfg(base_model=str(folder), max_steps=20, learning_rate=2e-3)
    )
    assert metrics.eval_loss_after < metrics.eval_loss_before
    config = json.loads((prepared_bot / "repo" / "config.json").read_text())
    assert config["model_type"] == {"tiny_qwen2": "qwen2", "tiny_neox": "gpt_neox"}[arch]
    assert "hf_tweetbot_posts" not in json.dumps(config), "saved with sdpa"
    assert manifest.load(prepared_bot).base_is_chat is False


def test_kill_9_while_training_then_resume_ends_with_the_same_weights(prepared_bot, tmp_path):
    """A run killed with SIGKILL (no handler runs) resumes to bitwise the weights of one that
    never stopped: data order, dropout RNG, optimizer and schedule all come back exactly."""
    import shutil
    import signal
    import time

    from safetensors.torch import load_file

    from publisher import cli

    steps, every = 16, 4
    killed = tmp_path / "killed"
    shutil.copytree(prepared_bot, killed)
    args = ["--max-steps", str(steps), "--checkpoint-every", str(every), "--mixed-precision",
            "no", "--report-to", "none", "--keep-last"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli", "train", str(killed), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((killed / "checkpoints").glob("step_*")) and time.monotonic() < deadline:
        assert proc.poll() is None, "training ended before it could be killed"
        time.sleep(0.005)
    time.sleep(0.05)  # somewhere after the first checkpoint, maybe while saving the next
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert not (killed / "repo").exists()

    assert (killed / ".lock").exists(), "kill -9 leaves the lock file; no process holds it"
    # The same command again resumes its checkpoint: the dead run's lock is no obstacle.
    assert cli.main(["train", str(killed), *args, "--eval-samples", "0"]) == 0
    run = dict(max_steps=steps, checkpoint_every=every, report_to="none")
    train.train(prepared_bot, cfg(**run))
    resumed = load_file(killed / "repo" / "model.safetensors")
    straight = load_file(prepared_bot / "repo" / "model.safetensors")
    assert resumed.keys() == straight.keys()
    for name, tensor in straight.items():
        assert torch.equal(resumed[name], tensor), name
    assert not [p.name for p in killed.iterdir() if p.name.startswith(".")], "staging left behind"


_FULL_DISK = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))  # EFBIG past 100 kB, like ENOSPC
from publisher.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_while_writing_the_repo_keeps_the_earlier_one(prepared_bot):
    train.train(prepared_bot, cfg(max_steps=2, report_to="none"))
    before = {p: p.read_bytes() for p in (prepared_bot / "repo").rglob("*") if p.is_file()}
    args = ["train", str(prepared_bot), "--max-steps", "2", "--checkpoint-every", "0",
            "--report-to", "none", "--mixed-precision", "no"]  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK, *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "could not write the trained model (File too large" in errors[0]
    assert f"{prepared_bot / 'repo'} is as it was" in errors[0]
    assert {p: p.read_bytes() for p in (prepared_bot / "repo").rglob("*") if p.is_file()} == before
    assert not [p for p in prepared_bot.iterdir() if p.name.startswith(".")]
