"""Hostile inputs, as someone who wanted to break `hf-tweetbot prepare` would build them.

Each `Case` builds its input in a folder and names what a user must see: the run refused with one
line (`refused`), or the run going on with the bad entries skipped and counted (`counted`). The
same cases drive the suite (`tests/test_cli.py`, with `scale` small) and `make hostile`
(`benchmarks/hostile.py`, at full size, timed and measured). Each builds on the builders of
real formats (`testkit/`) and breaks what a hostile file would break.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from testkit.bluesky import START, Repo, car_file, cid_of, commit_block, sample_repo
from testkit.mastodon import (
    Status,
    mastodon_files,
    status_html,
    write_mastodon_targz,
    write_mastodon_zip,
)
from testkit.media import image
from testkit.posts import posts
from testkit.x_archive import archive_files, bare_tweet, streamed_zip, write_dir, write_zip, ytd


@dataclass
class Case:
    """One hostile input: how to build it, and what the user sees."""

    name: str  # what was tried, for the table of docs/reliability.md
    build: Callable[[Path, int], list[str]]  # (folder, scale) -> extra command-line arguments
    outcome: str  # "refused" (exit 2, one line) or "counted" (exit 0, a summary line)
    expect: str  # a fragment of the Error line, or of the output
    full_scale: int = 1  # `scale` at full size (make hostile)
    suite_scale: int = 1  # `scale` in the suite, which lowers the caps (SUITE_CAPS)


# The caps the suite lowers (publisher/sources/limits.py), so that full-size cases stay small.
SUITE_CAPS = {"MAX_MEMBER_BYTES": 2 << 20, "MAX_TOTAL_BYTES": 8 << 20, "MAX_POSTS": 5_999}


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, in a few dozen bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\0" * (width + 1))  # one row; the rest never arrives
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- builders: each returns the command-line arguments (the USER spec) -------------------------


def symlinked_avatar(d: Path, _: int) -> list[str]:
    (d / "token").write_text("hf_" + "x" * 34)  # what a hostile archive would like published
    files = archive_files(posts(300))
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "data/me.jpg"}}])
    root = write_dir(d / "extracted", files)
    (root / "data/me.jpg").symlink_to(d / "token")
    return [str(root)]


def symlinked_tweets(d: Path, _: int) -> list[str]:
    (d / "elsewhere.js").write_text(ytd("tweets", [bare_tweet(t) for t in posts(300)]))
    files = archive_files([])
    del files["data/tweets.js"]
    root = write_dir(d / "extracted", files)
    (root / "data/tweets.js").symlink_to(d / "elsewhere.js")
    return [str(root)]


def zip_symlink_member(d: Path, _: int) -> list[str]:
    path = write_zip(d / "a.zip", {k: v for k, v in archive_files([]).items() if "tweets" not in k})
    with zipfile.ZipFile(path, "a") as zf:
        link = zipfile.ZipInfo("data/tweets.js")
        link.create_system, link.external_attr = 3, (0o120777 << 16)
        zf.writestr(link, "/root/.cache/huggingface/token")
    return [str(path)]


def symlink_loop(d: Path, _: int) -> list[str]:
    root = write_dir(d / "extracted", archive_files(posts(300)))
    (root / "data/tweets.js").unlink()
    (root / "data/tweets.js").symlink_to(root / "data/tweets.js")
    return [str(root)]


def zip_slip(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300)) | {"../../.bashrc": "echo pwned"}
    return [str(write_zip(d / "a.zip", files))]


def zip_bomb(d: Path, scale: int) -> list[str]:
    """A tweets.js that inflates from a few MB to `scale` MiB of blanks (1,100 at full size)."""
    blanks = (b" " * (1 << 20) for _ in range(scale))
    return [
        str(streamed_zip(d / "bomb.zip", chain([b"window.YTD.tweets.part0 = ["], blanks, [b"]"])))
    ]


def one_huge_value(d: Path, scale: int) -> list[str]:
    """One post of `scale` MiB of text (300 at full size) among ordinary ones."""
    head = archive_files(posts(300))["data/tweets.js"].rstrip()[:-1]  # without the closing ]
    text = (b"a" * (1 << 20) for _ in range(scale))
    pieces = chain([head.encode() + b', {"tweet": {"full_text": "'], text, [b'"}}]'])
    return [str(streamed_zip(d / "huge.zip", pieces))]


def long_post(d: Path, _: int) -> list[str]:
    return [str(write_zip(d / "a.zip", archive_files(posts(300) + ["word " * 40_000])))]


def identical_posts(d: Path, scale: int) -> list[str]:
    texts = posts(300) + ["happy new year to every one of you"] * (5_000 * scale)
    return [str(write_zip(d / "a.zip", archive_files(texts)))]


def lone_surrogates(d: Path, _: int) -> list[str]:
    texts = posts(300) + ["a broken \ud83d emoji from a bad export"] * 3
    files = archive_files(texts, name="Wren \udc00 Calloway")
    return [str(write_dir(d / "extracted", files))]


def deep_nesting(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300))
    files["data/tweets.js"] = "window.YTD.tweets.part0 = [" + "[" * 100_000 + "]" * 100_000 + "]"
    return [str(write_zip(d / "a.zip", files))]


def huge_number(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300))
    files["data/tweets.js"] = files["data/tweets.js"].replace('"0"', "9" * 50_000, 1)
    return [str(write_zip(d / "a.zip", files))]


def malformed_entries(d: Path, _: int) -> list[str]:
    files = archive_files([])
    items = [bare_tweet(t) for t in posts(300)] + [7, None, {"tweet": {"full_text": 5}}, "x"]
    files["data/tweets.js"] = ytd("tweets", items)
    return [str(write_zip(d / "a.zip", files))]


def not_utf8(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300))
    files["data/tweets.js"] = files["data/tweets.js"].encode().replace(b"lamp", b"l\xe4mp", 1)
    return [str(write_zip(d / "a.zip", files))]


def truncated_zip(d: Path, _: int) -> list[str]:
    data = write_zip(d / "a.zip", archive_files(posts(300))).read_bytes()
    (d / "a.zip").write_bytes(data[: len(data) // 2])
    return [str(d / "a.zip")]


def random_bytes(d: Path, _: int) -> list[str]:
    (d / "archive.zip").write_bytes(os.urandom(1 << 16))
    return [str(d / "archive.zip")]


def bad_handle(d: Path, _: int) -> list[str]:
    return [str(write_zip(d / "a.zip", archive_files(posts(300), handle="../../etc")))]


def avatar_not_an_image(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300))
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "data/me.jpg"}}])
    files["data/me.jpg"] = b"hf_" + b"x" * 34
    return [str(write_zip(d / "a.zip", files))]


def avatar_pixel_bomb(d: Path, _: int) -> list[str]:
    files = archive_files(posts(300))
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "data/me.png"}}])
    files["data/me.png"] = png_claiming(20_000, 20_000)  # 400 megapixels, claimed in 70 bytes
    return [str(write_zip(d / "a.zip", files))]


def too_many_posts(d: Path, scale: int) -> list[str]:
    """`scale` x 1,000 minimal posts (2,000,001 at full size: one over the cap)."""
    n = scale * 1_000 + (1 if scale >= 2_000 else 0)
    items = (b"%s{\"tweet\":{\"full_text\":\"post %d of many\"}}" % (b"," * bool(i), i)
             for i in range(n))  # fmt: skip
    pieces = chain([b"window.YTD.tweets.part0 = ["], items, [b"]"])
    return [str(streamed_zip(d / "many.zip", pieces))]


def csv_unclosed_quote(d: Path, _: int) -> list[str]:
    body = "".join(f"{t}\n" for t in posts(300))
    (d / "wren.csv").write_text('text\nfirst post of many here\n"an unclosed quote\n' + body * 60)
    return [str(d / "wren.csv")]


def jsonl_deep(d: Path, _: int) -> list[str]:
    lines = [json.dumps({"text": t}) for t in posts(300)]
    lines.append('{"text": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (d / "wren.jsonl").write_text("\n".join(lines) + "\n")
    return [str(d / "wren.jsonl")]


def out_is_the_archive(d: Path, _: int) -> list[str]:
    root = write_dir(d / "extracted", archive_files(posts(300)))
    return [str(root), "--out", str(root), "--overwrite"]


def out_holds_other_files(d: Path, _: int) -> list[str]:
    (d / "photos").mkdir()
    (d / "photos" / "holiday.jpg").write_bytes(image())
    src = write_dir(d / "extracted", archive_files(posts(300)))
    return [str(src), "--out", str(d / "photos"), "--overwrite"]


# --- Mastodon archives and Bluesky exports (testkit/ builds them as delivered) -----------------


def _mastodon(n: int = 300) -> dict[str, bytes]:
    return mastodon_files("wren", "Wren", [Status(status_html(t)) for t in posts(n)])


def _tar_gz(path: Path, members: Iterable[tuple[Any, Any]]) -> Path:
    """A .tar.gz of (TarInfo, file object or None) pairs, written as it goes."""
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for info, body in members:
            tar.addfile(info, body)
    return path


def _member(name: str, data: bytes = b"", kind: bytes = b"0", link: str = "") -> tuple[Any, Any]:
    import tarfile

    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname = len(data), kind, link
    return info, io.BytesIO(data) if data else None


def mastodon_tar_slip(d: Path, _: int) -> list[str]:
    members = [_member(n, b) for n, b in _mastodon().items()] + [_member("../../.bashrc", b"x")]
    return [str(_tar_gz(d / "archive.tar.gz", members))]


def mastodon_tar_link(d: Path, _: int) -> list[str]:
    members = [_member(n, b) for n, b in _mastodon().items() if n != "actor.json"]
    members.append(_member("actor.json", kind=b"2", link="/root/.cache/huggingface/token"))
    return [str(_tar_gz(d / "archive.tar.gz", members))]


class _Zeros(io.RawIOBase):
    """`size` zero bytes (or `fill` bytes), made as they are read (a bomb's payload, never held)."""

    def __init__(self, size: int, fill: int = 0) -> None:
        self.left, self.fill = size, fill

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self.left)
        b[:n] = bytes([self.fill]) * n
        self.left -= n
        return n


