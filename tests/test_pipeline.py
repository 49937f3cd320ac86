"""End to end: `hf-tweetbot publish` of the sample archive, as a user runs it."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES
from huggingface_hub import ModelCard
from PIL import Image

from publisher import cli
from publisher.bot import manifest

SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


@pytest.mark.slow  # publishes a whole bot
def test_publish_the_sample_archive_with_a_tiny_model(tmp_path, tiny_model, capsys):
    out = tmp_path / "bot"
    code = cli.main(["publish", str(SAMPLE), "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "128", "--epochs", "1", "--no-push"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "@wrencalloway: 404 posts downloaded, 40 retweets, 24 short, 340 kept" in err

    m = manifest.load(out)
    assert m.model_name == "wrencalloway" and m.repo_id is None
    u = m.users[0]
    assert (u.tweets_downloaded, u.retweets, u.short_tweets, u.tweets_kept) == (404, 40, 24, 340)
    assert u.tweets_downloaded == u.retweets + u.short_tweets + u.tweets_kept
    assert u.name == "Wren Calloway" and u.source == "archive"
    assert m.metrics.perplexity_after is not None

    repo = out / "repo"
    assert (repo / u.avatar_url).exists(), "the archive's avatar goes into the model repo"
    card = (repo / "README.md").read_text()
    assert card.startswith("---\nlanguage: en\n") and "| Tweets kept | 340 |" in card
    assert Image.open(repo / "predictions.png").size == (1200, 628)
    posts = [json.loads(line) for line in (out / "data" / "posts.jsonl").read_text().splitlines()]
    assert len(posts) == 340 and {p["split"] for p in posts} == {"train", "validation"}
    assert not list(tmp_path.glob(".*tmp*")), "no staging folders left behind"


def test_a_failed_run_leaves_no_half_bot(tmp_path, tiny_model, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 definitely not a zip")
    out = tmp_path / "bot"
    code = cli.main(
        [
            "publish",
            str(SAMPLE),
            str(bad),
            "--base-model",
            str(tiny_model),
            "--out",
            str(out),
            "--no-push",
        ]
    )
    assert code == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


GOOD = "hf_PipelineToken0123456789abcdef"


@pytest.fixture
def hub(hub_server, monkeypatch):
    from testkit.fakes.hub_server import Token

    hub_server.state.reset()
    hub_server.state.tokens[GOOD] = Token("alice")
    yield hub_server.state
    hub_server.state.reset()


def test_a_bad_token_fails_before_reading_a_post(tmp_path, tiny_model, hub, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_NotAValidToken000000000000000")
    out = tmp_path / "bot"
    code = cli.main(
        ["publish", f"wren={SAMPLE}", "--base-model", str(tiny_model), "--out", str(out)]
    )
    _, err = capsys.readouterr()
    assert code == 2 and "token" in err.lower() and "Traceback" not in err
    assert not out.exists(), "nothing prepared, nothing trained"
    assert "hf_NotAValidToken" not in err


@pytest.mark.parametrize("token, flags, said", [
    ("hf_NotAValidToken000000000000000", [], "the Hugging Face token is invalid or expired"),
    (GOOD, ["--namespace", "bobcorp"], "alice's token cannot create repos under 'bobcorp'"),
])  # fmt: skip
def test_an_archive_named_by_its_posts_is_not_read_before_token_and_namespace_pass(
    tmp_path, tiny_model, hub, monkeypatch, capsys, token, flags, said
):
    """The bot's name comes from the archive, yet the token and namespace fail first."""
    monkeypatch.setenv("HF_TOKEN", token)
    out = tmp_path / "bot"
    code = cli.main(["publish", str(SAMPLE), "--base-model", str(tiny_model), "--out", str(out), *flags])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    first = err.strip().splitlines()[0]
    assert first.startswith("Error: ") and said in first, err
    assert "posts downloaded" not in err, "no post was read"
    assert not out.exists(), "no bot folder written"


