"""Escaping for the card: each filter escapes exactly what could break out of its context.

Names, handles, prompts and URLs come from strangers' profiles. The contexts are a YAML scalar,
an HTML attribute (CSS `url('...')`), HTML text, a Markdown table cell or link, and a Python
string in the usage snippet. Escaping nothing more keeps the huggingtweets seed's bytes.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Characters a URL may keep as is. Quotes, parentheses, backslash, angle brackets and spaces are
# left out: they could end a CSS url('...'), an HTML attribute or a Markdown link destination.
_URL_SAFE = "/:?#[]@!$&*+,;=%-._~"
_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")
_REPO_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_YAML_ESCAPES = {
    "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0",
    "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P",
}  # fmt: skip


_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: no UTF-8 page or request holds them


def http_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL with a host, else None (javascript:, data:, ...)."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL.search(url) or _LINE_BREAKS.search(url) or "\\" in url or _SURROGATE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def is_repo_file(name: str | None) -> bool:
    """True for a plain file name (like `avatar_ada.png`): no folder, no `..`, no scheme."""
    return bool(name and _REPO_FILE.match(name))


def _quote_url(url: str) -> str:
    return quote(url, safe=_URL_SAFE)


def attr_url(url: str | None) -> str:
    """A URL for `style="... url(&#39;URL&#39;)"`: http(s) only, nothing that ends the string.

    Args:
        url: any string, or None.

    Returns:
        The percent-encoded URL with `&` as `&amp;` (so `&#39;` cannot be smuggled in), or ""
        when the URL is not http(s).
    """
    url = http_url(url)
    return _quote_url(url).replace("&", "&amp;") if url else ""


def md_url(url: str) -> str:
    """A URL for a Markdown link destination: no space, parenthesis or angle bracket left raw."""
    return _quote_url(url)


def yaml_url(url: str) -> str:
    """A URL as a YAML plain scalar (the seed's `thumbnail:` form); quoted if it cannot be plain.

    A plain scalar has traps (`x:` at the end, ` #`), so the parser itself decides.
    """
    import yaml  # on the first card: every command imports this module, few render

    quoted = _quote_url(url)
    try:
        plain = yaml.safe_load(f"k: {quoted}") == {"k": quoted}
    except yaml.YAMLError:
        plain = False
    return quoted if plain else yaml_str(quoted)


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar that parses back to exactly `text`.

    Line breaks, quotes, backslashes and every character YAML does not allow raw (controls,
    NEL, LS/PS, BOM, surrogates) are escaped; the rest stays as is (emoji included).
    """
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[ch])
        elif (
            0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
            or code >= 0x10000
        ):
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02X}")
        else:
            out.append(f"\\u{code:04X}")
    out.append('"')
    return "".join(out)


def one_line(text: str) -> str:
    """Line breaks become spaces and control characters go: a value cannot end a block."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))


def html_text(text: str) -> str:
    """Text inside an HTML element: `<`, `>` and `"` escaped, `&` kept raw as the seed has it."""
    text = one_line(text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def md_cell(text: str) -> str:
    """Text in a Markdown table cell or paragraph: `|`, `\\`, `<`, brackets... backslash-escaped.

    The backslash itself is escaped too, else `a\\|b` would leave the pipe unescaped.
    """
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def py_str(text: str, quote_char: str = "'") -> str:
    """A Python string literal (for the snippet in the card) using `quote_char`."""
    body = text.replace("\\", "\\\\").replace(quote_char, "\\" + quote_char)
    body = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in body)
    return f"{quote_char}{body}{quote_char}"
