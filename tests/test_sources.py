"""Dispatch of the USER argument to a source module."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from publisher.errors import ArchiveError, SourceError
from publisher.sources import gather, source_kind, split_spec

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wrencalloway_archive.zip"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ada=tweets.js", ("ada", "tweets.js")),
        ("@ada=some/folder", ("ada", "some/folder")),
        ("some/folder/with=sign.zip", (None, "some/folder/with=sign.zip")),
        ("archive.zip", (None, "archive.zip")),
        ("x:ada", (None, "x:ada")),
    ],
)
def test_split_spec(spec, expected):
    assert split_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("archive.zip", "archive"),
        ("ada=data/tweets.js", "archive"),
        ("posts.csv", "file"),
        ("ada=posts.JSONL", "file"),
        ("bsky:ada.bsky.social", "bluesky"),
        ("mastodon:@ada@example.social", "mastodon"),
        ("x:ada", "x_api"),
        ("@ada", "x_api"),
    ],
)
def test_source_kind(spec, kind):
    assert source_kind(spec) == kind


def test_existing_folder_named_like_a_handle_is_an_archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wren").mkdir()
    assert source_kind("wren") == "archive"


def test_a_broken_link_named_like_a_handle_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wren").symlink_to("wren")
    assert source_kind("wren") == "archive"
    with pytest.raises(ArchiveError, match="wren is a symbolic link loop"):
        gather("wren")


def test_gather_reads_archive_folder_and_file(tmp_path):
    with zipfile.ZipFile(SAMPLE) as zf:
        zf.extractall(tmp_path / "extracted")  # our own trusted sample, to test folders
    csv = tmp_path / "notes.csv"
    csv.write_text("text\nwritten in a plain csv file\n")
    from_zip = gather(str(SAMPLE))
    assert from_zip.profile.source == "archive"
    assert gather(str(tmp_path / "extracted")) == from_zip
    g = gather(f"wren={csv}")
    assert (g.profile.handle, g.profile.source) == ("wren", "file")


def test_gather_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        gather(str(tmp_path / "nowhere" / "archive.zip"))
