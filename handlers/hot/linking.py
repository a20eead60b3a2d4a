"""New cases that match an open governance item are linked to it as they arrive (``auto``).

The rule (thresholds in ``config.hot_items``), all of:

- the same place, when the item has one: the case's place name (``handlers.hot.topics.
  place_name``) has the item's place key in the alias table of the district's places and the
  items' place names (``nlu.place_aliases``);
- the same first-level category, when the item has one;
- topic words alike: ``nlu.topics.topic_similarity`` of the item's and the case's topic words at
  least ``LINK_SIMILARITY``, with at least ``LINK_MIN_SHARED`` words shared, or
  ``LINK_MIN_SHARED_NO_PLACE`` for an item without a place, where the words are all there is
  (fewer when either side has fewer words).

A merged duplicate goes with its original: a case merged into one an item covers is linked to
that item whatever its words. Each link is a ``linked`` note on the item and an event on the
case's timeline; linking never changes the item's ``version`` (staff editing it meanwhile are
not refused because a case came in).

When: right after the message's transaction commits, in the background
(``bot.intake.IntakeService.start_linking``), so the resident's reply never waits for it; the
open items come from memory (:class:`handlers.hot.item_cache.OpenItems`), so with no open
item nothing is read at all. A sweep every minute (``scheduler.jobs``, :func:`sweep_links`)
catches the cases made by other doors (the mini-program's form, Open311, staff, a restart
before the background task ran): it walks the cases after the last id it saw in this process.
Linking is idempotent (unique item and case), so the two never link a case twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config import hot_items as texts
from handlers.hot.item_cache import Loaded, OpenItem, OpenItems
from handlers.hot.items import add_note, link_cases
from handlers.hot.topics import place_name, row_words
from handlers.timeline import Actor
from models import Case, CaseStatus, HotItem, HotItemCase, HotItemStatus
from nlu.place_aliases import PlaceAliases
from nlu.topics import topic_similarity

logger = logging.getLogger(__name__)

_FIELDS = (
    "id",
    "number",
    "status",
    "duplicate_of_id",
    "category",
    "title",
    "keywords",
    "topic",
    "street",
    "compound",
    "address",
    "place_text",
)
NOT_LINKED = (CaseStatus.CANCELLED, CaseStatus.INVALID)


@dataclass(frozen=True)
class CaseSide:
    """A new case as matching sees it."""

    words: tuple[str, ...]
    place_key: str
    first_level: str


def case_side(row: dict[str, Any], aliases: PlaceAliases) -> CaseSide:
    name = place_name(row["street"], row["compound"], row["address"], row["place_text"])
    words = row_words(row, name)
    return CaseSide(words, aliases.key(name), (row["category"] or "").split("/")[0])


def words_alike(a: Sequence[str], b: Sequence[str], least: int = texts.LINK_MIN_SHARED) -> bool:
    shared = len(set(a) & set(b))
    needed = min(least, len(set(a)), len(set(b)))
    return shared >= max(needed, 1) and topic_similarity(a, b) >= texts.LINK_SIMILARITY


def matches(item: OpenItem, case: CaseSide, aliases: PlaceAliases) -> bool:
    placed = bool(item.place_key or item.place_label)
    if placed:
        keys = {k for k in (item.place_key, aliases.key(item.place_label)) if k}
        if not case.place_key or case.place_key not in keys:
            return False
    if item.first_level and case.first_level != item.first_level:
        return False
    least = texts.LINK_MIN_SHARED if placed else texts.LINK_MIN_SHARED_NO_PLACE
    return words_alike(item.words, case.words, least)


async def _link_one(item_id: int, case: Case, how_found: str, now: datetime) -> bool:
    try:
        async with in_transaction():
            item = await HotItem.get_or_none(id=item_id, status=HotItemStatus.OPEN)
            if item is None:
                return False  # closed meanwhile (the cache is a few seconds behind)
            linked = await link_cases(item, [case], "auto", Actor.system(), now)
            if not linked:
                return False
            await add_note(
                item,
                "linked",
                "system",
                now,
                f"{case.number} {case.title}"[:200],
                {"case": case.number, "how": "auto", "by": how_found},
            )
    except IntegrityError:  # another process linked it at the same moment
        return False
    return True


async def _originals_items(case: Case) -> list[int]:
    if case.duplicate_of_id is None:
        return []
    rows: list[Any] = await HotItemCase.filter(
        case_id=case.duplicate_of_id, item__status=HotItemStatus.OPEN
    ).values_list("item_id", flat=True)
    return [int(r) for r in rows]


async def link_row(row: dict[str, Any], loaded: Loaded, now: datetime) -> list[str]:
    """Link one case (a row of :data:`_FIELDS`) to the open items it matches; their numbers."""
    if CaseStatus(row["status"]) in NOT_LINKED:
        return []
    side = case_side(row, loaded.aliases)
    wanted: dict[int, str] = {
        i.id: "match" for i in loaded.items if matches(i, side, loaded.aliases)
    }
    case = Case(
        id=row["id"],
        number=row["number"],
        title=row["title"] or "",
        duplicate_of_id=row["duplicate_of_id"],
    )
    for item_id in await _originals_items(case):
        wanted.setdefault(item_id, "original")
    numbers = {i.id: i.number for i in loaded.items}
    linked = []
    for item_id, how_found in wanted.items():
        if await _link_one(item_id, case, how_found, now):
            linked.append(numbers.get(item_id, str(item_id)))
    if linked:
        logger.info("case %s linked to hot items %s", row["number"], ", ".join(linked))
    return linked


async def link_new_case(case_id: int, now: datetime, cache: OpenItems) -> list[str]:
    """Link a just-committed case to the open items it matches (the numbers linked). With no
    open item nothing is read."""
    loaded = await cache.get()
    if not loaded.items:
        return []
    rows = await Case.filter(id=case_id).values(*_FIELDS)
    return await link_row(rows[0], loaded, now) if rows else []


class LinkCursor:
    """The last case id the sweep of this process looked at (each process keeps its own)."""

    def __init__(self) -> None:
        self.last_id: int | None = None


async def sweep_links(now: datetime, cache: OpenItems, cursor: LinkCursor) -> int:
    """Link the cases made since the last sweep of this process; how many links were made."""
    loaded = await cache.get()
    query = Case.all()
    if cursor.last_id is None:
        query = query.filter(created_at__gte=now - timedelta(minutes=texts.LINK_LOOKBACK_MINUTES))
    else:
        query = query.filter(id__gt=cursor.last_id)
    made = 0
    while True:
        rows = await query.order_by("id").limit(texts.LINK_BATCH).values(*_FIELDS)
        if not rows:
            break
        cursor.last_id = int(rows[-1]["id"])
        if loaded.items:
            for row in rows:
                made += len(await link_row(row, loaded, now))
        if len(rows) < texts.LINK_BATCH:
            break
        query = Case.filter(id__gt=cursor.last_id)
    if cursor.last_id is None:  # nothing recent: start after the newest case there is
        newest = await Case.all().order_by("-id").first().values("id")
        cursor.last_id = int(newest["id"]) if newest else 0
    return made
