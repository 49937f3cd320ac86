"""bot.json: keys are only added, so an older bot.json loads, and a newer one too."""

from __future__ import annotations

import json

from conftest import REPO_ROOT

from publisher.bot import manifest

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


def test_a_bot_json_from_a_newer_version_loads_and_keeps_what_it_does_not_know(tmp_path, capsys):
    from publisher import cli

    data = json.loads(SEED.read_text())
    data["style_score"] = {"blind_test": 0.52}  # a top-level key of a newer version
    data["metrics"]["epoch_curves"] = [{"epoch": 1, "perplexity": 40.2}]
    data["users"][0]["edits_skipped"] = 4
    data["tracking"]["eval_run"] = "https://example.com/run/1"
    (tmp_path / "bot.json").write_text(json.dumps(data))

    m = manifest.load(tmp_path)
    assert m.users[0].handle == data["users"][0]["handle"]
    assert cli.main(["card", str(tmp_path)]) == 0  # every stage reads it
    assert capsys.readouterr().out.startswith("---\n")

    m.widget_text = "Tonight the lamp"  # a change by this version...
    manifest.save(m, tmp_path)
    again = json.loads((tmp_path / "bot.json").read_text())
    assert again["widget_text"] == "Tonight the lamp"  # ...written, and the newer keys kept
    assert again["style_score"] == {"blind_test": 0.52}
    assert again["metrics"]["epoch_curves"] == [{"epoch": 1, "perplexity": 40.2}]
    assert again["users"][0]["edits_skipped"] == 4
    assert again["tracking"]["eval_run"] == "https://example.com/run/1"
    assert list(again)[: len(list(data))][:3] == list(data)[:3]  # known keys keep their order


def test_a_bot_json_that_is_not_a_manifest_is_one_line(tmp_path, capsys):
    from publisher import cli

    (tmp_path / "bot.json").write_text(json.dumps({"model_name": "x", "users": "nobody"}))
    assert cli.main(["card", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: bot.json is incomplete") and "Traceback" not in err
