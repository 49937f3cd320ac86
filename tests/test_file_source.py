""".jsonl / .csv file source."""

from __future__ import annotations

import json

import pytest

from publisher.clean import clean
from publisher.errors import SourceError
from publisher.sources import SourceOptions, file, gather
from publisher.sources.spec import parse

OPTS = SourceOptions()


def test_csv_with_optional_columns(tmp_path):
    path = tmp_path / "ada.csv"
    path.write_text(
        "id,text,created_at,is_retweet\n"
        '1,"Hello, engines.",2018-10-10T20:19:24Z,false\n'
        '2,"a post\nover two lines",,0\n'
        "3,RT-free repost of a friend,2018-10-11,TRUE\n",
        encoding="utf-8",
    )
    g = file.fetch(parse(str(path)), OPTS)
    assert (g.profile.handle, g.profile.name, g.profile.source) == ("ada", "ada", "file")
    assert [p.text for p in g.posts] == [
        "Hello, engines.",
        "a post\nover two lines",
        "RT-free repost of a friend",
    ]
    assert [p.created_at for p in g.posts] == ["2018-10-10T20:19:24Z", None, "2018-10-11"]
    assert [p.is_repost for p in g.posts] == [False, False, True]
    assert clean(g).counts.retweets == 1


def test_csv_header_is_matched_loosely_and_bom_is_skipped(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffText,Retweeted\nsaved from excel today,yes\n".encode())
    g = file.fetch(parse(str(path)), OPTS)
    assert [(p.text, p.is_repost) for p in g.posts] == [("saved from excel today", True)]


def test_handle_from_stem_is_sanitised_and_prefix_wins(tmp_path):
    path = tmp_path / "Ada Lovelace-2024.csv"
    path.write_text("text\nhello\n")
    assert file.fetch(parse(str(path)), OPTS).profile.handle == "Ada_Lovelace_2024"
    g = gather(parse(f"countess={path}"), OPTS)
    assert (g.profile.handle, g.profile.name) == ("countess", "countess")


def test_a_handle_taken_from_the_file_name_is_said_once_with_how_to_choose_it(tmp_path, tiny_model, monkeypatch, capsys):  # fmt: skip
    from publisher import cli
    from testkit.posts import write_posts_jsonl

    monkeypatch.chdir(tmp_path)
    write_posts_jsonl(tmp_path / "posts.jsonl")
    code = cli.main(["prepare", "posts.jsonl", "--out", "bot", "--base-model", str(tiny_model),
                     "--block-size", "64"])  # fmt: skip
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "after the file's name" in line]
    assert code == 0 and said == [
        "Warning: posts.jsonl: the bot is named @posts after the file's name; to name the "
        "account yourself, rename the file or give HANDLE=posts.jsonl in place of posts.jsonl"
    ], err
    code = cli.main(["prepare", "wren=posts.jsonl", "--out", "named", "--base-model",
                     str(tiny_model), "--block-size", "64"])  # fmt: skip
    assert code == 0 and "after the file's name" not in capsys.readouterr().err


def test_csv_not_utf8_says_so_with_the_line(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text\nfine line\ncaf\u00e9 au lait\n".encode("cp1252"))
    with pytest.raises(SourceError) as e:
        file.fetch(parse(str(path)), OPTS)
    assert "not UTF-8" in e.value.message
    assert "line 3" in e.value.message
    assert "latin.csv" in e.value.message
    assert "UTF-8" in (e.value.hint or "")


def test_csv_without_text_column_lists_columns(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,body,date\n1,hello,2020\n")
    with pytest.raises(SourceError, match="no `text` column") as e:
        file.fetch(parse(str(path)), OPTS)
    assert "'id', 'body', 'date'" in e.value.message
    assert e.value.hint


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("e.csv", "", "the file is empty"),
        ("e.csv", "\n\n", "the file is empty"),
        ("e.csv", "text\n", "holds no posts"),
        ("e.jsonl", "", "holds no posts"),
        ("e.jsonl", "\n  \n", "holds no posts"),
    ],
)
def test_empty_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SourceError, match=match) as e:
        file.fetch(parse(str(path)), OPTS)
    assert e.value.hint


