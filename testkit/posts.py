"""Texts of posts, and the plain files people keep them in (JSONL, CSV).

`posts` makes plain posts from a small vocabulary (enough text to train on from about 150);
`UKRAINIAN`, `CHINESE` and `POLYGLOT` are fictional people's posts in other scripts; `combos`
joins sentences two by two into distinct posts. Wren Calloway's own posts are in `wren_posts`.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

WORDS = "lighthouse stars bread radio gulls wind night lamp tide fog kettle comet".split()  # noqa: SIM905


def posts(n: int, seed: int = 0) -> list[str]:
    """`n` plain posts of 6 to 18 words: enough text to train on from about 150."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))) for _ in range(n)]


def write_posts_jsonl(path: Path, n: int = 300, seed: int = 0) -> Path:
    """A JSONL file of `n` varied posts (enough text to pass the 6,000-character check):
    `posts(n, seed)`, each capitalised and ended with a full stop."""
    with open(path, "w", encoding="utf-8") as f:
        for text in posts(n, seed):
            f.write(json.dumps({"text": text.capitalize() + "."}) + "\n")
    return path


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


def combos(sentences: list[str], n: int, seed: int = 0, sep: str = " ") -> list[str]:
    """`n` distinct posts, each two different sentences joined by `sep`."""
    pairs = list(itertools.permutations(sentences, 2))
    random.Random(seed).shuffle(pairs)
    return [sep.join(p) for p in pairs[:n]]
