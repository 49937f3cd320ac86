"""X archives (`.zip`, or extracted as a folder) in the layout X delivers them.

- **The sample**: Wren Calloway's archive (`examples/wrencalloway_archive.zip`, a FICTIONAL
  account): `data/manifest.js`, `account.js`, `profile.js`, `tweets.js`, `profile_media/`, with
  entities, replies and ids as X writes them. Everything is fixed (timestamps, ids, zip entry
  dates, the avatar drawing), so writing it again gives identical bytes on the same zlib and
  Pillow versions.
- **Accounts of your own**: `write_archive` (a protected account, deleted posts),
  `write_x_archive` (X's layout since 2023: parts, edit chains, long posts with note-tweet.js,
  Twitter Circle and community posts), `polyglot_archive` (six languages and emoji).
- **Bare members**: `archive_files`, `write_zip`, `write_dir`, `streamed_zip`: the least a
  reader needs, for inputs that are bad on purpose (`benchmarks/hostile_cases.py`).
- **At scale**: `synthetic_archive`, hundreds of thousands of posts written as they are made.

Data files are `window.YTD.<name>.partN = [...]`, as X writes them (`js`).
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from .posts import CHINESE, POLYGLOT, UKRAINIAN, combos
from .wren_posts import POSTS

# --- the sample: Wren Calloway's archive ---------------------------------------------------------

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


def tweet(text: str, when: datetime, seq: int, rng: random.Random) -> dict[str, Any]:
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
    """`n` new posts in Wren's words, reproducible from `seed`.

    A word-level Markov chain (order 2) over her own posts, none sharing a run of `run` words
    with her posts or with another generated post (real people seldom repeat themselves at that
    length), plus retweets and short posts in the sample's proportions: a stand-in for a real
    archive of that size, which this project cannot ship.
    """
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


def sample_files(texts: list[str] = POSTS) -> dict[str, bytes]:
    """The members of Wren Calloway's archive holding `texts`, by name."""
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


def write_sample(out: Path, texts: list[str] = POSTS) -> Path:
    """Write Wren Calloway's archive with fixed entry dates and attributes, so the bytes are reproducible."""
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in sample_files(texts).items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9)
    return out


# --- accounts of your own: protected, deleted posts, today's layout --------------------------


def polyglot_archive(path: Path) -> Path:
    """Wren Calloway's sample posts with posts in five other languages among them, each once.

    The sample's 404 English posts (retweets and short ones included), and the Ukrainian,
    Chinese and four-language posts of `posts.py`: emoji, umlauts, Cyrillic, kana and Han in one
    archive, no post repeated (real people seldom repeat themselves).
    """
    posts = [*POSTS, *UKRAINIAN, *CHINESE, *POLYGLOT]
    random.Random(5).shuffle(posts)
    return write_archive(path, "wrenpolyglot", "Wren Calloway", posts)


