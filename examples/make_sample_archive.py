"""Write `examples/wrencalloway_archive.zip`, a sample X archive of a FICTIONAL account.

The zip has the layout of a real archive (`data/manifest.js`, `account.js`, `profile.js`,
`tweets.js`, `profile_media/`) and the posts in `wrencalloway_posts.py`. Everything is fixed
(timestamps, ids, zip entry dates, the avatar drawing), so re-running gives identical bytes on
the same zlib and Pillow versions:

    python examples/make_sample_archive.py [OUT.zip]
    python examples/make_sample_archive.py OUT.zip --posts 2000   # a larger, synthetic archive

`--posts N` writes N posts made by a word-level Markov chain (order 2) over Wren's own posts,
none sharing a run of 8 words with her posts or with another generated post (real people seldom
repeat themselves at that length), plus retweets and short posts in the sample's proportions.
It stands in for a real archive of that size, which this project cannot ship.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import sys
import zipfile
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrencalloway_posts import POSTS  # noqa: E402

HANDLE = "wrencalloway"
NAME = "Wren Calloway"
ACCOUNT_ID = "1480022367198412801"
AVATAR = f"data/profile_media/{ACCOUNT_ID}-wren_400x400.png"
NEWEST = datetime(2024, 11, 2, 21, 14, 7, tzinfo=timezone.utc)
ZIP_DATE = (2024, 11, 3, 9, 0, 0)
TWITTER_EPOCH_MS = 1288834974657
SOURCE = '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>'


def js(global_name: str, value: object) -> bytes:
    """A data file the way X writes it: `window.YTD.x.part0 = [ ... ]` with ` : ` separators."""
    body = json.dumps(value, indent=2, ensure_ascii=False, separators=(",", " : "))
    return f"{global_name} = {body}".encode()


def snowflake(when: datetime, seq: int) -> str:
    ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) | (seq & 0xFFF))


def entities(text: str) -> dict[str, list[dict[str, object]]]:
    """Hashtags, mentions and links with string indices, as in real archives."""

    def spans(pattern: str) -> list[re.Match[str]]:
        return list(re.finditer(pattern, text))

    return {
        "hashtags": [
            {"text": m.group(1), "indices": [str(m.start()), str(m.end())]}
            for m in spans(r"#(\w+)")
        ],
        "symbols": [],
        "user_mentions": [
            {
                "name": m.group(1),
                "screen_name": m.group(1),
                "indices": [str(m.start()), str(m.end())],
                "id_str": str(zlib.crc32(m.group(1).encode())),
                "id": str(zlib.crc32(m.group(1).encode())),
            }
            for m in spans(r"@(\w{1,15})")
        ],
        "urls": [
            {
                "url": m.group(0),
                "expanded_url": m.group(0),
                "display_url": m.group(0).split("//", 1)[1],
                "indices": [str(m.start()), str(m.end())],
            }
            for m in spans(r"https?://t\.co/\w+")
        ],
    }


def tweet(text: str, when: datetime, seq: int, rng: random.Random) -> dict[str, object]:
    tid = snowflake(when, seq)
    obj: dict[str, object] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [tid],
                "editableUntil": "",
                "editsRemaining": "5",
                "isEditEligible": True,
            }
        },
        # Real archives say false here even for the account's own retweets.
        "retweeted": False,
        "source": SOURCE,
        "entities": entities(text),
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(0 if text.startswith("RT @") else rng.randint(0, 40)),
        "id_str": tid,
        "truncated": False,
        "retweet_count": str(rng.randint(0, 6)),
        "id": tid,
        "created_at": when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False,
        "full_text": text,
        "lang": "en" if re.search(r"[A-Za-z]{3}", text) else "qme",
    }
    reply = re.match(r"@(\w{1,15})", text)
    if reply:
        user_id = str(zlib.crc32(reply.group(1).encode()))
        obj.update(
            in_reply_to_screen_name=reply.group(1),
            in_reply_to_user_id=user_id,
            in_reply_to_user_id_str=user_id,
            in_reply_to_status_id_str=snowflake(when - timedelta(minutes=37), seq + 1),
        )
    return {"tweet": obj}


def markov_posts(n: int, seed: int = 0, run: int = 8) -> list[str]:
    """`n` new posts in Wren's words (see the module docstring), reproducible from `seed`."""
    rng = random.Random(seed)
    src = [p.split() for p in POSTS if not p.startswith("RT @") and len(p.split()) >= 4]
    follow: dict[tuple[str, ...], list[str]] = {}
    for words in src:
        for i in range(len(words) - 1):
            follow.setdefault(tuple(words[i : i + 2]), []).append((words + [""])[i + 2])
    seen = {tuple(w[i : i + run]) for w in src for i in range(len(w) - run + 1)}
    shorts = [p for p in POSTS if len(p.split()) < 3 and not p.startswith("RT @")]
    out: list[str] = []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.05:
            out.append(rng.choice(shorts))
            continue
        words = list(rng.choice(src)[:2])
        while len(words) < 45 and (nxt := rng.choice(follow[tuple(words[-2:])])):
            words.append(nxt)
        runs = {tuple(words[i : i + run]) for i in range(len(words) - run + 1)}
        if len(words) < 6 or runs & seen:
            continue
        seen |= runs
        text = " ".join(words)
        out.append(f"RT @deepskyjune: {text}" if kind < 0.13 else text)
    return out


