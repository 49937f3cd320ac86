from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.errors import ArchiveError
from publisher.sources.archive_js import iter_js_array, parse_js


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    """`data` cut into pieces of the given sizes (cycled), the way a reader hands it over."""
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        out.append(data[i : i + n])
        i, k = i + n, k + 1
    return out


items = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"tweet": st.fixed_dictionaries({"full_text": st.text(max_size=40)})}
        ),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(items, st.lists(st.integers(1, 9), min_size=1, max_size=5), st.booleans(), st.booleans())
def test_any_chunking_yields_the_items_json_would(values, sizes, ascii_only, bom):
    # Chunks split multi-byte characters, numbers, strings and the `= [` header anywhere.
    body = json.dumps(values, indent=1, ensure_ascii=ascii_only)
    data = ("\ufeff" if bom else "") + "window.YTD.tweets.part0 = " + body + ";\n"
    got = list(iter_js_array(pieces(data.encode(), sizes), "tweets.js"))
    assert got == values


@pytest.mark.parametrize(
    "text, message",
    [
        ('window.YTD.tweets.part0 = [\n {"a": 1},\n oops\n]', "invalid JSON at line 3"),
        ('window.YTD.tweets.part0 = [\n {"a": 1}\n {"b": 2}\n]', "invalid JSON at line 3"),
        ('window.YTD.tweets.part0 = [\n {"a": 1}', "ends early"),
        ("window.YTD.tweets.part0 = [1]\n\n x", "invalid JSON at line 1"),
        ("window.YTD.tweets.part0 = {}", "expected a JSON list"),
        ("[1, 2]", "no '=' assignment"),
    ],
)
def test_bad_files_name_the_problem_whatever_the_chunking(text, message):
    for size in (1, 3, 1 << 20):
        with pytest.raises(ArchiveError, match=message):
            list(iter_js_array(pieces(text.encode(), [size]), "tweets.js"))


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ArchiveError, match="not UTF-8"):
        list(iter_js_array([b'window.YTD.tweets.part0 = ["\xff\xfe"]'], "tweets.js"))


def test_the_byte_that_is_not_utf8_is_located():
    data = b'window.YTD.tweets.part0 = [\n  "caf\xc3\xa9",\n  "bad \xff"\n]'
    for size in (1, 7, 1 << 20):  # the position counts from the file's start, however it is cut
        at = data.index(b"\xff")
        with pytest.raises(ArchiveError, match=f"byte 0xff at offset {at} of the file"):
            list(iter_js_array(pieces(data, [size]), "tweets.js"))


# --- linear time, bounded memory --------------------------------------------------------------


class CountingDecoder:
    """Counts the characters handed to `raw_decode` from the position it starts at."""

    def __init__(self) -> None:
        self.chars = 0

    def raw_decode(self, s: str, idx: int = 0):
        self.chars += len(s) - idx
        return json.JSONDecoder().raw_decode(s, idx)


def test_a_long_value_is_decoded_once_not_once_per_chunk(monkeypatch):
    # Retrying the decoder from the item's start at every chunk is quadratic: a 300 MB string
    # pinned the CPU for minutes. Each character may reach the decoder a bounded number of times.
    from publisher.sources import archive_js

    counter = CountingDecoder()
    monkeypatch.setattr(archive_js, "_DECODER", counter)
    text = "a" * 200_000
    data = f'window.YTD.tweets.part0 = [{{"tweet": {{"full_text": "{text}"}}}}, 1]'.encode()
    items = list(iter_js_array(pieces(data, [1000]), "tweets.js"))  # 200 chunks
    assert items == [{"tweet": {"full_text": text}}, 1]
    assert counter.chars < 3 * len(data), "the long item was re-decoded chunk after chunk"


def test_an_item_over_the_cap_is_skipped_unread_and_the_rest_read(monkeypatch):
    from publisher.sources import archive_js, limits

    monkeypatch.setattr(limits, "MAX_ITEM_CHARS", 5_000)
    counter = CountingDecoder()
    monkeypatch.setattr(archive_js, "_DECODER", counter)
    big = {"tweet": {"full_text": "b" * 50_000, "more": [{"x": "]"}] * 10}}
    values = [{"tweet": {"full_text": "first"}}, big, {"tweet": {"full_text": "last\n"}}]
    data = ("window.YTD.tweets.part0 = " + json.dumps(values, indent=1)).encode()
    for size in (997, 1 << 20):
        counter.chars = 0
        got = list(iter_js_array(pieces(data, [size]), "tweets.js"))
        assert got == [values[0], archive_js.TOO_LONG, values[2]]
        assert counter.chars < 3 * 5_000 + 2 * size, "the skipped item reached the decoder"


def test_line_numbers_still_count_the_lines_of_a_skipped_item(monkeypatch):
    from publisher.sources import limits

    monkeypatch.setattr(limits, "MAX_ITEM_CHARS", 100)
    long = json.dumps({"text": ["line"] * 100}, indent=1)  # about 200 lines
    text = f"window.YTD.tweets.part0 = [\n{long},\n oops\n]"
    line = text[: text.index("oops")].count("\n") + 1
    for size in (10, 1 << 20):
        with pytest.raises(ArchiveError, match=f"invalid JSON at line {line} "):
            list(iter_js_array(pieces(text.encode(), [size]), "tweets.js"))


@pytest.mark.parametrize("depth, ok", [(100, True), (101, False), (100_000, False)])
def test_nesting_deeper_than_the_cap_is_refused(depth, ok):
    # An item nesting `depth` levels (a tweet object nests about 6).
    data = ("window.YTD.tweets.part0 = [" + "[" * depth + "]" * depth + "]").encode()
    for size in (4096, 1 << 20):
        if ok:
            assert len(list(iter_js_array(pieces(data, [size]), "tweets.js"))) == 1
        else:
            with pytest.raises(ArchiveError, match="nested more than 100 levels"):
                list(iter_js_array(pieces(data, [size]), "tweets.js"))


def test_a_number_python_cannot_convert_is_invalid_json():
    data = b"window.YTD.tweets.part0 = [" + b"7" * 10_000 + b"]"
    for size in (100, 1 << 20):
        with pytest.raises(ArchiveError, match="invalid JSON at line 1"):
            list(iter_js_array(pieces(data, [size]), "tweets.js"))


def test_parse_js_refuses_a_value_over_the_cap(monkeypatch):
    from publisher.sources import limits

    monkeypatch.setattr(limits, "MAX_ITEM_CHARS", 1_000)
    data = ("window.YTD.account.part0 = " + json.dumps([{"a": "x" * 5_000}])).encode()
    with pytest.raises(ArchiveError, match="over 1,000 characters"):
        parse_js(data, "account.js")
