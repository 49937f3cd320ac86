"""Bluesky repository export (.car): a repository built here as the AT Protocol spec lays it out
(commit, Merkle Search Tree, records; testkit/bluesky.py), read back, and every way a file can
be bad: not a CAR, cut short, a block that does not decode, a tree that does not hold together."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import libipld
import pytest
from conftest import peak_mib, read_or_fail_in_one_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import cli
from publisher.bot import manifest
from publisher.clean import clean
from publisher.errors import ArchiveError
from publisher.sources import SourceOptions, gather
from publisher.sources.spec import parse
from testkit.bluesky import START, Repo, car_file, cid_of, commit_block, sample_repo, varint

OPTS = SourceOptions(progress=False)
HANDLE = "wren.bsky.social"


@pytest.fixture
def car(tmp_path) -> Path:
    path = tmp_path / "repo.car"
    path.write_bytes(sample_repo(300).car())
    return path


def test_posts_reposts_and_the_profile_areread_or_fail_in_one_line(car):
    repo = sample_repo(300)
    assert parse(str(car)).kind == "bluesky_car"
    g = gather(parse(f"{HANDLE}={car}"), OPTS)
    assert (g.profile.handle, g.profile.name, g.profile.source) == (HANDLE, "Wren Calloway", "bluesky_car")  # fmt: skip
    posts = [p for p in g.posts if not p.is_repost]
    wanted = [r["text"] for k, r in sorted(repo.records.items()) if k.startswith("app.bsky.feed.post/")]  # fmt: skip
    assert [p.text for p in posts] == wanted  # every post, in key (time) order; likes are no post
    assert len(posts) == 300 and sum(p.is_repost for p in g.posts) == 1
    assert all(p.id.startswith(f"at://{repo.did}/app.bsky.feed.post/") for p in posts)
    assert posts[0].created_at == "2024-03-01T09:00:00.000Z"
    assert clean(g).counts.retweets == 1


def test_the_handle_comes_from_handle_or_the_file_name_else_the_did(car, tmp_path):
    g = gather(parse(str(car)), OPTS)
    assert g.profile.handle == "wr3nc4ll0w4yl1ghth0us3k3"
    assert [w.rsplit("; ", 1)[1] for w in g.warnings] == [
        f"give HANDLE={car} in place of {car} to name the account yourself"
    ], "a hint for whichever command reads it (prepare, publish, update), with the path given"
    named = tmp_path / f"{HANDLE}.car"
    car.rename(named)
    g = gather(parse(str(named)), OPTS)
    assert g.profile.handle == HANDLE and not g.warnings


def test_a_shortened_link_gets_its_whole_address_back(tmp_path):
    repo = Repo()
    text = "Read this: example.com/a/very/lo... it is good"
    start = len(b"Read this: ")
    end = start + len(b"example.com/a/very/lo...")
    facet = {"index": {"byteStart": start, "byteEnd": end},
             "features": [{"$type": "app.bsky.richtext.facet#link",
                           "uri": "https://example.com/a/very/long/path"}]}  # fmt: skip
    repo.post(text, START, facets=[facet])
    repo.post("Fog 🌫️ again: nothing to see, and that is fine by me", START + timedelta(hours=1))
    path = tmp_path / "repo.car"
    path.write_bytes(repo.car())
    g = gather(parse(f"{HANDLE}={path}"), OPTS)
    assert g.posts[0].text == "Read this: https://example.com/a/very/long/path it is good"
    assert "Read this: it is good" in clean(g).texts  # no fragment of the link


@pytest.mark.slow  # publishes a whole bot
def test_prepare_and_publish_no_push(car, tmp_path, tiny_model, capsys):
    out = tmp_path / "bot"
    code = cli.main(["publish", f"{HANDLE}={car}", "--base-model", str(tiny_model), "--out", str(out),
                     "--block-size", "64", "--max-steps", "2", "--eval-samples", "0", "--no-push"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"@{HANDLE}: 301 posts downloaded, 1 retweets" in err
    user = manifest.load(out).users[0]
    assert user.source == "bluesky_car" and user.name == "Wren Calloway"
    assert user.tweets_downloaded == user.retweets + user.short_tweets + user.tweets_kept
    assert f"@{HANDLE}" in (out / "repo" / "README.md").read_text()


# --- bad files: one line each, exit 2 -------------------------------------------------------------


def _frame(blocks: list[tuple[bytes, bytes]], roots: list[bytes]) -> bytes:
    header = libipld.encode_dag_cbor({"version": 1, "roots": roots})
    out = [varint(len(header)), header]
    for cid, data in blocks:
        out += [varint(len(cid) + len(data)), cid, data]
    return b"".join(out)


def _with_record_replaced(raw: bytes) -> bytes:
    """The sample repository with one record block's bytes replaced by `raw` (same CID)."""
    root, blocks = sample_repo(20).blocks()
    i = next(i for i, (_, d) in enumerate(blocks) if b"Night 3:" in d)
    blocks[i] = (blocks[i][0], raw)
    return _frame(blocks, [root])


