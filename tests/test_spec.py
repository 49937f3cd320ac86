"""A USER read once: its kind, account, path, key and bot.json record."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.errors import SourceError
from publisher.sources import spec as spec_mod
from publisher.sources.spec import KINDS, UserSpec, live, local, parse, recorded

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "wrencalloway_archive.zip"


@pytest.mark.parametrize(
    ("text", "kind", "handle", "account"),
    [
        ("archive.zip", "archive", None, None),
        ("ada=data/tweets.js", "archive", "ada", None),
        ("@ada=some/folder", "archive", "ada", None),
        ("posts.csv", "file", None, None),
        ("ada=posts.JSONL", "file", "ada", None),
        ("repo.car", "bluesky_car", None, None),
        ("export.tar.gz", "mastodon_archive", None, None),
        ("x:ada", "x", "ada", "ada"),
        ("x:@ada", "x", "ada", "ada"),
        ("@ada", "x", "ada", "ada"),
        ("ada_l", "x", "ada_l", "ada_l"),
        ("bsky:someone.bsky.social", "bsky", "someone.bsky.social", "someone.bsky.social"),
        ("bsky:@Someone.Bsky.Social", "bsky", "someone.bsky.social", "someone.bsky.social"),
        ("bsky:someone", "bsky", "someone.bsky.social", "someone.bsky.social"),
        ("bsky:example.com", "bsky", "example.com", "example.com"),
        ("bsky:did:plc:4r3iq5wdoqz7ltcjw2aqh5ka", "bsky", None, "did:plc:4r3iq5wdoqz7ltcjw2aqh5ka"),
        ("mastodon:@wren@mastodon.social", "mastodon", None, "wren"),
    ],
)
def test_each_form_is_read_into_its_kind_and_account(
    text, kind, handle, account, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    s = parse(text)
    assert (s.kind, s.handle, s.account) == (kind, handle, account)
    assert s.local == (kind in spec_mod.LOCAL_KINDS)
    assert s.kind in KINDS


def test_a_local_path_is_kept_absolute_and_shown_as_typed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = parse("ada=some/folder")
    assert s.path == tmp_path / "some" / "folder"
    assert (s.shown, str(s)) == ("some/folder", "ada=some/folder")


@pytest.mark.parametrize("text", ["some/folder/with=sign.zip", "/data/a=b/x.zip", "a b=c.zip"])
def test_an_equals_sign_in_a_path_is_no_handle(text):
    s = parse(text)
    assert s.handle is None and str(s.path).endswith(text.lstrip("/"))


def test_an_existing_folder_named_like_a_handle_is_an_archive(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wren").mkdir()
    assert parse("wren").kind == "archive"
    assert parse("x:wren").kind == "x"  # the prefix says it is an account


def test_a_mastodon_archive_is_told_from_an_x_archive_by_its_names(tmp_path):
    masto = tmp_path / "masto.zip"
    with zipfile.ZipFile(masto, "w") as zf:
        zf.writestr("outbox.json", "{}")
    assert parse(str(masto)).kind == "mastodon_archive"
    assert parse(str(SAMPLE)).kind == "archive"
    assert parse(str(tmp_path / "not-there.zip")).kind == "archive"  # its reader says why


def test_an_archive_is_opened_once_to_learn_its_kind(tmp_path, monkeypatch):
    opened = []
    real = zipfile.ZipFile

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(spec_mod.zipfile, "ZipFile", counting)
    s = parse(str(SAMPLE))
    for _ in range(3):
        assert (s.kind, s.local, s.key, s.record) == ("archive", True, s.key, str(SAMPLE))
    assert len(opened) == 1


@pytest.mark.parametrize(
    ("text", "base", "user"),
    [
        ("mastodon:@wren@mastodon.social", "https://mastodon.social", "wren"),
        ("mastodon:wren@mastodon.social", "https://mastodon.social", "wren"),
        ("mastodon:https://mastodon.social/@wren", "https://mastodon.social", "wren"),
        ("mastodon:http://127.0.0.1:8080/@wren/", "http://127.0.0.1:8080", "wren"),
    ],
)
def test_mastodon_forms(text, base, user):
    s = parse(text)
    assert (s.instance, s.account) == (base, user)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x:not-a-handle!", "not an X handle"),
        ("x:", "not an X handle"),
        ("bsky:", "not a Bluesky handle"),
        ("bsky:not a handle", "not a Bluesky handle"),
        ("bsky:-bad-.example", "not a Bluesky handle"),
        ("mastodon:wren", "not a Mastodon account"),
        ("mastodon:@wren@", "not a Mastodon account"),
        ("mastodon:https://x.y/", "not a Mastodon account"),
    ],
)
def test_a_live_form_naming_no_account_is_one_line(text, message):
    with pytest.raises(SourceError, match=re.escape(f"{text}: {message}")) as e:
        parse(text)
    assert "\n" not in e.value.message and e.value.hint


def test_live_forms_never_look_at_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ada").mkdir()
    assert live("ada") == parse("x:ada")
    for text in ("ada=/etc/passwd", "/etc/passwd", "~/x", "archive.zip"):
        assert live(text) is None


def test_the_same_user_has_one_key():
    assert parse("x:@ada").key == parse("ada").key == parse("@Ada").key == parse("x:ADA").key
    assert parse("bsky:wren").key == parse("bsky:@wren.bsky.social").key
    assert (
        parse("mastodon:@w@Example.social").key == parse("mastodon:https://example.social/@w").key
    )
    assert parse("x:ada").key != parse("bsky:ada").key


def test_two_names_of_one_file_have_one_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts.jsonl").write_text("")
    (tmp_path / "link.jsonl").symlink_to("posts.jsonl")
    keys = {parse(t).key for t in ("posts.jsonl", "ada=posts.jsonl", str(tmp_path / "link.jsonl"))}
    assert len(keys) == 1


# --- the record bot.json keeps ---------------------------------------------------------------


def test_records_are_absolute_for_files_and_canonical_for_accounts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts.jsonl").write_text("")
    assert parse("wren=posts.jsonl").record == f"wren={tmp_path / 'posts.jsonl'}"
    assert parse("@ada").record == "x:ada"
    assert parse("bsky:wren").record == "bsky:wren.bsky.social"
    assert parse("mastodon:wren@example.social").record == "mastodon:@wren@example.social"
    assert parse("mastodon:http://127.0.0.1:8080/@w").record == "mastodon:http://127.0.0.1:8080/@w"


_x_handles = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)
_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_bsky = st.builds(lambda a, b: f"bsky:{a}.{b}.social", _labels, _labels)
_dids = st.from_regex(r"did:plc:[a-z2-7]{24}", fullmatch=True).map(lambda d: f"bsky:{d}")
_users = st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)
_mastodon = st.one_of(
    st.builds(lambda u, h: f"mastodon:@{u}@{h}.example", _users, _labels),
    st.builds(lambda u, p: f"mastodon:http://127.0.0.1:{p}/@{u}", _users, st.integers(1, 65535)),
)
_live = st.one_of(
    _x_handles.map(lambda h: f"x:{h}"), _x_handles.map(lambda h: f"@{h}"), _bsky, _dids, _mastodon
)


@settings(max_examples=200, deadline=None)
@given(_live)
def test_a_live_record_reads_back_as_the_same_value(text):
    s = parse(text)
    assert parse(s.record) == s and parse(s.record).record == s.record


_names = st.text(st.sampled_from("abc=_-. 123é"), min_size=1, max_size=12).filter(
    lambda n: n.strip(".") and "/" not in n
)
_suffixes = st.sampled_from([".jsonl", ".csv", ".car", ".zip", ".tar.gz", ""])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder to make files in, and a Mastodon archive and an X archive in it."""
    root = tmp_path_factory.mktemp("specs")
    with zipfile.ZipFile(root / "masto.zip", "w") as zf:
        zf.writestr("outbox.json", "{}")
    (root / "x.zip").write_bytes(SAMPLE.read_bytes())
    return root


