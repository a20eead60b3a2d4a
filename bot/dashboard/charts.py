"""Charts as inline SVG, drawn on the server: no script, no library, readable on a phone.

Each function returns ``Markup`` (every label is escaped here) that scales to its container's
width (``viewBox`` with ``width=100%``). Colours come from CSS classes (``dashboard.css``), so
the charts follow the page's theme. Each chart has ``role="img"`` and a text label, and each
point or bar a ``<title>`` that shows its value on hover or long press.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 30


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%".replace(".0%", "%")


def _axis_max(values: Sequence[float], floor: float) -> float:
    top = max([floor, *values])
    if top <= 0:
        return 1.0
    # A round number a little above the top: 1, 2, 5 × 10^n.
    magnitude = 10 ** len(str(int(top))) / 10 if top >= 1 else 0.1
    for step in (1, 2, 5, 10):
        if top <= step * magnitude:
            return float(step * magnitude)
    return top


def _x_labels(labels: Sequence[str], xs: Sequence[float], bottom: float) -> list[str]:
    """At most about seven labels under the x axis, first and last always."""
    if not labels:
        return []
    every = max(1, -(-len(labels) // 7))
    parts = []
    for index, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if index % every and index != len(labels) - 1:
            continue
        parts.append(
            f'<text class="chart-label" x="{_num(x)}" y="{_num(bottom + 18)}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def _y_grid(top_value: float, as_percent: bool, plot_top: float, plot_bottom: float) -> list[str]:
    parts = []
    for step in range(5):
        value = top_value * step / 4
        y = plot_bottom - (plot_bottom - plot_top) * step / 4
        text = percent(value) if as_percent else _num(value)
        parts.append(
            f'<line class="chart-grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text class="chart-label" x="{PAD_LEFT - 6}" y="{_num(y + 4)}" '
            f'text-anchor="end">{escape(text)}</text>'
        )
    return parts


def _svg(label: str, body: list[str], height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


@dataclass(frozen=True)
class Point:
    label: str  # x axis (a day, a week)
    value: float | None  # None: nothing to measure that day (a gap in the line)
    note: str = ""  # shown in the tooltip, e.g. "12/13"


def line_chart(
    points: Sequence[Point],
    *,
    label: str,
    target: float | None = None,
    as_percent: bool = True,
) -> Markup:
    """A trend line with an optional dashed target line; gaps where a value is None."""
    values = [p.value for p in points if p.value is not None]
    top = 1.0 if as_percent else _axis_max(values, target or 0)
    plot_top, plot_bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    count = len(points)
    xs = [PAD_LEFT + (span * i / (count - 1) if count > 1 else span / 2) for i in range(count)]

    def y_of(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * min(value, top) / top

    body = _y_grid(top, as_percent, plot_top, plot_bottom)
    if target is not None:
        ty = y_of(target)
        body.append(
            f'<line class="chart-target" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
            f'y1="{_num(ty)}" y2="{_num(ty)}"><title>目标 {escape(percent(target))}</title></line>'
        )
    runs: list[list[str]] = [[]]
    dots = []
    for x, point in zip(xs, points, strict=True):
        if point.value is None:
            runs.append([])
            continue
        y = y_of(point.value)
        runs[-1].append(f"{_num(x)},{_num(y)}")
        shown = percent(point.value) if as_percent else _num(point.value)
        tip = f"{point.label}：{shown}" + (f"（{point.note}）" if point.note else "")
        dots.append(
            f'<circle class="chart-dot" cx="{_num(x)}" cy="{_num(y)}" r="3.5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            body.append(f'<polyline class="chart-line" points="{" ".join(run)}"/>')
    body.extend(dots)
    body.extend(_x_labels([p.label for p in points], xs, plot_bottom))
    if not values:
        body.append(
            f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" '
            'text-anchor="middle">这段时间没有可计算的数据</text>'
        )
    return _svg(label, body)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""
    highlight: bool = False  # drawn in the warning colour (a weekend, an overdue count)


def bar_chart(bars: Sequence[Bar], *, label: str) -> Markup:
    """Vertical bars, e.g. cases per day."""
    top = _axis_max([b.value for b in bars], 1)
    plot_top, plot_bottom = PAD_TOP, HEIGHT - PAD_BOTTOM
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    count = max(1, len(bars))
    slot = span / count
    width = max(1.0, slot * 0.7)
    body = _y_grid(top, False, plot_top, plot_bottom)
    xs = []
    for index, bar in enumerate(bars):
        x = PAD_LEFT + slot * index + (slot - width) / 2
        xs.append(x + width / 2)
        height = (plot_bottom - plot_top) * bar.value / top
        css = "chart-bar chart-bar-alt" if bar.highlight else "chart-bar"
        tip = f"{bar.label}：{_num(bar.value)}" + (f"（{bar.note}）" if bar.note else "")
        body.append(
            f'<rect class="{css}" x="{_num(x)}" y="{_num(plot_bottom - height)}" '
            f'width="{_num(width)}" height="{_num(height)}"><title>{escape(tip)}</title></rect>'
        )
    body.extend(_x_labels([b.label for b in bars], xs, plot_bottom))
    return _svg(label, body)


def hbar_chart(bars: Sequence[Bar], *, label: str, as_percent: bool = False) -> Markup:
    """Horizontal bars with their labels, e.g. cases by category or unit (longest first)."""
    row = 26
    label_width = 190
    height = max(row, row * len(bars)) + 8
    top = 1.0 if as_percent else _axis_max([b.value for b in bars], 1)
    span = WIDTH - label_width - 70
    body = []
    for index, bar in enumerate(bars):
        y = 4 + row * index
        length = span * min(bar.value, top) / top
        shown = percent(bar.value) if as_percent else _num(bar.value)
        name = bar.label if len(bar.label) <= 14 else bar.label[:13] + "…"
        css = "chart-bar chart-bar-alt" if bar.highlight else "chart-bar"
        tip = f"{bar.label}：{shown}" + (f"（{bar.note}）" if bar.note else "")
        body.append(
            f'<text class="chart-label" x="{label_width - 8}" y="{y + 16}" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect class="{css}" x="{label_width}" y="{y + 4}" width="{_num(max(length, 1))}" '
            f'height="{row - 10}" rx="2"><title>{escape(tip)}</title></rect>'
            f'<text class="chart-value" x="{_num(label_width + length + 6)}" '
            f'y="{y + 16}">{escape(shown)}</text>'
        )
    if not bars:
        body.append(
            f'<text class="chart-empty" x="{WIDTH / 2}" y="{row - 8}" '
            'text-anchor="middle">没有数据</text>'
        )
    return _svg(label, body, height)


def sparkline(values: Sequence[float | None], *, label: str, target: float | None = None) -> Markup:
    """A small trend of rates (0–1) for a figure's card; no axes."""
    width, height = 120, 32
    count = len(values)
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        x = 3 + (width - 6) * index / (count - 1) if count > 1 else width / 2
        y = height - 3 - (height - 6) * min(max(value, 0.0), 1.0)
        points.append(f"{_num(x)},{_num(y)}")
    body = []
    if target is not None:
        ty = height - 3 - (height - 6) * target
        body.append(
            f'<line class="chart-target" x1="0" x2="{width}" y1="{_num(ty)}" y2="{_num(ty)}"/>'
        )
    if len(points) > 1:
        body.append(f'<polyline class="chart-line" points="{" ".join(points)}"/>')
    elif points:
        cx, cy = points[0].split(",")
        body.append(f'<circle class="chart-dot" cx="{cx}" cy="{cy}" r="2.5"/>')
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}">{"".join(body)}</svg>'
    )