def mastodon_tar_bomb(d: Path, scale: int) -> list[str]:
    """A media file of `scale` MiB of zeros first, as Mastodon puts media first (2,100 at full
    size: past the 2 GiB read in all)."""
    import tarfile

    size = scale << 20
    info = tarfile.TarInfo("media_attachments/files/1/original/a.mp4")
    info.size = size
    members = [(info, io.BufferedReader(_Zeros(size)))]
    members += [_member(n, b) for n, b in _mastodon().items()]
    return [str(_tar_gz(d / "archive.tar.gz", members))]


def mastodon_nested_tags(d: Path, _: int) -> list[str]:
    """A status of 40,000 nested `<b>` and 40,000 stray `</i>` (280,000 characters) among
    ordinary ones."""
    statuses = [Status(status_html(t)) for t in posts(300)]
    statuses.insert(7, Status("<b>" * 40_000 + "</i>" * 40_000))
    return [str(write_mastodon_zip(d / "archive.zip", mastodon_files("wren", "Wren", statuses)))]


def sparse_header(name: str, size: int) -> bytes:
    """The tar header of a GNU sparse file of `size` bytes that are all a hole, as `tar --sparse`
    writes it for `truncate -s SIZE`: type `S`, no data, one map entry (offset `size`, 0 bytes)
    and the real size."""
    import tarfile

    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode = tarfile.GNUTYPE_SPARSE, 0, 0o644
    buf = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    buf[386:398] = b"%011o\0" % size  # the map's first entry: offset ...
    buf[398:410] = b"%011o\0" % 0  # ... and bytes of data
    buf[483:495] = b"%011o\0" % size  # the file's real size
    buf[148:156] = b" " * 8
    buf[148:156] = b"%06o\0 " % sum(buf)
    return bytes(buf)


