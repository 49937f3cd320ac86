"""X archive source: zip, folder and bare tweets.js, and every way an archive can be bad."""

from __future__ import annotations

import io
import json
import os
import random
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from publisher.clean import check_enough, clean
from publisher.errors import ArchiveError, SourceError
from publisher.sources import SourceOptions, archive, gather, limits
from publisher.sources import archive_files as files_mod
from publisher.sources.spec import parse
from testkit import wren_posts, x_archive
from testkit.x_archive import write_dir, write_zip, ytd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OPTS = SourceOptions()
SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


def tw(text: str, key: str = "full_text", when: str = "Wed Oct 10 20:19:24 +0000 2018") -> dict:
    return {"tweet": {key: text, "created_at": when, "retweeted": False, "id_str": "1"}}


ACCOUNT = [{"account": {"username": "adalove", "accountDisplayName": "Ada Lovelace"}}]
PROFILE = [{"profile": {"avatarMediaUrl": "https://pbs.twimg.com/profile_images/1/ada.jpg"}}]


def archive_files(texts: list[str], prefix: str = "data/") -> dict[str, str | bytes]:
    return {
        prefix + "account.js": ytd("account", ACCOUNT),
        prefix + "profile.js": ytd("profile", PROFILE),
        prefix + "tweets.js": ytd("tweets", [tw(t) for t in texts]),
    }


TEXTS = ["first post of the day", "RT @bob: something else", "@carol replying to you now"]


def test_zip_gives_profile_and_posts_in_order(tmp_path):
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", archive_files(TEXTS)))), OPTS)
    assert (g.profile.handle, g.profile.name, g.profile.source) == (
        "adalove",
        "Ada Lovelace",
        "archive",
    )
    assert g.profile.avatar_url == "https://pbs.twimg.com/profile_images/1/ada.jpg"
    assert g.profile.avatar_bytes is None
    assert [p.text for p in g.posts] == TEXTS
    assert g.posts[0].created_at == "2018-10-10T20:19:24+00:00"


def test_folder_reads_like_the_zip(tmp_path):
    files = archive_files(TEXTS)
    from_zip = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    from_dir = archive.fetch(parse(str(write_dir(tmp_path / "extracted", files))), OPTS)
    assert from_dir == from_zip


def test_zip_with_a_top_folder(tmp_path):
    path = write_zip(tmp_path / "a.zip", archive_files(TEXTS, prefix="twitter-2022-10-01/data/"))
    g = archive.fetch(parse(str(path)), OPTS)
    assert g.profile.handle == "adalove"
    assert len(g.posts) == 3


def test_handle_prefix_overrides_the_archive(tmp_path):
    path = write_zip(tmp_path / "a.zip", archive_files(TEXTS))
    g = gather(parse(f"countess={path}"), OPTS)
    assert g.profile.handle == "countess"
    assert g.profile.name == "Ada Lovelace"


def test_bare_tweets_js_needs_a_handle(tmp_path):
    js = tmp_path / "tweets.js"
    js.write_text(ytd("tweets", [tw(t) for t in TEXTS]))
    with pytest.raises(ArchiveError) as e:
        archive.fetch(parse(str(js)), OPTS)
    assert "HANDLE=" in e.value.hint
    g = archive.fetch(parse(f"ada={js}"), OPTS)
    assert (g.profile.handle, g.profile.name) == ("ada", "ada")
    assert [p.text for p in g.posts] == TEXTS


def test_multi_part_archive_reads_every_part_in_order(tmp_path):
    files = archive_files(["part zero"])
    for n in (1, 2, 10):  # part10 must come after part2, not after part1
        files[f"data/tweets-part{n}.js"] = f"window.YTD.tweets.part{n} = " + json.dumps(
            [tw(f"part {n}")]
        )
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert [p.text for p in g.posts] == ["part zero", "part 1", "part 2", "part 10"]


