"""The bot folder: --overwrite replaces a bot and nothing else; killed runs leave nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO_ROOT

from publisher import cli
from publisher.bot import manifest, outdir
from publisher.errors import OutputExistsError

SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


def prepare(capsys, tiny_model, *args: str) -> tuple[int, str]:
    code = cli.main(["prepare", *args, "--base-model", str(tiny_model), "--block-size", "64"])
    return code, capsys.readouterr().err


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- --overwrite replaces a bot and nothing else -------------------------------------------------


def refused_either_way(capsys, tiny_model, src: Path, out: Path, plain: str, overwrite: str):
    """`prepare SRC --out OUT` refused with `plain`, then with --overwrite refused with
    `overwrite`; no hint suggests --overwrite, and nothing in OUT changes."""
    before = snapshot(out)
    code, err = prepare(capsys, tiny_model, str(src), "--out", str(out))
    assert code == 2 and plain in err and "--overwrite" not in err, err
    code, err = prepare(capsys, tiny_model, str(src), "--out", str(out), "--overwrite")
    assert code == 2 and overwrite in err, err
    assert snapshot(out) == before


def test_overwrite_never_touches_the_extracted_archive_it_reads(tmp_path, tiny_model, capsys):
    # The case that lost data: --out the archive's own folder; the hint said --overwrite,
    # which then replaced its data/ (tweets.js and all) with the bot's.
    folder = tmp_path / "archive"
    with zipfile.ZipFile(SAMPLE) as zf:
        zf.extractall(folder)
    refused_either_way(capsys, tiny_model, folder, folder, "is the input itself", "is the input")


def test_overwrite_refuses_a_folder_holding_more_than_a_bot(tmp_path, tiny_model, capsys):
    out = tmp_path / "photos"
    (out / "data").mkdir(parents=True)
    (out / "data" / "mine.txt").write_text("mine")
    (out / "holiday.jpg").write_bytes(b"\xff\xd8 not ours")
    refused_either_way(capsys, tiny_model, SAMPLE, out, "not empty and holds no bot",
                       "not part of a bot (holiday.jpg)")  # fmt: skip


def test_overwrite_replaces_another_bot_whole(tmp_path, tiny_model, capsys):
    out = tmp_path / "bot"
    (out / "repo").mkdir(parents=True)
    (out / "repo" / "model.safetensors").write_bytes(b"old weights")
    (out / "raw").mkdir()
    m = manifest.Manifest(model_name="someoneelse", base_model="gpt2", users=[])
    manifest.save(m, out)
    code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out))
    assert code == 2 and "holds another bot (someoneelse)" in err and "--overwrite" in err
    code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out), "--overwrite")
    assert code == 0, err
    assert manifest.load(out).model_name == "wrencalloway"
    assert sorted(p.name for p in out.iterdir()) == ["avatars", "bot.json", "data"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


def test_preparing_a_trained_pushed_bot_again_is_refused_and_keeps_its_record(tmp_path, tiny_model, capsys):  # fmt: skip
    """`prepare` (and `publish`) over a trained, pushed bot would leave new posts beside the old
    model and forget where it lives: refused, nothing changed; --overwrite starts it over."""
    out = tmp_path / "bot"
    assert prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out))[0] == 0
    m = manifest.load(out)
    m.repo_id, m.space_repo_id, m.gguf_files = "acme/wrencalloway", "acme/wrencalloway", ["w.gguf"]
    m.quality = {"copy_rate": 0.0}
    manifest.save(m, out)
    (out / "repo").mkdir()
    (out / "repo" / "config.json").write_text("{}")
    (out / "repo" / "model.safetensors").write_bytes(b"trained weights")
    before = snapshot(out)
    code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out))
    assert code == 2 and "Traceback" not in err, err
    first, hint = err.strip().splitlines()
    assert first == (f"Error: {out} holds the trained bot wrencalloway (pushed to acme/wrencalloway); "
                     "preparing it again would lose its model's record")  # fmt: skip
    assert f"hf-tweetbot update {out}" in hint and "--overwrite" in hint
    code = cli.main(["publish", str(SAMPLE), "--out", str(out), "--base-model", str(tiny_model), "--no-push"])  # fmt: skip
    assert code == 2 and "holds the trained bot wrencalloway" in capsys.readouterr().err
    assert snapshot(out) == before
    code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out), "--overwrite")
    assert code == 0, err
    assert manifest.load(out).repo_id is None and not (out / "repo").exists(), (
        "one bot, started over"
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


def test_an_out_that_is_a_file_is_one_line_even_with_overwrite(tmp_path, tiny_model, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    for extra in ([], ["--overwrite"]):
        code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out), *extra)
        assert code == 2 and "is a file, not a bot folder" in err
    assert out.read_text() == "keep me"


def test_hidden_names_of_our_own_runs_are_part_of_a_bot(tmp_path):
    out = tmp_path / "bot"
    for name in ("data", ".repo.tmp-x1", ".repo-old-123", ".bot.json.abc.tmp"):
        (out / name).mkdir(parents=True)
    outdir.check_out_dir(out, "wren", overwrite=True)
    (out / ".git").mkdir()
    with pytest.raises(OutputExistsError, match=r"not part of a bot \(\.git\)"):
        outdir.check_out_dir(out, "wren", overwrite=True)


# --- staging folders of killed runs are swept, live ones never ---------------------------------

_HOLD = """
import sys, time
from pathlib import Path
from publisher.bot import outdir
with outdir.staging_dir(Path(sys.argv[1]), sys.argv[2]) as stage:
    print(stage, flush=True)
    time.sleep(600)