def test_jsonl(tmp_path):
    rows = [
        {"text": "first line of the file", "created_at": "2024-01-01T00:00:00Z"},
        {"text": "a retweet flagged by the exporter", "retweeted": True},
        {"text": "unicode survives: café 🌊", "is_retweet": "false"},
    ]
    path = tmp_path / "wren.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    g = file.fetch(parse(str(path)), OPTS)
    assert [p.text for p in g.posts] == [r["text"] for r in rows]
    assert [p.is_repost for p in g.posts] == [False, True, False]
    assert g.posts[0].created_at == "2024-01-01T00:00:00Z"
    assert g.profile.handle == "wren"


def test_jsonl_invalid_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n\n{"text": "broken\n')
    with pytest.raises(SourceError, match=r"line 3: invalid JSON"):
        file.fetch(parse(str(path)), OPTS)


def test_jsonl_without_text_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"body": "no text", "id": 2}\n')
    with pytest.raises(SourceError, match=r"line 2: no `text` field \(found: 'body', 'id'\)"):
        file.fetch(parse(str(path)), OPTS)


def test_jsonl_not_utf8(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(SourceError, match="line 2 is not UTF-8"):
        file.fetch(parse(str(path)), OPTS)


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        file.fetch(parse(str(tmp_path / "gone.csv")), OPTS)


def test_large_csv_streams(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("text\n")
        for i in range(50_000):
            f.write(f"post number {i} about bread and stars\n")
    g = file.fetch(parse(str(path)), OPTS)
    assert len(g.posts) == 50_000
    assert g.posts[-1].text == "post number 49999 about bread and stars"


# --- hostile files: one line with a hint, the right line, nothing unbounded -------------------


def test_a_csv_error_names_the_line_where_the_record_starts(tmp_path, monkeypatch):
    from publisher.sources import limits

    monkeypatch.setattr(limits, "MAX_ITEM_CHARS", 1_000)
    path = tmp_path / "posts.csv"
    # Line 3 opens a quote that never closes: csv reads on to the end of the file.
    body = "".join(f"post number {i} about the sea\n" for i in range(200))
    path.write_text('text\nfirst post of many\n"an unclosed quote\n' + body)
    with pytest.raises(SourceError, match="the record starting at line 3: bad CSV") as e:
        file.fetch(parse(str(path)), OPTS)
    assert "quote" in (e.value.hint or "")


def test_a_jsonl_line_over_the_cap_is_skipped_and_counted_never_held(tmp_path, monkeypatch):
    from publisher.sources import limits

    monkeypatch.setattr(limits, "MAX_ITEM_CHARS", 1_000)
    path = tmp_path / "wren.jsonl"
    rows = ["first post here", "x" * 10_000, "y" * 999, "third post here"]
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in rows))
    g = file.fetch(parse(str(path)), OPTS)
    assert [p.text for p in g.posts] == ["first post here", "third post here"]
    assert g.skipped == {"too_long": 2}


def test_deeply_nested_jsonl_is_one_line(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "fine"}\n' + '{"text": "x", "a": ' + "[" * 5000 + "]" * 5000 + "}\n")
    with pytest.raises(SourceError, match="line 2: JSON nested more than 100 levels") as e:
        file.fetch(parse(str(path)), OPTS)
    assert e.value.hint


@pytest.mark.parametrize(
    "line, match",
    [
        ('{"text": 12}', "`text` is int, not a string"),
        ('{"text": "a", "n": ' + "9" * 5000 + "}", "invalid JSON"),
        ("[1, 2]", "no `text` field"),
    ],
)
def test_every_jsonl_error_has_a_hint(tmp_path, line, match):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(SourceError, match=match) as e:
        file.fetch(parse(str(path)), OPTS)
    assert e.value.hint and "\n" not in e.value.message


def test_a_symlink_loop_is_named_as_one(tmp_path):
    loop = tmp_path / "posts.jsonl"
    loop.symlink_to(loop)
    with pytest.raises(SourceError, match="symbolic link loop") as e:
        file.fetch(parse(str(loop)), OPTS)
    assert e.value.hint == "pass the path of the file itself", "no archive, no X"