def mastodon_tar_sparse(d: Path, scale: int) -> list[str]:
    """A .tar.gz of four folders, each holding a sparse outbox.json of `scale` MiB (128 at full
    size), all hole: a few hundred bytes."""
    import gzip
    import tarfile

    headers = []
    for folder in "abcd":
        info = tarfile.TarInfo(folder)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        headers += [
            info.tobuf(tarfile.GNU_FORMAT),
            sparse_header(f"{folder}/outbox.json", scale << 20),
        ]
    path = d / "archive.tar.gz"
    path.write_bytes(gzip.compress(b"".join(headers) + bytes(1024)))
    return [str(path)]


def mastodon_tar_blanks(d: Path, scale: int) -> list[str]:
    """A .tar.gz whose outbox.json holds its posts and then `scale` MiB of blanks (256 at full
    size: a few hundred kB)."""
    import tarfile

    files = _mastodon()
    body = files.pop("outbox.json").rstrip()
    assert body.endswith(b"}")
    size = len(body) + (scale << 20)
    info = tarfile.TarInfo("outbox.json")
    info.size = size
    blanks = io.BufferedReader(_Zeros(scale << 20, ord(" ")))
    outbox = io.BufferedReader(_Chain([io.BytesIO(body[:-1]), blanks, io.BytesIO(b"}")]))  # type: ignore[arg-type]
    members = [(info, outbox)] + [_member(n, b) for n, b in files.items()]
    return [str(_tar_gz(d / "archive.tar.gz", members))]