def _without_a_block() -> bytes:
    root, blocks = sample_repo(20).blocks()
    return _frame([b for b in blocks if b"Night 5:" not in b[1]], [root])


def _record_that_does_not_decode() -> bytes:
    """A tree whose one record's bytes are not DAG-CBOR, though named by their own CID."""
    raw = b"\xff\xfe\xfd"
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/3kabc",
                                                      "v": cid_of(raw), "t": None}]})  # fmt: skip
    commit = commit_block(Repo().did, cid_of(node))
    return car_file(commit[0], [commit, (cid_of(node), node), (cid_of(raw), raw)])


def _root_not_a_commit() -> bytes:
    data = libipld.encode_dag_cbor({"hello": "world"})
    return _frame([(cid_of(data), data)], [cid_of(data)])


CASES = [
    ("random bytes", lambda: bytes(range(256)) * 8, "not a CAR file"),
    ("a zip", lambda: b"PK\x03\x04" + b"\0" * 200, "not a CAR file"),
    ("empty", lambda: b"", "not a CAR file"),
    ("cut short", lambda: sample_repo(20).car()[:-7], "truncated: it ends inside a block"),
    ("a block changed after it was named", lambda: _with_record_replaced(b"\xff\xfe\xfd"),
     "do not match its CID"),
    ("a block that does not decode", _record_that_does_not_decode, "does not decode"),
    ("a block missing", _without_a_block, "incomplete"),
    ("a CAR but no repository", _root_not_a_commit, "not a Bluesky repository"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_car_is_one_line_and_exit_2(tmp_path, tiny_model, capsys, what, build, message):
    path = tmp_path / "repo.car"
    path.write_bytes(build())
    out = tmp_path / "bot"
    code = cli.main(["prepare", f"{HANDLE}={path}", "--out", str(out), "--base-model", str(tiny_model)])  # fmt: skip
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("Error: ")]
    assert code == 2 and "Traceback" not in err
    assert len(errors) == 1 and message in errors[0], err
    assert "Export my data" in err  # the hint
    assert not out.exists()


def test_a_tree_that_loops_is_refused(tmp_path):
    # A tree node named by a CID that is not its own hash, pointing at itself: refused as a
    # block that does not match its CID before the loop is walked.
    looped = {"l": None, "e": []}
    cid = cid_of(b"any")
    looped["l"] = cid
    node = libipld.encode_dag_cbor(looped)
    commit = libipld.encode_dag_cbor({"did": "did:plc:abc", "version": 3, "data": cid, "rev": "x",
                                      "prev": None, "sig": b""})  # fmt: skip
    path = tmp_path / "repo.car"
    path.write_bytes(_frame([(cid_of(commit), commit), (cid, node)], [cid_of(commit)]))
    with pytest.raises(ArchiveError, match="do not match its CID"):
        gather(parse(str(path)), OPTS)


# --- strangers' bytes ---------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
VALID = sample_repo(12).car()


def test_random_bytes_and_changed_bytes_read_or_fail_in_one_line(tmp_path):
    @FUZZ
    @given(st.binary(max_size=2048), st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6))  # fmt: skip
    def target(data, changes) -> None:
        (tmp_path / "r.car").write_bytes(data)
        read_or_fail_in_one_line(tmp_path / "r.car")
        changed = bytearray(VALID)
        for at, byte in changes:
            changed[at] = byte
        (tmp_path / "c.car").write_bytes(bytes(changed))
        read_or_fail_in_one_line(tmp_path / "c.car")

    target()


