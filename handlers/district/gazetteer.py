"""The deployment's place names, read from the grids table for the understanding module."""

from __future__ import annotations

from handlers.refreshing import RefreshingCache
from models import Grid
from nlu import Gazetteer, GazetteerEntry


async def load_gazetteer(district: str = "") -> Gazetteer:
    entries = []
    async for grid in Grid.filter(active=True).order_by("id"):
        names = tuple(dict.fromkeys([*grid.compounds, *grid.aliases]))
        polygon = tuple((float(p[0]), float(p[1])) for p in grid.boundary)
        entries.append(
            GazetteerEntry(
                grid_code=grid.code,
                grid_name=grid.name,
                street=grid.street,
                names=names,
                polygon=polygon,
            )
        )
    return Gazetteer(entries, district=district)


def gazetteer_cache(district: str = "", max_age: float = 60.0) -> RefreshingCache[Gazetteer]:
    """The gazetteer, reloaded at most every ``max_age`` seconds so edits to grids show up."""
    return RefreshingCache(lambda: load_gazetteer(district), max_age)