class _Chain(io.RawIOBase):
    """Streams read one after the other."""

    def __init__(self, streams: list[Any]) -> None:
        self.streams = streams

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self.streams:
            data = self.streams[0].read(len(b))
            if data:
                b[: len(data)] = data
                return len(data)
            self.streams.pop(0)
        return 0


def mastodon_avatar_zeros(d: Path, scale: int) -> list[str]:
    """A Mastodon .zip whose avatar.png is `scale` MiB of zeros (256 at full size)."""
    files = _mastodon()
    files["actor.json"] = files["actor.json"].replace(b'"likes"', b'"icon": {"type": "Image", '
                                                      b'"url": "avatar.png"}, "likes"')  # fmt: skip
    path = d / "archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        with zf.open("avatar.png", "w", force_zip64=True) as f:
            for _ in range(scale):
                f.write(bytes(1 << 20))
    return [str(path)]


def mastodon_tar_avatar_zeros(d: Path, scale: int) -> list[str]:
    """A Mastodon .tar.gz whose avatar.png is `scale` MiB of zeros."""
    import tarfile

    files = _mastodon()
    files["actor.json"] = files["actor.json"].replace(b'"likes"', b'"icon": {"type": "Image", '
                                                      b'"url": "avatar.png"}, "likes"')  # fmt: skip
    info = tarfile.TarInfo("avatar.png")
    info.size = scale << 20
    members = [_member(n, b) for n, b in files.items()]
    members.insert(-1, (info, io.BufferedReader(_Zeros(scale << 20))))
    return [str(_tar_gz(d / "archive.tar.gz", members))]


def mastodon_normal_zip(d: Path, _: int) -> list[str]:
    return [str(write_mastodon_zip(d / "archive.zip", _mastodon()))]


def mastodon_normal_tar(d: Path, _: int) -> list[str]:
    return [str(write_mastodon_targz(d / "archive.tar.gz", _mastodon()))]


def mastodon_octal_host(_: Path, __: int) -> list[str]:
    return ["mastodon:@x@0177.0.0.1"]


def mastodon_private_only(d: Path, _: int) -> list[str]:
    files = mastodon_files("wren", "Wren", [Status(status_html(t), "private") for t in posts(300)])
    return [str(write_mastodon_zip(d / "archive.zip", files))]


def _car(d: Path, data: bytes) -> list[str]:
    (d / "repo.car").write_bytes(data)
    return [f"wren.bsky.social={d / 'repo.car'}"]