@pytest.mark.slow  # publishes a whole bot
def test_publish_with_a_token_pushes_and_a_second_push_changes_nothing(
    tmp_path, tiny_model, hub, monkeypatch, capsys
):
    monkeypatch.setenv("HF_TOKEN", GOOD)
    out = tmp_path / "bot"
    code = cli.main(["publish", str(SAMPLE), "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "128", "--max-steps", "2", "--dataset", "--space",
                     "--card-metadata", "full"])  # fmt: skip
    stdout, err = capsys.readouterr()
    assert code == 0, err
    m = manifest.load(out)
    assert m.repo_id == "alice/wrencalloway" and m.dataset_repo_id == "alice/wrencalloway"
    card = (out / "repo" / "README.md").read_text()
    assert "model='alice/wrencalloway'" in card
    # The page shows what the bot writes without an inference provider, and links its Space.
    assert len(m.predictions) == 3 and all(p.startswith("My dream is") for p in m.predictions)
    widget = ModelCard(hub.files("model", "alice/wrencalloway")["README.md"].decode()).data.widget
    outputs = [w["output"]["text"] for w in widget]
    assert outputs and all("My dream is" + o in m.predictions for o in outputs)
    assert "/spaces/alice/wrencalloway)" in card
    assert "/alice/wrencalloway/resolve/main/predictions.png" in card
    assert GOOD not in stdout + err + (out / "bot.json").read_text() + card

    assert cli.main(["push", str(out), "--dataset"]) == 0
    assert "nothing changed" in capsys.readouterr()[0].lower()


def _serve_bluesky(server, handle: str) -> None:
    """An AppView whose account `handle` posted the sample archive's texts."""
    import copy

    from publisher.sources import SourceOptions, archive
    from publisher.sources.spec import parse
    from testkit.fakes.api_server import Reply, load

    texts = [p.text for p in archive.fetch(parse(str(SAMPLE)), SourceOptions()).posts]
    template = load("bluesky/feed_page1.json")["feed"][1]
    assert "reason" not in template
    items = []
    for i, text in enumerate(texts):
        item = copy.deepcopy(template)
        item["post"]["uri"] = f"at://did:plc:wren/app.bsky.feed.post/{i}"
        item["post"]["record"]["text"] = text
        items.append(item)
    pages = [items[i : i + 100] for i in range(0, len(items), 100)]

    def feed(req):
        k = int(req.query.get("cursor") or 0)
        body = {"feed": pages[k]}
        if k + 1 < len(pages):
            body["cursor"] = str(k + 1)
        return Reply(body)

    server.add(
        "/xrpc/app.bsky.actor.getProfile", Reply(dict(load("bluesky/profile.json"), handle=handle))
    )
    server.route("/xrpc/app.bsky.feed.getAuthorFeed", feed)


