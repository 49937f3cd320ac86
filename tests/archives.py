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
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
import make_sample_archive as sample  # noqa: E402

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
