"""Write `examples/wrencalloway_archive.zip`, a sample X archive of a FICTIONAL account.

The zip has the layout of a real archive (`data/manifest.js`, `account.js`, `profile.js`,
`tweets.js`, `profile_media/`) and Wren Calloway's posts (`testkit/wren_posts.py`); the writer
is `testkit/x_archive.py`. Everything is fixed (timestamps, ids, zip entry dates, the avatar
drawing), so re-running gives identical bytes on the same zlib and Pillow versions. From the
root of the checkout:

    python -m examples.make_sample_archive [OUT.zip]
    python -m examples.make_sample_archive OUT.zip --posts 2000   # a larger, synthetic archive

`--posts N` writes N posts made by a word-level Markov chain (order 2) over Wren's own posts,
none sharing a run of 8 words with her posts or with another generated post (real people seldom
repeat themselves at that length), plus retweets and short posts in the sample's proportions.
It stands in for a real archive of that size, which this project cannot ship.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from testkit.wren_posts import POSTS
from testkit.x_archive import markov_posts, write_sample


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and write the archive."""
    parser = argparse.ArgumentParser(
        description="Write a sample X archive of a fictional account (Wren Calloway)."
    )
    parser.add_argument("out", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent / "wrencalloway_archive.zip",
                        help="the zip to write (default: examples/wrencalloway_archive.zip)")  # fmt: skip
    parser.add_argument("--posts", type=int, default=None, metavar="N",
                        help="write N synthetic posts (a Markov chain over Wren's) instead")  # fmt: skip
    args = parser.parse_args(argv)
    if args.posts is not None and args.posts < 1:
        parser.error("--posts must be at least 1")
    texts = POSTS if args.posts is None else markov_posts(args.posts)
    path = write_sample(args.out, texts)
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {len(texts)} posts)")


if __name__ == "__main__":
    main()
