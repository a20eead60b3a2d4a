"""The topic words of stored cases worked out again (``jiesu retopic``).

A ranking compares the topic words intake stored with each case (``Case.topic``). When the topic
rules change (``nlu.topics``, ``config.hot_words``), cases stored under the older rules would
not join the cases stored since (健身房 then, 健身 now): this brings them up to date from each
case's stored keywords, title and place, in batches, and is safe to run twice or while the
service takes messages (a case's topic is derived data, written by itself alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from config.resident_api import ANONYMOUS_MARK
from handlers.hot.topics import stored_topic
from models import Case

BATCH = 500
_COLUMNS = ("id", "keywords", "title", "street", "compound", "address", "place_text", "topic")


@dataclass(frozen=True, slots=True)
class RetopicResult:
    read: int
    changed: int


def topic_now(row: dict[str, Any]) -> str:
    """The topic intake would store for the case of ``row`` today."""
    title = (row["title"] or "").removeprefix(ANONYMOUS_MARK)
    return stored_topic(list(row["keywords"] or []), title, row)


async def retopic(since: datetime | None = None) -> RetopicResult:
    """Work out again the topic of every case created since ``since`` (all when None)."""
    read = changed = 0
    last_id = 0
    while True:
        query = Case.filter(id__gt=last_id)
        if since is not None:
            query = query.filter(created_at__gte=since)
        rows = await query.order_by("id").limit(BATCH).values(*_COLUMNS)
        if not rows:
            return RetopicResult(read, changed)
        last_id = rows[-1]["id"]
        read += len(rows)
        updates = [(row["id"], topic) for row in rows if (topic := topic_now(row)) != row["topic"]]
        if updates:
            async with in_transaction():
                for case_id, topic in updates:
                    await Case.filter(id=case_id).update(topic=topic)
            changed += len(updates)
