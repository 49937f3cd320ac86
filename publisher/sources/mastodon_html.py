"""A Mastodon status's HTML as the text its author typed: what the live API and an archive both hold.

Mastodon stores what people type and serves it as HTML (`TextFormatter`): paragraphs in `<p>`,
line breaks as `<br />`, entities escaped, and each entity linked:

- a link: `<a href="URL"><span class="invisible">https://</span><span class="ellipsis">the first
  30 characters</span><span class="invisible">the rest</span></a>`. A reader sees the middle
  part only; kept as such it is a fragment (`example.com/a/lo`) that the huggingtweets URL rule
  (`http…`) does not remove. The link's `href` is taken as its text instead, so cleaning
  removes it as it removes links everywhere. A link whose text is words, not an address (other
  servers' Markdown), keeps its words.
- a hashtag: `<a class="mention hashtag" rel="tag">#<span>tag</span></a>` and a mention:
  `<span class="h-card"><a class="u-url mention">@<span>user</span></a></span>`: kept as
  `#tag` and `@user`, as shown.
- the `RE: <link>` a server adds to a quote post (`class="quote-inline"`), which Mastodon's own
  pages hide, is left out: the author did not type it.

Entities are unescaped once, as a browser does: a typed `&lt;` (served as `&amp;lt;`) stays `&lt;`.

The markup is a stranger's (a hostile instance's statuses, an edited archive), so it is read by
a tokenizer of our own in time linear in its length whatever it holds: every search moves
forward and never looks at a character twice, the stack of open elements holds at most
`_MAX_OPEN` of them, and a construct left open at the end (`<b`, `<!--`) is read as text, as
Python's `html.parser` reads it. (`html.parser` itself is quadratic on inputs such as
`"<!--" * n`, and the end tag of deeply nested markup used to scan the whole stack.)
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip
_BLOCKS = {"li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}  # other servers' HTML
# Open elements kept track of; a status nests about 4 deep. Deeper start tags are read as
# elements that close themselves, so hostile nesting costs neither time nor memory.
_MAX_OPEN = 64

_OPENS = re.compile(r"<[a-zA-Z/!?]")  # what may start a tag; any other `<` is a character
_NAME = re.compile(r"[a-zA-Z][^\t\n\r\f />\x00]*")
# A quote that opens an attribute's value (a quote anywhere else is a character like any other).
_VALUE_QUOTE = re.compile(r"""=[\t\n\r\f ]*(["'])""")
_ATTR = re.compile(r"""([^\t\n\r\f />=][^\t\n\r\f /=>]*)(?:[\t\n\r\f ]*=[\t\n\r\f ]*("[^"]*"|'[^']*'|[^\t\n\r\f >]*))?""")  # fmt: skip
# What html.unescape replaces; numbers of any length (it fails on those over 4,300 digits).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")

_NONE: dict[str, str | None] = {}  # no attributes (never changed)
Token = tuple[
    str, str, dict[str, str | None], bool
]  # (kind, text or tag, attributes, self-closing)


def _unescape(text: str) -> str:
    return _CHARREF.sub(_charref, text) if "&" in text else text


def _charref(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] == "#" and len(ref.strip("#xX;").lstrip("0")) > 8:
        return "\ufffd"  # past the last code point, as html.unescape says of a big number
    return html.unescape(m.group())


def _tag_end(s: str, pos: int) -> int:
    """The index of the `>` closing the tag whose attributes start at `pos`, or -1 (none).

    Quoted attribute values may hold `>`. Each search starts where the last one stopped, or past
    it, so a tag costs its own length and a tag that never closes costs the rest of the input
    once."""
    gt = -1
    while True:
        if gt < pos:
            gt = s.find(">", pos)
            if gt < 0:
                return -1
        q = _VALUE_QUOTE.search(s, pos, gt)
        if q is None:
            return gt
        close = s.find(q.group(1), q.end())
        if close < 0:
            return -1
        pos = close + 1


def _tokens(s: str) -> Iterator[Token]:
    """("text", unescaped text), ("start", tag, attributes, self-closing), ("end", tag): the
    tokens of `s`, as `html.parser` reads them (tag and attribute names in lower case)."""
    text: list[str] = []
    pos, n = 0, len(s)
    while pos < n:
        found = _OPENS.search(s, pos)
        if found is None:
            text.append(s[pos:])
            break
        lt = found.start()
        text.append(s[pos:lt])
        nxt = s[lt + 1 : lt + 2]
        end = -1
        token: Token | None = None
        if s.startswith("<!--", lt):
            end = s.find("-->", lt + 4)
            end = end + 2 if end >= 0 else -1
        elif nxt in ("!", "?"):
            end = s.find(">", lt + 2)
        elif nxt == "/":
            m = _NAME.match(s, lt + 2)
            if m and s.startswith(">", m.end()):  # the usual `</p>`, read at once
                end = m.end()
                token = ("end", m.group().lower(), _NONE, False)
            else:
                end = s.find(">", lt + 2)
                if m and end >= 0:
                    token = ("end", m.group().lower(), _NONE, False)
        else:
            m = _NAME.match(s, lt + 1)
            assert m is not None  # `_OPENS` saw a letter
            end = m.end() if s.startswith(">", m.end()) else _tag_end(s, m.end())
            if end == m.end():  # the usual `<p>`: no attributes
                token = ("start", m.group().lower(), _NONE, False)
            elif end >= 0:
                attrs: dict[str, str | None] = {}
                for a in _ATTR.finditer(s, m.end(), end):
                    value = a.group(2)
                    if value is not None and value[:1] in ("'", '"'):
                        value = value[1:-1]
                    attrs.setdefault(a.group(1).lower(), _unescape(value) if value else value)
                token = ("start", m.group().lower(), attrs, s[end - 1] == "/")
        if end < 0:  # a tag or comment never closed: the rest is text
            text.append(s[lt:])
            break
        if token is not None:
            if text:
                yield ("text", _unescape("".join(text)), _NONE, False)
                text = []
            yield token
        pos = end + 1
    if text:
        yield ("text", _unescape("".join(text)), _NONE, False)


@dataclass
class _Link:
    href: str
    is_tag: bool  # a mention or a hashtag: its text is what a reader sees
    start: int  # where its text starts in `parts`
    depth: int  # its place in the stack of open elements
    whole: list[str] = field(default_factory=list)  # its text, hidden parts included


class _StatusText:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.paragraphs = 0
        self.stack: list[tuple[str, str]] = []  # open elements: (tag, "" | "invisible" | "drop")
        self.open = Counter[str]()  # open elements by tag, so that an end tag costs no scan
        self.invisible = 0  # open elements a reader does not see (a link's hidden parts)
        self.dropped = 0  # open elements left out entirely (a quote post's RE: line)
        self.link: _Link | None = None

    def feed(self, content: str) -> None:
        for kind, value, attrs, closed in _tokens(content):
            if kind == "text":
                self.handle_data(value)
            elif kind == "end":
                self.handle_endtag(value)
            else:
                pushed = self.handle_starttag(value, attrs)
                if closed and pushed:
                    self.handle_endtag(value)

    def handle_starttag(self, tag: str, a: dict[str, str | None]) -> bool:
        """Read a start tag; whether it opened an element (pushed on the stack)."""
        if tag == "br":
            if not (self.dropped or self.invisible):
                self.parts.append("\n")
            return False
        if tag in _VOID:
            return False
        classes = (a.get("class") or "").split()
        hides = (
            "drop" if "quote-inline" in classes else "invisible" if "invisible" in classes else ""
        )
        if not (hides or self.dropped or self.invisible):
            if tag == "p":
                if self.paragraphs:
                    self.parts.append("\n\n")
                self.paragraphs += 1
            elif tag in _BLOCKS and self.parts:
                self.parts.append("\n")
        if len(self.stack) >= _MAX_OPEN:
            return False
        self.stack.append((tag, hides))
        self.open[tag] += 1
        self.invisible += hides == "invisible"
        self.dropped += hides == "drop"
        if tag == "a" and self.link is None and not self.dropped:
            rel = (a.get("rel") or "").split()
            tagged = "mention" in classes or "hashtag" in classes or "tag" in rel
            self.link = _Link(a.get("href") or "", tagged, len(self.parts), len(self.stack))
        return True

    def handle_endtag(self, tag: str) -> None:
        if not self.open[tag]:
            return  # a stray end tag
        while self.stack:
            open_tag, hides = self.stack.pop()
            self.open[open_tag] -= 1
            self.invisible -= hides == "invisible"
            self.dropped -= hides == "drop"
            if self.link is not None and len(self.stack) < self.link.depth:
                self._end_link()
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.link is not None:
            self.link.whole.append(data)
        if not self.invisible:
            self.parts.append(data)

    def _end_link(self) -> None:
        link, self.link = self.link, None
        assert link is not None
        whole = "".join(link.whole).strip()
        if link.is_tag or not link.href or not whole or any(c.isspace() for c in whole):
            return  # a mention, a hashtag, or a link made of words: as shown
        if "." in whole or "/" in whole or ":" in whole:  # the address itself, maybe cut
            self.parts[link.start :] = [link.href]

    def close(self) -> None:
        if self.link is not None:
            self._end_link()


def html_to_text(content: str) -> str:
    """Mastodon status HTML → the text its author typed, links as their full address.

    Args:
        content: a status's `content` (API) or a Note's `content` (ActivityPub, archive).

    Returns:
        Plain text with `\\n` for `<br>` and a blank line between paragraphs.
    """
    parser = _StatusText()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()
