"""Privacy defaults end to end: protected archives, deleted posts, dataset repos, mentions.

Pushes go to the Hub-compatible server of testkit/fakes/hub_server.py through the real client.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from conftest import EXAMPLES, HUB_TOKEN

from publisher import clean, cli
from publisher.bot import manifest
from publisher.sources import SourceOptions, archive
from publisher.sources.spec import parse
from publisher.space import guard, ui
from testkit.wren_posts import POSTS
from testkit.x_archive import write_archive

TOKEN = HUB_TOKEN  # conftest's hub_env signs alice in with it
DELETED = ["I never meant to post this, deleting it now.", "Another post I took back within the hour."]  # fmt: skip


@pytest.fixture
def hubs(hub_env):
    return hub_env


@pytest.fixture(scope="module")
def protected_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("arch") / "hidden.zip"
    return write_archive(path, "hiddenwren", "Wren", list(POSTS[:200]), protected=["Unprotect", "Protect"], deleted=DELETED)  # fmt: skip


@pytest.fixture(scope="module")
def protected_bot(tmp_path_factory, protected_zip, tiny_model):
    """A trained bot of the protected archive (2 steps, no samples measured)."""
    bot = tmp_path_factory.mktemp("bot") / "hiddenwren"
    assert cli.main(["prepare", str(protected_zip), "--base-model", str(tiny_model), "--out", str(bot),
                     "--block-size", "128"]) == 0  # fmt: skip
    assert cli.main(["train", str(bot), "--max-steps", "2", "--eval-samples", "0"]) == 0
    return bot


def test_the_archive_says_protected_and_its_latest_action_decides(tmp_path, protected_zip):
    g = archive.fetch(parse(str(protected_zip)), SourceOptions())
    assert g.profile.protected and g.deleted == len(DELETED)
    assert not {p.text for p in g.posts} & set(DELETED)
    undone = write_archive(tmp_path / "u.zip", "w", "W", list(POSTS[:50]), protected=["Protect", "Unprotect"])  # fmt: skip
    assert not archive.fetch(parse(str(undone)), SourceOptions()).profile.protected
    plain = write_archive(tmp_path / "p.zip", "w", "W", list(POSTS[:50]))
    assert not archive.fetch(parse(str(plain)), SourceOptions()).profile.protected


def test_prepare_records_protection_and_never_uses_deleted_posts(protected_bot, capsys):
    m = manifest.load(protected_bot)
    assert m.users[0].protected is True
    texts = (protected_bot / "data" / "posts.jsonl").read_text()
    assert not any(d in texts for d in DELETED)


def test_a_protected_accounts_bot_is_pushed_privately_by_default_and_says_so_once(protected_bot, hubs, capsys):  # fmt: skip
    code = cli.main(["push", str(protected_bot)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    assert err.count("the account is protected") == 1, err
    assert "@hiddenwren: the account is protected, so the bot is pushed privately" in err
    assert hubs.repo("model", "alice/hiddenwren").private


def test_publish_pushes_a_protected_accounts_bot_privately_saying_so_once(tmp_path, protected_zip, tiny_model, hubs, capsys):  # fmt: skip
    out = tmp_path / "bot"
    code = cli.main(["publish", str(protected_zip), "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "128", "--max-steps", "2", "--eval-samples", "0"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert err.count("the account is protected") == 1, err
    assert "its bot is pushed privately unless --public-ok" in err
    assert "--private" not in err, "no flag is needed for the safe default"
    assert hubs.repo("model", "alice/hiddenwren").private


def test_private_pushes_privately_and_public_ok_warns(protected_bot, hubs, capsys):
    assert (
        cli.main(
            [
                "push",
                str(protected_bot),
                "--private",
                "--dataset",
                "--space",
                "--repo-id",
                "alice/hiddenwren",
            ]
        )
        == 0
    )
    for repo_type in ("model", "dataset", "space"):
        assert hubs.repo(repo_type, "alice/hiddenwren").private, repo_type
    capsys.readouterr()
    assert cli.main(["push", str(protected_bot), "--repo-id", "alice/open", "--public-ok"]) == 0
    assert "Warning: @hiddenwren's account is protected" in capsys.readouterr().err
    assert not hubs.repo("model", "alice/open").private


def test_a_private_push_never_lands_in_an_existing_public_repo(protected_bot, hubs, capsys):
    hubs.seed("model", "alice/hiddenwren", {"README.md": b"old\n"}, private=False)
    commits = len(hubs.history("model", "alice/hiddenwren"))
    code = cli.main(["push", str(protected_bot), "--private", "--repo-id", "alice/hiddenwren"])
    err = capsys.readouterr().err
    assert code == 2 and "already exists and is public" in err and "nothing was committed" in err
    assert len(hubs.history("model", "alice/hiddenwren")) == commits


def test_the_space_gets_the_guard_key_as_a_secret_never_as_a_file(protected_bot, hubs):
    assert (
        cli.main(
            ["push", str(protected_bot), "--private", "--space", "--repo-id", "alice/hiddenwren"]
        )
        == 0
    )
    key = (protected_bot / guard.KEY_FILE).read_text().strip()
    assert hubs.repo("space", "alice/hiddenwren").secrets == {guard.KEY_ENV: key}
    assert guard.GUARD_FILE in hubs.files("model", "alice/hiddenwren")
    sent = b"".join(e.body for e in hubs.log if "/secrets" not in e.path)
    stored = b"".join(b for t, rid in hubs.repos for b in hubs.files(t, rid).values())
    for where in (sent, stored):
        assert key.encode() not in where and bytes.fromhex(key) not in where


@pytest.mark.slow  # publishes a whole bot
def test_a_dataset_repo_is_private_unless_public_dataset(tmp_path, tiny_model, hubs, capsys):
    bot = tmp_path / "wren"
    assert cli.main(["prepare", str(EXAMPLES / "wrencalloway_archive.zip"), "--base-model",
                     str(tiny_model), "--out", str(bot), "--block-size", "128"]) == 0  # fmt: skip
    assert cli.main(["train", str(bot), "--max-steps", "1", "--eval-samples", "0"]) == 0
    assert cli.main(["push", str(bot), "--dataset"]) == 0
    assert hubs.repo("dataset", "alice/wrencalloway").private
    assert not hubs.repo("model", "alice/wrencalloway").private, "an ordinary bot stays public"
    assert (
        cli.main(["push", str(bot), "--dataset", "--public-dataset", "--repo-id", "alice/w2"]) == 0
    )
    assert not hubs.repo("dataset", "alice/w2").private


def test_mask_mentions_replaces_other_accounts_and_counts_them(tmp_path, tiny_model, capsys):
    bot = tmp_path / "wren"
    code = cli.main(["prepare", str(EXAMPLES / "wrencalloway_archive.zip"), "--base-model",
                     str(tiny_model), "--out", str(bot), "--mask-mentions"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    texts = [json.loads(line)["text"] for line in (bot / "data" / "posts.jsonl").open()]
    assert not any("@marisol_tides" in t for t in texts)
    masked = sum(t.count("@user") for t in texts)
    privacy = manifest.load(bot).privacy
    assert privacy == {"mask_mentions": True, "mentions_masked": masked,
                       "include_community": False, "skip_content_warnings": False}  # fmt: skip
    assert masked > 5
    assert f"Masked {masked} @mentions of other accounts as @user" in err


def test_mask_mentions_keeps_the_bots_own_handles_and_e_mails():
    texts, n = clean.mask_mentions(
        ["@Wren and @bob@mastodon.social, @ann.bsky.social; mail me@x.org, @user", "no one"],
        ["wren"],
    )
    assert texts == ["@Wren and @user, @user; mail me@x.org, @user", "no one"] and n == 2


def test_post_this_never_prefills_a_mention():
    from publisher.space.bot_info import BotInfo

    card = ui.post_card(BotInfo("m", "m"), "@marisol_tides the ferry, mail me@x.org")
    href = unquote(card.split('href="', 1)[1].split('"', 1)[0])
    assert "marisol_tides the ferry" in href and "@marisol_tides" not in href
    assert "me@x.org" in href
    assert "@marisol_tides the ferry" in card, "the post itself is shown as written"
