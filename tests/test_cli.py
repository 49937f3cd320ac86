"""The command line as a user meets it: one-line errors, exit status 2, nothing written."""

from __future__ import annotations

import json
import sys

import pytest

from benchmarks.hostile_cases import CASES, SUITE_CAPS
from publisher import cli
from publisher.bot import manifest
from publisher.sources import limits
from testkit.posts import write_posts_jsonl


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    hints = [line for line in err.splitlines() if line.startswith("Hint: ")]
    assert len(errors) == 1 and len(hints) <= 1, err
    for needle in needles:
        assert needle in err


def test_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("prepare", "train", "publish", "generate", "card", "push", "space"):
        assert command in out


def test_more_than_three_users_is_refused(capsys, tmp_path):
    code, _, err = run(
        capsys, "prepare", "a=x.csv", "b=y.csv", "c=z.csv", "d=w.csv", "--out", str(tmp_path / "o")
    )
    assert_one_line_error(code, err, "4 users", "at most 3")
    assert not (tmp_path / "o").exists()


def test_the_same_user_twice_is_refused(capsys, tmp_path, tiny_model):
    src = write_posts_jsonl(tmp_path / "wren.jsonl")
    code, _, err = run(capsys, "prepare", str(src), str(src), "--base-model", str(tiny_model))
    assert_one_line_error(code, err, "twice")


def test_a_missing_path_is_refused_and_nothing_written(capsys, tmp_path, tiny_model):
    out = tmp_path / "bot"
    code, _, err = run(
        capsys,
        "prepare",
        str(tmp_path / "nope.zip"),
        "--out",
        str(out),
        "--base-model",
        str(tiny_model),
    )
    assert_one_line_error(code, err, "nope.zip")
    assert not out.exists()


def test_an_output_folder_holding_another_bot_is_refused_unless_overwrite(
    capsys, tmp_path, tiny_model
):
    out = tmp_path / "bot"
    a = write_posts_jsonl(tmp_path / "ada.jsonl")
    b = write_posts_jsonl(tmp_path / "bob.jsonl", seed=1)
    base = ["--base-model", str(tiny_model), "--block-size", "64", "--out", str(out)]
    assert run(capsys, "prepare", str(a), *base)[0] == 0
    before = (out / "bot.json").read_bytes()
    code, _, err = run(capsys, "prepare", str(b), *base)
    assert_one_line_error(code, err, "another bot (ada)", "--overwrite")
    assert (out / "bot.json").read_bytes() == before, "the earlier bot is untouched"
    assert run(capsys, "prepare", str(b), *base, "--overwrite")[0] == 0
    assert json.loads((out / "bot.json").read_text())["model_name"] == "bob"


def test_too_few_tweets_stops_the_run(capsys, tmp_path, tiny_model):
    src = write_posts_jsonl(tmp_path / "tiny.jsonl", n=20)
    code, _, err = run(
        capsys, "prepare", str(src), "--base-model", str(tiny_model), "--out", str(tmp_path / "o")
    )
    assert_one_line_error(code, err, "not enough tweets")
    assert not (tmp_path / "o").exists()


