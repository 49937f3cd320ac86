from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.errors import ArchiveError
from publisher.sources.archive_js import iter_js_array


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
