"""Benchmark charts drawn with Pillow (the project has no plotting dependency)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from publisher.train.plots import _font

COLORS = ["#9aa5b1", "#5b8def", "#f28c28", "#3fb27f"]
W, H, M = 900, 500, 80  # line charts: width, height, margin around the plot area


def _chart(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A blank line chart with its title."""
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 15), title, fill="black", font=_font(22))
    return img, d


def _axis_labels(d: ImageDraw.ImageDraw, xlabel: str, ylabel: str) -> None:
    d.text((M, H - 40), xlabel, fill="#444", font=_font(15))
    d.text((20, 50), ylabel, fill="#444", font=_font(15))


def bars(title: str, unit: str, rows: list[tuple[str, float, float, float]], out: Path) -> Path:
    """Horizontal bars of medians with min-max whiskers.

    Args:
        title: chart title.
        unit: axis label (e.g. "tokens / s").
        rows: (label, median, low, high).
        out: PNG path.

    Returns:
        `out`.
    """
    w, row_h, left = 900, 70, 260
    h = 90 + row_h * len(rows)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 15), title, fill="black", font=_font(22))
    d.text((left, h - 30), unit, fill="#444", font=_font(15))
    top = max(hi for *_, hi in rows) or 1.0
    scale = (w - left - 90) / top
    for i, (label, med, lo, hi) in enumerate(rows):
        # A difference of two timed runs can come out below zero on a busy machine: no bar.
        med, lo, hi = max(med, 0.0), max(lo, 0.0), max(hi, 0.0)
        y = 60 + i * row_h
        d.text((20, y + 14), label, fill="black", font=_font(16))
        d.rectangle([left, y + 8, left + med * scale, y + 44], fill=COLORS[i % len(COLORS)])
        d.line([left + lo * scale, y + 26, left + hi * scale, y + 26], fill="black", width=2)
        d.text((left + hi * scale + 8, y + 16), f"{med:.3g}", fill="black", font=_font(15))
    img.save(out)
    return out


def scaling(
    title: str, points: list[tuple[float, float]], xlabel: str, ylabel: str, out: Path
) -> Path:
    """A log-log line of (x, y) points, with the linear trend through the first one dashed.

    Args:
        title: chart title.
        points: (x, y) pairs, x increasing.
        xlabel: x axis label.
        ylabel: y axis label.
        out: PNG path.

    Returns:
        `out`.
    """
    import math

    img, d = _chart(title)
    w, h, m = W, H, M
    xs = [math.log10(x) for x, _ in points]
    linear = [(x, points[0][1] * x / points[0][0]) for x, _ in points]
    ys = [math.log10(max(y, 1e-9)) for _, y in points + linear]
    x0, x1 = min(xs), max(xs) + 1e-9
    y0, y1 = min(ys), max(ys) + 1e-9

    def at(x: float, y: float) -> tuple[float, float]:
        px = m + (math.log10(x) - x0) / (x1 - x0) * (w - 2 * m)
        py = h - m - (math.log10(max(y, 1e-9)) - y0) / (y1 - y0) * (h - 2 * m)
        return px, py

    d.line([at(*p) for p in linear], fill="#9aa5b1", width=2)
    d.line([at(*p) for p in points], fill="#5b8def", width=4)
    for x, y in points:
        px, py = at(x, y)
        d.ellipse([px - 5, py - 5, px + 5, py + 5], fill="#5b8def")
        d.text((px + 8, py - 22), f"{y:.3g}", fill="black", font=_font(15))
    _axis_labels(d, f"{xlabel} (log scale); grey: linear growth", ylabel)
    img.save(out)
    return out


def lines(
    title: str, series: dict[str, list[tuple[float, float]]], xlabel: str, ylabel: str, out: Path
) -> Path:
    """Line chart of a few (x, y) series on linear axes, with a legend.

    Args:
        title: chart title.
        series: label -> points, x increasing.
        xlabel: x axis label.
        ylabel: y axis label.
        out: PNG path.

    Returns:
        `out`.
    """
    img, d = _chart(title)
    w, h, m = W, H, M
    pts = [p for s in series.values() for p in s]
    x0, x1 = min(x for x, _ in pts), max(x for x, _ in pts)
    y0, y1 = min(y for _, y in pts), max(y for _, y in pts)
    x1, y1 = max(x1, x0 + 1e-9), max(y1, y0 + 1e-9)

    def at(x: float, y: float) -> tuple[float, float]:
        return m + (x - x0) / (x1 - x0) * (w - 2 * m), h - m - (y - y0) / (y1 - y0) * (h - 2 * m)

    d.rectangle([m, m, w - m, h - m], outline="#bbb")
    for y in (y0, y1):
        d.text((10, at(x0, y)[1] - 8), f"{y:.2f}", fill="#444", font=_font(14))
    for i, (label, s) in enumerate(series.items()):
        color = COLORS[(i + 1) % len(COLORS)]
        d.line([at(*p) for p in s], fill=color, width=3)
        for x, y in s:
            px, py = at(x, y)
            d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=color)
        d.text((w - 400, 20 + 22 * i), f"— {label}", fill=color, font=_font(16))
    _axis_labels(d, xlabel, ylabel)
    img.save(out)
    return out