def write_archive(
    path: Path,
    handle: str,
    name: str,
    posts: list[str],
    protected: list[str] | None = None,
    deleted: list[str] | None = None,
) -> Path:
    """Write an X archive `.zip` in the real format.

    Args:
        path: where the zip goes.
        handle, name: the account.
        posts: texts for `tweets.js`, newest first.
        protected: actions for `protected-history.js` ("Protect"/"Unprotect"), oldest first.
        deleted: texts of deleted posts: whole tweets in `deleted-tweets.js`, their ids in
            `deleted-tweet-headers.js`, and each also left in `tweets.js` under the same id.

    Returns:
        `path`.
    """
    rng = random.Random(7)
    now = datetime(2024, 11, 2, 21, 14, 7, tzinfo=timezone.utc)
    tweets = [tweet(t, now - timedelta(hours=5 * i), i, rng) for i, t in enumerate(posts)]
    gone = [tweet(t, now - timedelta(days=1, minutes=i), 900 + i, rng) for i, t in enumerate(deleted or [])]  # fmt: skip
    account = {"username": handle, "accountId": "42", "accountDisplayName": name}
    files = {
        "data/account.js": js("window.YTD.account.part0", [{"account": account}]),
        "data/tweets.js": js("window.YTD.tweets.part0", tweets + gone),
    }
    if protected is not None:
        history = [{"protectedHistory": {"protectedAt": f"2024-0{i + 1}-03T10:00:00.000Z", "action": a}}
                   for i, a in enumerate(protected)]  # fmt: skip
        files["data/protected-history.js"] = js("window.YTD.protected_history.part0", history)
    if deleted:
        for t in gone:
            t["tweet"]["deleted_at"] = "Sun Nov 03 08:00:00 +0000 2024"
        headers = [{"tweet": {"tweet_id": t["tweet"]["id_str"], "user_id": "42",
                              "created_at": t["tweet"]["created_at"],
                              "deleted_at": "Sun Nov 03 08:00:00 +0000 2024"}} for t in gone]  # fmt: skip
        files["data/deleted-tweets.js"] = js("window.YTD.deleted_tweets.part0", gone)
        files["data/deleted-tweet-headers.js"] = js(
            "window.YTD.deleted_tweet_headers.part0", headers
        )
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return path


# --- an archive as X delivers it since 2023: parts, edits, long posts, Circle and Community ------

NOTE_TEXT = (
    "The lamp needs a new wick, the logbook needs a new page and the cat needs a new excuse to "
    "sit on both. Tonight the fog came in so fast that the horn was sounding before I had "
    "finished my soup, and by the time the soup was cold the whole headland had vanished. "
    "Nobody reads a lighthouse in daylight, but tonight every boat out there reads mine & trusts "
    "it <3. That is the job: be boring, be bright, be on time, all night, every night."
)


@dataclass
class XArchive:
    """What `write_x_archive` put where, so tests can say what a bot must hold."""

    path: Path
    expected: list[str]  # each post's text once, whole, latest version, as tweets.js escapes it
    never: list[str]  # texts that must never be trained on (Circle, earlier versions, cuts)
    skipped: dict[str, int]
    community: list[str]


def note_tweet(note_id: str, when: datetime, text: str) -> dict[str, object]:
    created = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return {"noteTweet": {"noteTweetId": note_id, "createdAt": created, "updatedAt": created,
                          "lifecycle": {"value": "PUBLISHED", "name": "Published"},
                          "core": {"styletags": [], "urls": [], "text": text, "mentions": [],
                                   "cashtags": [], "hashtags": []}}}  # fmt: skip