@settings(max_examples=200, deadline=None)
@given(folder=_names, name=_names, suffix=_suffixes, handle=st.one_of(st.none(), _x_handles))
def test_a_local_record_reads_back_as_the_same_value(files, folder, name, suffix, handle):
    path = files / folder / (name + suffix)
    s = local(path, handle)
    assert parse(s.record) == s
    for existing in ("masto.zip", "x.zip"):
        s = local(files / existing, handle)
        assert parse(s.record) == s


def test_every_kind_reads_back_from_its_record(files):
    examples = [
        local(files / "x.zip"),
        local(files / "masto.zip", "wren"),
        local(files / "a=b" / "p.jsonl"),
        local(files / "p.csv", "ada"),
        local(files / "r.car"),
        parse("x:ada"),
        parse("bsky:wren"),
        parse("bsky:did:plc:4r3iq5wdoqz7ltcjw2aqh5ka"),
        parse("mastodon:@wren@example.social"),
    ]
    assert {s.kind for s in examples} == set(KINDS)
    for s in examples:
        assert parse(s.record) == s


# --- bot.json files written before ----------------------------------------------------------


def test_records_of_earlier_bots_still_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ada").mkdir()  # a folder named like the account lies where update runs
    # Live users were recorded as typed, or not at all.
    assert recorded("ada", "x", "ada") == parse("x:ada")
    assert recorded("@ada", "x", "ada") == parse("x:ada")
    assert recorded(None, "x", "ada") == parse("x:ada")
    assert recorded(None, "bsky", "wren.bsky.social") == parse("bsky:wren.bsky.social")
    assert recorded("bsky:wren", "bsky", "wren.bsky.social") == parse("bsky:wren.bsky.social")
    assert recorded("mastodon:https://example.social/@w", "mastodon", "w") == parse(
        "mastodon:@w@example.social"
    )
    assert recorded(None, "mastodon", "w") is None  # the instance was never known
    # Local users were recorded absolute, with their HANDLE= where given.
    (tmp_path / "p.jsonl").write_text("")
    assert recorded(f"wren={tmp_path}/p.jsonl", "file", "wren") == local(
        tmp_path / "p.jsonl", "wren"
    )
    assert recorded(None, "archive", "wren") is None


