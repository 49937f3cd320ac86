"""The table `make bench` prints and the plots it draws from the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import plots

LABELS = {"hf_fp32": "Trainer, huggingtweets (fp32)", "hf_bf16": "Trainer, bf16 + fused AdamW",
          "plain_trainer": "plain Trainer script, bf16 (timed by its callback)",
          "ours_block": "ours, --attention block", "ours": "ours (hf-tweetbot train)",
          "ours_cli": "hf-tweetbot train, timed from outside"}  # fmt: skip


def _s(d: dict[str, float], fmt: str = "{:.1f}") -> str:
    return f"{fmt.format(d['median'])} ({fmt.format(d['min'])}-{fmt.format(d['max'])})"


def train_table(r: dict[str, Any]) -> str:
    """Markdown table of the training benchmark."""
    peak = r["matmul_peak"]
    lines = [
        f"Training {r['base_model']} ({r['parameters'] / 1e6:.0f}M parameters), "
        f"{r['steps']} steps ({r['warmup_steps']} warm-up), {r['repeats']} runs each; "
        f"matmul peak fp32 {peak['fp32']['median'] / 1e9:.0f}, "
        f"bf16 {peak['bf16']['median'] / 1e9:.0f} GFLOP/s",
        "",
        "| method | tokens/s median (min-max) | × huggingtweets | × Trainer-bf16 "
        "| 6N FLOP/s / bf16 peak | peak RSS MiB | val loss, whole blocks | val loss, per post |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m, row in r["methods"].items():
        lines.append(
            f"| {LABELS.get(m, m)} | {_s(row['tokens_per_second'])} | "
            f"{_x(row['vs_huggingtweets'])} | {_x(row['vs_trainer_bf16'])} | "
            f"{row['fraction_of_bf16_peak']:.0%} | {_x(row.get('peak_rss_mib'), '{:.0f}')} | "
            f"{_x(row.get('val_loss'), '{:.4f}')} | {_x(row.get('val_loss_posts'), '{:.4f}')} |"
        )
    trainer = r.get("trainer_baseline")
    if trainer:
        lines += ["", f"× Trainer-bf16: against the faster of the two, {LABELS[trainer]}."]
    return "\n".join(lines)


def _x(v: Any, fmt: str = "{:.2f}") -> str:
    """A ratio or a spread's median; "-" where the method has none."""
    if v is None:
        return "-"
    return fmt.format(v["median"] if isinstance(v, dict) else v)


GEN_LABELS = {"bf16_fast": "fast decode, bf16", "bf16_plain": "transformers, bf16",
              "fp32_fast": "fast decode, fp32", "fp32_plain": "transformers, fp32",
              "bf16_fast_any": "fast decode, bf16, any token",
              "fp32_fast_any": "fast decode, fp32, any token"}  # fmt: skip