def test_debug_env_shows_the_traceback(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TWEETBOT_DEBUG", "1")
    from publisher.errors import TweetbotError

    with pytest.raises(TweetbotError):
        cli.main(["prepare", str(tmp_path / "nope.zip")])


def test_generate_prints_n_posts_that_start_with_the_prompt(capsys, prepared_bot):
    from publisher import train

    train.train(prepared_bot, train.TrainConfig(max_steps=2, progress=False))
    code, out, _ = run(
        capsys,
        "generate",
        str(prepared_bot),
        "The lighthouse",
        "-n",
        "3",
        "--max-new-tokens",
        "12",
        "--seed",
        "1",
    )
    assert code == 0
    posts = out.splitlines()
    assert len(posts) == 3 and all(p.startswith("The lighthouse") for p in posts), "plain in a pipe"
    code, numbered, _ = run(capsys, "generate", str(prepared_bot), "The lighthouse", "-n", "3",
                            "--max-new-tokens", "12", "--seed", "1", "--numbered")  # fmt: skip
    assert numbered.splitlines() == [f"{i}. {p}" for i, p in enumerate(posts, 1)]


def test_generate_says_what_it_does_on_stderr(capsys, prepared_bot):
    from publisher import train

    train.train(prepared_bot, train.TrainConfig(max_steps=1, progress=False))
    capsys.readouterr()
    code, _, err = run(capsys, "generate", str(prepared_bot), "-n", "2", "--max-new-tokens", "4")
    assert code == 0
    assert [line for line in err.splitlines() if not line.startswith("Copy guard")][:2] == [
        f"Loading the bot from {prepared_bot / 'repo'}",
        "Writing 2 posts",
    ]


@pytest.mark.parametrize("command", [["generate"], ["space"], ["train"], ["eval"], ["card"], ["update"], ["export", "--gguf"], ["push"], ["job"]])  # fmt: skip
def test_a_mistyped_bot_folder_is_one_line_at_once(command, capsys, tmp_path, monkeypatch, prepared_bot):  # fmt: skip
    monkeypatch.chdir(tmp_path)  # no token: the folder is said first
    (tmp_path / "bots").mkdir()
    prepared_bot.rename(tmp_path / "bots" / "wrencalloway")
    code, out, err = run(capsys, command[0], "bots/wrencaloway", *command[1:])
    assert_one_line_error(code, err, "no such bot folder: bots/wrencaloway")
    assert "Hint: did you mean bots/wrencalloway?" in err.splitlines() and not out
    assert sorted(p.name for p in (tmp_path / "bots").iterdir()) == ["wrencalloway"]


def test_next_steps_are_hints_on_stderr_not_results(capsys, tmp_path, tiny_model):
    src = write_posts_jsonl(tmp_path / "wren.jsonl")
    code, out, err = run(capsys, "prepare", str(src), "--out", str(tmp_path / "bot"),
                         "--base-model", str(tiny_model), "--block-size", "64")  # fmt: skip
    assert code == 0 and "Next:" not in out
    assert f"Next: hf-tweetbot train {tmp_path / 'bot'}" in err.splitlines()


def test_generate_on_an_untrained_bot_says_what_to_run(capsys, prepared_bot):
    code, _, err = run(capsys, "generate", str(prepared_bot))
    assert_one_line_error(code, err, "not trained yet", "hf-tweetbot train")


# --- hostile input: one line and exit 2, or skipped and counted; never a traceback ----------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.build.__name__)
def test_every_hostile_input_is_refused_in_one_line_or_counted(
    case, capsys, tmp_path, tiny_model, monkeypatch
):
    for cap, value in SUITE_CAPS.items():
        monkeypatch.setattr(limits, cap, value)
    args = case.build(tmp_path, case.suite_scale)
    out = tmp_path / "bot"
    if "--out" not in args:
        args += ["--out", str(out)]
    code, _, err = run(capsys, "prepare", *args, "--base-model", str(tiny_model),
                       "--block-size", "64")  # fmt: skip
    if case.outcome == "refused":
        assert_one_line_error(code, err, case.expect)
        assert not out.exists()
    else:
        assert code == 0 and "Traceback" not in err, err
        assert case.expect in err
        user = manifest.load(out).users[0]
        assert user.tweets_downloaded == user.retweets + user.short_tweets + user.tweets_kept
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in user.name), "a lone surrogate"
    assert not [p for p in tmp_path.rglob(".*tmp*")], "no staging folder left behind"


@pytest.mark.parametrize(
    ("argv", "extra"),
    [(["web"], "web"), (["space", "ada/bot"], "web"), (["export", ".", "--gguf"], "gguf")],
)
def test_a_command_needing_a_missing_extra_names_it(argv, extra, monkeypatch, capsys, prepared_bot):
    module = {"web": "gradio", "gguf": "gguf"}[extra]
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    argv = [str(prepared_bot) if a == "." else a for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("Error: ") and f"`{module}`" in err[0]
    assert err[1] == f"Hint: pip install 'hf-tweetbot[{extra}]'"


@pytest.mark.parametrize("args, said", [
    (["train", "bots/x", "--max-steps", "0"], "Error: Invalid value for '--max-steps': 0 is not in the range x>=1."),  # fmt: skip
    (["train", "bots/x", "--lr", "0"], "Error: Invalid value for '--lr': 0.0 is not in the range x>0."),  # fmt: skip
    (["space", "bots/x", "--port", "99999"], "Error: Invalid value for '--port': 99999 is not in the range 0<=x<=65535."),  # fmt: skip
    (["trian", "bots/x"], "Error: No such command 'trian'. Did you mean 'train'?"),
])  # fmt: skip
def test_a_flag_that_does_not_parse_is_one_line_and_a_hint(args, said, capsys):
    code, out, err = run(capsys, *args)
    assert code == 2 and not out
    assert err.splitlines()[0] == said
    assert err.splitlines()[1].startswith("Hint: see `hf-tweetbot") and len(err.splitlines()) == 2
