"""What every benchmark shares: where things are, what the machine is, peak memory, spreads."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE = ROOT / "examples" / "wrencalloway_archive.zip"


def machine() -> dict[str, Any]:
    """CPU model, cores, library versions and load: what the numbers were measured on."""
    import torch
    import transformers

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "gpu": gpu, "torch": torch.__version__, "transformers": transformers.__version__,
            "python": platform.python_version(), "load_average": os.getloadavg()}  # fmt: skip


def spread(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def matmul_peak(repeats: int, n: int = 2048) -> dict[str, dict[str, float]]:
    """Measured matrix-multiply FLOP/s, fp32 and bf16 (median of `repeats` timings)."""
    import torch

    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b  # warm-up
        runs = []
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(3):
                a @ b
            runs.append(3 * 2 * n**3 / (time.perf_counter() - t))
        out[name] = spread(runs)
    return out


def prepare_bot(spec: str, base: str, block: int, out: Path) -> Path:
    from transformers import AutoConfig

    from publisher import base_models, pipeline
    from publisher.dataset import DataConfig
    from publisher.sources.spec import parse

    # Capped by the model here, so no method re-tokenizes: all train on these very blocks.
    cfg = AutoConfig.from_pretrained(base_models.resolve(base))
    block = min(block, getattr(cfg, "max_position_embeddings", None) or cfg.n_positions)
    opts = pipeline.PrepareOptions(out=out, base_model=base, data=DataConfig(block_size=block),
                                   overwrite=True)  # fmt: skip
    bot, _ = pipeline.prepare([parse(spec)], opts, say=lambda _: None)
    return bot


def peak_rss_mib() -> float:
    """This process's peak RSS since its exec (VmHWM).

    Not `getrusage().ru_maxrss`: Linux carries it across fork and exec, so a child started by
    the benchmark would report the parent's (model-holding) peak instead of its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