def escape(text: str) -> str:
    """`&`, `<`, `>` as tweets.js writes them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, link: str | None = None) -> str:
    """What tweets.js shows of a long post: HTML-escaped, cut near 275 and ended with `…`."""
    return escape(text)[:274].rstrip() + "…" + (f" {link}" if link else "")


def edited(entry: dict, first: str, versions: list[str]) -> dict:
    tweet = entry["tweet"]
    if tweet["id_str"] == first:
        tweet["edit_info"] = {"initial": {"editTweetIds": versions, "editableUntil":
                              "2024-11-02T22:14:07.000Z", "editsRemaining": "3",
                              "isEditEligible": True}}  # fmt: skip
    else:
        tweet["edit_info"] = {"edit": {"initialTweetId": first, "editControlInitial": {
            "editTweetIds": versions, "editableUntil": "2024-11-02T22:14:07.000Z",
            "editsRemaining": "3", "isEditEligible": True}}}  # fmt: skip
    return entry


def write_x_archive(path: Path, handle: str = "wrencalloway", plain: int = 160) -> XArchive:
    """An X archive `.zip` in today's layout: tweets.js and tweets-part1.js, three edit chains
    (one spanning both parts, one whose last version is missing, one of a long post), long posts
    with note-tweet.js (a reply, one followed by a t.co link), Twitter Circle posts in both their
    file and tweets.js, and community posts."""
    rng = random.Random(11)
    t0 = datetime(2024, 11, 2, 21, 14, 7, 120_000, tzinfo=timezone.utc)
    texts = combos(POSTS[:60], plain, seed=3)  # Wren's own sentences, two by two
    entries = [tweet(t, t0 - timedelta(hours=3 * i), i, rng) for i, t in enumerate(texts)]
    expected, never = list(texts), []
    notes = []
    at = t0 + timedelta(days=1)

    def new(text: str, seq: int, when: datetime | None = None) -> dict:
        return tweet(text, when or at + timedelta(minutes=seq), 2000 + seq, rng)

    # Edit chain A: three versions, the first in tweets.js, the others in tweets-part1.js.
    a = [new(f"Fog horn drill at {h} tonight, all hands on the gallery please", k)
         for k, h in enumerate(("nine", "ten", "ten sharp"))]  # fmt: skip
    ids_a = [e["tweet"]["id_str"] for e in a]
    a = [edited(e, ids_a[0], ids_a) for e in a]
    expected.append(a[2]["tweet"]["full_text"])
    never += [a[0]["tweet"]["full_text"], a[1]["tweet"]["full_text"]]
    # Edit chain B: two versions present, the third named but not in the archive.
    b = [new(f"The supply boat comes on {d}, bring your letters down to the jetty", 10 + k)
         for k, d in enumerate(("Monday", "Tuesday", "Wednesday"))]  # fmt: skip
    ids_b = [e["tweet"]["id_str"] for e in b]
    b = [edited(e, ids_b[0], ids_b) for e in b[:2]]
    expected.append(b[1]["tweet"]["full_text"])
    never.append(b[0]["tweet"]["full_text"])
    # Long posts: a plain one, a reply, one ending in a t.co link after the ellipsis.
    longs = []
    for k, (lead, link) in enumerate((("", None), ("@gullwatcher ", None), ("", "https://t.co/Xy12AbCd34"))):  # fmt: skip
        whole = NOTE_TEXT + f" Part {k + 1} of my notes."
        when = at + timedelta(minutes=30 + k, milliseconds=250)
        post = new(lead + cut(whole, link), 30 + k, when)
        note_id = snowflake(when - timedelta(milliseconds=40), 5)
        notes.append(note_tweet(note_id, when - timedelta(milliseconds=40), whole))
        longs.append(post)
        expected.append(lead + escape(whole))
        never.append(post["tweet"]["full_text"])
    # Edit chain C: a long post edited once; each version has its own note.
    c = []
    for k in range(2):
        whole = NOTE_TEXT + (" Edited: the wick is in." if k else " The wick is not in yet.")
        when = at + timedelta(minutes=50 + k, milliseconds=600)
        c.append(new(cut(whole), 50 + k, when))
        notes.append(note_tweet(snowflake(when - timedelta(milliseconds=25), 9),
                           when - timedelta(milliseconds=25), whole))  # fmt: skip
    ids_c = [e["tweet"]["id_str"] for e in c]
    c = [edited(e, ids_c[0], ids_c) for e in c]
    expected.append(escape(NOTE_TEXT + " Edited: the wick is in."))
    never += [escape(NOTE_TEXT + " The wick is not in yet.")] + [e["tweet"]["full_text"] for e in c]
    # A note whose post is not in the archive (deleted): it is no post of its own.
    notes.append(note_tweet(snowflake(at + timedelta(minutes=70), 1), at + timedelta(minutes=70),
                       "A long post I deleted and that must never come back."))  # fmt: skip
    never.append("A long post I deleted and that must never come back.")
    # Twitter Circle posts: in their own file and, same ids, in tweets.js.
    circle = [new(f"Only for my circle: the keeper's secret number {k} is under the stairs", 80 + k)
              for k in range(2)]  # fmt: skip
    never += [e["tweet"]["full_text"] for e in circle]
    community = [new(f"Community post {k}: which lens cleaning cloth do you all swear by?", 90 + k)
                 for k in range(2)]  # fmt: skip

    part0 = entries[: plain // 2] + [a[0], b[0]] + circle + longs[:1]
    part1 = entries[plain // 2 :] + a[1:] + b[1:] + longs[1:] + c
    account = {"username": handle, "accountId": "42", "accountDisplayName": "Wren Calloway"}
    files = {
        "data/account.js": js("window.YTD.account.part0", [{"account": account}]),
        "data/tweets.js": js("window.YTD.tweets.part0", part0),
        "data/tweets-part1.js": js("window.YTD.tweets.part1", part1),
        "data/note-tweet.js": js("window.YTD.note_tweet.part0", notes),
        "data/twitter-circle-tweet.js": js("window.YTD.twitter_circle_tweet.part0", circle),
        "data/community-tweet.js": js("window.YTD.community_tweet.part0", community),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    skipped = {"edited": 4, "circle": 2, "community": 2}
    texts_c = [e["tweet"]["full_text"] for e in community]
    return XArchive(path, expected, never, skipped, texts_c)


# --- bare members, for inputs that are bad on purpose ------------------------------------------


def ytd(name: str, value: Any) -> str:
    """`window.YTD.<name>.part0 = ...` in plain JSON (`json.dumps`, non-ASCII escaped), which
    X's readers take as well as X's own layout (`js`)."""
    return f"window.YTD.{name}.part0 = {json.dumps(value, indent=2)}"


def bare_tweet(text: str, i: int = 0) -> dict[str, Any]:
    """A tweets.js entry of only what the readers need: id, text and date."""
    when = "Wed Oct 10 20:19:24 +0000 2018"
    return {"tweet": {"id_str": str(i), "full_text": text, "created_at": when}}


def archive_files(texts: list[str], handle: str = "wren", name: str = "Wren") -> dict[str, Any]:
    """The members of an X archive holding `texts`, as X writes them."""
    account = [{"account": {"username": handle, "accountDisplayName": name}}]
    return {
        "data/account.js": ytd("account", account),
        "data/profile.js": ytd("profile", [{"profile": {"avatarMediaUrl": ""}}]),
        "data/tweets.js": ytd("tweets", [bare_tweet(t, i) for i, t in enumerate(texts)]),
    }


def write_zip(path: Path, files: dict[str, Any]) -> Path:
    """A deflated `.zip` of `files` (member name -> text or bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def streamed_zip(path: Path, tweets_js: Iterable[bytes]) -> Path:
    """An archive whose tweets.js is written piece by piece (gigabytes without holding them)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in archive_files([]).items():
            if "tweets" not in name:
                zf.writestr(name, data)
        with zf.open("data/tweets.js", "w", force_zip64=True) as f:
            for piece in tweets_js:
                f.write(piece)
    return path


def write_dir(root: Path, files: dict[str, Any]) -> Path:
    """`files` written under `root`: an archive as its owner extracted it."""
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return root


# --- at scale: synthetic archives of many posts, written as they are made ----------------------

SCALE_WORDS = ["lighthouse", "stars", "bread", "radio", "gulls", "wind", "night", "lamp", "tide", "fog", "kettle", "comet", "orion", "island", "storm", "keeper", "dough", "valve", "static", "map", "harbour", "ferry", "rope", "salt", "chart", "beacon"]  # fmt: skip
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # noqa: SIM905


def _synthetic_tweet(i: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.random()
    text = " ".join(rng.choice(SCALE_WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."
    if kind < 0.08:
        text = f"RT @someone: {text}"
    elif kind < 0.15:
        text = f"{text} https://t.co/{i:x}"
    elif kind < 0.2:
        text = rng.choice(SCALE_WORDS)
    day = f"{_MONTHS[i % 12]} {1 + i % 28:02d}"
    return {"tweet": {"id_str": str(10**17 + i), "full_text": text, "retweeted": False,
                      "created_at": f"Sat {day} 12:{i % 60:02d}:00 +0000 2023",
                      "favorite_count": "0", "entities": {"urls": []}}}  # fmt: skip


def _today(i: int, item: dict[str, Any], rng: random.Random, extra: dict[str, list]) -> list[dict[str, Any]]:  # fmt: skip
    """`item` as X writes it since 2023 (see `synthetic_archive`); the entries for tweets.js."""
    tweet = item["tweet"]
    tid = int(tweet["id_str"])
    tweet["edit_info"] = {"initial": {"editTweetIds": [str(tid)], "editableUntil":
                          "2023-01-01T00:00:00.000Z", "editsRemaining": "5", "isEditEligible": True}}  # fmt: skip
    kind = rng.random()
    if kind < 0.01:  # edited once: a second version with a later id
        later = json.loads(json.dumps(item))
        new_id = str(tid + 10**15)
        tweet["edit_info"]["initial"]["editTweetIds"] = [str(tid), new_id]
        later["tweet"].update(id_str=new_id, full_text=tweet["full_text"] + " (edited)")
        later["tweet"]["edit_info"] = {"edit": {"initialTweetId": str(tid)}}
        return [item, later]
    if kind < 0.03:  # a long post: its whole text in note-tweet.js
        whole = " ".join(rng.choice(SCALE_WORDS) for _ in range(90)).capitalize() + "."
        tweet["full_text"] = whole[:274] + "…"
        minute = int(tweet["created_at"].split()[3].split(":")[1])
        created = f"2023-{_MONTHS.index(tweet['created_at'].split()[1]) + 1:02d}-{int(tweet['created_at'].split()[2]):02d}T12:{minute:02d}:00.000Z"  # fmt: skip
        extra["note"].append({"noteTweet": {"noteTweetId": str(tid - 1), "createdAt": created,
                                            "core": {"text": whole, "urls": [], "mentions": []}}})  # fmt: skip
    elif kind < 0.035:
        extra["circle"].append(item)
    elif kind < 0.04:
        extra["community"].append({"tweet": {**tweet, "id_str": str(tid + 2 * 10**15)}})
    return [item]


def synthetic_archive(path: Path, n: int, seed: int = 0, today: bool = False) -> Path:
    """Write an X archive `.zip` of `n` posts to `path` (stored, not compressed, like X's).

    Varied posts, some retweets, links and short ones, so cleaning has work to do; tweets.js is
    written as it is made. With `today`, the layout X delivers since 2023: `edit_info` on every
    entry, 1% of posts edited once (both versions in tweets.js), 2% long posts (cut in
    tweets.js, whole in note-tweet.js), 0.5% Twitter Circle posts (in both files) and a
    community-tweet.js.
    """
    rng = random.Random(seed)
    account = [{"account": {"username": "synthetic", "accountDisplayName": "Synthetic Keeper",
                            "accountId": "1"}}]  # fmt: skip
    profile = [{"profile": {"description": {"bio": "Generated for benchmarks."}}}]
    extra: dict[str, list] = {"note": [], "circle": [], "community": []}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("data/account.js", "window.YTD.account.part0 = " + json.dumps(account))
        z.writestr("data/profile.js", "window.YTD.profile.part0 = " + json.dumps(profile))
        with z.open("data/tweets.js", "w", force_zip64=True) as f:
            f.write(b"window.YTD.tweets.part0 = [\n")
            for i in range(n):
                item = _synthetic_tweet(i, rng)
                for j, entry in enumerate(_today(i, item, rng, extra) if today else [item]):
                    sep = b",\n" if i or j else b""
                    f.write(sep + json.dumps(entry, indent=2).encode())
            f.write(b"\n]")
        for name, items in extra.items() if today else ():
            kind = {"note": "note_tweet", "circle": "twitter_circle_tweet", "community": "community_tweet"}[name]  # fmt: skip
            member = {"note": "note-tweet", "circle": "twitter-circle-tweet", "community": "community-tweet"}[name]  # fmt: skip
            z.writestr(f"data/{member}.js", f"window.YTD.{kind}.part0 = " + json.dumps(items, indent=2))  # fmt: skip
    return path
