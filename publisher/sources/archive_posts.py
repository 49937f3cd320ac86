"""Which entries of an X archive are posts to learn: each once, whole, in its latest version, public.

Archives delivered since 2022 hold more than one entry for some posts, and some posts only in part:

- **Edits.** Every entry carries `edit_info`. An edited post appears once per version (up to 5):
  the first with `edit_info.initial.editTweetIds` listing every version's id, each later one with
  `edit_info.edit.initialTweetId`. The latest version present is kept; the others are counted
  (`edited`), so near-copies of one post never land on both sides of the validation split.
- **Long posts** ("note tweets"). `tweets.js` holds a post over 280 characters cut at about 275
  and ended with `…` (sometimes followed by a t.co link); its whole text is in `note-tweet.js`,
  raw (escaped here as tweets.js is, so the archive's posts are unescaped alike, once) and without
  a reply's leading @mentions. A note's `noteTweetId` is not
  the post's id but a snowflake made a few milliseconds before it: the post is the first cut post
  after it, made within a second of the note's `createdAt`.
- **Twitter Circle posts** were written for a chosen few: they sit in `twitter-circle-tweet.js`
  and, same ids, in `tweets.js`. They are left out by id and counted (`circle`).
- **Deleted posts** (`deleted_ids`) go with every version of their edit chain.

`Entries` is fed while `archive.py` reads the tweets (only posts in an edit chain or ending in
`…` cost more than a dict lookup) and `settle` applies all of it once every file is read.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import Gathered
from .since import parse_time

# A cut long post: `…`, then at most the links X appends (a quoted post, media).
_CUT = re.compile(r"…(?:\s+https?://t\.co/\w+)*\s*\Z")
_LEADING_MENTIONS = re.compile(r"(?:@\w{1,50}\s+)+")
_NOTE_DELAY_S = 1  # the post is made within this many seconds after its note's createdAt


@dataclass
class Entries:
    """What `settle` needs to know of the posts read, by their index in `Gathered.posts`."""

    chains: list[tuple[int, str]] = field(default_factory=list)  # (index, first version's id)
    versions: dict[str, set[str]] = field(default_factory=dict)  # first id -> every version's id
    cut: list[int] = field(default_factory=list)  # posts that may be a long post's cut text

    def see(self, index: int, edit_info: Any, pid: str | None, text: str) -> None:
        """Note post `index` (id `pid`) when it is part of an edit chain or may be cut."""
        if pid is not None and isinstance(edit_info, dict):
            group = _edit_group(edit_info, pid)
            if group is not None:
                first, ids = group
                self.chains.append((index, first))
                self.versions.setdefault(first, set()).update(ids)
        if "…" in text and _CUT.search(text):
            self.cut.append(index)


def _edit_group(info: dict[str, Any], pid: str) -> tuple[str, list[str]] | None:
    """(the first version's id, the version ids named) of an edited post's entry, else None."""
    initial = info.get("initial")
    if isinstance(initial, dict):
        ids = initial.get("editTweetIds")
        if isinstance(ids, list) and len(ids) > 1:
            return pid, [str(i) for i in ids if isinstance(i, (str, int))]
        return None
    edit = info.get("edit")
    if not isinstance(edit, dict):
        return None
    first = edit.get("initialTweetId")
    if not isinstance(first, (str, int)) or str(first) == "":
        return None
    named = (edit.get("editControlInitial") or {}).get("editTweetIds")
    ids = [str(i) for i in named if isinstance(i, (str, int))] if isinstance(named, list) else []
    return str(first), [pid, str(first), *ids]


@dataclass
class Note:
    """One long post's whole text, from `note-tweet.js`."""

    note_id: int
    created: float  # POSIX seconds
    text: str


def notes_of(items: Iterable[Any]) -> list[Note]:
    """The usable items of `note-tweet.js` (`{"noteTweet": {"noteTweetId", "createdAt", "core":
    {"text"}}}`); anything else in the file is passed over."""
    out = []
    for item in items:
        note = item.get("noteTweet") if isinstance(item, dict) else None
        if not isinstance(note, dict):
            continue
        core = note.get("core")
        text = core.get("text") if isinstance(core, dict) else None
        note_id = str(note.get("noteTweetId") or "")
        when = parse_time(note.get("createdAt")) if isinstance(note.get("createdAt"), str) else None
        if isinstance(text, str) and text and note_id.isdigit() and when is not None:
            out.append(Note(int(note_id), when.timestamp(), text))
    return out


def settle(
    g: Gathered, entries: Entries, circle: set[str], notes: list[Note], gone: set[str]
) -> None:
    """Leave in `g.posts` each public post once, whole and in its latest version; count the rest.

    Args:
        g: the posts read, in archive order; `g.skipped` and `g.deleted` get the counts.
        entries: what was noted while reading them.
        circle: ids of the posts shared with a Twitter Circle only.
        notes: the long posts' whole texts.
        gone: ids of the posts the archive lists as deleted.
    """
    posts = g.posts
    _join_notes(g, entries.cut, notes)
    drop: dict[int, str] = {}  # index -> why
    if circle:
        for i, p in enumerate(posts):
            if p.id in circle:
                drop[i] = "circle"
    if entries.chains:
        deleted_chains = {k for k, ids in entries.versions.items() if ids & gone}
        latest: dict[str, tuple[int, int]] = {}  # first id -> (version id, index)
        for i, first in entries.chains:
            if i in drop:
                continue
            if first in deleted_chains:
                drop[i] = "deleted"
                continue
            n = _int(posts[i].id)
            if first not in latest or n > latest[first][0]:
                if first in latest:
                    drop[latest[first][1]] = "edited"
                latest[first] = (n, i)
            else:
                drop[i] = "edited"
    if gone:
        for i, p in enumerate(posts):
            if p.id is not None and p.id in gone and i not in drop:
                drop[i] = "deleted"
    if not drop:
        return
    for why in drop.values():
        if why == "deleted":
            g.deleted += 1
        else:
            g.skipped[why] = g.skipped.get(why, 0) + 1
    g.posts = [p for i, p in enumerate(posts) if i not in drop]


def _join_notes(g: Gathered, cut: list[int], notes: list[Note]) -> None:
    """Give each cut post the whole text of its note (see the module docstring for the match)."""
    if not cut or not notes:
        return
    posts = g.posts
    found = sorted((_int(posts[i].id), i) for i in cut)
    ids = [n for n, _ in found]
    taken: set[int] = set()
    for note in sorted(notes, key=lambda n: n.note_id):
        j = bisect.bisect_right(ids, note.note_id)
        while j < len(ids) and j in taken:
            j += 1
        if j == len(ids):
            continue
        post = posts[found[j][1]]
        when = parse_time(post.created_at)
        if when is None or not 0 <= when.timestamp() - int(note.created) <= _NOTE_DELAY_S:
            continue  # the note's post is not here (deleted, or never in tweets.js)
        taken.add(j)
        text = note.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lead = _LEADING_MENTIONS.match(post.text)
        if lead and not text.startswith(lead.group().split()[0]):
            text = lead.group() + text  # a reply's @mentions, which the note leaves out
        post.text = text


def _int(pid: str | None) -> int:
    return int(pid) if pid and pid.isdigit() else -1
