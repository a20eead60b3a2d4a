"""Grid boundaries: GeoJSON in, the stored form out, and back.

``Grid.boundary`` keeps the form it always had for a simple grid, one ring of ``[lng, lat]``
points without the closing point (the gazetteer and the case page's map read it). A grid with
holes or in several pieces is stored as its GeoJSON geometry (``{"type": "Polygon" |
"MultiPolygon", "coordinates": ...}``); :func:`outer_rings` reads both. Every ring is checked the
way a district's GIS export is expected to be: at least four positions, closed, numbers in
longitude/latitude range.
"""

from __future__ import annotations

import math
from typing import Any

Ring = list[list[float]]
Boundary = list[list[float]] | dict[str, Any]


class BoundaryProblem(ValueError):
    """The boundary cannot be stored; the message says what is wrong (in Chinese)."""


def _position(value: Any, where: str) -> list[float]:
    if not isinstance(value, list) or len(value) < 2:
        raise BoundaryProblem(f"{where}：每个坐标须为 [经度, 纬度]")
    numbers = value[:2]
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise BoundaryProblem(f"{where}：坐标须为数字")
        if not math.isfinite(number):
            raise BoundaryProblem(f"{where}：坐标须为有限的数字")
    lng, lat = float(numbers[0]), float(numbers[1])
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise BoundaryProblem(f"{where}：经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间")
    return [lng, lat]


def _ring(value: Any, where: str) -> Ring:
    if not isinstance(value, list) or len(value) < 4:
        raise BoundaryProblem(f"{where}：一个环至少要有 4 个坐标（首尾相同）")
    ring = [_position(item, f"{where} 第 {index + 1} 个坐标") for index, item in enumerate(value)]
    if ring[0] != ring[-1]:
        raise BoundaryProblem(f"{where}：环没有闭合（最后一个坐标须与第一个相同）")
    if len({tuple(point) for point in ring}) < 3:
        raise BoundaryProblem(f"{where}：环至少要有 3 个不同的坐标")
    return ring


def _polygon(value: Any, where: str) -> list[Ring]:
    if not isinstance(value, list) or not value:
        raise BoundaryProblem(f"{where}：多边形须为环的列表")
    return [_ring(ring, f"{where} 第 {index + 1} 个环") for index, ring in enumerate(value)]


def boundary_from_geojson(geometry: Any) -> Boundary:
    """A GeoJSON Polygon or MultiPolygon geometry, checked, in the stored form.

    An empty value (``None``, ``[]``, ``{}``) is a grid without a boundary (``[]``). A plain
    list of points (the stored form itself) is accepted as one ring, closed or not."""
    if geometry in (None, [], {}):
        return []
    if isinstance(geometry, list):
        points = list(geometry)
        if points and points[0] != points[-1]:
            points.append(points[0])
        ring = _ring(points, "边界")
        return ring[:-1]
    if not isinstance(geometry, dict):
        raise BoundaryProblem("边界须为 GeoJSON 的 Polygon 或 MultiPolygon")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        rings = _polygon(coordinates, "边界")
        if len(rings) == 1:
            return rings[0][:-1]
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise BoundaryProblem("边界：MultiPolygon 须有至少一个多边形")
        polygons = [
            _polygon(item, f"边界第 {index + 1} 个多边形") for index, item in enumerate(coordinates)
        ]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise BoundaryProblem("边界须为 GeoJSON 的 Polygon 或 MultiPolygon")


def boundary_to_geojson(boundary: Any) -> dict[str, Any] | None:
    """The stored boundary as a GeoJSON geometry (None for a grid without one)."""
    if not boundary:
        return None
    if isinstance(boundary, dict):
        return {"type": boundary["type"], "coordinates": boundary["coordinates"]}
    ring = [[float(p[0]), float(p[1])] for p in boundary]
    if ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def outer_rings(boundary: Any) -> list[list[tuple[float, float]]]:
    """Every piece's outer ring as points without the closing one, whichever form is stored.
    Holes are left out: a point in a hole still belongs to the grid around it."""
    if not boundary:
        return []
    if isinstance(boundary, dict):
        polygons = boundary.get("coordinates") or []
        if boundary.get("type") == "Polygon":
            polygons = [polygons]
        rings = [polygon[0] for polygon in polygons if polygon]
    else:
        rings = [boundary]
    found = []
    for ring in rings:
        points = [(float(p[0]), float(p[1])) for p in ring]
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        found.append(points)
    return found
