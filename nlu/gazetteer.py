"""The district's grids and the names residents use for places in them.

A gazetteer answers two questions: which grid does a message's text name, and which grid holds
a point. Text matching scans once with an index keyed by a name's first two characters, so its
cost grows with the text, not with the number of names. Polygons are tested by ray casting after
a bounding-box check; no geometry library is needed for district-sized data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from config.lexicon import STREET_SUFFIXES

_MIN_NAME_LENGTH = 2


@dataclass(frozen=True)
class GazetteerEntry:
    """One grid: its code, name, street, the place names inside it, and its boundary."""

    grid_code: str
    grid_name: str
    street: str
    names: tuple[str, ...]
    polygon: tuple[tuple[float, float], ...] = ()
    # A grid in several pieces (a GeoJSON MultiPolygon): the pieces after the first.
    more_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()

    @property
    def polygons(self) -> tuple[tuple[tuple[float, float], ...], ...]:
        return (self.polygon, *self.more_polygons)


@dataclass(frozen=True)
class NameHit:
    """A gazetteer name found in text: grid names carry their entries, street names ``street``."""

    start: int
    end: int
    name: str
    entries: tuple[GazetteerEntry, ...]
    street: str | None = None


@dataclass(frozen=True)
class _Target:
    entries: tuple[GazetteerEntry, ...]
    street: str | None


@dataclass(frozen=True)
class _Area:
    entry: GazetteerEntry
    polygon: tuple[tuple[float, float], ...]
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    size: float


def point_in_polygon(lng: float, lat: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Ray casting (even-odd rule). The ring may or may not repeat its first point."""
    count = len(polygon)
    if count < 3:
        return False
    inside = False
    previous_lng, previous_lat = polygon[-1]
    for current_lng, current_lat in polygon:
        if (current_lat > lat) != (previous_lat > lat):
            crossing = (previous_lng - current_lng) * (lat - current_lat) / (
                previous_lat - current_lat
            ) + current_lng
            if lng < crossing:
                inside = not inside
        previous_lng, previous_lat = current_lng, current_lat
    return inside


def _polygon_size(polygon: Sequence[tuple[float, float]]) -> float:
    """Shoelace area in squared degrees; only compared between grids, so no projection."""
    total = 0.0
    for index, (lng, lat) in enumerate(polygon):
        next_lng, next_lat = polygon[(index + 1) % len(polygon)]
        total += lng * next_lat - next_lng * lat
    return abs(total) / 2


def street_aliases(street: str) -> tuple[str, ...]:
    """``五角场街道`` is also written ``五角场``; a bare suffix of one character is kept."""
    aliases = [street]
    for suffix in STREET_SUFFIXES:
        if street.endswith(suffix) and len(street) - len(suffix) >= _MIN_NAME_LENGTH:
            aliases.append(street[: -len(suffix)])
    return tuple(aliases)


class Gazetteer:
    """Grids of one district, indexed once for fast text and point lookups."""

    def __init__(
        self,
        entries: Iterable[GazetteerEntry],
        district: str = "",
        street_names: Mapping[str, str] | None = None,
    ) -> None:
        """``street_names`` maps other names of a street (imported places) to the street."""
        self.entries: tuple[GazetteerEntry, ...] = tuple(entries)
        self.district = district
        by_name: dict[str, list[GazetteerEntry]] = {}
        for entry in self.entries:
            for name in (entry.grid_name, *entry.names):
                if len(name) >= _MIN_NAME_LENGTH and entry not in by_name.get(name, ()):
                    by_name.setdefault(name, []).append(entry)
        streets: dict[str, str] = {}
        for entry in self.entries:
            for alias in street_aliases(entry.street) if entry.street else ():
                streets.setdefault(alias, entry.street)
        for alias, street in (street_names or {}).items():
            if len(alias) >= _MIN_NAME_LENGTH:
                streets.setdefault(alias, street)
        targets: dict[str, _Target] = {
            alias: _Target((), street) for alias, street in streets.items()
        }
        for name, found in by_name.items():
            targets[name] = _Target(tuple(found), streets.get(name))
        self._targets = targets
        index: dict[str, list[str]] = {}
        for name in targets:
            index.setdefault(name[:2], []).append(name)
        self._index: dict[str, tuple[str, ...]] = {
            key: tuple(sorted(names, key=len, reverse=True)) for key, names in index.items()
        }
        self._areas: tuple[_Area, ...] = tuple(
            _Area(
                entry,
                polygon,
                min(lng for lng, _ in polygon),
                min(lat for _, lat in polygon),
                max(lng for lng, _ in polygon),
                max(lat for _, lat in polygon),
                _polygon_size(polygon),
            )
            for entry in self.entries
            for polygon in entry.polygons
            if len(polygon) >= 3
        )
        self._by_code = {entry.grid_code: entry for entry in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def by_code(self, grid_code: str) -> GazetteerEntry | None:
        return self._by_code.get(grid_code)

    def find_names(self, text: str) -> tuple[NameHit, ...]:
        """Known names in the text, leftmost-longest and without overlaps."""
        hits: list[NameHit] = []
        position = 0
        limit = len(text) - 1
        while position < limit:
            candidates = self._index.get(text[position : position + 2])
            matched = None
            if candidates:
                matched = next((n for n in candidates if text.startswith(n, position)), None)
            if matched is None:
                position += 1
                continue
            target = self._targets[matched]
            end = position + len(matched)
            hits.append(NameHit(position, end, matched, target.entries, target.street))
            position = end
        return tuple(hits)

    def match_street(self, text: str) -> str | None:
        """The first street (or town) of this district named in the text."""
        return next((hit.street for hit in self.find_names(text) if hit.street), None)

    def match_text(self, text: str) -> GazetteerEntry | None:
        """The grid the text names, or None when it names none or only a street.

        The longest name wins. A name shared by several grids (a long road) is narrowed by the
        street named in the text, then by the other names; if it stays ambiguous, no grid.
        """
        return self.resolve(self.find_names(text))

    def resolve(self, hits: Sequence[NameHit]) -> GazetteerEntry | None:
        """Pick the grid named by already found hits (see :meth:`match_text`)."""
        streets = {hit.street for hit in hits if hit.street}
        grid_hits = sorted(
            (hit for hit in hits if hit.entries), key=lambda hit: (-len(hit.name), hit.start)
        )
        common: set[GazetteerEntry] | None = None
        for hit in grid_hits:
            entries = hit.entries
            narrowed = tuple(entry for entry in entries if entry.street in streets)
            if narrowed:
                entries = narrowed
            if len(entries) == 1:
                return entries[0]
            common = set(entries) if common is None else common & set(entries)
        if common is not None and len(common) == 1:
            return next(iter(common))
        return None

    def match_point(self, lng: float, lat: float) -> GazetteerEntry | None:
        """The smallest grid whose polygon contains the point, or None outside them all."""
        best: _Area | None = None
        for area in self._areas:
            if not (area.min_lng <= lng <= area.max_lng and area.min_lat <= lat <= area.max_lat):
                continue
            if point_in_polygon(lng, lat, area.polygon) and (best is None or area.size < best.size):
                best = area
        return best.entry if best else None
