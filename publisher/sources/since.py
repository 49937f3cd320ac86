"""Where a bot's posts end: the newest post seen, so `hf-tweetbot update` gathers only later ones.

Each user of a bot records the source's id and the time of the newest post it has seen (new
`bot.json` keys `users[].newest_id`, `newest_at`). Live sources then ask only for later posts
(X `since_id`, Mastodon `since_id`; Bluesky has no such parameter, so paging stops at the first
page that reaches a known post), and every source's posts are filtered here the same way.

X and Mastodon ids are snowflakes, increasing with time: they are compared as numbers, which
also orders posts of the same second. Other ids (Bluesky at:// URIs, a file's own ids) say
nothing about order, so times are compared instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from . import Post


@dataclass
class Since:
    """The newest post already in a bot: its source id and ISO 8601 time (either may be None)."""

    id: str | None = None
    at: str | None = None

    def key(self) -> str:
        """A short name for caching the pages fetched after this post."""
        if self.id and self.id.isdigit():
            return f"since_{self.id}"
        return f"since_{self.at or 'start'}"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (`Z` or an offset; naive means UTC), or None when it is not one."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _numeric(pid: str | None) -> bool:
    return bool(pid) and pid.isdigit()  # type: ignore[union-attr]


def is_newer(post: Post, since: Since | None) -> bool:
    """Whether `post` came after `since` (True when nothing tells: ids then decide).

    Args:
        post: a post from a source.
        since: the newest post already in the bot, or None.
    """
    if since is None:
        return True
    if _numeric(post.id) and _numeric(since.id):
        return int(post.id) > int(since.id)  # type: ignore[arg-type]
    t, s = parse_time(post.created_at), parse_time(since.at)
    if t is not None and s is not None:
        return t > s
    return True


def newest(posts: list[Post], before: Since | None = None) -> Since:
    """The newest of `posts` (retweets included) and `before`.

    Args:
        posts: every post gathered for a user.
        before: the marker recorded so far, kept where the posts hold nothing newer.

    Returns:
        The id and time of the newest post.
    """
    best = Since(before.id, before.at) if before else Since()
    best_t = parse_time(best.at)
    for p in posts:
        t = parse_time(p.created_at)
        if t is not None and (best_t is None or t > best_t):
            best_t, best.at = t, t.isoformat()
        if _numeric(p.id):
            if not _numeric(best.id) or int(p.id) > int(best.id):  # type: ignore[arg-type]
                best.id = p.id
        elif p.id and t is not None and t == best_t:
            best.id = p.id
    return best