@pytest.mark.slow  # publishes a whole bot
def test_a_bluesky_user_is_counted_and_trained_like_an_archive(
    tmp_path, tiny_model, monkeypatch, capsys
):
    """`publish bsky:HANDLE` end to end against a server speaking the AppView API."""
    from testkit.fakes.api_server import serve

    with serve() as server:
        monkeypatch.setenv("HF_TWEETBOT_BSKY_API_URL", server.url)
        _serve_bluesky(server, "wrencalloway.bsky.social")
        out = tmp_path / "bot"
        code = cli.main(["publish", "bsky:wrencalloway.bsky.social", "--base-model", str(tiny_model),
                         "--out", str(out), "--block-size", "128", "--max-steps", "2", "--no-push"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    u = manifest.load(out).users[0]
    # Bluesky has no "RT @" reposts here, so the archive's retweets are plain texts that start
    # with "RT @": cleaning counts them exactly as it does in the archive.
    assert (u.tweets_downloaded, u.retweets, u.short_tweets, u.tweets_kept) == (404, 40, 24, 340)
    assert u.source == "bsky" and (out / "raw").exists() and (out / "repo" / "README.md").exists()


@pytest.mark.slow  # publishes a whole bot
def test_a_short_bluesky_handle_names_the_cache_the_bot_and_the_repo_alike(
    tmp_path, tiny_model, hub, monkeypatch, capsys
):
    """`bsky:alice` is alice.bsky.social for the raw pages, the bot folder and the Hub repo."""
    from testkit.fakes.api_server import serve

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_TOKEN", GOOD)
    with serve() as server:
        monkeypatch.setenv("HF_TWEETBOT_BSKY_API_URL", server.url)
        _serve_bluesky(server, "alice.bsky.social")
        code = cli.main(["publish", "bsky:alice", "--base-model", str(tiny_model),
                         "--block-size", "128", "--max-steps", "2"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "Preflight OK: will push to alice/alice.bsky.social" in err
    assert sorted(p.name for p in (tmp_path / "bots").iterdir()) == ["alice.bsky.social"]
    bot = tmp_path / "bots" / "alice.bsky.social"
    assert list((bot / "raw").iterdir()), "the raw pages are cached in the bot's own folder"
    assert manifest.load(bot).repo_id == "alice/alice.bsky.social"


def test_one_user_given_twice_in_two_forms_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts.jsonl").write_text("")
    for twice in (
        ["x:@ada", "ada"],
        ["@Ada", "x:ada"],
        ["posts.jsonl", f"ada={tmp_path}/posts.jsonl"],
    ):
        assert cli.main(["prepare", *twice]) == 2
        err = capsys.readouterr().err
        assert f"Error: {twice[1]}: the same user is given twice" in err
    assert not (tmp_path / "bots").exists()


# --- counted, not silent; a full disk loses nothing ---------------------------------------------


def test_skipped_entries_are_counted_in_bot_json_and_the_summary(tmp_path, tiny_model, capsys):
    from testkit.posts import posts
    from testkit.x_archive import archive_files, bare_tweet, write_zip, ytd

    texts = posts(300)
    items = [bare_tweet(t) for t in texts + texts[:40]] + [
        7,
        {"tweet": {}},
        bare_tweet("w " * 60_000),
    ]
    files = archive_files([]) | {"data/tweets.js": ytd("tweets", items)}
    out = tmp_path / "bot"
    code = cli.main(["prepare", str(write_zip(tmp_path / "a.zip", files)), "--out", str(out),
                     "--base-model", str(tiny_model), "--block-size", "64"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    kept = len(set(texts))
    assert "@wren: 340 posts downloaded, 0 retweets, 0 short, 340 kept" in err
    assert ("@wren: not trained on: 2 malformed, 1 over 100,000 characters, "
            f"{340 - kept} duplicates of a kept post") in err  # fmt: skip
    user = manifest.load(out).users[0]
    assert user.skipped == dict.fromkeys(manifest.SKIP_REASONS, 0) | {
        "malformed": 2,
        "too_long": 1,
        "duplicate": 340 - kept,
    }
    rows = (out / "data" / "posts.jsonl").read_text().splitlines()
    assert len(rows) == kept, "each text trained on once"


def test_an_archive_of_today_trains_on_each_post_once_whole_latest_and_never_a_circle_post(
    tmp_path, tiny_model, capsys
):
    from publisher.clean import clean_text, is_short
    from testkit.x_archive import write_x_archive

    x = write_x_archive(tmp_path / "x.zip")
    out = tmp_path / "bot"
    code = cli.main(["prepare", str(x.path), "--out", str(out), "--base-model", str(tiny_model),
                     "--block-size", "64"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert ("@wrencalloway: not trained on: 4 earlier versions of edited posts (the latest is "
            "kept), 2 shared with a Twitter Circle only, 2 posted in X Communities "
            "(--include-community reads them)") in err  # fmt: skip
    rows = [json.loads(line) for line in (out / "data" / "posts.jsonl").read_text().splitlines()]
    trained = [r["text"] for r in rows]
    assert len(trained) == len(set(trained))
    expected = {clean_text(t) for t in x.expected if not t.startswith("RT @")}
    assert set(trained) <= expected
    assert expected - set(trained) == {t for t in expected if is_short(t)}
    for t in x.never:  # no Circle post, no earlier version, no cut text: not even a part of one
        assert not any(clean_text(t) in r for r in trained), t
    whole = [r for r in trained if "Part 3 of my notes" in r]  # the one cut before a t.co link
    assert len(whole) == 1 and whole[0].endswith("every night. Part 3 of my notes.")
    assert "& trusts it <3" in whole[0] and "&amp;" not in whole[0]
    user = manifest.load(out).users[0]
    assert {k: v for k, v in user.skipped.items() if v} | {"duplicate": 0} == {
        **x.skipped, "duplicate": 0}  # fmt: skip
    m = manifest.load(out)
    assert m.privacy["include_community"] is False and m.privacy["skip_content_warnings"] is False


_FULL_DISK = """
import resource, sys
# No file may grow past 50 kB: writes beyond fail with EFBIG, as a full disk fails with ENOSPC.
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
from publisher.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # publishes a whole bot
def test_a_full_disk_names_the_path_and_keeps_the_earlier_output(tmp_path, tiny_model, capsys):
    import subprocess
    import sys

    from conftest import REPO_ROOT

    out = tmp_path / "bot"
    args = ["prepare", str(SAMPLE), "--out", str(out), "--base-model", str(tiny_model),
            "--block-size", "64"]  # fmt: skip
    assert cli.main(args) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "could not write the prepared posts (File too large" in errors[0]
    assert f"nothing in {out} was changed" in errors[0]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"
