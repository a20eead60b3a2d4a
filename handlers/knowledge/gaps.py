"""The questions the knowledge base did not settle, grouped so that staff see what to write.

- **Gaps** (待补充的问题): the questions of a period no entry answered (``unanswered``),
  grouped by ``gap_key`` (the question's content words folded, ``nlu.knowledge_index.gap_key``;
  questions without content words are left out). Most residents first, then most questions,
  then the latest. Each gap has its number of questions and of residents (residents whose data
  was erased are not counted), when it was first and last asked in the period, up to
  ``GAP_SAMPLES`` different wordings, and the cases it went on to: the unit's answer there is
  what the entry should say.
- **Answered but 没解决**: the questions of the period an entry answered and the resident said
  没解决, grouped by entry (most first), the same way: the entries whose answer falls short.

Counting is grouped in the database; the samples and case numbers are read for the listed
groups only, the latest ``GAP_ROWS_READ`` questions of each. The wordings are shown with phone
numbers masked, and only the case numbers the reader may open (``case_scope``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Max, Min

from config import knowledge as tuning
from handlers.knowledge.figures import asks_in
from handlers.knowledge.usage import EntryRef, entry_refs
from models import AskOutcome, Case
from nlu import mask_phones_in_text


@dataclass(frozen=True)
class AskGroup:
    """Questions asked alike (a gap) or answered by one entry and said 没解决."""

    key: str  # the gap key, or the entry's code
    questions: int
    residents: int
    cases: int  # distinct cases they went on to
    first_at: datetime
    last_at: datetime
    samples: tuple[str, ...]
    case_numbers: tuple[str, ...]  # the latest, those the reader may open
    entry: EntryRef | None = None


def _instant(value: Any) -> datetime:
    """A MIN/MAX of a stored time: SQLite answers it as text."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace(" ", "T"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _grouped(query: Any, key: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await query.annotate(
            _questions=Count("id"),
            _residents=Count("resident_id", distinct=True),
            _cases=Count("case_id", distinct=True),
            _first=Min("at"),
            _last=Max("at"),
        )
        .group_by(key)
        .order_by("-_residents", "-_questions", "-_last", key)
        .limit(limit)
        .values(key, "_questions", "_residents", "_cases", "_first", "_last")
    )
    return rows


async def _examples(query: Any) -> tuple[tuple[str, ...], list[int]]:
    """Up to ``GAP_SAMPLES`` different wordings and the latest case ids of one group."""
    rows = await query.order_by("-at", "-id").limit(tuning.GAP_ROWS_READ).values("text", "case_id")
    samples: list[str] = []
    cases: list[int] = []
    for row in rows:
        text = mask_phones_in_text(row["text"])
        if text not in samples and len(samples) < tuning.GAP_SAMPLES:
            samples.append(text)
        case_id = row["case_id"]
        if case_id is not None and case_id not in cases:
            cases.append(case_id)
    return tuple(samples), cases


async def _numbers(ids: set[int], case_scope: Q | None) -> dict[int, str]:
    query = Case.filter(id__in=list(ids))
    if case_scope is not None:
        query = query.filter(case_scope)
    return dict(await query.values_list("id", "number"))


async def _groups(
    query: Any, key: str, limit: int, case_scope: Q | None
) -> list[tuple[dict[str, Any], tuple[str, ...], list[int]]]:
    found = []
    for row in await _grouped(query, key, limit):
        samples, cases = await _examples(query.filter(**{key: row[key]}))
        found.append((row, samples, cases))
    return found


def _group(
    row: dict[str, Any],
    key: str,
    samples: tuple[str, ...],
    cases: list[int],
    numbers: dict[int, str],
    entry: EntryRef | None = None,
) -> AskGroup:
    shown = [numbers[c] for c in cases if c in numbers][: tuning.GAP_CASE_NUMBERS]
    return AskGroup(
        key=key,
        questions=int(row["_questions"]),
        residents=int(row["_residents"] or 0),
        cases=int(row["_cases"] or 0),
        first_at=_instant(row["_first"]),
        last_at=_instant(row["_last"]),
        samples=samples,
        case_numbers=tuple(shown),
        entry=entry,
    )


async def gaps(
    since: datetime,
    until: datetime,
    *,
    limit: int = tuning.GAPS_SHOWN,
    case_scope: Q | None = None,
) -> list[AskGroup]:
    """The gaps of ``[since, until)``, most residents first; ``case_scope``: the cases (a
    ``Q`` over cases) whose numbers the reader may see, None for every case."""
    unanswered = asks_in(since, until).filter(outcome=AskOutcome.UNANSWERED).exclude(gap_key="")
    groups = await _groups(unanswered, "gap_key", limit, case_scope)
    numbers = await _numbers({c for _, _, cases in groups for c in cases}, case_scope)
    return [_group(row, row["gap_key"], s, c, numbers) for row, s, c in groups]


async def unsolved_by_entry(
    since: datetime,
    until: datetime,
    *,
    limit: int = tuning.GAPS_SHOWN,
    case_scope: Q | None = None,
) -> list[AskGroup]:
    """The entries whose answers of ``[since, until)`` were said 没解决, most first."""
    unsolved = asks_in(since, until).filter(outcome=AskOutcome.UNSOLVED, entry_id__isnull=False)
    groups = await _groups(unsolved, "entry_id", limit, case_scope)
    numbers = await _numbers({c for _, _, cases in groups for c in cases}, case_scope)
    refs = await entry_refs([row["entry_id"] for row, _, _ in groups])
    return [
        _group(row, refs[row["entry_id"]].code, s, c, numbers, refs[row["entry_id"]])
        for row, s, c in groups
        if row["entry_id"] in refs
    ]
