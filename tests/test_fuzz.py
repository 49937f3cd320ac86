"""Fuzzing the readers of strangers' bytes: X archives (zip, folder, tweets.js), .jsonl/.csv files,
Mastodon archives and Bluesky exports (the latter two also in their own test files).

Whatever the input, reading it ends in posts or in one of our typed errors (`TweetbotError`, one
line with a hint), within `PER_INPUT_S`. Inputs: random bytes, random JSON in the archive's data
files, a valid archive with random bytes changed, and a small archive truncated at every offset.

The suite runs each target once (a few hundred inputs). `FUZZ_SECONDS=600` runs them again and
again for ten minutes in all (`make hostile FUZZ_MINUTES=10`); `FUZZ_REPORT=PATH` writes the
number of inputs tried and the slowest one there.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.errors import TweetbotError
from publisher.sources import SourceOptions, gather
from publisher.sources.spec import parse
from testkit.mastodon import Status, mastodon_files, status_html
from testkit.posts import posts
from testkit.x_archive import archive_files, write_zip

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "0"))
PER_INPUT_S = 5.0  # generous: inputs are a few kB; under a second each on a loaded 2-core CPU
STATS = {"inputs": 0, "typed_errors": 0, "slowest_s": 0.0}
FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=PER_INPUT_S),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VALID = write_zip(Path(tempfile.mkdtemp()) / "valid.zip", archive_files(posts(12)))
MASTODON = mastodon_files("wren", "Wren", [Status(status_html(t)) for t in posts(12)])
ZIP_BYTES = VALID.read_bytes()


def read(spec: str) -> None:
    """Read `spec` as hf-tweetbot would: posts, or one of our typed errors, nothing else."""
    start = time.perf_counter()
    try:
        g = gather(parse(spec), SourceOptions(progress=False))
        assert g.posts and all(isinstance(p.text, str) for p in g.posts)
        assert isinstance(g.profile.handle, str) and g.profile.handle
    except TweetbotError as e:
        assert e.message and "\n" not in e.message, e.message
        STATS["typed_errors"] += 1
    seconds = time.perf_counter() - start
    STATS["inputs"] += 1
    STATS["slowest_s"] = max(STATS["slowest_s"], seconds)
    assert seconds < PER_INPUT_S, f"{seconds:.1f} s for one input"


@pytest.fixture(scope="module")
def work():
    path = Path(tempfile.mkdtemp(prefix="hf-tweetbot-fuzz-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
    if os.environ.get("FUZZ_REPORT"):
        Path(os.environ["FUZZ_REPORT"]).write_text(json.dumps(STATS))


def for_budget(target: Callable[[], None], share: float) -> None:
    """Run a hypothesis target once, then again until its share of FUZZ_SECONDS is spent."""
    end = time.monotonic() + FUZZ_SECONDS * share
    target()
    while time.monotonic() < end:
        target()


def _write(path: Path, data: bytes) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


FORMS = ["zip", "tweets.js", "jsonl", "csv", "folder tweets.js", "folder account.js",
         "folder note-tweet.js", "folder twitter-circle-tweet.js", "car", "tar.gz",
         "mastodon outbox.json", "mastodon actor.json"]  # fmt: skip


def test_random_bytes_in_every_form(work):
    @FUZZ
    @given(st.binary(max_size=4096), st.sampled_from(FORMS))
    def target(data: bytes, form: str) -> None:
        if form == "zip":
            read(str(_write(work / "a.zip", data)))
        elif form in ("jsonl", "csv"):
            read(str(_write(work / f"posts.{form}", data)))
        elif form in ("car", "tar.gz"):
            read(f"wren={_write(work / f'export.{form}', data)}")
        elif form.startswith("mastodon"):
            root = work / "mastodon"
            shutil.rmtree(root, ignore_errors=True)
            for name, body in MASTODON.items():
                _write(root / name, body)
            _write(root / form.split()[1], data)
            read(str(root))
        elif form == "tweets.js":
            read(f"ada={_write(work / 'tweets.js', data)}")
        else:
            root = work / "extracted"
            shutil.rmtree(root, ignore_errors=True)
            for name, text in archive_files(posts(3)).items():
                _write(root / name, text.encode())
            _write(root / "data" / form.split()[1], data)
            read(str(root))

    for_budget(target, 0.3)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=40,
)
TWEETISH = st.fixed_dictionaries(
    {
        "tweet": st.dictionaries(
            st.sampled_from(["full_text", "text", "id_str", "created_at", "edit_info"]), JSON
        )
    }  # fmt: skip
)
NOTE = st.fixed_dictionaries({"noteTweet": st.dictionaries(
    st.sampled_from(["noteTweetId", "createdAt", "core"]), JSON | st.fixed_dictionaries({"text": JSON}))})  # fmt: skip


def test_random_json_in_the_archive_files(work):
    @FUZZ
    @given(st.lists(TWEETISH | JSON, max_size=8), JSON, JSON, st.sampled_from(["zip", "jsonl"]),
           st.lists(NOTE | JSON, max_size=4), st.lists(TWEETISH | JSON, max_size=3))  # fmt: skip
    def target(items, account, profile, form: str, notes, circle) -> None:
        if form == "jsonl":
            lines = [json.dumps({"text": i} if not isinstance(i, dict) else i) for i in items]
            read(str(_write(work / "posts.jsonl", "\n".join(lines).encode())))
            return
        files = {
            "data/tweets.js": "window.YTD.tweets.part0 = " + json.dumps(items),
            "data/account.js": "window.YTD.account.part0 = " + json.dumps(account),
            "data/profile.js": "window.YTD.profile.part0 = " + json.dumps(profile),
            "data/note-tweet.js": "window.YTD.note_tweet.part0 = " + json.dumps(notes),
            "data/twitter-circle-tweet.js": "window.YTD.twitter_circle_tweet.part0 = "
            + json.dumps(circle),
        }
        read(str(write_zip(work / "j.zip", files)))

    for_budget(target, 0.3)


def test_a_valid_archive_with_random_bytes_changed(work):
    @FUZZ
    @given(st.lists(st.tuples(st.integers(0, len(ZIP_BYTES) - 1), st.integers(0, 255)), max_size=8))
    def target(changes) -> None:
        data = bytearray(ZIP_BYTES)
        for at, byte in changes:
            data[at] = byte
        read(str(_write(work / "m.zip", bytes(data))))

    for_budget(target, 0.3)


@pytest.mark.slow  # many archives
def test_truncation_at_every_offset(work):
    """Every prefix of a small archive, and of its tweets.js inside an intact zip."""
    for end in range(len(ZIP_BYTES)):
        read(str(_write(work / "t.zip", ZIP_BYTES[:end])))
    with zipfile.ZipFile(io.BytesIO(ZIP_BYTES)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    tweets = files["data/tweets.js"]
    for end in range(0, len(tweets), max(1, len(tweets) // 400)):
        read(str(write_zip(work / "u.zip", files | {"data/tweets.js": tweets[:end]})))
    for_budget(lambda: None, 0.1)  # the exhaustive part needs no more time