def test_a_user_spec_is_immutable():
    s = parse("x:ada")
    with pytest.raises(AttributeError):
        s.handle = "grace"  # type: ignore[misc]
    assert isinstance(s, UserSpec) and hash(s) == hash(parse("@ada"))


# --- one reader of the USER syntax ---------------------------------------------------------------

_OLD_PARSERS = re.compile(
    r"\b(split_spec|source_kind|_spec_key|guess_handles|record_spec|parse_handle|parse_spec|"
    r"LIVE_PREFIXES)\b|partition\(\"=\"\)|removeprefix\(\"(x|bsky|mastodon):\"\)|"
    r"startswith\(\(?\"(x|bsky|mastodon):\""
)


def test_no_other_module_reads_the_user_syntax():
    found = []
    for path in sorted((ROOT / "publisher").rglob("*.py")):
        if path.name == "spec.py" and path.parent.name == "sources":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _OLD_PARSERS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "USER syntax read outside sources/spec.py:\n" + "\n".join(found)


@pytest.mark.parametrize("text, message", [
    ("", "an empty USER"),
    ("   ", "an empty USER"),
    ("ada=", "ada=: no path after 'ada='"),
])  # fmt: skip
def test_an_empty_user_or_path_is_one_line_not_the_current_folder(text, message):
    with pytest.raises(SourceError) as e:
        parse(text)
    assert e.value.message == message and "x:HANDLE" in str(e.value.hint)


@pytest.mark.parametrize("dots", [".", ".."])
def test_dots_are_no_handle_to_name_a_bot_folder_after(dots, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.zip").write_bytes(b"")
    got = parse(f"{dots}=a.zip")
    assert got.handle is None and got.path == tmp_path / f"{dots}=a.zip"


def test_an_existing_path_holding_an_equals_sign_is_that_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir=eq").mkdir()
    (tmp_path / "dir=eq" / "a.jsonl").write_text('{"text": "hello"}\n')
    got = parse("dir=eq/a.jsonl")
    assert got.handle is None and got.path == tmp_path / "dir=eq" / "a.jsonl"