def tweets(posts: list[str] = POSTS) -> list[dict[str, object]]:
    """All posts, newest first, spaced a few hours to a few days apart."""
    rng = random.Random(1903)  # the year the lamp was made
    when, items = NEWEST, []
    for seq, text in enumerate(posts):
        items.append(tweet(text, when, seq, rng))
        when -= timedelta(minutes=rng.randint(90, 3 * 24 * 60), seconds=rng.randint(0, 59))
    return items


def avatar() -> bytes:
    """A lighthouse under the stars, 400x400 PNG."""
    rng = random.Random(112)  # the steps
    img = Image.new("RGB", (400, 400))
    draw = ImageDraw.Draw(img)
    for y in range(400):  # night sky fading to a deep blue near the sea
        draw.line([(0, y), (400, y)], fill=(10 + y // 10, 18 + y // 8, 48 + y // 4))
    for _ in range(90):
        x, y, r = rng.randint(0, 399), rng.randint(0, 270), rng.choice((1, 1, 1, 2))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 250, 220))
    draw.polygon([(200, 118), (400, 60), (400, 150)], fill=(255, 236, 150))  # the beam
    draw.rectangle([0, 300, 400, 400], fill=(20, 50, 80))  # sea
    draw.polygon([(120, 310), (280, 310), (250, 285), (150, 285)], fill=(60, 60, 58))  # rock
    for i, top in enumerate(range(140, 290, 30)):  # red and white bands, narrowing upward
        inset = (290 - top) // 12
        colour = (200, 40, 40) if i % 2 else (240, 240, 235)
        draw.polygon(
            [
                (178 + inset - 8, top + 30),
                (222 - inset + 8, top + 30),
                (222 - inset + 6, top),
                (178 + inset - 6, top),
            ],
            fill=colour,
        )
    draw.rectangle([182, 108, 218, 140], fill=(255, 230, 120))  # lamp room
    draw.polygon([(176, 108), (224, 108), (200, 88)], fill=(40, 40, 40))  # roof
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def files(texts: list[str] = POSTS) -> dict[str, bytes]:
    posts = tweets(texts)
    account = {
        "email": "wren@skerrow.invalid",
        "createdVia": "web",
        "username": HANDLE,
        "accountId": ACCOUNT_ID,
        "createdAt": "2015-06-01T08:12:44.000Z",
        "accountDisplayName": NAME,
    }
    profile = {
        "description": {
            "bio": "Lighthouse keeper on Skerrow. Bread, valves, stars. Losing to seagulls since 2015.",
            "website": "",
            "location": "Skerrow light",
        },
        "avatarMediaUrl": AVATAR,
    }
    manifest = {
        "userInfo": {"accountId": ACCOUNT_ID, "userName": HANDLE, "displayName": NAME},
        "archiveInfo": {
            "sizeBytes": "0",
            "generationDate": "2024-11-03T09:00:00.000Z",
            "isPartialArchive": False,
            "maxPartSizeBytes": "53687091200",
        },
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": {
            "account": {
                "files": [
                    {"fileName": "data/account.js", "globalName": "YTD.account.part0", "count": "1"}
                ]
            },
            "profile": {
                "mediaDirectory": "data/profile_media",
                "files": [
                    {"fileName": "data/profile.js", "globalName": "YTD.profile.part0", "count": "1"}
                ],
            },
            "tweets": {
                "mediaDirectory": "data/tweets_media",
                "files": [
                    {
                        "fileName": "data/tweets.js",
                        "globalName": "YTD.tweets.part0",
                        "count": str(len(posts)),
                    }
                ],
            },
        },
    }
    readme = "A sample X archive of a FICTIONAL account (@wrencalloway), made for hf-tweetbot.\n"
    return {
        "Your archive.html": b"<!doctype html><title>Your archive</title><p>Sample archive.</p>\n",
        "data/README.txt": readme.encode(),
        "data/manifest.js": f"window.__THAR_CONFIG = {json.dumps(manifest, indent=2)}".encode(),
        "data/account.js": js("window.YTD.account.part0", [{"account": account}]),
        "data/profile.js": js("window.YTD.profile.part0", [{"profile": profile}]),
        "data/tweets.js": js("window.YTD.tweets.part0", posts),
        AVATAR: avatar(),
    }


def write(out: Path, texts: list[str] = POSTS) -> Path:
    """Write the archive with fixed entry dates and attributes, so the bytes are reproducible."""
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files(texts).items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9)
    return out


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
    path = write(args.out, texts)
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {len(texts)} posts)")


if __name__ == "__main__":
    main()
