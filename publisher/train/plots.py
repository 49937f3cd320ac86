"""Small charts drawn with Pillow (no plotting dependency): the training loss curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _font(size: int) -> Any:
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


def loss_curve(history: list[tuple[int, float]], metrics: Any, out: Path,
               training: dict[str, Any] | None = None) -> Path:  # fmt: skip
    """Draw training loss per step, with the validation loss before and after as dashed lines.

    Args:
        history: (optimizer step, training loss) pairs.
        metrics: the run's `Metrics` (eval_loss_before / eval_loss_after).
        out: PNG path.
        training: bot.json's `training` (the epoch choice): its measurements' validation loss
            is drawn as points, and the step whose weights were kept as a vertical line.

    Returns:
        `out`.
    """
    w, h, pad = 900, 500, 70
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    steps = [s for s, _ in history]
    values = [v for _, v in history]
    evals = [v for v in (metrics.eval_loss_before, metrics.eval_loss_after) if v is not None]
    measured = [(c["step"], c["val_loss"]) for c in (training or {}).get("curves") or []]
    evals += [v for _, v in measured]
    lo, hi = min(values + evals), max(values + evals)
    hi = hi if hi > lo else lo + 1.0
    x0, x1 = min(steps), max(max(steps), min(steps) + 1)

    def xy(step: float, v: float) -> tuple[float, float]:
        x = pad + (step - x0) / (x1 - x0) * (w - 2 * pad)
        y = h - pad - (v - lo) / (hi - lo) * (h - 2 * pad)
        return x, y

    d.rectangle([pad, pad, w - pad, h - pad], outline="#999")
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        d.text((8, xy(x0, v)[1] - 8), f"{v:.2f}", fill="#555", font=_font(14))
    d.text((w / 2 - 40, h - pad + 25), "optimizer step", fill="#555", font=_font(14))
    d.text((pad, h - pad + 5), str(x0), fill="#555", font=_font(14))
    d.text((w - pad - 30, h - pad + 5), str(x1), fill="#555", font=_font(14))
    d.text((pad, 20), "Training loss", fill="#1d4ed8", font=_font(20))
    for row, (label, v, color) in enumerate(
        (
            ("validation before", metrics.eval_loss_before, "#dc2626"),
            ("validation after", metrics.eval_loss_after, "#16a34a"),
        )
    ):
        if v is None:
            continue
        y = xy(x0, v)[1]
        for x in range(pad, w - pad, 12):
            d.line([(x, y), (x + 6, y)], fill=color, width=2)
        d.text((w - pad - 230, 12 + 20 * row), f"- - {label}: {v:.3f}", fill=color, font=_font(14))
    points = [xy(s, v) for s, v in history]
    if len(points) > 1:
        d.line(points, fill="#1d4ed8", width=2)
    else:
        d.ellipse(
            [points[0][0] - 3, points[0][1] - 3, points[0][0] + 3, points[0][1] + 3], fill="#1d4ed8"
        )
    kept = ((training or {}).get("kept") or {}).get("step") if measured else None
    if kept is not None:  # the weights kept by the epoch choice, and each measurement
        kx = xy(kept, lo)[0]
        for ky in range(pad, h - pad, 12):
            d.line([(kx, ky), (kx, ky + 6)], fill="#7c3aed", width=2)
        epoch = kept / max((training or {}).get("steps_per_epoch") or 1, 1)
        d.text((w - pad - 230, 52), f"o validation at each epoch; kept: epoch {epoch:g}",
               fill="#7c3aed", font=_font(14))  # fmt: skip
    marks = [xy(step, v) for step, v in measured]
    if len(marks) > 1:
        d.line(marks, fill="#7c3aed", width=2)
    for mx, my in marks:
        d.ellipse([mx - 5, my - 5, mx + 5, my + 5], fill="white", outline="#7c3aed", width=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out
