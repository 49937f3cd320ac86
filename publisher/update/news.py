"""The posts a bot does not have yet: gathered per user, filtered, de-duplicated, cleaned, split."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import dataset
from ..bot import layout
from ..bot.manifest import Manifest, UserStats
from ..bot.posts import read_rows
from ..clean import Counts, clean
from ..errors import UsageError
from ..sources import Gathered, SourceOptions, gather
from ..sources.since import Since, is_newer, newest
from ..sources.spec import LOCAL_KINDS, UserSpec, recorded


@dataclass
class UserNews:
    """One user's new posts: their huggingtweets counts, the kept (text, id) pairs, the marker."""

    handle: str
    source: str
    counts: Counts = field(default_factory=Counts)
    kept: list[tuple[str, str | None]] = field(default_factory=list)
    since: Since = field(default_factory=Since)  # the newest post seen after this update
    note: str | None = None  # why nothing was gathered
    skipped: dict[str, int] = field(default_factory=dict)  # entries not trained on, by reason

    def line(self) -> str:
        """What `update` prints for this user."""
        if self.note:
            return f"@{self.handle}: {self.note}"
        c = self.counts
        if not c.tweets_downloaded:
            return f"@{self.handle} ({self.source}): nothing new"
        return (f"@{self.handle} ({self.source}): {c.tweets_downloaded} new posts downloaded, "
                f"{c.retweets} retweets, {c.short_tweets} short, {c.tweets_kept} kept")  # fmt: skip


def gather_news(bot_dir: Path, m: Manifest, specs: Sequence[UserSpec], opts: SourceOptions,
                say: Any = print) -> list[UserNews]:  # fmt: skip
    """Gather each user's posts after the newest one the bot has.

    Args:
        bot_dir: the bot folder (its posts.jsonl holds the ids already merged).
        m: its manifest (users' recorded sources and markers).
        specs: newer archives/files for archive and file users.
        opts: source options; `raw_dir` defaults to `DIR/raw/`.
        say: where each user's line goes.

    Returns:
        One `UserNews` per user, in the bot's order. With nothing new anywhere, the raw pages
        fetched are removed again, so the bot folder is as it was.
    """
    raw = Path(opts.raw_dir or layout.raw_dir(bot_dir))
    opts = replace(opts, raw_dir=raw)
    had = set(raw.iterdir()) if raw.is_dir() else None
    given = _given(m, specs, opts)
    rows = read_rows(bot_dir)
    news = []
    for u in m.users:
        got, note = given.get(u.handle.lower()) or _again(u, opts)
        if got is None:
            n = UserNews(u.handle, u.source, note=note, since=Since(u.newest_id, u.newest_at))
        else:
            # Ids are the source's own: two users (or sources) may share one, a user never.
            mine = [r for r in rows if r["handle"] == u.handle]
            n = _news(u, got, {r["id"] for r in mine if r.get("id")}, {r["text"] for r in mine})
        news.append(n)
        say(n.line())
    if not any(n.kept for n in news):
        for path in set(raw.iterdir()) - (had or set()) if raw.is_dir() else []:
            shutil.rmtree(path, ignore_errors=True)
        if had is None:
            shutil.rmtree(raw, ignore_errors=True)
    return news


def _given(
    m: Manifest, specs: Sequence[UserSpec], opts: SourceOptions
) -> dict[str, tuple[Gathered, None]]:
    """The newer archives/files on the command line, by the handle of the user they belong to."""
    out: dict[str, tuple[Gathered, None]] = {}
    users = {u.handle.lower(): u for u in m.users}
    for spec in specs:
        if not spec.local:
            raise UsageError(
                f"{spec}: update takes newer archives or files only; live sources are fetched "
                "again by themselves",
                hint=f"hf-tweetbot update DIR   (users: {', '.join(m.handles)})",
            )
        g = gather(spec, opts)
        u = users.get(g.profile.handle.lower())
        if u is None or u.source not in LOCAL_KINDS:
            who = ", ".join(f"@{x.handle} ({x.source})" for x in m.users)
            raise UsageError(
                f"{spec}: @{g.profile.handle} is not an archive or file user of this bot ({who})",
                hint="pass a newer archive of one of the bot's users, e.g. HANDLE=path/to/archive.zip",
            )
        out[u.handle.lower()] = (g, None)
    return out


def _again(u: UserStats, opts: SourceOptions) -> tuple[Gathered | None, str | None]:
    """Gather a user again from the source bot.json recorded, asking only for newer posts."""
    spec = recorded(u.spec, u.source, u.handle)
    if u.source in LOCAL_KINDS:
        if spec is None or spec.path is None or not spec.path.exists():
            return None, "no newer archive given (pass it: hf-tweetbot update DIR path/to/it)"
        return gather(spec, opts), None
    if spec is None:
        return None, "its source was not recorded (prepared before `update` existed)"
    return gather(spec, replace(opts, since=Since(u.newest_id, u.newest_at))), None


def _news(u: UserStats, g: Gathered, known_ids: set[str], known_texts: set[str]) -> UserNews:
    """The posts of `g` after the user's marker and not already in the bot, cleaned and counted."""
    since = Since(u.newest_id, u.newest_at)
    seen = set(known_ids)
    fresh = []
    for p in g.posts:
        if is_newer(p, since) and not (p.id and p.id in seen):
            fresh.append(p)
            if p.id:
                seen.add(p.id)
    cleaned = clean(Gathered(g.profile, fresh, escaped=g.escaped))
    c = cleaned.counts
    kept = []
    for text, pid in zip(cleaned.texts, cleaned.ids, strict=True):
        if pid is None and text in known_texts:  # no id to tell them apart: same text, same post
            c.tweets_kept -= 1
            c.tweets_downloaded -= 1
            continue
        kept.append((text, pid))
    skipped = asdict(cleaned.skipped)
    return UserNews(u.handle, u.source, c, kept, newest(fresh, since), skipped=skipped)


def split_news(news: list[UserNews], val_fraction: float, seed: int) -> list[dict[str, Any]]:
    """posts.jsonl rows for the new posts, split 90/10 per user; marked `new` (not saved)."""
    kept = {n.handle: n.kept for n in news if n.kept}
    train, val = dataset.split_posts(kept, val_fraction, seed, key=lambda pair: pair[0])
    rows = []
    for split, per_user in (("train", train), ("validation", val)):
        for handle, pairs in per_user.items():
            rows += [{"handle": handle, "text": t, "split": split, "id": i, "new": True}
                     for t, i in pairs]  # fmt: skip
    return rows
