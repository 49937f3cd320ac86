"""Real-format X archives for tests: other scripts, a protected account, deleted posts.

Built with the sample archive's own writers (`examples/make_sample_archive.py`: `js`, `tweet`),
so each data file has the layout X delivers (`window.YTD.x.part0 = [...]`). The posts are
written for these tests; every account is fictional.
"""

from __future__ import annotations

import itertools
import random
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
import make_sample_archive as sample  # noqa: E402

from publisher.errors import TweetbotError  # noqa: E402
from publisher.sources import SourceOptions, gather  # noqa: E402
from publisher.sources.spec import parse  # noqa: E402

# A fictional Kyiv cyclist, in Ukrainian (Cyrillic).
UKRAINIAN = [
    "Сьогодні знову йде дощ, але я все одно поїду на велосипеді до роботи.",
    "Кава на Подолі цього ранку була такою смачною, що я замовила ще одну.",
    "Мій кіт вирішив, що клавіатура — найкраще місце для сну.",
    "Нарешті дочитала книжку, яку почала ще минулої зими.",
    "Вечірній Дніпро сьогодні світився рожевим і золотим.",
    "На ринку купила полуниці, і вони пахнуть справжнім літом.",
    "Сусід знову грає на трубі о сьомій ранку, і я вже звикла.",
    "Хто знає гарне місце для велосипедної прогулянки за містом?",
    "Спекла пиріг з вишнями за бабусиним рецептом, і він зник за годину.",
    "Метро сьогодні було переповнене, але люди все одно усміхалися.",
    "Пишу листа другові в Одесу, бо дзвонити ми обидва не любимо.",
    "У парку біля дому розквітли каштани, і весна нарешті прийшла.",
    "Сьогодні вчилася лагодити ланцюг і забруднила всі руки мастилом.",
    "Ніщо так не заспокоює, як тиха музика і чай з м'ятою.",
    "Зранку бачила, як туман повільно сходить з води.",
    "Мій список справ на вихідні довший за саму неділю.",
]
# A fictional Shanghai baker, in Chinese (Han script, no spaces between words).
CHINESE = [
    "今天早上又下雨了，但我还是骑车去了面包店。",
    "新做的葱油饼卖得特别快，中午就没有了。",
    "我的猫今天一直睡在面粉袋旁边，不肯离开。",
    "晚上的外滩很安静，江风吹得人很舒服。",
    "周末想去郊外走走，有人推荐好地方吗？",
    "奶奶的红豆包配方终于被我学会了。",
    "地铁上看到一个小朋友在认真地画画。",
    "今天的天空特别蓝，像刚洗过的一样。",
    "烤箱坏了一个下午，修好以后大家都很高兴。",
    "新买的茶叶有一股淡淡的桂花香味。",
    "每天凌晨四点起床揉面，已经习惯了。",
    "楼下的老书店要关门了，心里有点难过。",
    "给邻居送了一盒刚出炉的蛋挞。",
    "下班路上看到了很美的晚霞。",
    "今天试做了抹茶面包，味道还不错。",
    "明天要早起，所以今晚早点休息。",
]

# A fictional Berlin translator who posts in four languages and emoji: English, German (umlauts,
# ß), Russian (Cyrillic) and Japanese (kana and kanji, no spaces).
POLYGLOT = [
    "Finished the subtitles for the documentary at last 🎬",
    "The tram was late again, so I read half a novel on the platform.",
    "Coffee first, then the contract with forty pages of footnotes ☕",
    "Does anyone know a good bakery near Kreuzberg that opens before seven?",
    "Heute ist es grau und nass, aber der Bäcker hatte noch Brezeln übrig 🥨",
    "Meine Übersetzung ist endlich fertig, jetzt brauche ich einen Spaziergang.",
    "Die Straßenbahn fährt schon wieder nicht, also gehe ich zu Fuß durch den Schnee ❄️",
    "Größte Freude des Tages: ein Brief von meiner Großmutter aus Köln.",
    "Сегодня весь день переводила письма, глаза уже не видят 😅",
    "Купила на рынке свежую клубнику, пахнет настоящим летом 🍓",
    "Вечером гуляли по набережной, и ветер был очень тёплый.",
    "Мой кот снова спит на словаре, работать невозможно 🐈",
    "今日は一日中翻訳をしていました。少し疲れました 🍵",
    "駅の近くに新しいパン屋さんができて、とても嬉しいです。",
    "週末は友達と美術館に行く予定です 🎨",
    "雨の日は家で本を読むのが一番好きです 📚",
]


