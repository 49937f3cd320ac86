"""`hf-tweetbot update`: live stand-ins that keep posting, newer archives, the test Hub."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher import cli
from publisher.bot import manifest
from publisher.errors import UsageError
from publisher.sources.spec import parse
from testkit.fakes.api_server import Timeline, serve, serve_bsky, serve_mastodon, serve_x
from testkit.x_archive import synthetic_archive

X_TWEETS = "/2/users/42/tweets"
BSKY_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
MASTO = "/api/v1/accounts/7/statuses"


@pytest.fixture
def live(monkeypatch, sleeps):
    with serve() as server:
        monkeypatch.setenv("HF_TWEETBOT_X_API_URL", server.url)
        monkeypatch.setenv("HF_TWEETBOT_BSKY_API_URL", server.url)
        monkeypatch.setenv("X_BEARER_TOKEN", "x-test-bearer")
        yield server


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def rows(bot: Path) -> list[dict]:
    return [json.loads(line) for line in (bot / "data" / "posts.jsonl").read_text().splitlines()]


def run(args: list[str], capsys) -> str:
    code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 0, err
    return err


@pytest.mark.slow  # publishes and updates a whole bot
def test_update_fetches_only_new_live_posts_trains_and_pushes_a_second_commit(
    tmp_path, tiny_model, live, hub_env, capsys
):
    timelines = [Timeline(1), Timeline(2), Timeline(3)]
    for tl in timelines:
        tl.post(100)
    serve_x(live, "wren_x", timelines[0])
    serve_bsky(live, "wren.bsky.social", timelines[1])
    serve_mastodon(live, "wrenm", timelines[2])
    users = ["x:wren_x", "bsky:wren.bsky.social", f"mastodon:{live.url}/@wrenm"]
    out = tmp_path / "bot"
    run(["publish", *users, "--base-model", str(tiny_model), "--out", str(out),
         "--block-size", "64", "--max-steps", "2"], capsys)  # fmt: skip
    first = manifest.load(out)
    assert [u.spec for u in first.users] == users
    old_rows = {(r["handle"], r["id"]): r["split"] for r in rows(out)}
    assert len(old_rows) == sum(u.tweets_kept for u in first.users), "every kept post has its id"
    commits = len(hub_env.history("model", first.repo_id))
    seen = len(live.requests)

    for tl in timelines:
        tl.post(20)
    err = run(["update", str(out), "--max-steps", "3"], capsys)

    new_requests = live.requests[seen:]
    x_pages = [r for r in new_requests if r.path == X_TWEETS]
    assert x_pages and all(r.query["since_id"] == first.users[0].newest_id for r in x_pages)
    masto = [r for r in new_requests if r.path == MASTO]
    assert masto[0].query["since_id"] == first.users[2].newest_id
    bsky = [r for r in new_requests if r.path == BSKY_FEED]
    assert len(bsky) == 1, "Bluesky stops paging at the first page holding a known post"

    m = manifest.load(out)
    for u, before in zip(m.users, first.users, strict=True):
        assert u.tweets_downloaded == before.tweets_downloaded + 20 == 120, u
        assert u.tweets_downloaded == u.retweets + u.short_tweets + u.tweets_kept
        assert u.newest_at > before.newest_at and u.newest_id != before.newest_id
    now = rows(out)
    splits = {(r["handle"], r["id"]): r["split"] for r in now}
    assert len(splits) == len(now) == sum(u.tweets_kept for u in m.users), "no duplicates"
    assert all(splits[k] == s for k, s in old_rows.items()), "old posts keep their split"
    assert "Per-post validation perplexity: old posts" in err and "new posts" in err
    update = m.updates[-1]
    assert update["added"] == {u.handle: u.tweets_kept - b.tweets_kept
                               for u, b in zip(m.users, first.users, strict=True)}  # fmt: skip
    assert update["perplexity_per_post"]["new"]["after"] is not None

    history = hub_env.history("model", first.repo_id)
    assert len(history) == commits + 1, "one new commit"
    assert history[0].title.startswith("hf-tweetbot update: +")
    card = hub_env.files("model", first.repo_id)["README.md"].decode()
    assert "| Tweets downloaded | 120 | 120 | 120 |" in card

    # Nothing new: said so, no file touched, no commit.
    before = snapshot(out)
    err = run(["update", str(out)], capsys)
    assert "Nothing new to train on" in err
    assert snapshot(out) == before
    assert len(hub_env.history("model", first.repo_id)) == commits + 1


@pytest.fixture(scope="module")
def archive_bot(tmp_path_factory, tiny_model):
    """A bot trained on an archive of 300 posts; its newer archive holds 60 more."""
    root = tmp_path_factory.mktemp("archive_bot")
    old = synthetic_archive(root / "old.zip", 300)
    synthetic_archive(root / "new.zip", 360)
    code = cli.main(["publish", str(old), "--base-model", str(tiny_model), "--out",
                     str(root / "bot"), "--block-size", "64", "--max-steps", "2", "--no-push"])  # fmt: skip
    assert code == 0
    return root


@pytest.fixture
def bot(archive_bot, tmp_path) -> Path:
    shutil.copytree(archive_bot / "bot", tmp_path / "bot")
    return tmp_path / "bot"


@pytest.mark.slow  # publishes and updates a whole bot
def test_a_newer_archive_adds_only_its_new_posts(bot, archive_bot, capsys):
    before = manifest.load(bot).users[0]
    err = run(["update", str(bot), str(archive_bot / "new.zip"), "--max-steps", "2", "--no-push"],
              capsys)  # fmt: skip
    u = manifest.load(bot).users[0]
    assert "@synthetic (archive): 60 new posts downloaded" in err
    assert u.tweets_downloaded == 360 and u.tweets_kept > before.tweets_kept
    assert u.newest_id == str(10**17 + 359)
    card = (bot / "repo" / "README.md").read_text()
    assert "| Tweets downloaded | 360 |" in card
    assert not list(bot.glob(".update-*")), "no staging folder left"


def test_without_a_newer_archive_nothing_changes(bot, capsys):
    before = snapshot(bot)
    err = run(["update", str(bot), "--no-push"], capsys)
    assert "@synthetic (archive): nothing new" in err and snapshot(bot) == before


def test_an_archive_of_someone_else_or_a_live_user_is_refused(bot, tmp_path, capsys):
    from publisher.update import UpdateOptions, update

    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"text": "hello there my friend"}) + "\n")
    with pytest.raises(UsageError, match="@ada is not an archive or file user of this bot"):
        update(bot, [parse(f"ada={other}")], UpdateOptions(), say=lambda _: None)
    assert cli.main(["update", str(bot), "bsky:someone.bsky.social", "--no-push"]) == 2
    assert "newer archives or files only" in capsys.readouterr().err


def test_a_failed_training_leaves_the_bot_as_it_was(bot, archive_bot, monkeypatch):
    from publisher import train as train_pkg
    from publisher.update import UpdateOptions, update

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_pkg, "train", boom)
    before = snapshot(bot)
    with pytest.raises(KeyboardInterrupt):
        update(bot, [parse(str(archive_bot / "new.zip"))], UpdateOptions(), say=lambda _: None)
    assert snapshot(bot) == before and not list(bot.glob(".update-*"))


def test_a_bot_read_from_a_path_holding_an_equals_sign_finds_its_archive_again(
    tmp_path, tiny_model
):
    from publisher import pipeline
    from publisher.dataset import DataConfig
    from publisher.sources import SourceOptions
    from publisher.update.news import gather_news

    (tmp_path / "a=b").mkdir()
    archive = synthetic_archive(tmp_path / "a=b" / "x.zip", 300)
    opts = pipeline.PrepareOptions(out=tmp_path / "bot", base_model=str(tiny_model),
                                   data=DataConfig(block_size=64))  # fmt: skip
    bot, m = pipeline.prepare([parse(str(archive))], opts, say=lambda _: None)
    assert m.users[0].spec == str(archive)
    news = gather_news(
        bot, manifest.load(bot), [], SourceOptions(progress=False), say=lambda _: None
    )
    assert [n.line() for n in news] == ["@synthetic (archive): nothing new"]


@pytest.mark.slow  # publishes and updates a whole bot
def test_from_scratch_retrains_on_every_post_from_the_base(bot, archive_bot, capsys):
    err = run(["update", str(bot), str(archive_bot / "new.zip"), "--from-scratch",
               "--max-steps", "2", "--no-push"], capsys)  # fmt: skip
    assert "Training from the base model on every post" in err
    assert manifest.load(bot).updates[-1]["from_scratch"] is True


def test_lr_scale_follows_the_share_of_new_posts():
    from publisher.update import lr_scale

    assert lr_scale(20, 120) == pytest.approx((20 / 120) ** 0.5)
    assert lr_scale(1, 1000) == 0.25 and lr_scale(500, 500) == 1.0


@pytest.mark.slow  # publishes and updates a whole bot
def test_update_names_the_bot_folder_never_its_stage_and_takes_eval_samples(bot, archive_bot, hub_env, capsys):  # fmt: skip
    code = cli.main(["update", str(bot), str(archive_bot / "new.zip"), "--max-steps", "2",
                     "--eval-samples", "7"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert ".update-" not in out + err, "a staging folder is gone once the update ends"
    assert f"Wrote {bot / 'repo' / 'README.md'} and {bot / 'repo' / 'predictions.png'}" in err
    assert f"the update stays local (hf-tweetbot push {bot} publishes it)" in err
    assert manifest.load(bot).quality["samples"] == 7


def test_update_help_offers_only_the_options_it_uses(capsys):
    assert cli.main(["update", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--eval-samples" in text and "--epochs" in text
    for unused in ("--patience", "--keep-last", "--measure-every", "--resume", "--restart",
                   "--checkpoint-every"):  # fmt: skip
        assert unused not in text, unused
