"""The deployment's place names, read from the grids and places tables for the understanding
module."""

from __future__ import annotations

from handlers.district.geometry import outer_rings
from handlers.refreshing import RefreshingCache
from models import Grid, Place
from nlu import Gazetteer, GazetteerEntry


async def load_gazetteer(district: str = "") -> Gazetteer:
    """Each active grid with its compounds, aliases and the imported places inside it; the
    imported streets' other names map to their street."""
    in_grid: dict[int, list[str]] = {}
    street_names: dict[str, str] = {}
    async for place in Place.filter(active=True).order_by("id"):
        if place.kind == "street":
            for alias in (place.name, *place.aliases):
                street_names.setdefault(alias, place.street or place.name)
        elif place.grid_id is not None:
            in_grid.setdefault(place.grid_id, []).extend([place.name, *place.aliases])
    entries = []
    async for grid in Grid.filter(active=True).order_by("id"):
        names = tuple(dict.fromkeys([*grid.compounds, *grid.aliases, *in_grid.get(grid.id, [])]))
        rings = [tuple(ring) for ring in outer_rings(grid.boundary)]
        entries.append(
            GazetteerEntry(
                grid_code=grid.code,
                grid_name=grid.name,
                street=grid.street,
                names=names,
                polygon=rings[0] if rings else (),
                more_polygons=tuple(rings[1:]),
            )
        )
    return Gazetteer(entries, district=district, street_names=street_names)


def gazetteer_cache(district: str = "", max_age: float = 60.0) -> RefreshingCache[Gazetteer]:
    """The gazetteer, reloaded at most every ``max_age`` seconds so edits to grids show up."""
    return RefreshingCache(lambda: load_gazetteer(district), max_age)
