"""The terminal: our lines and progress only; libraries' bars and warnings only with --verbose."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES

from publisher import console

# What the libraries print on their own during a publish (bars, logs, warnings).
LIBRARY_TEXT = ("Saving the dataset", "Loading weights", "Creating parquet", "Writing model shards",
                "%|", "it/s]", "warn(", "FutureWarning", "UserWarning",
                "DeprecationWarning", "huggingface/tokenizers")  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_in_a_pipe_is_plain_lines_at_each_quarter():
    out = io.StringIO()
    bar = console.Progress(8, "Training", stream=out)
    for _ in range(8):
        bar.update()
        bar.set_postfix(loss="3.210")
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 4  # 2/8, 4/8, 6/8, then the last
    assert lines[0].startswith("Training: 2/8 steps") and lines[-1].startswith("Training: 8/8 steps")  # fmt: skip
    assert lines[-1].endswith("loss 3.210")


def test_progress_on_a_terminal_redraws_one_line():
    out = Terminal()
    bar = console.Progress(100, "Training", stream=out, interval=0)
    for _ in range(100):
        bar.update()
    bar.write("a message above the bar")
    bar.close()
    bar.close()
    text = out.getvalue()
    assert text.count("\n") == 2 and text.count("\r") >= 100  # the message line, the final line
    assert text.rstrip("\n").rsplit("\r", 1)[1].startswith("Training: 100/100 steps")


def test_disabled_progress_prints_nothing():
    out = Terminal()
    with console.Progress(3, "Training", stream=out, disable=True) as bar:
        bar.update(3)
    assert out.getvalue() == ""


@pytest.mark.parametrize(("seconds", "text"), [(4.21, "4.2 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")])  # fmt: skip
def test_duration(seconds, text):
    assert console.duration(seconds) == text


def run_cli(tmp_path, tiny_model, *args: str) -> subprocess.CompletedProcess:
    """`hf-tweetbot ARGS` on the sample archive, into a pipe, with the libraries' defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_HUB_DISABLE_PROGRESS", "HF_DATASETS", "TRANSFORMERS_", "TOKENIZERS_"))}  # fmt: skip
    sample = ["--base-model", str(tiny_model), "--out", str(tmp_path / "bot"), "--block-size", "64", "--overwrite"]  # fmt: skip
    args = tuple(a.replace("SAMPLE", str(EXAMPLES / "wrencalloway_archive.zip")) for a in args)
    cmd = [sys.executable, "-m", "publisher.cli", *args, *sample]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.mark.slow  # publishes a bot in a process of its own
def test_publish_into_a_pipe_prints_only_what_a_person_reads(tmp_path, tiny_model):
    quiet = run_cli(tmp_path, tiny_model, "publish", "SAMPLE", "--no-push", "--max-steps", "2")
    text = quiet.stdout + quiet.stderr
    assert "\r" not in text
    assert [t for t in LIBRARY_TEXT if t in text] == []
    assert "@wrencalloway:" in text and "Training: 2/2 steps" in text
    assert f"hf-tweetbot generate {tmp_path / 'bot'}" in text  # the next command
    # Counts, training, each sampling setting as eval tries it (8), the quality block, the next step.
    assert len(text.splitlines()) <= 32, text

    loud = run_cli(tmp_path, tiny_model, "--verbose", "prepare", "SAMPLE")
    assert "Saving the dataset" in loud.stderr  # --verbose lets the libraries speak
    assert "@wrencalloway:" in loud.stderr
