"""Smoke test of `make bench` in quick mode on the tiny model: the harness, not the speeds."""

from __future__ import annotations

import json

from conftest import write_posts_jsonl
from PIL import Image

from benchmarks import bench_prepare, run
from publisher.sources import SourceOptions, archive


def test_bench_writes_results_plots_and_prints_the_table(tmp_path, tiny_model, capsys):
    spec = f"wren={write_posts_jsonl(tmp_path / 'wren.jsonl')}"
    out = tmp_path / "results"
    args = ["--base-model", str(tiny_model), "--archive", spec, "--steps", "3", "--warmup", "1",
            "--repeats", "1", "--sizes", "300", "--only", "train", "generate", "prepare",
            "--out", str(out)]  # fmt: skip
    assert run.main(args) == 0

    printed = capsys.readouterr().out
    assert "× huggingtweets" in printed and "speed-up" in printed and "| 300 |" in printed
    train = json.loads((out / "train.json").read_text())
    assert train["machine"]["cores"] and train["machine"]["torch"]
    assert set(train["methods"]) == {"hf_fp32", "hf_bf16", "ours_block", "ours"}
    for row in train["methods"].values():
        assert row["tokens_per_second"]["median"] > 0 and row["val_loss"]["median"] > 0
        assert row["val_loss_posts"]["median"] > 0
        assert len(row["runs"][0]["timing"]) == 3, "every optimizer step is timed"
    assert train["methods"]["hf_fp32"]["vs_huggingtweets"] == 1.0
    gen = json.loads((out / "generate.json").read_text())
    assert gen["seconds"]["first_token"]["median"] <= gen["seconds"]["batched"]["median"]
    assert set(gen["methods"]) == {"bf16_fast", "bf16_plain", "fp32_fast", "fp32_plain"}
    assert "| fast decode, fp32 |" in printed and "< 1.5 s" in printed
    prep = json.loads((out / "prepare.json").read_text())
    assert prep["sizes"][0]["posts"] == 300 and prep["sizes"][0]["seconds"]["median"] > 0
    for name in ("train", "generate", "prepare"):
        assert Image.open(out / f"{name}.png").size[0] == 900


def test_synthetic_archive_reads_back_as_a_real_one(tmp_path):
    zip_path = bench_prepare.make_archive(tmp_path / "a.zip", 500)
    got = archive.fetch(str(zip_path), SourceOptions())
    assert got.profile.handle == "synthetic" and len(got.posts) == 500
    assert any(p.text.startswith("RT @") for p in got.posts), "cleaning gets retweets to drop"


def test_the_scaling_run_is_drawn_as_two_loss_curves(tmp_path):
    from benchmarks import report

    run = {"loss_history": [[1, 4.9], [2, 4.5], [3, 4.4]], "eval_loss_before": 5.0,
           "eval_loss_after": 4.4, "tokens_per_second": 100.0, "wall_seconds": 9.0}  # fmt: skip
    res = {"one_process": run, "two_processes": {**run, "eval_loss_after": 4.5}}
    out = report.draw("scale", res, tmp_path / "scale.png")
    assert out is not None and Image.open(out).size == (900, 500)
    assert "| two processes | 5.0 → 4.5 |" in report.scale_table(res)