def generate_table(r: dict[str, Any]) -> str:
    """Markdown table of the generation benchmark: each method's first token and total, the aims."""
    aims = r["aims"]
    lines = ["| 5 posts × 60 tokens | first token, s | total, s | aim (total) |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    for m, x in r["methods"].items():
        aim = f"< {aims[m.split('_')[0]]:g} s" if m.endswith("fast") else ""
        lines.append(f"| {GEN_LABELS.get(m, m)} | {_s(x['first_token'], '{:.3f}')} | "
                     f"{_s(x['total'], '{:.2f}')} | {aim} |")  # fmt: skip
    for m, x in r["methods"].items():
        if "products" in x:
            lines.append(f"| its matrix products alone: {GEN_LABELS.get(m, m)} | - | "
                         f"{_s(x['products'], '{:.2f}')} | |")  # fmt: skip
    for m, x in r["methods"].items():
        if "utf8_cost" in x:
            lines.append(f"| the UTF-8 constraint's cost: {GEN_LABELS.get(m, m)} | | "
                         f"{100 * x['utf8_cost']:+.1f}% | |")  # fmt: skip
    s = r["seconds"]
    lines += [
        f"| 5 sequential pipeline calls (fp32) | - | {_s(s['sequential'], '{:.2f}')} | |",
        f"| speed-up, fast {r['model_dtype']} vs sequential | | {r['speedup']:.1f}× | |",
        f"| aim: first token | | < {aims['first_token']:g} s | |",
    ]
    return "\n".join(lines)


def prepare_table(r: dict[str, Any]) -> str:
    lines = ["| posts | archive MiB | seconds median (min-max) | peak RSS MiB | × archive size |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in r["sizes"]:
        rss = row["peak_rss_mib"]["median"]
        lines.append(f"| {row['posts']:,} | {row['archive_mib']:.0f} | {_s(row['seconds'])} | "
                     f"{rss:.0f} | {rss / max(row['archive_mib'], 1e-9):.1f} |")  # fmt: skip
    return "\n".join(lines)


def scale_table(r: dict[str, Any]) -> str:
    lines = ["| run | val loss before → after | tokens/s | train loss per step | learning rate per step |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name in ("one_process", "two_processes"):
        x = r[name]
        curve = ", ".join(f"{v:.3f}" for _, v in x["loss_history"])
        lrs = ", ".join(f"{v:.2e}" for _, v in x.get("lr_history", [])) or "–"
        lines.append(f"| {name.replace('_', ' ')} | {x['eval_loss_before']} → "
                     f"{x['eval_loss_after']} | {x['tokens_per_second']} | {curve} | {lrs} |")  # fmt: skip
    return "\n".join(lines)


def lora_table(r: dict[str, Any]) -> str:
    """LoRA against full fine-tuning, same steps."""
    import statistics

    lines = [f"{r['base_model']}, {r['block_size']}-token blocks, {r['steps']} steps "
             f"({r['warmup_steps']} warm-up), {r['repeats']} runs each, medians",
             "", "| method | tokens/s | peak RSS MiB | pushed MiB | val loss, per post |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    names = {"ours": "full fine-tuning", "ours_lora": "LoRA r16, adapter pushed"}
    for m, x in r["methods"].items():
        med = {k: statistics.median(v) for k, v in x.items() if k != "runs"}
        lines.append(f"| {names.get(m, m)} | {med['tokens_per_second']:.1f} | "
                     f"{med['peak_rss_mib']:.0f} | {med['pushed_mib']:.1f} | "
                     f"{med['val_loss_posts']:.4f} |")  # fmt: skip
    q = r["lora_over_full"]
    lines.append(f"| LoRA / full | {q['tokens_per_second']:.2f}× | {q['peak_rss_mib']:.2f}× | "
                 f"{q['pushed_mib']:.3f}× | {q['val_loss_posts']:.3f}× |")  # fmt: skip
    return "\n".join(lines)


def update_table(r: dict[str, Any]) -> str:
    """`update` against retraining from scratch after 20% new posts."""
    lines = [f"{r['base_model']}: a bot trained on {r['old_posts']} posts gains "
             f"{r['new_posts']} new ones", "",
             "| run | wall s | val loss per post, old posts (before → after) | new posts |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    for name in ("update", "from_scratch"):
        x = r[name]
        old, new = x["val_loss_posts"]["old"], x["val_loss_posts"]["new"]
        lines.append(f"| {name.replace('_', ' ')} | {x['wall_seconds']:.0f} | "
                     f"{old['before']:.4f} → {old['after']:.4f} | "
                     f"{new['before']:.4f} → {new['after']:.4f} |")  # fmt: skip
    return "\n".join(lines)


def threads_table(r: dict[str, Any]) -> str:
    """Seconds per workload and thread policy, idle and beside a CPU hog of one process per core."""
    import statistics

    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"

    head = "| policy | settings |"
    rule = "| --- | --- |"
    names = {"train": "train s/step", "eval": "eval sampling s", "space": "Space request s"}
    for w in r["workloads"]:
        head += f" {names[w]}, idle | loaded | × |"
        rule += " --- | --- | --- |"
    loads = ", ".join(f"{k} {med(v)}" for k, v in r["load_average"].items() if v)
    lines = [f"{r['cores']} cores; load average {loads}", "", head, rule]
    for name, env in r["policies"].items():
        settings = " ".join(f"{k}={v}" for k, v in env.items()) if env else "fit_threads()"
        row = f"| {name} | {settings} |"
        for w in r["workloads"]:
            idle, loaded = r["seconds"][name][w]["idle"], r["seconds"][name][w]["loaded"]
            ratio = (
                f"{statistics.median(loaded) / statistics.median(idle):.1f}"
                if idle and loaded
                else "-"
            )
            row += f" {med(idle) if idle else '-'} | {med(loaded) if loaded else '-'} | {ratio} |"
        lines.append(row)
    return "\n".join(lines)


TABLES = {"train": train_table, "generate": generate_table, "prepare": prepare_table,
          "scale": scale_table, "lora": lora_table, "update": update_table,
          "threads": threads_table}  # fmt: skip


def draw(name: str, r: dict[str, Any], out: Path) -> Path | None:
    """The PNG of one benchmark (None for those without a plot)."""
    if name == "train":
        rows = [(LABELS.get(m, m), x["tokens_per_second"]["median"], x["tokens_per_second"]["min"],
                 x["tokens_per_second"]["max"]) for m, x in r["methods"].items()]  # fmt: skip
        return plots.bars(f"Training throughput, {r['base_model']}", "tokens / s", rows, out)
    if name == "generate":
        rows = [(GEN_LABELS.get(m, m), x["total"]["median"], x["total"]["min"], x["total"]["max"])
                for m, x in r["methods"].items()]  # fmt: skip
        rows += [(f"products alone, {m.split('_')[0]}", x["products"]["median"],
                  x["products"]["min"], x["products"]["max"])
                 for m, x in r["methods"].items() if "products" in x]  # fmt: skip
        s = r["seconds"]["sequential"]
        rows.append(("5 sequential pipelines, fp32", s["median"], s["min"], s["max"]))
        return plots.bars("5 posts × 60 new tokens", "seconds (lower is better)", rows, out)
    if name == "prepare":
        pts = [(float(x["posts"]), x["seconds"]["median"]) for x in r["sizes"]]
        return plots.scaling("hf-tweetbot prepare", pts, "posts", "seconds", out)
    if name == "scale":
        series = {}
        for run in ("one_process", "two_processes"):
            x = r[run]
            label = f"{run.replace('_', ' ')}: val {x['eval_loss_before']} → {x['eval_loss_after']}"
            series[label] = [(float(s), v) for s, v in x["loss_history"]]
        return plots.lines("Training loss, 1 vs 2 processes", series, "optimizer step",
                           "training loss", out)  # fmt: skip
    if name == "lora":
        import statistics

        rows = [(m, statistics.median(x["tokens_per_second"]), min(x["tokens_per_second"]),
                 max(x["tokens_per_second"])) for m, x in r["methods"].items()]  # fmt: skip
        return plots.bars(f"Full fine-tuning vs LoRA, {r['base_model']}", "tokens / s", rows, out)
    if name == "update":
        rows = [(k.replace("_", " "), r[k]["wall_seconds"], r[k]["wall_seconds"],
                 r[k]["wall_seconds"]) for k in ("update", "from_scratch")]  # fmt: skip
        return plots.bars("update vs retraining (20% new posts)", "seconds (lower is better)",
                          rows, out)  # fmt: skip
    return None