@dataclass(frozen=True)
class Area:
    name: str
    outline: Sequence[Sequence[float]]  # [[lng, lat], ...]
    highlight: bool = False


def map_point(areas: Sequence[Area], point: tuple[float, float] | None, *, label: str) -> Markup:
    """The district's grids as outlines and the case's place as a marker (no map tiles).

    ``point`` is (lng, lat). Longitude is scaled by cos(latitude) so shapes keep their form.
    """
    coords = [(float(c[0]), float(c[1])) for area in areas for c in area.outline if len(c) >= 2]
    if point is not None:
        coords.append(point)
    if not coords:
        return Markup("")
    west = min(c[0] for c in coords)
    east = max(c[0] for c in coords)
    south = min(c[1] for c in coords)
    north = max(c[1] for c in coords)
    margin = max(east - west, north - south, 0.002) * 0.08
    west, east, south, north = west - margin, east + margin, south - margin, north + margin
    squash = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * squash, 1e-9)
    span_y = max(north - south, 1e-9)
    width = 400.0
    height = max(120.0, min(400.0, width * span_y / span_x))

    def project(lng: float, lat: float) -> tuple[float, float]:
        return (
            (lng - west) * squash / span_x * width,
            (north - lat) / span_y * height,
        )

    body = []
    for area in areas:
        shape = [project(float(c[0]), float(c[1])) for c in area.outline if len(c) >= 2]
        if len(shape) < 3:
            continue
        css = "map-area map-area-hit" if area.highlight else "map-area"
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape)
        cx = sum(x for x, _ in shape) / len(shape)
        cy = sum(y for _, y in shape) / len(shape)
        body.append(
            f'<polygon class="{css}" points="{path}"><title>{escape(area.name)}</title></polygon>'
            f'<text class="map-label" x="{_num(cx)}" y="{_num(cy)}" '
            f'text-anchor="middle">{escape(area.name)}</text>'
        )
    if point is not None:
        x, y = project(*point)
        body.append(
            f'<g class="map-marker"><circle cx="{_num(x)}" cy="{_num(y)}" r="9"/>'
            f'<circle class="map-marker-core" cx="{_num(x)}" cy="{_num(y)}" r="3.5"/>'
            f"<title>{escape(label)}</title></g>"
        )
    return Markup(
        f'<svg class="map" viewBox="0 0 {_num(width)} {_num(height)}" width="100%" role="img" '
        f'aria-label="{escape(label)}">{"".join(body)}</svg>'
    )
