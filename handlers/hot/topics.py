"""The cases of a period as the grouping sees them (``CaseTopic``): topic words and place key.

Rows are read as plain values (no ORM objects), and the topic words are worked out from the
keywords the understanding stored with each case, so that no message is read again here.
A case's place is its compound, else its road and number, else the place text when it says more
than the street: a street alone is too wide to be the place of one problem. Place names are
turned into keys by ``nlu.place_aliases.PlaceAliases``, which learns the district's places (with
their aliases, from the district files) and the names written in the period's cases.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from config import hot as tuning
from handlers.hot.issues import CaseTopic, paused_gc
from models import CaseStatus, Place
from nlu.place_aliases import PlaceAliases
from nlu.topics import topic_words

PLACE_KINDS = ("compound", "road", "poi")
_FIELDS = (
    "id",
    "number",
    "resident_id",
    "duplicate_of_id",
    "category",
    "created_at",
    "status",
    "unit_id",
    "title",
    # The keywords only where no topic was stored (their JSON is the costliest column to read).
    "CASE WHEN topic IS NULL THEN keywords END AS keywords",
    "topic",
    "street",
    "compound",
    "address",
    "place_text",
    "reopened_count",
    "votes_up",
    "votes_down",
)


async def district_places() -> list[tuple[str, list[str]]]:
    """The district's compounds, roads and landmarks, each with the other names it goes by."""
    rows = await Place.filter(active=True, kind__in=PLACE_KINDS).values_list("name", "aliases")
    return [(name, list(aliases or [])) for name, aliases in rows]


def place_name(
    street: str | None, compound: str | None, address: str | None, text: str | None
) -> str:
    """The name a case's place goes by for grouping, '' when it names no more than a street."""
    if compound:
        return compound
    if address:
        return address
    if text and text != street and not (street and text in street):
        return text
    return ""


async def aliases_for(names: Sequence[str] | Mapping[str, int]) -> PlaceAliases:
    """An alias table of the district's places and the names seen in cases (or each name with
    how many cases wrote it: the most written is the label of a place the district lacks)."""
    aliases = PlaceAliases(await district_places())
    aliases.learn(names)
    return aliases


def stored_topic(keywords: Sequence[str], title: str, place: dict[str, Any]) -> str:
    """The topic words intake stores with a new case (``Case.topic``), so that a ranking reads
    them instead of working them out again for every case. ``place``: the case's place columns."""
    name = place_name(place["street"], place["compound"], place["address"], place["place_text"])
    return " ".join(topic_words(keywords, title, [name] if name else []))[:160]


def words_of(topic: str | None, keywords: Any, title: str | None, name: str) -> tuple[str, ...]:
    """A case's topic words: those intake stored (``topic``), else worked out from its keywords
    (a case stored before topics were, or imported without one). ``name``: its place name."""
    if topic is not None:
        return tuple(topic.split())
    if isinstance(keywords, str):
        keywords = json.loads(keywords)
    return topic_words(keywords or [], title or "", [name] if name else [])


def row_words(row: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """:func:`words_of` a row read by column name."""
    return words_of(row["topic"], row["keywords"], row["title"], name)


def _topic(row: Sequence[Any], name: str, place_key: str) -> CaseTopic:
    """A row of :data:`_FIELDS`, unpacked by position (a ranking reads 100,000 of them)."""
    (
        case_id,
        number,
        resident_id,
        duplicate_of_id,
        category,
        created_at,
        status,
        unit_id,
        title,
        keywords,
        topic,
        *_place,
        reopened_count,
        votes_up,
        votes_down,
    ) = row
    return CaseTopic(
        case_id,
        number,
        resident_id,
        duplicate_of_id,
        category or "",
        _moment(created_at),
        str(status),
        unit_id,
        title or "",
        words_of(topic, keywords, title, name),
        place_key,
        name,
        reopened_count or 0,
        votes_up,
        votes_down,
    )


# Where the place columns (street, compound, address, place_text) stand in a row of _FIELDS.
_PLACE = slice(11, 15)


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def _rows(
    since: datetime,
    until: datetime,
    unit_id: int | None,
    grid_id: int | None,
    category_prefix: str | None,
) -> list[Any]:
    """The period's cases as plain rows, read without the ORM's per-value conversions (a
    period of 100,000 cases is read in a fraction of a second)."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    values: list[Any] = []

    def mark(value: Any) -> str:
        values.append(value)
        return f"${len(values)}" if postgres else "?"

    # Stored in UTC (SQLite compares the text Tortoise wrote: UTC, isoformat with a space).
    bounds = (since.astimezone(UTC), until.astimezone(UTC))
    where = [f"created_at >= {mark(bounds[0])}", f"created_at < {mark(bounds[1])}"]
    where.append(f"status <> {mark(CaseStatus.CANCELLED.value)}")
    if unit_id is not None:
        where.append(f"unit_id = {mark(unit_id)}")
    if grid_id is not None:
        where.append(f"grid_id = {mark(grid_id)}")
    if category_prefix:
        escaped = category_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(f"category LIKE {mark(escaped + '%')} ESCAPE '\\'")
    sql = (
        f"SELECT {', '.join(_FIELDS)} FROM cases WHERE {' AND '.join(where)} "
        f"ORDER BY created_at DESC, id DESC LIMIT {int(tuning.MAX_CASES)}"
    )
    _, rows = await conn.execute_query(sql, values)
    found = list(rows)  # records read by column name, not copied into dicts
    found.reverse()
    return found


async def case_topics(
    since: datetime,
    until: datetime,
    *,
    unit_id: int | None = None,
    grid_id: int | None = None,
    category_prefix: str | None = None,
    aliases: PlaceAliases | None = None,
) -> tuple[list[CaseTopic], PlaceAliases]:
    """The cases created in ``[since, until)`` (cancelled ones left out), oldest first, and the
    alias table their place keys came from. At most ``config.hot.MAX_CASES``, the newest."""
    rows = await _rows(since, until, unit_id, grid_id, category_prefix)
    with paused_gc():
        names = [place_name(*row[_PLACE]) for row in rows]
    if aliases is None:
        aliases = await aliases_for(Counter(name for name in names if name))
    with paused_gc():
        keys = {name: aliases.key(name) for name in set(names)}  # a place's name is read once
        topics = [_topic(row, name, keys[name]) for row, name in zip(rows, names, strict=True)]
    return topics, aliases
