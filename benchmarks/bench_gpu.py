"""`make bench-gpu`: the training comparison on a CUDA GPU, with MFU against its bf16 peak.

    python -m benchmarks.bench_gpu                 # on a machine with CUDA (about 5 minutes)
    python -m benchmarks.bench_gpu --cpu-dry-run   # the same code on the CPU: NOT GPU figures

The four methods of `bench_train.py` (our loop, with posts and with block attention, and both
`transformers.Trainer` baselines: huggingtweets' fp32 and bf16 + fused AdamW), every one on the
GPU: a CPU baseline is never compared with a GPU run. Trainer's bf16 run uses FlashAttention-2
where `flash_attn` is installed, SDPA otherwise (its CUDA backend has flash kernels of its own);
the fp32 baseline always uses SDPA (FlashAttention has no fp32 kernel). Batches of 8 blocks of
1024 tokens, so a 135M model gives the GPU work to do. MFU is 6N x tokens/s over the GPU's
dense bf16 peak: the vendor's figure for known GPUs (`PEAK_BF16`), else the matmul peak
measured in the same run (both are recorded). A deadline keeps the run under 10 minutes: later
repeats are dropped, never a method.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import bench_train

# Dense bf16 tensor-core peaks (no sparsity), from the vendors' data sheets, FLOP/s.
PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "L4": 121e12,
             "A10G": 70e12, "A10": 125e12, "RTX 4090": 165e12, "RTX 3090": 71e12}  # fmt: skip
DEADLINE_S = 8 * 60  # stop starting repeats after this: the whole run stays under 10 minutes
NO_CUDA = (
    "bench-gpu: no CUDA device here (torch.cuda.is_available() is False); run it on a machine "
    "with an NVIDIA GPU, or add --cpu-dry-run to check the script on the CPU"
)


def vendor_peak(name: str) -> float | None:
    """The data-sheet bf16 peak of a GPU named like torch names it, or None when unknown."""
    for key, peak in PEAK_BF16.items():
        if key.lower() in name.lower():
            return peak
    return None


def measured_peak(device: str, n: int = 8192, repeats: int = 5) -> float:
    """bf16 matmul FLOP/s measured on `device` (median of `repeats`)."""
    import torch

    n = n if device == "cuda" else 1024
    a = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    b = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    runs = []
    for _ in range(repeats + 1):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        runs.append(2 * n**3 / (time.perf_counter() - t))
    return statistics.median(runs[1:])  # the first call pays for kernel selection


def run(a: argparse.Namespace, work: Path, say: Any = print) -> dict[str, Any]:
    """Prepare the sample bot and run the four methods; throughput, MFU, memory, losses."""
    import torch

    from .common import machine, prepare_bot

    device = "cpu" if a.cpu_dry_run else "cuda"
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (dry run)"
    bot = prepare_bot(a.archive, a.base_model, 1024, work / "bot")
    peak_measured = measured_peak(device)
    peak = vendor_peak(name) or peak_measured
    n = bench_train.n_params(a.base_model)
    start, runs = time.perf_counter(), []
    out: dict[str, Any] = {m: {"tokens_per_second": [], "runs": []} for m in bench_train.IN_PROCESS}
    for r in range(a.repeats):
        if r and time.perf_counter() - start > DEADLINE_S:
            say(f"  deadline: {r} of {a.repeats} repeats done")
            break
        res = bench_train.bench(bot, a.base_model, a.steps, a.warmup, 1, say,
                                methods=bench_train.IN_PROCESS, batch_size=a.batch_size)  # fmt: skip
        for m, x in res.items():
            out[m]["tokens_per_second"] += x["tokens_per_second"]
            out[m]["runs"] += x["runs"]
        runs.append(r)
    for x in out.values():
        tps = statistics.median(x["tokens_per_second"])
        x["median_tokens_per_second"] = tps
        x["mfu"] = 6 * n * tps / peak
        x["attention"] = x["runs"][0].get("attention", "posts/sdpa")
    return {"machine": machine(), "device": name, "dry_run": a.cpu_dry_run,
            "base_model": a.base_model, "parameters": n, "batch_size": a.batch_size,
            "steps": a.steps, "warmup_steps": a.warmup, "repeats_done": len(runs),
            "peak_bf16_flops": peak, "peak_bf16_measured": peak_measured,
            "peak_source": "data sheet" if vendor_peak(name) else "measured",
            "wall_seconds": time.perf_counter() - start, "methods": out}  # fmt: skip


def table(r: dict[str, Any]) -> str:
    """The Markdown table `make bench-gpu` prints."""
    from .report import LABELS

    head = "CPU DRY RUN, NOT GPU FIGURES. " if r["dry_run"] else ""
    lines = [f"{head}{r['device']}, {r['base_model']} ({r['parameters'] / 1e6:.0f}M), batch "
             f"{r['batch_size']} x 1024 tokens, {r['steps']} steps ({r['warmup_steps']} warm-up), "
             f"bf16 peak {r['peak_bf16_flops'] / 1e12:.0f} TFLOP/s ({r['peak_source']})", "",
             "| method | attention | tokens/s | MFU (6N) |", "| --- | --- | --- | --- |"]  # fmt: skip
    for m, x in r["methods"].items():
        lines.append(f"| {LABELS.get(m, m)} | {x['attention']} | "
                     f"{x['median_tokens_per_second']:.0f} | {x['mfu']:.1%} |")  # fmt: skip
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    from .common import SAMPLE

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu-dry-run", action="store_true", help="run on the CPU (not GPU figures)")
    ap.add_argument("--base-model", default="smollm2")
    ap.add_argument("--archive", default=str(SAMPLE))
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import torch

    a = parse(argv)
    if not a.cpu_dry_run and not torch.cuda.is_available():
        print(NO_CUDA, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hf-tweetbot-bench-gpu-") as tmp:
        res = run(a, Path(tmp))
    a.out.mkdir(parents=True, exist_ok=True)
    name = "gpu_dry_run.json" if a.cpu_dry_run else "gpu.json"
    (a.out / name).write_text(json.dumps(res, indent=2) + "\n")
    print("\n" + table(res))
    print(f"results in {a.out / name} ({res['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