def polyglot_archive(path: Path) -> Path:
    """Wren Calloway's sample posts with posts in five other languages among them, each once.

    The sample's 404 English posts (retweets and short ones included), and the Ukrainian,
    Chinese and four-language posts above: emoji, umlauts, Cyrillic, kana and Han in one
    archive, no post repeated (real people seldom repeat themselves).
    """
    posts = [*sample.POSTS, *UKRAINIAN, *CHINESE, *POLYGLOT]
    random.Random(5).shuffle(posts)
    return write_archive(path, "wrenpolyglot", "Wren Calloway", posts)


def combos(sentences: list[str], n: int, seed: int = 0, sep: str = " ") -> list[str]:
    """`n` distinct posts, each two different sentences joined by `sep`."""
    pairs = list(itertools.permutations(sentences, 2))
    random.Random(seed).shuffle(pairs)
    return [sep.join(p) for p in pairs[:n]]


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
    tweets = [sample.tweet(t, now - timedelta(hours=5 * i), i, rng) for i, t in enumerate(posts)]
    gone = [sample.tweet(t, now - timedelta(days=1, minutes=i), 900 + i, rng) for i, t in enumerate(deleted or [])]  # fmt: skip
    account = {"username": handle, "accountId": "42", "accountDisplayName": name}
    files = {
        "data/account.js": sample.js("window.YTD.account.part0", [{"account": account}]),
        "data/tweets.js": sample.js("window.YTD.tweets.part0", tweets + gone),
    }
    if protected is not None:
        history = [{"protectedHistory": {"protectedAt": f"2024-0{i + 1}-03T10:00:00.000Z", "action": a}}
                   for i, a in enumerate(protected)]  # fmt: skip
        files["data/protected-history.js"] = sample.js(
            "window.YTD.protected_history.part0", history
        )
    if deleted:
        for t in gone:
            t["tweet"]["deleted_at"] = "Sun Nov 03 08:00:00 +0000 2024"
        headers = [{"tweet": {"tweet_id": t["tweet"]["id_str"], "user_id": "42",
                              "created_at": t["tweet"]["created_at"],
                              "deleted_at": "Sun Nov 03 08:00:00 +0000 2024"}} for t in gone]  # fmt: skip
        files["data/deleted-tweets.js"] = sample.js("window.YTD.deleted_tweets.part0", gone)
        files["data/deleted-tweet-headers.js"] = sample.js(
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


def _note(note_id: str, when: datetime, text: str) -> dict[str, object]:
    created = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return {"noteTweet": {"noteTweetId": note_id, "createdAt": created, "updatedAt": created,
                          "lifecycle": {"value": "PUBLISHED", "name": "Published"},
                          "core": {"styletags": [], "urls": [], "text": text, "mentions": [],
                                   "cashtags": [], "hashtags": []}}}  # fmt: skip


def _esc(text: str) -> str:
    """`&`, `<`, `>` as tweets.js writes them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, link: str | None = None) -> str:
    """What tweets.js shows of a long post: HTML-escaped, cut near 275 and ended with `…`."""
    return _esc(text)[:274].rstrip() + "…" + (f" {link}" if link else "")


def _edited(entry: dict, first: str, versions: list[str]) -> dict:
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
    texts = combos(sample.POSTS[:60], plain, seed=3)  # Wren's own sentences, two by two
    entries = [sample.tweet(t, t0 - timedelta(hours=3 * i), i, rng) for i, t in enumerate(texts)]
    expected, never = list(texts), []
    notes = []
    at = t0 + timedelta(days=1)

    def new(text: str, seq: int, when: datetime | None = None) -> dict:
        return sample.tweet(text, when or at + timedelta(minutes=seq), 2000 + seq, rng)

    # Edit chain A: three versions, the first in tweets.js, the others in tweets-part1.js.
    a = [new(f"Fog horn drill at {h} tonight, all hands on the gallery please", k)
         for k, h in enumerate(("nine", "ten", "ten sharp"))]  # fmt: skip
    ids_a = [e["tweet"]["id_str"] for e in a]
    a = [_edited(e, ids_a[0], ids_a) for e in a]
    expected.append(a[2]["tweet"]["full_text"])
    never += [a[0]["tweet"]["full_text"], a[1]["tweet"]["full_text"]]
    # Edit chain B: two versions present, the third named but not in the archive.
    b = [new(f"The supply boat comes on {d}, bring your letters down to the jetty", 10 + k)
         for k, d in enumerate(("Monday", "Tuesday", "Wednesday"))]  # fmt: skip
    ids_b = [e["tweet"]["id_str"] for e in b]
    b = [_edited(e, ids_b[0], ids_b) for e in b[:2]]
    expected.append(b[1]["tweet"]["full_text"])
    never.append(b[0]["tweet"]["full_text"])
    # Long posts: a plain one, a reply, one ending in a t.co link after the ellipsis.
    longs = []
    for k, (lead, link) in enumerate((("", None), ("@gullwatcher ", None), ("", "https://t.co/Xy12AbCd34"))):  # fmt: skip
        whole = NOTE_TEXT + f" Part {k + 1} of my notes."
        when = at + timedelta(minutes=30 + k, milliseconds=250)
        post = new(lead + _cut(whole, link), 30 + k, when)
        note_id = sample.snowflake(when - timedelta(milliseconds=40), 5)
        notes.append(_note(note_id, when - timedelta(milliseconds=40), whole))
        longs.append(post)
        expected.append(lead + _esc(whole))
        never.append(post["tweet"]["full_text"])
    # Edit chain C: a long post edited once; each version has its own note.
    c = []
    for k in range(2):
        whole = NOTE_TEXT + (" Edited: the wick is in." if k else " The wick is not in yet.")
        when = at + timedelta(minutes=50 + k, milliseconds=600)
        c.append(new(_cut(whole), 50 + k, when))
        notes.append(_note(sample.snowflake(when - timedelta(milliseconds=25), 9),
                           when - timedelta(milliseconds=25), whole))  # fmt: skip
    ids_c = [e["tweet"]["id_str"] for e in c]
    c = [_edited(e, ids_c[0], ids_c) for e in c]
    expected.append(_esc(NOTE_TEXT + " Edited: the wick is in."))
    never += [_esc(NOTE_TEXT + " The wick is not in yet.")] + [e["tweet"]["full_text"] for e in c]
    # A note whose post is not in the archive (deleted): it is no post of its own.
    notes.append(_note(sample.snowflake(at + timedelta(minutes=70), 1), at + timedelta(minutes=70),
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
        "data/account.js": sample.js("window.YTD.account.part0", [{"account": account}]),
        "data/tweets.js": sample.js("window.YTD.tweets.part0", part0),
        "data/tweets-part1.js": sample.js("window.YTD.tweets.part1", part1),
        "data/note-tweet.js": sample.js("window.YTD.note_tweet.part0", notes),
        "data/twitter-circle-tweet.js": sample.js("window.YTD.twitter_circle_tweet.part0", circle),
        "data/community-tweet.js": sample.js("window.YTD.community_tweet.part0", community),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    skipped = {"edited": 4, "circle": 2, "community": 2}
    texts_c = [e["tweet"]["full_text"] for e in community]
    return XArchive(path, expected, never, skipped, texts_c)


def read_or_fail_in_one_line(path: Path) -> None:
    """Read any input as a user would: its posts are text, or it fails with a one-line error."""
    try:
        g = gather(parse(str(path)), SourceOptions(progress=False))
        assert g.posts and all(isinstance(p.text, str) for p in g.posts)
    except TweetbotError as e:
        assert e.message and "\n" not in e.message


def peak_mib(read) -> tuple[object, float]:
    """(what `read()` returns or raises, the peak of Python's allocations while it ran, MiB)."""
    import tracemalloc

    from publisher.errors import ArchiveError

    tracemalloc.start()
    try:
        out: object = read()
    except ArchiveError as e:
        out = e
    peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    tracemalloc.stop()
    return out, peak