def test_old_tweet_js_with_bare_objects_and_text_key(tmp_path):
    items = [{"text": "an old bare tweet object", "created_at": "Mon Jan 02 10:00:00 +0000 2012"}]
    items.append(tw("wrapped with full_text"))
    items.append(tw("wrapped with text only", key="text"))
    files = {
        "data/account.js": ytd("account", ACCOUNT),
        "data/tweet.js": "window.YTD.tweet.part0 = " + json.dumps(items),
        "data/tweet-part1.js": "window.YTD.tweet.part1 = " + json.dumps([tw("second part")]),
    }
    g = archive.fetch(parse(str(write_zip(tmp_path / "old.zip", files))), OPTS)
    assert [p.text for p in g.posts] == [
        "an old bare tweet object",
        "wrapped with full_text",
        "wrapped with text only",
        "second part",
    ]
    assert g.posts[0].created_at == "2012-01-02T10:00:00+00:00"
    assert g.profile.avatar_url is None


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("layout", ["zip", "folder"])
def test_relative_avatar_becomes_bytes(tmp_path, layout):
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd(
        "profile", [{"profile": {"avatarMediaUrl": "data/profile_media/42-me.jpeg"}}]
    )
    files["data/profile_media/42-me.jpeg"] = _jpeg()
    path = (
        write_zip(tmp_path / "a.zip", files)
        if layout == "zip"
        else write_dir(tmp_path / "d", files)
    )
    g = archive.fetch(parse(str(path)), OPTS)
    assert g.profile.avatar_url is None
    assert g.profile.avatar_bytes == files["data/profile_media/42-me.jpeg"]
    assert g.profile.avatar_ext == "jpg"


def test_avatar_path_outside_the_archive_is_refused(tmp_path):
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "../secret.jpg"}}])
    with pytest.raises(ArchiveError, match="outside"):
        archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)


# --- bad input: one-line message naming the file, a hint, nothing written -------------------


def _fails(spec: str, match: str) -> ArchiveError:
    with pytest.raises(ArchiveError, match=match) as e:
        archive.fetch(parse(spec), OPTS)
    assert "\n" not in e.value.message
    assert e.value.hint
    return e.value


def test_missing_path(tmp_path):
    err = _fails(str(tmp_path / "nope.zip"), "no such file")
    assert "nope.zip" in err.message


def test_zip_without_tweets_js(tmp_path):
    path = write_zip(tmp_path / "a.zip", {"data/account.js": ytd("account", ACCOUNT)})
    assert "a.zip" in _fails(str(path), "no data/tweets.js").message


def test_truncated_json_names_file_and_line(tmp_path):
    files = archive_files(TEXTS)
    full = files["data/tweets.js"]
    assert isinstance(full, str)
    files["data/tweets.js"] = full[: len(full) // 2]
    err = _fails(str(write_zip(tmp_path / "a.zip", files)), "invalid JSON at line")
    assert "data/tweets.js" in err.message


def test_invalid_json_line_number_counts_from_the_file_start(tmp_path):
    js = tmp_path / "tweets.js"
    js.write_text('window.YTD.tweets.part0 = [\n  {"tweet": {"full_text": "a"}},\n  oops\n]')
    _fails(f"ada={js}", "line 3")


def test_js_without_assignment(tmp_path):
    files = archive_files(TEXTS)
    files["data/tweets.js"] = json.dumps([tw("x")])
    _fails(str(write_zip(tmp_path / "a.zip", files)), "no '=' assignment")


def test_archive_without_posts(tmp_path):
    _fails(str(write_zip(tmp_path / "a.zip", archive_files([]))), "no posts")


def test_archive_without_account_needs_a_handle(tmp_path):
    files = {"data/tweets.js": ytd("tweets", [tw("hello there everyone")])}
    err = _fails(str(write_zip(tmp_path / "a.zip", files)), "account.js")
    assert "HANDLE=" in (err.hint or "")


def test_not_an_archive(tmp_path):
    txt = tmp_path / "posts.txt"
    txt.write_text("hello")
    _fails(str(txt), "not an X archive")


def test_corrupt_zip(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(SAMPLE.read_bytes()[:2000])
    _fails(str(bad), "not a valid zip")


@pytest.mark.parametrize("evil", ["../evil.js", "data/../../evil.js", "/etc/evil.js", "C:/evil.js"])
def test_zip_slip_is_refused_and_nothing_extracted(tmp_path, monkeypatch, evil):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    files = archive_files(TEXTS) | {evil: "window.x = 1"}
    path = write_zip(tmp_path / "a.zip", files)
    _fails(str(path), "outside its folder")
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "work"]


def test_zip_bomb_member_over_the_declared_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 10_000)
    files = archive_files(["x" * 100] * 200)  # tweets.js ~ 20 kB, compresses to almost nothing
    _fails(str(write_zip(tmp_path / "a.zip", files)), "zip bomb")