"""

_SLOW_PREPARE = """
import sys, time
from pathlib import Path
from publisher import dataset, pipeline
from publisher.sources.spec import parse
real = dataset.save
def slow_save(*args, **kwargs):  # a slow disk: the stage lives long enough to be killed in
    info = real(*args, **kwargs)
    print("STAGED", flush=True)
    time.sleep(600)
    return info
dataset.save = slow_save
opts = pipeline.PrepareOptions(out=Path(sys.argv[2]), base_model=sys.argv[3])
opts.data.block_size = 64
pipeline.prepare([parse(sys.argv[1])], opts, say=lambda _: None)
"""


def _start(code: str, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline().strip() if proc.stdout else ""
    return proc, line


@pytest.mark.slow  # kills a process of its own
def test_a_prepare_killed_with_sigkill_is_swept_by_the_next_run_a_live_one_is_not(
    tmp_path, tiny_model, capsys
):
    out = tmp_path / "bot"
    prefix = outdir.prefix_beside(out)
    live, live_stage = _start(_HOLD, str(tmp_path), prefix)
    killed, line = _start(_SLOW_PREPARE, str(SAMPLE), str(out), str(tiny_model))
    try:
        assert line == "STAGED"
        stages = sorted(p.name for p in tmp_path.glob(prefix + "*") if p.is_dir())
        assert len(stages) == 2
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert len([p for p in tmp_path.glob(prefix + "*") if p.is_dir()]) == 2, "left behind"

        code, err = prepare(capsys, tiny_model, str(SAMPLE), "--out", str(out))
        assert code == 0, err
        left = sorted(p for p in tmp_path.glob(prefix + "*"))
        assert left == [Path(live_stage), Path(live_stage + ".lock")], "only the live one stays"
        assert manifest.load(out).model_name == "wrencalloway"
    finally:
        for proc in (live, killed):
            proc.kill()
            proc.wait(timeout=30)
    assert [p.name for p in outdir.sweep(tmp_path, prefix)] == [Path(live_stage).name]
    assert not list(tmp_path.glob(prefix + "*"))


def test_folders_not_named_as_ours_are_never_swept(tmp_path):
    out = tmp_path / "bot"
    keep = [tmp_path / ".bot.tmp", tmp_path / ".bot.tmpfoo", tmp_path / "bot.tmp-1", out / ".repo"]
    for path in keep:
        path.mkdir(parents=True)
    (tmp_path / ".bot.tmp-link").symlink_to(tmp_path / "bot.tmp-1")
    stale = [tmp_path / ".bot.tmp-dead1", out / ".repo.tmp-dead2", out / ".repo-old-99"]
    for path in stale:
        path.mkdir(parents=True)
    assert sorted(outdir.sweep_bot(out)) == sorted(stale)
    assert all(p.exists() for p in keep) and (tmp_path / ".bot.tmp-link").is_symlink()


def test_an_orphan_lock_is_removed_only_once_old(tmp_path):
    lock = tmp_path / ".bot.tmp-abc.lock"
    lock.touch()
    outdir.sweep(tmp_path, ".bot.tmp-")
    assert lock.exists(), "a fresh lock may belong to a run about to create its folder"
    old = lock.stat().st_mtime - 2 * outdir.ORPHAN_LOCK_SECONDS
    os.utime(lock, (old, old))
    outdir.sweep(tmp_path, ".bot.tmp-")
    assert not lock.exists()
