"""Caps on what one input may make us read, hold or decode: every source reads under them.

A post, an archive or a file is a stranger's bytes. Each cap is far above what a real account
produces (a real `tweets.js` item is a few kB, a post at most 25,000 characters on X today), so
it only ever stops hostile or broken input, and each is tested (`tests/test_limits.py`). Reading
code looks the caps up here at call time, so tests can lower them with `monkeypatch`.
docs/reliability.md lists them with what a user sees when one is hit.
"""

from __future__ import annotations

# An archive member (uncompressed), or a whole .jsonl/.csv file: more is refused as a zip bomb.
MAX_MEMBER_BYTES = 1 << 30
# Everything read from one archive, all members together.
MAX_TOTAL_BYTES = 2 << 30
# One post's text. Longer posts are skipped and counted (`too_long`), never trained on.
MAX_POST_CHARS = 100_000
# One post's HTML (a Mastodon status's `content`), looked at before it is parsed: longer is
# skipped and counted (`too_long`). Mastodon's own limit is 500 characters of text by default.
MAX_HTML_CHARS = 500_000
# One item of a data file (a tweet object's JSON), one .jsonl line, one CSV field. Longer ones
# are skipped and counted (`too_long`) without being decoded, so memory stays bounded.
MAX_ITEM_CHARS = 1_000_000
# JSON nesting (arrays and objects inside each other). A tweet object nests about 6 deep;
# deeper input is refused with one line instead of exhausting the interpreter's stack.
MAX_DEPTH = 100
# Objects (maps, lists, strings, numbers) in one block of a Bluesky export: a post holds a few
# dozen, a tree node a few hundred. Counted before the block is decoded; more is refused.
MAX_BLOCK_OBJECTS = 100_000
# Posts per user. More is refused: a bot of millions of posts is no longer one person's voice
# and would need several GB of memory to prepare.
MAX_POSTS = 2_000_000
# One answer of a live API (a page of posts is a few hundred kB): more is refused unread.
MAX_RESPONSE_BYTES = 32 << 20
# An avatar inside an archive (X's are 400x400 JPEGs of a few tens of kB).
MAX_AVATAR_BYTES = 5 << 20
MAX_AVATAR_PIXELS = 4096 * 4096

# The image types an avatar may be, and the file extension each is saved with.
AVATAR_TYPES = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
