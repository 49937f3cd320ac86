"""X archive source: zip, folder and bare tweets.js, and every way an archive can be bad."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from publisher.clean import check_enough, clean
from publisher.errors import ArchiveError, SourceError
from publisher.sources import SourceOptions, archive, gather
from publisher.sources import archive_files as files_mod

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OPTS = SourceOptions()
SAMPLE = EXAMPLES / "wrencalloway_archive.zip"


def ytd(name: str, items: object) -> str:
    return f"window.YTD.{name}.part0 = {json.dumps(items, indent=2)}"


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


def make_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


TEXTS = ["first post of the day", "RT @bob: something else", "@carol replying to you now"]


def test_zip_gives_profile_and_posts_in_order(tmp_path):
    g = archive.fetch(str(make_zip(tmp_path / "a.zip", archive_files(TEXTS))), OPTS)
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
    from_zip = archive.fetch(str(make_zip(tmp_path / "a.zip", files)), OPTS)
    from_dir = archive.fetch(str(make_dir(tmp_path / "extracted", files)), OPTS)
    assert from_dir == from_zip


def test_zip_with_a_top_folder(tmp_path):
    path = make_zip(tmp_path / "a.zip", archive_files(TEXTS, prefix="twitter-2022-10-01/data/"))
    g = archive.fetch(str(path), OPTS)
    assert g.profile.handle == "adalove"
    assert len(g.posts) == 3


def test_handle_prefix_overrides_the_archive(tmp_path):
    path = make_zip(tmp_path / "a.zip", archive_files(TEXTS))
    g = gather(f"countess={path}", OPTS)
    assert g.profile.handle == "countess"
    assert g.profile.name == "Ada Lovelace"


def test_bare_tweets_js_needs_a_handle(tmp_path):
    js = tmp_path / "tweets.js"
    js.write_text(ytd("tweets", [tw(t) for t in TEXTS]))
    with pytest.raises(ArchiveError) as e:
        archive.fetch(str(js), OPTS)
    assert "HANDLE=" in e.value.hint
    g = archive.fetch(f"ada={js}", OPTS)
    assert (g.profile.handle, g.profile.name) == ("ada", "ada")
    assert [p.text for p in g.posts] == TEXTS


def test_multi_part_archive_reads_every_part_in_order(tmp_path):
    files = archive_files(["part zero"])
    for n in (1, 2, 10):  # part10 must come after part2, not after part1
        files[f"data/tweets-part{n}.js"] = f"window.YTD.tweets.part{n} = " + json.dumps(
            [tw(f"part {n}")]
        )
    g = archive.fetch(str(make_zip(tmp_path / "a.zip", files)), OPTS)
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
    g = archive.fetch(str(make_zip(tmp_path / "old.zip", files)), OPTS)
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
        make_zip(tmp_path / "a.zip", files) if layout == "zip" else make_dir(tmp_path / "d", files)
    )
    g = archive.fetch(str(path), OPTS)
    assert g.profile.avatar_url is None
    assert g.profile.avatar_bytes == files["data/profile_media/42-me.jpeg"]
    assert g.profile.avatar_ext == "jpg"


def test_avatar_path_outside_the_archive_is_refused(tmp_path):
    files = archive_files(TEXTS)
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "../secret.jpg"}}])
    with pytest.raises(ArchiveError, match="outside"):
        archive.fetch(str(make_zip(tmp_path / "a.zip", files)), OPTS)


# --- bad input: one-line message naming the file, a hint, nothing written -------------------


def _fails(spec: str, match: str) -> ArchiveError:
    with pytest.raises(ArchiveError, match=match) as e:
        archive.fetch(spec, OPTS)
    assert "\n" not in e.value.message
    assert e.value.hint
    return e.value


def test_missing_path(tmp_path):
    err = _fails(str(tmp_path / "nope.zip"), "no such file")
    assert "nope.zip" in err.message


def test_zip_without_tweets_js(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"data/account.js": ytd("account", ACCOUNT)})
    assert "a.zip" in _fails(str(path), "no data/tweets.js").message


def test_truncated_json_names_file_and_line(tmp_path):
    files = archive_files(TEXTS)
    full = files["data/tweets.js"]
    assert isinstance(full, str)
    files["data/tweets.js"] = full[: len(full) // 2]
    err = _fails(str(make_zip(tmp_path / "a.zip", files)), "invalid JSON at line")
    assert "data/tweets.js" in err.message


def test_invalid_json_line_number_counts_from_the_file_start(tmp_path):
    js = tmp_path / "tweets.js"
    js.write_text('window.YTD.tweets.part0 = [\n  {"tweet": {"full_text": "a"}},\n  oops\n]')
    _fails(f"ada={js}", "line 3")


def test_js_without_assignment(tmp_path):
    files = archive_files(TEXTS)
    files["data/tweets.js"] = json.dumps([tw("x")])
    _fails(str(make_zip(tmp_path / "a.zip", files)), "no '=' assignment")


def test_archive_without_posts(tmp_path):
    _fails(str(make_zip(tmp_path / "a.zip", archive_files([]))), "no posts")


def test_archive_without_account_needs_a_handle(tmp_path):
    files = {"data/tweets.js": ytd("tweets", [tw("hello there everyone")])}
    err = _fails(str(make_zip(tmp_path / "a.zip", files)), "account.js")
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
    path = make_zip(tmp_path / "a.zip", files)
    _fails(str(path), "outside its folder")
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "work"]


def test_zip_bomb_member_over_the_declared_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(files_mod, "MAX_MEMBER_BYTES", 10_000)
    files = archive_files(["x" * 100] * 200)  # tweets.js ~ 20 kB, compresses to almost nothing
    _fails(str(make_zip(tmp_path / "a.zip", files)), "zip bomb")


def test_zip_bomb_total_over_the_limit(tmp_path, monkeypatch):
    files = archive_files(["x" * 100] * 100)
    for n in (1, 2, 3):
        files[f"data/tweets-part{n}.js"] = files["data/tweets.js"]
    size = len(files["data/tweets.js"])
    monkeypatch.setattr(files_mod, "MAX_TOTAL_BYTES", 3 * size)  # each part fits, four do not
    _fails(str(make_zip(tmp_path / "a.zip", files)), "zip bomb")


def test_reading_counts_bytes_even_when_the_declared_size_lies(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "a.zip", archive_files(["y" * 100] * 200))
    real_open = files_mod.ZipReader._open

    def lying_open(self, name):
        found = real_open(self, name)
        return None if found is None else (found[0], 1)  # claim 1 byte

    monkeypatch.setattr(files_mod.ZipReader, "_open", lying_open)
    monkeypatch.setattr(files_mod, "MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(files_mod, "_CHUNK", 4096)
    _fails(str(path), "zip bomb")


def test_archive_errors_are_source_errors(tmp_path):
    with pytest.raises(SourceError):
        archive.fetch(str(tmp_path / "missing.zip"), OPTS)


# --- the sample archive shipped in examples/ -------------------------------------------------


def _sample_module(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec and spec.loader
    sys.path.insert(0, str(EXAMPLES))
    try:
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(EXAMPLES))
    return mod


def test_sample_archive_reads_as_wren():
    g = gather(str(SAMPLE))
    posts = _sample_module("wrencalloway_posts").POSTS
    assert (g.profile.handle, g.profile.name) == ("wrencalloway", "Wren Calloway")
    assert g.profile.avatar_url is None and g.profile.avatar_ext == "png"
    assert Image.open(io.BytesIO(g.profile.avatar_bytes or b"")).size == (400, 400)
    assert [p.text for p in g.posts] == posts
    assert len(posts) >= 350


def test_sample_archive_counts_match_the_card_rules():
    g = gather(str(SAMPLE))
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
    out = _sample_module("make_sample_archive").write(tmp_path / "again.zip")
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(out) as new:
        assert old.namelist() == new.namelist()
        for name in old.namelist():
            if name.endswith(".png"):  # PNG bytes depend on the zlib build; compare pixels
                a, b = (Image.open(io.BytesIO(z.read(name))) for z in (old, new))
                assert a.tobytes() == b.tobytes(), name
            else:
                assert old.read(name) == new.read(name), name
            assert old.getinfo(name).date_time == new.getinfo(name).date_time