def test_zip_bomb_total_over_the_limit(tmp_path, monkeypatch):
    files = archive_files(["x" * 100] * 100)
    for n in (1, 2, 3):
        files[f"data/tweets-part{n}.js"] = files["data/tweets.js"]
    size = len(files["data/tweets.js"])
    monkeypatch.setattr(limits, "MAX_TOTAL_BYTES", 3 * size)  # each part fits, four do not
    _fails(str(write_zip(tmp_path / "a.zip", files)), "zip bomb")


def test_reading_counts_bytes_even_when_the_declared_size_lies(tmp_path, monkeypatch):
    path = write_zip(tmp_path / "a.zip", archive_files(["y" * 100] * 200))
    real_open = files_mod.ZipReader._open

    def lying_open(self, name):
        found = real_open(self, name)
        return None if found is None else (found[0], 1)  # claim 1 byte

    monkeypatch.setattr(files_mod.ZipReader, "_open", lying_open)
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(files_mod, "_CHUNK", 4096)
    _fails(str(path), "zip bomb")


def test_archive_errors_are_source_errors(tmp_path):
    with pytest.raises(SourceError):
        archive.fetch(parse(str(tmp_path / "missing.zip")), OPTS)


# --- the sample archive shipped in examples/ -------------------------------------------------


def test_sample_archive_reads_as_wren():
    g = gather(parse(str(SAMPLE)))
    posts = wren_posts.POSTS
    assert (g.profile.handle, g.profile.name) == ("wrencalloway", "Wren Calloway")
    assert g.profile.avatar_url is None and g.profile.avatar_ext == "png"
    assert Image.open(io.BytesIO(g.profile.avatar_bytes or b"")).size == (400, 400)
    assert [p.text for p in g.posts] == posts
    assert len(posts) >= 350


def test_sample_archive_counts_match_the_card_rules():
    g = gather(parse(str(SAMPLE)))
    c = clean(g)
    n = len(g.posts)
    assert c.counts.tweets_downloaded == n
    assert c.counts.retweets == sum(p.text.startswith("RT @") for p in g.posts)
    assert 0.08 * n <= c.counts.retweets <= 0.12 * n
    assert c.counts.short_tweets >= 10
    assert n == c.counts.retweets + c.counts.short_tweets + c.counts.tweets_kept
    # Enough text that the pipeline prints no "few tweets" warning, whatever the EOS token.
    assert check_enough("wrencalloway", c.texts, "") is None


def test_sample_archive_is_what_the_script_writes(tmp_path):
    out = x_archive.write_sample(tmp_path / "again.zip")
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(out) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            if name.endswith(".png"):  # PNG bytes depend on the zlib build; compare pixels
                a, b = (Image.open(io.BytesIO(z.read(name))) for z in (old, new))
                assert a.tobytes() == b.tobytes(), name
            else:
                assert old.read(name) == new.read(name), name
            assert old.getinfo(name).date_time == new.getinfo(name).date_time


