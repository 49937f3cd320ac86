"""Smoke test of `make bench` in quick mode on the tiny model: the harness, not the speeds."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from benchmarks import bench_threads, report, run
from publisher.sources import SourceOptions, archive
from publisher.sources.spec import parse
from testkit.posts import write_posts_jsonl
from testkit.x_archive import synthetic_archive


@pytest.mark.slow  # runs a benchmark end to end
def test_bench_writes_results_plots_and_prints_the_table(tmp_path, tiny_model, capsys):
    spec = f"wren={write_posts_jsonl(tmp_path / 'wren.jsonl')}"
    out = tmp_path / "results"
    args = ["--base-model", str(tiny_model), "--archive", spec, "--steps", "3", "--warmup", "1",
            "--repeats", "1", "--sizes", "300", "--only", "train", "generate", "prepare", "lora",
            "--lora-repeats", "1", "--out", str(out)]  # fmt: skip
    assert run.main(args) == 0

    printed = capsys.readouterr().out
    assert "× huggingtweets" in printed and "speed-up" in printed and "| 300 |" in printed
    train = json.loads((out / "train.json").read_text())
    assert train["machine"]["cores"] and train["machine"]["torch"]
    assert set(train["methods"]) == {"hf_fp32", "hf_bf16", "plain_trainer", "ours_block", "ours",
                                     "ours_cli"}  # fmt: skip
    for name, row in train["methods"].items():
        if name == "ours_cli":  # two processes' wall clocks apart: noise at this model's size
            assert isinstance(row["tokens_per_second"]["median"], float)
            assert "val_loss" not in row
            continue
        assert row["tokens_per_second"]["median"] > 0
        if name == "plain_trainer":  # timed from outside: no final model scored
            assert "val_loss" not in row
            continue
        assert row["val_loss"]["median"] > 0 and row["val_loss_posts"]["median"] > 0
        assert len(row["runs"][0]["timing"]) == 3, "every optimizer step is timed"
    assert len(train["methods"]["plain_trainer"]["runs"][0]["timing"]) == 3
    # hf-tweetbot train, 1 + 1 and 3 + 1 steps: the difference is the 2 steps after the warm-up.
    assert set(train["methods"]["ours_cli"]["runs"][0]["wall_seconds"]) == {"2", "4"}
    assert train["methods"]["hf_fp32"]["vs_huggingtweets"] == 1.0
    faster = max(("hf_bf16", "plain_trainer"),
                 key=lambda m: train["methods"][m]["tokens_per_second"]["median"])  # fmt: skip
    assert (
        train["trainer_baseline"] == faster and train["methods"][faster]["vs_trainer_bf16"] == 1.0
    )
    assert "× Trainer-bf16: against the faster of the two" in printed
    gen = json.loads((out / "generate.json").read_text())
    assert gen["seconds"]["first_token"]["median"] <= gen["seconds"]["batched"]["median"]
    assert set(gen["methods"]) == {"bf16_fast", "bf16_plain", "fp32_fast", "fp32_plain",
                                   "bf16_fast_any", "fp32_fast_any"}  # fmt: skip
    assert "| fast decode, fp32 |" in printed and "< 1.5 s" in printed
    assert "| the UTF-8 constraint's cost: fast decode, bf16 |" in printed
    assert isinstance(gen["methods"]["fp32_fast"]["utf8_cost"], float)
    floor = gen["methods"]["fp32_fast"]["products"]["median"]
    assert 0 < floor < gen["methods"]["fp32_fast"]["total"]["median"]
    assert "| its matrix products alone: fast decode, bf16 |" in printed
    prep = json.loads((out / "prepare.json").read_text())
    assert prep["sizes"][0]["posts"] == 300 and prep["sizes"][0]["seconds"]["median"] > 0
    for name in ("train", "generate", "prepare", "lora"):
        assert Image.open(out / f"{name}.png").size[0] == 900
    lora = json.loads((out / "lora.json").read_text())
    assert set(lora["methods"]) == {"ours", "ours_lora"} and "| LoRA / full |" in printed
    assert lora["methods"]["ours_lora"]["val_loss_posts"][0] > 0


def test_synthetic_archive_reads_back_as_a_real_one(tmp_path):
    zip_path = synthetic_archive(tmp_path / "a.zip", 500)
    got = archive.fetch(parse(str(zip_path)), SourceOptions())
    assert got.profile.handle == "synthetic" and len(got.posts) == 500
    assert any(p.text.startswith("RT @") for p in got.posts), "cleaning gets retweets to drop"


def test_the_scaling_run_is_drawn_as_two_loss_curves(tmp_path):
    from benchmarks import report

    run = {"loss_history": [[1, 4.9], [2, 4.5], [3, 4.4]], "eval_loss_before": 5.0,
           "eval_loss_after": 4.4, "tokens_per_second": 100.0, "wall_seconds": 9.0}  # fmt: skip
    lrs = [[1, 1.17e-4], [2, 6.86e-5], [3, 2.01e-5]]
    res = {"one_process": {**run, "lr_history": lrs},
           "two_processes": {**run, "eval_loss_after": 4.5, "lr_history": lrs}}  # fmt: skip
    out = report.draw("scale", res, tmp_path / "scale.png")
    assert out is not None and Image.open(out).size == (900, 500)
    assert "| two processes | 5.0 → 4.5 |" in report.scale_table(res)
    assert report.scale_table(res).endswith("| 1.17e-04, 6.86e-05, 2.01e-05 |")


@pytest.mark.slow  # runs a benchmark end to end
def test_update_bench_compares_update_with_retraining(tmp_path, tiny_model, capsys):
    archive = synthetic_archive(tmp_path / "a.zip", 150)
    out = tmp_path / "results"
    args = ["--base-model", str(tiny_model), "--archive", str(archive), "--only", "update",
            "--update-epochs", "1", "--out", str(out)]  # fmt: skip
    assert run.main(args) == 0
    res = json.loads((out / "update.json").read_text())
    assert res["new_posts"] > 0 and res["old_posts"] > res["new_posts"]
    for name in ("update", "from_scratch"):
        x = res[name]
        assert x["wall_seconds"] > 0 and x["val_loss_posts"]["new"]["after"] > 0
    assert res["update"]["learning_rate"] < res["from_scratch"]["learning_rate"]
    assert "| from scratch |" in capsys.readouterr().out


def test_bench_gpu_refuses_without_cuda_in_one_line(capsys):
    from benchmarks import bench_gpu

    assert bench_gpu.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err == bench_gpu.NO_CUDA and "\n" not in err


@pytest.mark.slow  # runs a benchmark end to end
def test_bench_gpu_cpu_dry_run_is_labelled_not_gpu(tmp_path, tiny_model, capsys):
    from benchmarks import bench_gpu

    spec = f"wren={write_posts_jsonl(tmp_path / 'wren.jsonl')}"
    args = ["--cpu-dry-run", "--base-model", str(tiny_model), "--archive", spec, "--steps", "2",
            "--warmup", "1", "--repeats", "1", "--batch-size", "2", "--out", str(tmp_path)]  # fmt: skip
    assert bench_gpu.main(args) == 0
    res = json.loads((tmp_path / "gpu_dry_run.json").read_text())
    assert res["dry_run"] and not (tmp_path / "gpu.json").exists()
    assert set(res["methods"]) == {"hf_fp32", "hf_bf16", "ours_block", "ours"}
    assert all(x["mfu"] > 0 for x in res["methods"].values())
    assert "CPU DRY RUN, NOT GPU FIGURES" in capsys.readouterr().out
    assert (
        bench_gpu.vendor_peak("NVIDIA H200") == 989e12 and bench_gpu.vendor_peak("Tesla T4") is None
    )


@pytest.mark.slow  # runs a benchmark end to end
def test_make_hostile_tries_cases_in_their_own_process_and_prints_the_table(
    tmp_path, tiny_model, capsys, monkeypatch
):
    from benchmarks import hostile
    from benchmarks.hostile_cases import CASES

    picked = [c for c in CASES if c.build.__name__ in ("symlink_loop", "malformed_entries")]
    monkeypatch.setattr(hostile, "CASES", picked)
    out = tmp_path / "results"
    old = {"kind": "space", "what": "kept from an earlier part run", "sees": "x", "ok": True}
    out.mkdir()
    (out / "hostile.json").write_text(json.dumps({"rows": [old]}))
    args = ["--only", "inputs", "--base-model", str(tiny_model), "--out", str(out)]
    assert hostile.main(args) == 0

    rows = json.loads((out / "hostile.json").read_text())["rows"]
    assert [r["what"] for r in rows] == [c.name for c in picked] + [old["what"]]
    loop, malformed = rows[:2]
    assert loop["exit"] == 2 and loop["sees"].startswith("Error: extracted: data/tweets.js")
    assert malformed["exit"] == 0 and "4 malformed" in malformed["sees"]
    assert malformed["input_bytes"] > 1_000
    assert all(r["seconds"] > 0 and r["peak_rss_mib"] > 50 for r in rows[:2])
    printed = capsys.readouterr().out
    assert "| what was tried | what the user sees | exit | seconds | peak RSS MiB |" in printed
    # Each input is named with its size: "| symlink loop (212 B) | Error: ... | 2 |".
    loop_row = r"\| symlink loop \([\d.]+ [kM]?B\) \| Error: extracted: data/tweets.js is a symbolic link loop \| 2 \|"  # fmt: skip
    assert re.search(loop_row, printed), printed
    assert "| entries that are not tweets (" in printed


@pytest.mark.slow
def test_make_hostile_tries_the_creator_as_a_hostile_visitor(tmp_path, tiny_model, capsys):
    from benchmarks import hostile

    out = tmp_path / "results"
    assert hostile.main(["--only", "web", "--base-model", str(tiny_model), "--out", str(out)]) == 0
    rows = json.loads((out / "hostile.json").read_text())["rows"]
    assert {r["kind"] for r in rows} == {"web"} and all(r["ok"] for r in rows)
    seen = {r["what"].split(":")[0]: r["sees"] for r in rows}
    assert "loopback address (127.0.0.1)" in seen["/create with a source on a loopback address (decimal)"]  # fmt: skip
    assert "the other address: 'Waiting for your turn: 2 trainings before yours" in next(
        s for w, s in seen.items() if w.startswith("20 /create at once")
    )
    assert "| 10 accounts typed in one request | Error: 10 sources typed" in capsys.readouterr().out


def test_thread_policies_that_agree_on_this_machine_are_measured_once():
    two = bench_threads.policies(2)
    assert list(two) == ["torch default", "cores, passive", "cores - 1", "hf-tweetbot"]
    assert two["cores - 1"] == {"OMP_NUM_THREADS": "1"}  # also "half" and "1 thread" on 2 cores
    assert two["hf-tweetbot"] is None  # its own fit_threads() in the measured process
    assert len(bench_threads.policies(8)) == 6
    assert list(bench_threads.policies(2, ["1 thread", "hf-tweetbot"])) == [
        "1 thread",
        "hf-tweetbot",
    ]


def test_the_cpu_hog_stops_by_itself(monkeypatch):
    monkeypatch.setattr(bench_threads, "HOG_SECONDS", 0.2)
    hog = bench_threads.start_hog(2)
    assert [p.wait(timeout=30) for p in hog] == [0, 0]


def test_the_thread_table_shows_idle_loaded_and_their_ratio():
    res = {"cores": 2, "workloads": ["space"], "load_average": {"idle": [1.0], "loaded": [3.0]},
           "policies": {"1 thread": {"OMP_NUM_THREADS": "1"}, "hf-tweetbot": None},
           "seconds": {"1 thread": {"space": {"idle": [2.0, 2.2], "loaded": [4.0, 4.4]}},
                       "hf-tweetbot": {"space": {"idle": [1.5], "loaded": [6.0]}}}}  # fmt: skip
    table = report.threads_table(res)
    assert "| 1 thread | OMP_NUM_THREADS=1 | 2.10 (2.00-2.20) | 4.20 (4.00-4.40) | 2.0 |" in table
    assert "| hf-tweetbot | fit_threads() | 1.50 (1.50-1.50) | 6.00 (6.00-6.00) | 4.0 |" in table