def test_every_prefix_reads_or_fails_in_one_line(tmp_path):
    for end in range(0, len(VALID), max(1, len(VALID) // 300)):
        (tmp_path / "t.car").write_bytes(VALID[:end])
        read_or_fail_in_one_line(tmp_path / "t.car")


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)  # fmt: skip


def test_random_records_and_nodes_read_or_fail_in_one_line(tmp_path):
    """Valid DAG-CBOR of any shape where the repository has a record, a tree node or a commit."""

    @FUZZ
    @given(JSONISH, st.sampled_from(["record", "node", "commit"]))
    def target(value, where) -> None:
        root, blocks = sample_repo(6).blocks()
        marker = {"record": b"Night 2:", "node": b"\xa2ae", "commit": b"did:plc"}[where]
        i = next((i for i, (_, d) in enumerate(blocks) if marker in d), 0)
        blocks[i] = (blocks[i][0], libipld.encode_dag_cbor(value))
        (tmp_path / "v.car").write_bytes(_frame(blocks, [root]))
        read_or_fail_in_one_line(tmp_path / "v.car")

    target()


# --- what a hostile export costs: only what the tree reaches is decoded, keys held to the spec ----


def test_a_block_the_tree_never_reaches_is_never_decoded(tmp_path):
    from benchmarks.hostile_cases import car_unreferenced_block

    (spec,) = car_unreferenced_block(tmp_path, 5)  # an array of 5,000,000 empty maps besides
    g, peak = peak_mib(lambda: gather(parse(spec), OPTS))
    assert not isinstance(g, ArchiveError) and len(g.posts) == 301
    assert peak < 20, f"{peak:.0f} MiB for a 5 MB file"  # the file itself, and its index


@pytest.mark.parametrize("build", ["car_growing_keys", "car_long_keys"])
def test_keys_longer_than_the_protocol_allows_are_refused_early(tmp_path, build):
    from benchmarks import hostile_cases

    (spec,) = getattr(hostile_cases, build)(tmp_path, 1)
    e, peak = peak_mib(lambda: gather(parse(spec), OPTS))
    assert isinstance(e, ArchiveError), e
    assert (
        "the AT Protocol allows a collection of 317 characters and a record key of 512" in e.message
    )
    assert peak < 8, f"{peak:.0f} MiB"


def _one_record(key: bytes, record: bytes) -> bytes:
    node = libipld.encode_dag_cbor({"l": None, "e": [{"p": 0, "k": key, "v": cid_of(record), "t": None}]})  # fmt: skip
    commit = commit_block(Repo().did, cid_of(node))
    return car_file(commit[0], [commit, (cid_of(node), node), (cid_of(record), record)])


POST_RECORD = libipld.encode_dag_cbor({"$type": "app.bsky.feed.post", "text": "the lamp is lit",
                                       "createdAt": "2024-03-01T09:00:00.000Z"})  # fmt: skip


@pytest.mark.parametrize(
    ("key", "ok"),
    [(b"app.bsky.feed.post/3kabcdefghij2", True), (b"app.bsky.feed.post/self", True),
     (b"app.bsky.feed.post/a:b~c_d-e.f", True), (b"app.bsky.feed.post/" + b"k" * 512, True),
     (b"app.bsky.feed.post/" + b"k" * 513, False), (b"app.bsky.feed.post/..", False),
     (b"app.bsky.feed.post/a b", False), (b"app.bsky.feed.post/a/b", False),
     (b"app.bsky.feed.post/", False), (b"app.bsky.feed.post", False), (b"bsky.post/x", False),
     (b"app.bsky.feed.1post/x", False), (b"app." + b"a" * 64 + b".post/x", False),
     ("app.bsky.feed.post/caf\u00e9".encode(), False)],
)  # fmt: skip
def test_tree_keys_follow_the_nsid_and_record_key_syntax(tmp_path, key, ok):
    path = tmp_path / "repo.car"
    path.write_bytes(_one_record(key, POST_RECORD))
    if ok:
        assert [p.text for p in gather(parse(f"{HANDLE}={path}"), OPTS).posts] == [
            "the lamp is lit"
        ]
    else:
        with pytest.raises(ArchiveError, match="tree key"):
            gather(parse(f"{HANDLE}={path}"), OPTS)


def test_a_block_of_too_many_objects_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    n = 1_000_000
    record = b"\x9a" + n.to_bytes(4, "big") + b"\xa0" * n  # a million empty maps, reached
    path = tmp_path / "repo.car"
    path.write_bytes(_one_record(b"app.bsky.feed.post/3kabcdefghij2", record))
    e, peak = peak_mib(lambda: gather(parse(f"{HANDLE}={path}"), OPTS))
    assert isinstance(e, ArchiveError) and "holds more than 100,000 objects" in e.message
    assert peak < 8, f"{peak:.0f} MiB"


def test_a_subtree_reached_twice_is_refused(tmp_path):
    empty = libipld.encode_dag_cbor({"l": None, "e": []})
    node = libipld.encode_dag_cbor({"l": cid_of(empty), "e": [
        {"p": 0, "k": b"app.bsky.feed.post/3kabcdefghij2", "v": cid_of(POST_RECORD), "t": cid_of(empty)}]})  # fmt: skip
    commit = commit_block(Repo().did, cid_of(node))
    path = tmp_path / "repo.car"
    path.write_bytes(car_file(commit[0], [commit, (cid_of(node), node), (cid_of(empty), empty),
                                          (cid_of(POST_RECORD), POST_RECORD)]))  # fmt: skip
    with pytest.raises(ArchiveError, match="reached twice"):
        gather(parse(f"{HANDLE}={path}"), OPTS)