def test_the_sample_script_writes_the_sample_and_answers_help(tmp_path):
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}
    script = [sys.executable, "-m", "examples.make_sample_archive"]
    done = subprocess.run([*script, "--help"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("usage: make_sample_archive.py")
    assert "--posts N" in done.stdout
    assert list(tmp_path.iterdir()) == [], "no zip named --help"
    done = subprocess.run([*script, "again.zip"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(tmp_path / "again.zip") as new:
        assert old.namelist() == new.namelist()
        assert all(old.read(n) == new.read(n) for n in old.namelist() if not n.endswith(".png"))


# --- reading stays inside what the user gave ------------------------------------------------


def _folder_with_avatar(root: Path) -> Path:
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd(
        "profile", [{"profile": {"avatarMediaUrl": "data/profile_media/42-me.jpg"}}]
    )
    return write_dir(root, files)


def test_a_symlinked_avatar_leaving_the_folder_is_refused(tmp_path):
    # `unzip` recreates the links a zip carries: this one would copy a token into the repo.
    secret = tmp_path / "token"
    secret.write_text("hf_notmytokenatall")
    root = _folder_with_avatar(tmp_path / "extracted")
    (root / "data/profile_media").mkdir()
    (root / "data/profile_media/42-me.jpg").symlink_to(secret)
    err = _fails(str(root), "symbolic link to a file outside the archive folder")
    assert "profile_media/42-me.jpg" in err.message


def test_a_symlinked_data_file_leaving_the_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere.js"
    elsewhere.write_text(ytd("tweets", [tw("a post from elsewhere entirely")]))
    root = write_dir(tmp_path / "extracted", {"data/account.js": ytd("account", ACCOUNT)})
    (root / "data/tweets.js").symlink_to(elsewhere)
    _fails(str(root), "data/tweets.js is a symbolic link to a file outside")


def test_a_symlink_inside_the_folder_is_followed(tmp_path):
    root = write_dir(tmp_path / "extracted", archive_files(TEXTS))
    (root / "data/tweets.js").rename(root / "data/real.js")
    (root / "data/tweets.js").symlink_to("real.js")
    assert [p.text for p in archive.fetch(parse(str(root)), OPTS).posts] == TEXTS


def test_a_symlink_member_of_a_zip_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in archive_files(TEXTS).items():
            if name != "data/tweets.js":
                zf.writestr(name, data)
        link = zipfile.ZipInfo("data/tweets.js")
        link.create_system = 3  # Unix: the mode bits below are honoured (as `zip -y` writes)
        link.external_attr = (0o120777 << 16) | 0x20
        zf.writestr(link, "/home/someone/.cache/huggingface/token")
    _fails(str(path), "data/tweets.js is stored as a symbolic link")


@pytest.mark.parametrize("where", ["archive", "tweets", "data"])
def test_a_symlink_loop_is_named_as_one(tmp_path, where):
    root = write_dir(tmp_path / "extracted", archive_files(TEXTS))
    if where == "archive":
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        target = tmp_path / "loop"
    elif where == "tweets":
        (root / "data/tweets.js").unlink()
        (root / "data/tweets.js").symlink_to(root / "data/tweets.js")
        target = root
    else:
        (root / "data").rename(root / "old")
        (root / "data").symlink_to(root / "data")
        target = root
    _fails(str(target), "symbolic link loop")


def _png(fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 90, 200)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"hf_notmytokenatall\n", "not a readable image"),
        (_png()[:40], "not a readable image"),
        (_png("BMP"), "not a JPEG, PNG, GIF or WebP image (BMP)"),
    ],
)
def test_an_avatar_that_is_not_an_image_is_left_out_with_a_warning(tmp_path, data, problem):
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd(
        "profile", [{"profile": {"avatarMediaUrl": "data/profile_media/42-me.jpg"}}]
    )
    files["data/profile_media/42-me.jpg"] = data
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert g.profile.avatar_bytes is None
    assert len(g.warnings) == 1 and problem in g.warnings[0] and "no avatar" in g.warnings[0]


def test_an_avatar_is_saved_under_the_extension_of_what_it_is(tmp_path):
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd(
        "profile", [{"profile": {"avatarMediaUrl": "data/profile_media/42-me.jpg"}}]
    )
    files["data/profile_media/42-me.jpg"] = _png()  # named .jpg, really a PNG
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert (g.profile.avatar_ext, g.profile.avatar_bytes) == ("png", _png())


@pytest.mark.parametrize("size, reason", [((3000, 3000), None), ((5000, 4000), "too large")])
def test_an_avatar_of_too_many_pixels_is_left_out(tmp_path, size, reason):
    buf = io.BytesIO()
    Image.new("L", size).save(buf, format="PNG")  # a few kB: only the pixel count is large
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "data/a.png"}}])
    files["data/a.png"] = buf.getvalue()
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert (g.profile.avatar_bytes is None) == bool(reason)
    assert all(reason in w for w in g.warnings) and len(g.warnings) == (1 if reason else 0)


@pytest.mark.parametrize("handle", ["../../etc", "a/b", "x" * 51, "ad\ud800a", ""])
def test_a_handle_that_is_no_x_handle_is_refused(tmp_path, handle):
    files = archive_files(TEXTS)
    files["data/account.js"] = ytd("account", [{"account": {"username": handle}}])
    path = write_zip(tmp_path / "a.zip", files)
    if handle:
        err = _fails(str(path), "not an X handle")
        assert "HANDLE=" in (err.hint or "")
    else:
        _fails(str(path), "no data/account.js naming")
    assert archive.fetch(parse(f"ada={path}"), OPTS).profile.handle == "ada"


