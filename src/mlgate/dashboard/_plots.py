"""Metric plots as inline SVG: no script, no fetch, nothing from the internet."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD, LEFT = 420, 180, 36, 64


def line_chart(title: str, points: Sequence[tuple[float, float]], *, x_label: str) -> str:
    """An SVG line chart of ``points`` (x, y), sorted by x, with the extremes labelled
    and each point's values in its tooltip. An empty series gives an empty string."""
    if not points:
        return ""
    points = sorted(points)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if y0 == y1:  # a flat series sits in the middle
        y0, y1 = y0 - 1, y1 + 1

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - PAD) if x1 > x0 else WIDTH / 2

    def sy(y: float) -> float:
        return HEIGHT - PAD - (y - y0) / (y1 - y0) * (HEIGHT - 2 * PAD)

    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3">'
        f"<title>{escape(x_label)} {x:g}: {y:.6g}</title></circle>"
        for x, y in points
    )
    name = escape(title)
    return (
        f'<svg class="chart" role="img" aria-label="{name}" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<text x="{LEFT}" y="16" class="title">{name}</text>'
        f'<line x1="{LEFT}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>'
        f'<line x1="{LEFT}" y1="{PAD}" x2="{LEFT}" y2="{HEIGHT - PAD}"/>'
        f'<text x="{LEFT - 6}" y="{PAD + 4}" text-anchor="end">{max(ys):.4g}</text>'
        f'<text x="{LEFT - 6}" y="{HEIGHT - PAD}" text-anchor="end">{min(ys):.4g}</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 12}">{escape(x_label)} {x0:g}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" text-anchor="end">{x1:g}</text>'
        f'<polyline points="{line}"/>{dots}</svg>'
    )
