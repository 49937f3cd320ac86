"""Dispatch of the USER argument to a source module."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from publisher.errors import ArchiveError, SourceError
from publisher.sources import gather
from publisher.sources.spec import parse

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wrencalloway_archive.zip"


def test_a_broken_link_named_like_a_handle_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wren").symlink_to("wren")
    assert parse("wren").kind == "archive"
    with pytest.raises(ArchiveError, match="wren is a symbolic link loop"):
        gather(parse("wren"))


def test_gather_reads_archive_folder_and_file(tmp_path):
    with zipfile.ZipFile(SAMPLE) as zf:
        zf.extractall(tmp_path / "extracted")  # our own trusted sample, to test folders
    csv = tmp_path / "notes.csv"
    csv.write_text("text\nwritten in a plain csv file\n")
    from_zip = gather(parse(str(SAMPLE)))
    assert from_zip.profile.source == "archive"
    assert gather(parse(str(tmp_path / "extracted"))) == from_zip
    g = gather(parse(f"wren={csv}"))
    assert (g.profile.handle, g.profile.source) == ("wren", "file")


def test_gather_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        gather(parse(str(tmp_path / "nowhere" / "archive.zip")))