def _car_of_keys(keys: list[tuple[int, bytes]]) -> bytes:
    """A repository whose tree is one node of entries (`p` prefix length, `k` suffix), each
    naming the same post."""
    import libipld

    post = libipld.encode_dag_cbor({"$type": "app.bsky.feed.post", "text": "the lamp is lit",
                                    "createdAt": START.strftime("%Y-%m-%dT%H:%M:%S.000Z")})  # fmt: skip
    entries = [{"p": p, "k": k, "v": cid_of(post), "t": None} for p, k in keys]
    node = libipld.encode_dag_cbor({"l": None, "e": entries})
    commit = commit_block(Repo().did, cid_of(node))
    return car_file(commit[0], [commit, (cid_of(node), node), (cid_of(post), post)])


def car_growing_keys(d: Path, _: int) -> list[str]:
    """One tree node of 2,000 entries, each key the last one and 100 bytes more (`p` = the key
    so far): 315 kB that spell 200 MB of keys."""
    first = b"app.bsky.feed.post/" + b"a" * 81
    return _car(d, _car_of_keys([(0, first)] + [(100 * i, b"b" * 100) for i in range(1, 2_000)]))


def car_long_keys(d: Path, _: int) -> list[str]:
    """Keys of 100,000 bytes, each different, spelled whole (600 kB)."""
    keys = [(0, b"app.bsky.feed.post/" + b"%05d" % i + b"k" * 99_976) for i in range(6)]
    return _car(d, _car_of_keys(keys))


def car_unreferenced_block(d: Path, scale: int) -> list[str]:
    """An ordinary repository and one more block that its tree never reaches: an array of
    `scale` million empty maps (5 at full size: 5 MB)."""
    root, blocks = sample_repo(300).blocks()
    n = scale * 1_000_000
    extra = b"\x9a" + n.to_bytes(4, "big") + b"\xa0" * n
    return _car(d, car_file(root, [*blocks, (cid_of(extra), extra)]))


def car_normal(d: Path, _: int) -> list[str]:
    return _car(d, sample_repo(300).car())


def car_not_a_car(d: Path, _: int) -> list[str]:
    (d / "repo.car").write_bytes(os.urandom(1 << 16))
    return [f"wren.bsky.social={d / 'repo.car'}"]


