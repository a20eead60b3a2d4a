"""The open governance items as new cases are matched against them, kept in memory per process.

Linking runs for every new case (``handlers.hot.linking``), so it must not read the items from
the database each time: :class:`OpenItems` keeps what matching needs of each open item (its
words, place key, first-level category) and the place-alias table, for at most ``max_age``
seconds, and forgets them at once when this process changes an item (:func:`items_changed`,
called by every step of ``handlers.hot.items`` / ``item_steps`` and by the model's save
signal), so another process sees an item made or closed within ``max_age``
(``config.hot_items.CACHE_MAX_AGE``). The same way as ``handlers.suggestions.call_keywords``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tortoise.signals import post_delete, post_save

from config import hot_items as texts
from handlers.hot.topics import aliases_for
from models import HotItem, HotItemStatus
from nlu.place_aliases import PlaceAliases

_generation = 0


def items_changed() -> None:
    """An item was made, changed, closed or withdrawn here: every cache reloads."""
    global _generation
    _generation += 1


@post_save(HotItem)
async def _saved(*_: Any, **__: Any) -> None:
    items_changed()


@post_delete(HotItem)
async def _deleted(*_: Any, **__: Any) -> None:
    items_changed()


@dataclass(frozen=True)
class OpenItem:
    """What matching needs of one open item."""

    id: int
    number: str
    kind: str
    title: str
    words: tuple[str, ...]
    place_key: str  # '' when the item has no place
    place_label: str
    first_level: str  # '' when the item has no category


@dataclass(frozen=True)
class Loaded:
    items: tuple[OpenItem, ...]
    aliases: PlaceAliases


async def load_open_items() -> Loaded:
    rows = await HotItem.filter(status=HotItemStatus.OPEN).values(
        "id", "number", "kind", "title", "topic_words", "place_key", "place_label", "category"
    )
    items = tuple(
        OpenItem(
            id=int(r["id"]),
            number=r["number"],
            kind=str(r["kind"]),
            title=r["title"],
            words=tuple(r["topic_words"] or ()),
            place_key=r["place_key"] or "",
            place_label=r["place_label"] or "",
            first_level=(r["category"] or "").split("/")[0],
        )
        for r in rows
    )
    # Nothing open: no alias table is needed (and no place is read).
    aliases = (
        await aliases_for([n for i in items for n in (i.place_label, i.place_key) if n])
        if items
        else PlaceAliases()
    )
    return Loaded(items, aliases)


class OpenItems:
    """One per app (``bot.intake.IntakeService``) and one per sweep: see the module."""

    def __init__(self, max_age: float = texts.CACHE_MAX_AGE) -> None:
        self.max_age = max_age
        self._loaded: Loaded | None = None
        self._loaded_at = 0.0
        self._generation = -1

    def _fresh(self) -> bool:
        return (
            self._loaded is not None
            and self._generation == _generation
            and time.monotonic() - self._loaded_at < self.max_age
        )

    async def get(self) -> Loaded:
        if not self._fresh() or self._loaded is None:
            generation = _generation
            self._loaded = await load_open_items()
            self._loaded_at, self._generation = time.monotonic(), generation
        return self._loaded
