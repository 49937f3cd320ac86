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

Entities are unescaped once, by the parser: a typed `&lt;` (served as `&amp;lt;`) stays `&lt;`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip
_BLOCKS = {"li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}  # other servers' HTML


@dataclass
class _Link:
    href: str
    is_tag: bool  # a mention or a hashtag: its text is what a reader sees
    start: int  # where its text starts in `parts`
    depth: int  # its place in the stack of open elements
    whole: list[str] = field(default_factory=list)  # its text, hidden parts included


class _StatusText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.paragraphs = 0
        self.stack: list[tuple[str, str]] = []  # open elements: (tag, "" | "invisible" | "drop")
        self.invisible = 0  # open elements a reader does not see (a link's hidden parts)
        self.dropped = 0  # open elements left out entirely (a quote post's RE: line)
        self.link: _Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "br":
            if not (self.dropped or self.invisible):
                self.parts.append("\n")
            return
        if tag in _VOID:
            return
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
        self.stack.append((tag, hides))
        self.invisible += hides == "invisible"
        self.dropped += hides == "drop"
        if tag == "a" and self.link is None and not self.dropped:
            rel = (a.get("rel") or "").split()
            tagged = "mention" in classes or "hashtag" in classes or "tag" in rel
            self.link = _Link(a.get("href") or "", tagged, len(self.parts), len(self.stack))

    def handle_endtag(self, tag: str) -> None:
        if not any(t == tag for t, _ in self.stack):
            return  # a stray end tag
        while self.stack:
            open_tag, hides = self.stack.pop()
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
        super().close()
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
