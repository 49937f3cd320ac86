"""The caps on what one input may make us read: documented as they are, and enforced.

Each cap is enforced in the tests of the reader it guards (test_archive*.py, test_file_source.py,
test_clean.py, and every hostile case in test_cli.py under lowered caps); here, docs/reliability.md states
them as limits.py sets them, and the one cap no other test reaches.
"""

from __future__ import annotations

import io

from conftest import REPO_ROOT
from PIL import Image

from publisher.sources import SourceOptions, archive, limits
from publisher.sources.spec import parse

RELIABILITY = (REPO_ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")


def test_the_docs_state_every_cap_as_limits_py_sets_it():
    rows = {
        "one archive member (uncompressed), one `.jsonl`/`.csv` file": f"{limits.MAX_MEMBER_BYTES >> 30} GiB",
        "all members of one archive": f"{limits.MAX_TOTAL_BYTES >> 30} GiB",
        "one post": f"{limits.MAX_POST_CHARS:,} characters",
        "one `tweets.js` item, one `.jsonl` line, one CSV field": f"{limits.MAX_ITEM_CHARS:,} characters",
        "JSON nesting": f"{limits.MAX_DEPTH} levels",
        "posts per user": f"{limits.MAX_POSTS:,}",
        "an archive's avatar": f"{limits.MAX_AVATAR_BYTES >> 20} MiB, "
        f"{int(limits.MAX_AVATAR_PIXELS**0.5)} × {int(limits.MAX_AVATAR_PIXELS**0.5)} pixels",
        "one Mastodon status's HTML": f"{limits.MAX_HTML_CHARS:,} characters",
        "objects in one block of a Bluesky `.car`": f"{limits.MAX_BLOCK_OBJECTS:,}",
    }  # fmt: skip
    for cap, value in rows.items():
        assert f"| {cap} | {value} |" in RELIABILITY, cap


def test_an_avatar_over_the_byte_cap_is_left_out(tmp_path, monkeypatch):
    from testkit.posts import posts
    from testkit.x_archive import archive_files, write_zip, ytd

    buf = io.BytesIO()
    Image.effect_noise((64, 64), 90).save(buf, format="PNG")  # noise: does not compress
    files = archive_files(posts(5))
    files["data/profile.js"] = ytd("profile", [{"profile": {"avatarMediaUrl": "data/a.png"}}])
    files["data/a.png"] = buf.getvalue()
    path = write_zip(tmp_path / "a.zip", files)
    assert archive.fetch(parse(str(path)), SourceOptions()).profile.avatar_ext == "png"
    monkeypatch.setattr(limits, "MAX_AVATAR_BYTES", len(buf.getvalue()) - 1)
    g = archive.fetch(parse(str(path)), SourceOptions())
    assert g.profile.avatar_bytes is None
    assert "over the" in g.warnings[0] and "allowed for an avatar" in g.warnings[0]
