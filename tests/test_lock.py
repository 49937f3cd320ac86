"""One writer at a time in a bot folder (publisher/bot/lock.py), whoever the second one is."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from publisher import cli
from publisher.bot import layout, lock
from publisher.errors import BusyError

HOLD = """
import sys, time
from pathlib import Path
from publisher.bot import layout, lock
command, folder, doing = sys.argv[1:]
sys.argv = ["hf-tweetbot", command, folder]
with lock.writing(Path(folder), doing):
    print("held", flush=True)
    time.sleep(120)
"""


def holding(folder: Path, command: str, doing: str) -> subprocess.Popen:
    """A process that holds `folder` as `hf-tweetbot COMMAND FOLDER` would, until stopped."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, command, str(folder), doing],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_second_writer_is_told_who_holds_the_folder_and_nothing_changes(prepared_bot, hub_env, capsys):  # fmt: skip
    proc = holding(prepared_bot, "train", lock.TRAINING)
    try:
        before = sorted(p.name for p in prepared_bot.iterdir())
        for args in (["train", str(prepared_bot), "--max-steps", "1"],
                     ["eval", str(prepared_bot)], ["export", str(prepared_bot), "--gguf"],
                     ["push", str(prepared_bot)]):  # fmt: skip
            code = cli.main(args)
            err = capsys.readouterr().err
            assert code == 2 and "Traceback" not in err, (args, err)
            first = err.splitlines()[0]
            assert first == (f"Error: {prepared_bot} is being written by hf-tweetbot train "
                             f"{prepared_bot} (pid {proc.pid}, training); nothing was changed")  # fmt: skip
        assert sorted(p.name for p in prepared_bot.iterdir()) == before
    finally:
        proc.kill()
        proc.wait()


def test_a_reader_hears_training_is_in_progress_not_to_train(prepared_bot, capsys):
    assert cli.main(["generate", str(prepared_bot)]) == 2
    assert f"Hint: hf-tweetbot train {prepared_bot}" in capsys.readouterr().err
    proc = holding(prepared_bot, "train", lock.TRAINING)
    try:
        assert cli.main(["generate", str(prepared_bot)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines == [
            f"Error: {prepared_bot}: training in progress (hf-tweetbot train {prepared_bot}, pid {proc.pid})",
            "Hint: wait for it to end, then run this command again",
        ]
    finally:
        proc.kill()
        proc.wait()


def test_the_lock_of_a_killed_run_is_no_obstacle(tmp_path):
    folder = tmp_path / "bot"
    folder.mkdir()
    proc = holding(folder, "prepare", "preparing")
    assert lock.holder(folder) == lock.Holder(
        proc.pid, f"hf-tweetbot prepare {folder}", "preparing"
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert layout.lock_file(folder).exists(), "kill -9 runs no clean-up"
    assert lock.holder(folder) is None, "the kernel dropped the lock with its process"
    with lock.writing(folder, "training"):
        assert lock.holder(folder).doing == "training"
    assert list(folder.iterdir()) == [], "the lock file goes with the run that held it"


def test_one_run_may_nest_its_stages_another_thread_may_not(tmp_path):
    folder = tmp_path / "bots" / "new"
    seen: list[BaseException] = []

    def second_writer() -> None:
        try:
            with lock.writing(folder, "pushing"):
                pass
        except BusyError as e:
            seen.append(e)

    with lock.writing(folder, "preparing", create=True):
        with lock.writing(folder, lock.TRAINING):
            assert lock.holder(folder).doing == lock.TRAINING
            t = threading.Thread(target=second_writer)
            t.start()
            t.join()
        assert lock.holder(folder).doing == "preparing"
    assert len(seen) == 1 and "is being written by" in seen[0].message
    assert not (tmp_path / "bots").exists(), "folders the run created and left empty are removed"


def test_a_prepare_into_a_held_folder_writes_nothing_there(tmp_path, prepared_bot, tiny_model, capsys):  # fmt: skip
    from testkit.posts import write_posts_jsonl

    src = write_posts_jsonl(tmp_path / "wren.jsonl")
    proc = holding(prepared_bot, "update", "updating")
    try:
        before = {p: p.stat().st_mtime_ns for p in prepared_bot.rglob("*")}
        code = cli.main(["prepare", f"wren={src}", "--out", str(prepared_bot),
                         "--base-model", str(tiny_model)])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and f"(pid {proc.pid}, updating); nothing was changed" in err, err
        assert "posts downloaded" not in err, "said before a post is read"
        assert {p: p.stat().st_mtime_ns for p in prepared_bot.rglob("*")} == before
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("argv0", ["/usr/bin/hf-tweetbot", "/x/publisher/cli/__main__.py"])
def test_the_holder_is_named_as_typed(monkeypatch, argv0):
    monkeypatch.setattr(sys, "argv", [argv0, "train", "bots/ada lovelace"])
    assert lock.command_line() == "hf-tweetbot train 'bots/ada lovelace'"


def test_a_writer_of_a_missing_folder_names_the_closest_and_creates_nothing(tmp_path):
    from publisher.errors import ManifestError

    (tmp_path / "bots" / "wrencalloway").mkdir(parents=True)
    (tmp_path / "bots" / "wrencalloway" / "bot.json").write_text("{}")
    with pytest.raises(ManifestError) as e, lock.writing(tmp_path / "bots" / "wrencallowy", "measuring", create=False):  # fmt: skip
        pass
    assert e.value.message == f"no such bot folder: {tmp_path / 'bots' / 'wrencallowy'}"
    assert e.value.hint == f"did you mean {tmp_path / 'bots' / 'wrencalloway'}?"
    assert sorted(p.name for p in (tmp_path / "bots").iterdir()) == ["wrencalloway"]
