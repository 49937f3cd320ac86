"""Mastodon archive source: the archives Mastodon delivers (.zip, .tar.gz, extracted folder), built
here as its BackupService writes them (testkit/mastodon.py), and every way one can be bad."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import peak_mib, read_or_fail_in_one_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import cli
from publisher.bot import manifest
from publisher.clean import clean
from publisher.errors import ArchiveError
from publisher.sources import SourceOptions, gather, limits
from publisher.sources.spec import parse
from testkit.mastodon import (
    Status,
    mastodon_files,
    status_html,
    write_mastodon_targz,
    write_mastodon_zip,
)
from testkit.media import image
from testkit.posts import posts

OPTS = SourceOptions(progress=False)
LINK = (
    '<a href="https://www.example.com/a/very/long/path/that/goes/on" target="_blank" '
    'rel="nofollow noopener noreferrer"><span class="invisible">https://www.</span>'
    '<span class="ellipsis">example.com/a/very/long/path/t</span><span class="invisible">'
    "hat/goes/on</span></a>"
)
PRIVATE = "followers only: the spare key is under the third step"
DIRECT = "just for you: my phone number is on the logbook cover"
WARNED = "the ending of the book, in which the keeper leaves the light"


def statuses(n: int = 300) -> list[Status]:
    """`n` public posts, and one of each other kind."""
    out = [Status(status_html(t)) for t in posts(n)]
    return out + [
        Status(f"<p>Notes on the lamp: {LINK} more soon, friends</p>"),
        Status(status_html("unlisted: the fog is back over the headland tonight"), "unlisted"),
        Status(status_html(PRIVATE), "private"),
        Status(status_html(DIRECT), "direct"),
        Status(status_html(WARNED), cw="book spoilers"),
        Status("", boost_of="https://other.example/users/gulls/statuses/109"),
    ]


def files(**kw) -> dict[str, bytes]:
    return mastodon_files("wren", "Wren Calloway", statuses(), avatar=image("PNG"), **kw)


@pytest.fixture(params=["zip", "tar.gz", "folder"])
def archive(request, tmp_path) -> Path:
    if request.param == "zip":
        return write_mastodon_zip(tmp_path / "archive-20240301.zip", files())
    if request.param == "tar.gz":
        media = {"/home/mastodon/live/public/system/media_attachments/files/1/a.jpg": image()}
        return write_mastodon_targz(tmp_path / "archive-20240301.tar.gz", files(), media)
    root = tmp_path / "archive"
    for name, data in files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_every_form_reads_the_public_posts_and_the_profile(archive):
    assert parse(str(archive)).kind == "mastodon_archive"
    g = gather(parse(str(archive)), OPTS)
    assert (g.profile.handle, g.profile.name, g.profile.source) == ("wren", "Wren Calloway", "mastodon_archive")  # fmt: skip
    assert g.profile.avatar_ext == "png" and g.profile.avatar_bytes and not g.profile.protected
    texts = [p.text for p in g.posts]
    assert texts[:300] == posts(300)
    assert "unlisted: the fog is back over the headland tonight" in texts
    assert PRIVATE not in texts and DIRECT not in texts
    assert g.skipped == {"private": 2}
    assert WARNED in texts and g.content_warnings == 1
    assert sum(p.is_repost for p in g.posts) == 1
    # The status ids are the API's, so `update` can merge a later archive or the live account.
    assert all(p.id and p.id.isdigit() for p in g.posts)
    cleaned = clean(g)
    assert cleaned.counts.retweets == 1
    assert "Notes on the lamp: more soon, friends" in cleaned.texts  # no fragment of the link


def test_content_warnings_are_left_out_when_asked(tmp_path):
    path = write_mastodon_zip(tmp_path / "a.zip", files())
    g = gather(parse(str(path)), SourceOptions(skip_content_warnings=True))
    assert WARNED not in [p.text for p in g.posts]
    assert g.skipped == {"private": 2, "content_warning": 1} and g.content_warnings == 1


def test_a_locked_account_is_protected(tmp_path):
    path = write_mastodon_zip(tmp_path / "a.zip", files(locked=True))
    assert gather(parse(str(path)), OPTS).profile.protected


def test_prepare_trains_on_public_posts_only_and_counts_the_rest(tmp_path, tiny_model, capsys):
    path = write_mastodon_zip(tmp_path / "archive.zip", files())
    out = tmp_path / "bot"
    code = cli.main(["prepare", str(path), "--out", str(out), "--base-model", str(tiny_model),
                     "--block-size", "64"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "@wren: not trained on: 2 followers-only or direct" in err
    assert "@wren: 1 posts behind a content warning are trained on (--skip-content-warnings" in err
    rows = (out / "data" / "posts.jsonl").read_text()
    assert "spare key" not in rows and "phone number" not in rows and "example.com" not in rows
    user = manifest.load(out).users[0]
    assert user.source == "mastodon_archive" and user.skipped["private"] == 2
    assert user.tweets_downloaded == user.retweets + user.short_tweets + user.tweets_kept
    assert (out / "avatars" / "avatar_wren.png").is_file()

    code = cli.main(["prepare", str(path), "--out", str(out), "--base-model", str(tiny_model),
                     "--block-size", "64", "--skip-content-warnings"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and "1 behind a content warning (--skip-content-warnings)" in err
    assert "the ending of the book" not in (out / "data" / "posts.jsonl").read_text()
    assert manifest.load(out).privacy["skip_content_warnings"] is True


@pytest.mark.slow  # publishes a whole bot
def test_publish_no_push_makes_a_bot(tmp_path, tiny_model, capsys):
    path = write_mastodon_targz(tmp_path / "archive.tar.gz", files())
    out = tmp_path / "bot"
    code = cli.main(["publish", str(path), "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "64", "--max-steps", "2", "--eval-samples", "0",
                     "--no-push"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    card = (out / "repo" / "README.md").read_text()
    assert "@wren" in card and "| Tweets kept |" in card
    assert (out / "repo" / "avatar_wren.png").is_file()


# --- bad archives: one line each ------------------------------------------------------------------


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            body = data.get(info.name)
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


def _info(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:  # fmt: skip
    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname = size, kind, target
    return info


def test_a_tar_entry_climbing_out_is_refused(tmp_path):
    good = files()
    members = [_info(n, len(d)) for n, d in good.items()] + [_info("../../.bashrc", 4)]
    path = _tar(tmp_path / "a.tar.gz", members, good | {"../../.bashrc": b"evil"})
    with pytest.raises(ArchiveError, match="points outside its folder"):
        gather(parse(str(path)), OPTS)


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_a_tar_link_is_refused(tmp_path, kind):
    good = files()
    members = [_info("actor.json", 0, kind, "/root/.cache/huggingface/token")]
    members += [_info(n, len(d)) for n, d in good.items() if n != "actor.json"]
    with pytest.raises(ArchiveError, match="stored as a link"):
        gather(parse(str(_tar(tmp_path / "a.tar.gz", members, good))), OPTS)


def test_a_tar_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TOTAL_BYTES", 1 << 20)
    zeros = b"\0" * (3 << 20)
    members = [_info("media_attachments/big.bin", len(zeros))]
    members += [_info(n, len(d)) for n, d in files().items()]
    path = _tar(tmp_path / "a.tar.gz", members, files() | {"media_attachments/big.bin": zeros})
    assert path.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match="looks like a zip bomb"):
        gather(parse(str(path)), OPTS)


def test_a_zip_slip_entry_is_refused(tmp_path):
    path = write_mastodon_zip(tmp_path / "a.zip", files() | {"../../.bashrc": b"evil"})
    with pytest.raises(ArchiveError, match="points outside its folder") as e:
        gather(parse(str(path)), OPTS)
    assert e.value.hint == "use the archive exactly as Mastodon delivered it"


def test_a_broken_mastodon_zip_is_told_how_mastodon_gives_it_again(tmp_path):
    path = write_mastodon_zip(tmp_path / "a.zip", files())
    data = bytearray(path.read_bytes())
    start = data.index(b"outbox.json") + len("outbox.json")  # inside the outbox's deflated bytes
    data[start + 40 : start + 400] = bytes(360)
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="cannot be read") as e:
        gather(parse(str(path)), OPTS)
    assert e.value.hint == "request the archive again (Mastodon: Preferences > Import and export)"
    assert "X" not in e.value.hint.split()


def test_a_link_out_of_an_extracted_mastodon_archive_is_refused_in_mastodon_s_words(tmp_path):
    root = tmp_path / "archive"
    for name, data in files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (tmp_path / "token").write_text("hf_secret")
    (root / "actor.json").unlink()
    (root / "actor.json").symlink_to(tmp_path / "token")
    with pytest.raises(ArchiveError, match="outside the archive folder") as e:
        gather(parse(str(root)), OPTS)
    assert e.value.hint == "use the archive exactly as Mastodon delivered it"


def test_an_avatar_path_leaving_the_archive_is_refused(tmp_path):
    actor = json.loads(files()["actor.json"]) | {"icon": {"type": "Image", "url": "../../token"}}
    path = write_mastodon_zip(tmp_path / "a.zip", files() | {"actor.json": json.dumps(actor).encode()})  # fmt: skip
    with pytest.raises(ArchiveError, match="points outside the archive"):
        gather(parse(str(path)), OPTS)


@pytest.mark.parametrize(
    ("outbox", "message"),
    [
        (b'{"orderedItems": [{"type": "Create"', "invalid JSON (it ends early)"),
        (b"\xff\xfe not json", "not UTF-8 text"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'{"orderedItems": ' + b"[" * 500 + b"]" * 500 + b"}", "nested more than 100 levels"),
    ],
)
def test_a_broken_outbox_is_one_line(tmp_path, outbox, message):
    path = write_mastodon_zip(tmp_path / "a.zip", files() | {"outbox.json": outbox})
    with pytest.raises(ArchiveError) as e:
        gather(parse(str(path)), OPTS)
    assert message in e.value.message and "outbox.json" in e.value.message
    assert "\n" not in e.value.message and "Mastodon" in (e.value.hint or "")


def test_an_archive_of_private_posts_only_says_so(tmp_path):
    quiet = mastodon_files("wren", "Wren", [Status(status_html(PRIVATE), "private")] * 3)
    with pytest.raises(ArchiveError, match=r"no public posts \(3 followers-only or direct"):
        gather(parse(str(write_mastodon_zip(tmp_path / "a.zip", quiet))), OPTS)


def test_a_truncated_tar_gz_is_one_line(tmp_path, tiny_model, capsys):
    data = write_mastodon_targz(tmp_path / "a.tar.gz", files()).read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    code = cli.main(["prepare", str(tmp_path / "cut.tar.gz"), "--out", str(tmp_path / "bot"),
                     "--base-model", str(tiny_model)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.startswith("Error: ")] == [
        f"Error: {tmp_path / 'cut.tar.gz'}: not a valid .tar.gz archive "
        "(Compressed file ended before the end-of-stream marker was reached)"
    ]


# --- strangers' bytes ---------------------------------------------------------------------------

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
ACTIVITY = st.fixed_dictionaries(
    {"type": st.sampled_from(["Create", "Announce", "Delete", 7])},
    optional={"to": JSON | st.just(["https://www.w3.org/ns/activitystreams#Public"]),
              "cc": JSON, "object": JSON | st.fixed_dictionaries({}, optional={
                  "content": st.text(max_size=80) | JSON, "summary": JSON, "to": JSON,
                  "id": JSON, "published": JSON})},
)  # fmt: skip


def test_random_activities_read_or_fail_in_one_line(tmp_path):
    @FUZZ
    @given(st.lists(ACTIVITY | JSON, max_size=8), JSON)
    def target(items, actor) -> None:
        doc = {"type": "OrderedCollection", "orderedItems": items}
        read_or_fail_in_one_line(write_mastodon_zip(tmp_path / "f.zip", {"outbox.json": json.dumps(doc).encode(),
                                                      "actor.json": json.dumps(actor).encode()}))  # fmt: skip

    target()


def test_random_bytes_as_any_member_read_or_fail_in_one_line(tmp_path):
    good = files()
    valid_tgz = write_mastodon_targz(tmp_path / "v.tar.gz", good).read_bytes()

    @FUZZ
    @given(st.sampled_from(["outbox.json", "actor.json", "avatar.png", "tar.gz"]), st.binary(max_size=2048))  # fmt: skip
    def target(member, data) -> None:
        if member == "tar.gz":
            cut = valid_tgz[: len(data) % len(valid_tgz)] + data[:16]
            (tmp_path / "r.tar.gz").write_bytes(cut)
            read_or_fail_in_one_line(tmp_path / "r.tar.gz")
            return
        read_or_fail_in_one_line(write_mastodon_zip(tmp_path / "r.zip", good | {member: data}))

    target()


def test_a_zip_of_the_extracted_folder_reads_too(tmp_path):
    path = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files().items():
            zf.writestr(f"archive-20240301/{name}", data)
    g = gather(parse(str(path)), OPTS)
    assert g.profile.handle == "wren" and len(g.posts) == 304


# --- what a hostile archive costs: bounded by the caps, not by its tricks --------------------------


def test_a_tar_member_is_streamed_as_a_zip_member_is(tmp_path):
    from benchmarks.hostile_cases import mastodon_tar_blanks

    (path,) = mastodon_tar_blanks(tmp_path, 48)  # outbox.json: the posts, then 48 MiB of blanks
    g, peak = peak_mib(lambda: gather(parse(path), OPTS))
    assert not isinstance(g, ArchiveError) and len(g.posts) == 300
    assert peak < 12, f"{peak:.0f} MiB held to read a 48 MiB member"


def test_a_sparse_tar_member_is_refused_unread(tmp_path):
    from benchmarks.hostile_cases import mastodon_tar_sparse

    (path,) = mastodon_tar_sparse(tmp_path, 128)  # four sparse outbox.json of 128 MiB: 200 bytes
    assert Path(path).stat().st_size < 1_000
    e, peak = peak_mib(lambda: gather(parse(path), OPTS))
    assert isinstance(e, ArchiveError) and "a/outbox.json is stored as a sparse file" in e.message
    assert peak < 4, f"{peak:.0f} MiB"


def test_the_sparse_header_is_what_gnu_tar_writes(tmp_path):
    import shutil
    import subprocess

    from benchmarks.hostile_cases import sparse_header

    if shutil.which("tar") is None or shutil.which("truncate") is None:
        pytest.skip("GNU tar not installed")
    (tmp_path / "a").mkdir()
    subprocess.run(["truncate", "-s", "128M", "a/outbox.json"], cwd=tmp_path, check=True)
    subprocess.run(["tar", "--sparse", "--format=gnu", "-cf", "s.tar", "a/outbox.json"],
                   cwd=tmp_path, check=True)  # fmt: skip
    theirs = (tmp_path / "s.tar").read_bytes()[:512]
    ours = sparse_header("a/outbox.json", 128 << 20)
    # Name, type, sparse map and real size as GNU tar writes them; times and owners differ.
    for field in (slice(0, 100), slice(124, 136), slice(156, 157), slice(386, 495)):
        assert ours[field] == theirs[field], field


def test_a_tar_archive_whose_members_inflate_past_the_cap_is_refused_when_skipped(tmp_path, monkeypatch):  # fmt: skip
    from benchmarks.hostile_cases import mastodon_tar_bomb

    monkeypatch.setattr(limits, "MAX_TOTAL_BYTES", 8 << 20)
    (path,) = mastodon_tar_bomb(tmp_path, 16)  # a 16 MiB media file, skipped over
    e, peak = peak_mib(lambda: gather(parse(path), OPTS))
    assert isinstance(e, ArchiveError) and "this looks like a zip bomb" in e.message
    assert peak < 4, f"{peak:.0f} MiB"


@pytest.mark.parametrize("form", ["zip", "tar.gz"])
def test_an_avatar_over_the_cap_is_never_read(tmp_path, form):
    from benchmarks.hostile_cases import mastodon_avatar_zeros, mastodon_tar_avatar_zeros

    build = mastodon_avatar_zeros if form == "zip" else mastodon_tar_avatar_zeros
    (path,) = build(tmp_path, 64)  # 64 MiB of zeros in a few hundred kB
    g, peak = peak_mib(lambda: gather(parse(path), OPTS))
    assert not isinstance(g, ArchiveError) and g.profile.avatar_bytes is None
    assert any(f"{64 << 20:,} bytes, over the" in w for w in g.warnings), g.warnings
    assert peak < 8, f"{peak:.0f} MiB"


def test_a_status_of_deeply_nested_tags_reads_as_the_others(tmp_path):
    from benchmarks.hostile_cases import mastodon_nested_tags

    (path,) = mastodon_nested_tags(tmp_path, 1)
    g = gather(parse(path), OPTS)
    assert len(g.posts) == 301 and g.posts[7].text == ""


def test_a_status_over_the_html_cap_is_counted_unparsed(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_HTML_CHARS", 1_000)
    big = Status("<p>" + "zephyr " * 400 + "</p>")
    path = write_mastodon_zip(
        tmp_path / "a.zip", mastodon_files("wren", "Wren", [*statuses(), big])
    )
    g = gather(parse(str(path)), OPTS)
    assert g.skipped.get("too_long") == 1
    assert not any("zephyr" in p.text for p in g.posts)