def test_entries_that_are_no_post_are_counted_as_malformed(tmp_path):
    items = [tw("a real post here"), 42, None, {"tweet": {"full_text": 7}}, {"tweet": "x"}, []]
    files = archive_files([])
    files["data/tweets.js"] = ytd("tweets", items)
    g = archive.fetch(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert [p.text for p in g.posts] == ["a real post here"]
    assert g.skipped == {"malformed": 5}
    files["data/tweets.js"] = ytd("tweets", items[1:])
    _fails(str(write_zip(tmp_path / "b.zip", files)), r"no posts \(5 malformed entries skipped\)")


# --- an archive as X delivers it today: parts, edits, long posts, Circle, Community -------------


def test_each_post_once_whole_and_in_its_latest_version(tmp_path):
    x = x_archive.write_x_archive(tmp_path / "x.zip")
    g = gather(parse(str(x.path)), OPTS)
    texts = [p.text for p in g.posts]
    assert sorted(texts) == sorted(x.expected)  # each once
    assert not [t for t in x.never if t in texts]  # no Circle post, no earlier version, no cut
    assert not any(t.rstrip().endswith("…") or "… https://t.co/" in t for t in texts)
    assert g.skipped == x.skipped
    # A long reply keeps its leading @mention, which the note leaves out; its text is as typed.
    reply = next(p for p in g.posts if p.text.startswith("@gullwatcher "))
    assert "reads mine &amp; trusts it &lt;3" in reply.text  # escaped as tweets.js is
    assert "reads mine & trusts it <3" in " ".join(clean(g).texts)  # and unescaped once
    assert clean(g).texts.count(clean(g).texts[0]) == 1


def test_community_posts_are_read_only_when_asked(tmp_path):
    x = x_archive.write_x_archive(tmp_path / "x.zip")
    g = gather(parse(str(x.path)), SourceOptions(include_community=True))
    texts = [p.text for p in g.posts]
    assert all(t in texts for t in x.community)
    assert "community" not in g.skipped and g.skipped["circle"] == 2


def _long_post_files(note_delay_ms: int, note_text: str = "whole " * 80) -> dict[str, str | bytes]:
    """One cut long post in tweets.js and one note `note_delay_ms` before it."""
    when = datetime(2024, 5, 4, 10, 20, 30, 900_000, tzinfo=timezone.utc)
    post = x_archive.tweet(x_archive.cut(note_text), when, 1, random.Random(0))
    note_at = when - timedelta(milliseconds=note_delay_ms)
    note = x_archive.note_tweet(x_archive.snowflake(note_at, 3), note_at, note_text)
    files = archive_files([])
    files["data/tweets.js"] = ytd("tweets", [post] + [tw(f"plain post {i} here") for i in range(3)])
    files["data/note-tweet.js"] = ytd("note_tweet", [note])
    return files


def test_a_note_joins_the_first_cut_post_after_it_in_the_same_second(tmp_path):
    texts = [p.text for p in gather(parse(str(write_zip(tmp_path / "a.zip", _long_post_files(30)))), OPTS).posts]  # fmt: skip
    assert texts[0] == "whole " * 80


def test_a_note_far_from_the_cut_post_is_not_its_text(tmp_path):
    # A note made minutes before is another post's (deleted, or not in this archive).
    posts = gather(
        parse(str(write_zip(tmp_path / "a.zip", _long_post_files(5 * 60_000)))), OPTS
    ).posts
    assert posts[0].text.endswith("…")


def test_a_deleted_edited_post_goes_with_all_its_versions(tmp_path):
    first = {"tweet": {"id_str": "100", "full_text": "version one of the post here", "created_at":
             "Wed Oct 10 20:19:24 +0000 2018", "edit_info": {"initial": {"editTweetIds": ["100", "200"]}}}}  # fmt: skip
    later = {"tweet": {"id_str": "200", "full_text": "version two of the post here", "created_at":
             "Wed Oct 10 20:25:24 +0000 2018", "edit_info": {"edit": {"initialTweetId": "100"}}}}  # fmt: skip
    files = archive_files(["a plain post that stays put"])
    files["data/tweets.js"] = ytd("tweets", [first, later, tw("a plain post that stays put")])
    files["data/deleted-tweet-headers.js"] = ytd("deleted_tweet_headers", [{"tweet": {"tweet_id": "200"}}])  # fmt: skip
    g = gather(parse(str(write_zip(tmp_path / "a.zip", files))), OPTS)
    assert [p.text for p in g.posts] == ["a plain post that stays put"]
    assert g.deleted == 2 and "edited" not in g.skipped