def car_truncated(d: Path, _: int) -> list[str]:
    data = sample_repo(300).car()
    (d / "repo.car").write_bytes(data[: len(data) * 2 // 3])
    return [f"wren.bsky.social={d / 'repo.car'}"]


def car_bad_block(d: Path, _: int) -> list[str]:
    data = sample_repo(300).car()
    at = data.index(b"Night 7:")  # a post's text changed, its CID left as it was
    (d / "repo.car").write_bytes(data[:at] + b"\xff" * 12 + data[at + 12 :])
    return [f"wren.bsky.social={d / 'repo.car'}"]


CASES = [
    Case("avatar symlinked to a file outside the folder", symlinked_avatar, "refused",
         "symbolic link to a file outside the archive folder"),
    Case("tweets.js symlinked outside the folder", symlinked_tweets, "refused",
         "symbolic link to a file outside"),
    Case("zip member stored as a symlink", zip_symlink_member, "refused",
         "stored as a symbolic link"),
    Case("symlink loop", symlink_loop, "refused", "symbolic link loop"),
    Case("zip slip entry (../../.bashrc)", zip_slip, "refused", "points outside its folder"),
    Case("zip bomb (1.1 GB of blanks in a few MB)", zip_bomb, "refused", "zip bomb", 1_100, 3),
    Case("one 300 MB post in tweets.js", one_huge_value, "counted", "1 over 100,000", 300),
    Case("a 200,000-character post", long_post, "counted", "1 over 100,000 characters"),
    Case("50,000 identical posts", identical_posts, "counted", "duplicates of a kept post", 10),
    Case("lone surrogates in posts and display name", lone_surrogates, "counted",
         "3 with text that is not valid Unicode"),
    Case("JSON nested 100,000 deep", deep_nesting, "refused", "nested more than 100 levels"),
    Case("a 50,000-digit number", huge_number, "refused", "number too long"),
    Case("entries that are not tweets", malformed_entries, "counted", "4 malformed"),
    Case("tweets.js not UTF-8", not_utf8, "refused", "not UTF-8 text (byte 0xe4 at offset"),
    Case("zip cut in half", truncated_zip, "refused", "not a valid zip"),
    Case("64 kB of random bytes as .zip", random_bytes, "refused", "not a valid zip"),
    Case("handle ../../etc in account.js", bad_handle, "refused", "not an X handle"),
    Case("avatar that is a token, not an image", avatar_not_an_image, "counted",
         "not a readable image"),
    Case("avatar of 20,000 x 20,000 pixels", avatar_pixel_bomb, "counted", "too large"),
    Case("2,000,001 posts", too_many_posts, "refused", "posts; hf-tweetbot reads at most", 2_000, 6),
    Case("CSV with an unclosed quote", csv_unclosed_quote, "refused",
         "the record starting at line 3"),
    Case(".jsonl line nested 100,000 deep", jsonl_deep, "refused", "nested more than 100"),
    Case("--out the archive's own folder, --overwrite", out_is_the_archive, "refused",
         "is the input itself"),
    Case("--out a folder of photos, --overwrite", out_holds_other_files, "refused",
         "not part of a bot (holiday.jpg)"),
    Case("Mastodon .tar.gz entry ../../.bashrc", mastodon_tar_slip, "refused",
         "points outside its folder"),
    Case("Mastodon .tar.gz actor.json stored as a link", mastodon_tar_link, "refused",
         "stored as a link"),
    Case("Mastodon .tar.gz inflating past 2 GiB", mastodon_tar_bomb, "refused",
         "this looks like a zip bomb", 2_100, 10),
    Case("Mastodon .zip, 300 posts (normal, for comparison)", mastodon_normal_zip, "counted", "@wren"),
    Case("Mastodon status of 40,000 nested <b> and 40,000 </i>", mastodon_nested_tags, "counted",
         "@wren"),
    Case("Mastodon .tar.gz, 300 posts (normal, for comparison)", mastodon_normal_tar, "counted",
         "@wren"),
    Case("Mastodon .tar.gz of four sparse 128 MiB outbox.json", mastodon_tar_sparse, "refused",
         "stored as a sparse file", 128, 128),
    Case("Mastodon .tar.gz whose outbox.json holds 256 MiB of blanks", mastodon_tar_blanks,
         "counted", "@wren", 256, 1),
    Case("Mastodon .zip whose avatar.png is 256 MiB of zeros", mastodon_avatar_zeros, "counted",
         "allowed for an avatar; the bot has no avatar", 256, 8),
    Case("mastodon:@x@0177.0.0.1 (an octal host)", mastodon_octal_host, "refused",
         "0177.0.0.1: not a host name or an address"),
    Case("Mastodon archive of followers-only posts only", mastodon_private_only, "refused",
         "no public posts (300 followers-only or direct, never read)"),
    Case("Bluesky repo.car, 300 posts (normal, for comparison)", car_normal, "counted",
         "@wren.bsky.social"),
    Case("repo.car: one tree node of 2,000 keys, each 100 bytes longer", car_growing_keys, "refused",
         "the AT Protocol allows a collection of 317 characters and a record key of 512"),
    Case("repo.car: keys of 100,000 bytes", car_long_keys, "refused",
         "the AT Protocol allows a collection of 317 characters and a record key of 512"),
    Case("repo.car with an unreferenced block of 5,000,000 empty maps", car_unreferenced_block,
         "counted", "@wren.bsky.social", 5, 1),
    Case("64 kB of random bytes as repo.car", car_not_a_car, "refused", "not a CAR file"),
    Case("repo.car cut at two thirds", car_truncated, "refused", "truncated: it ends inside a block"),
    Case("repo.car with a block's bytes changed", car_bad_block, "refused", "do not match its CID"),
]  # fmt: skip
