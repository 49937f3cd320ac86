"""bot.json: keys are only added, so files written by earlier versions still load."""

from __future__ import annotations

import json

from conftest import REPO_ROOT

from publisher import manifest

SEED = REPO_ROOT / "tests" / "data" / "seed_bot.json"


def test_a_bot_json_from_before_skipped_loads_with_zeros(tmp_path):
    data = json.loads(SEED.read_text())
    assert all("skipped" not in u for u in data["users"]), "the seed predates the key"
    m = manifest.load(SEED)
    assert [u.skipped for u in m.users] == [dict.fromkeys(manifest.SKIP_REASONS, 0)] * len(m.users)


def test_skipped_round_trips_and_a_partial_one_is_completed(tmp_path):
    data = json.loads(SEED.read_text())
    data["users"][0]["skipped"] = {"duplicate": 3}
    (tmp_path / "bot.json").write_text(json.dumps(data))
    m = manifest.load(tmp_path)
    assert m.users[0].skipped == dict.fromkeys(manifest.SKIP_REASONS, 0) | {"duplicate": 3}
    manifest.save(m, tmp_path)
    again = json.loads((tmp_path / "bot.json").read_text())
    assert again["users"][0]["skipped"]["duplicate"] == 3
    assert manifest.load(tmp_path) == m
