"""The deployment's place names, read from the grids table for the understanding module."""

from __future__ import annotations

import asyncio
import time

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


class GazetteerCache:
    """Reloads the gazetteer at most every ``max_age`` seconds, so edits to grids show up soon."""

    def __init__(self, district: str = "", max_age: float = 60.0) -> None:
        self._district = district
        self._max_age = max_age
        self._value: Gazetteer | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Gazetteer:
        if self._value is not None and time.monotonic() - self._loaded_at < self._max_age:
            return self._value
        async with self._lock:
            if self._value is None or time.monotonic() - self._loaded_at >= self._max_age:
                self._value = await load_gazetteer(self._district)
                self._loaded_at = time.monotonic()
        return self._value

    def invalidate(self) -> None:
        self._loaded_at = 0.0
