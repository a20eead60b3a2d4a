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
from handlers.hot.issues import CaseTopic
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


def row_words(row: dict[str, Any], name: str) -> tuple[str, ...]:
    """A case row's topic words: those intake stored, else worked out from its keywords (a case
    stored before topics were, or imported without one). ``name``: its place name."""
    stored = row["topic"]
    if stored is not None:
        return tuple(stored.split())
    keywords = row["keywords"]
    if isinstance(keywords, str):
        keywords = json.loads(keywords)
    return topic_words(keywords or [], row["title"] or "", [name] if name else [])


def _topic(row: dict[str, Any], name: str, aliases: PlaceAliases) -> CaseTopic:
    return CaseTopic(
        id=row["id"],
        number=row["number"],
        resident_id=row["resident_id"],
        duplicate_of_id=row["duplicate_of_id"],
        category=row["category"] or "",
        created_at=row["created_at"],
        status=str(row["status"]),
        unit_id=row["unit_id"],
        title=row["title"] or "",
        words=row_words(row, name),
        place_key=aliases.key(name),
        place_name=name,
        reopened_count=row["reopened_count"] or 0,
        votes_up=row["votes_up"],
        votes_down=row["votes_down"],
    )


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
) -> list[dict[str, Any]]:
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
    found = [dict(row) for row in rows]
    found.reverse()
    for row in found:
        row["created_at"] = _moment(row["created_at"])
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
    names = [place_name(r["street"], r["compound"], r["address"], r["place_text"]) for r in rows]
    if aliases is None:
        aliases = await aliases_for(Counter(name for name in names if name))
    return [_topic(row, name, aliases) for row, name in zip(rows, names, strict=True)], aliases
