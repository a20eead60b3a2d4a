"""The hot issues of a period, hottest first, each explained and with its heat factors.

The period ``[since, until)`` is compared with the one before it, as long: both are read and
grouped together (``handlers/hot/grouping``), so that an issue's growth compares the same group's
residents in each. An issue is listed when at least ``min_residents`` residents raised it in the
period. Three small reads beside the cases: 重复诉求 links and satisfaction answers of the
period (the heat's factors), then the texts of the listed issues' sample cases and the open
governance items that already cover them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from config import hot as tuning
from handlers.hot.grouping import group, representative, shared_words
from handlers.hot.heat import CaseSignals, factors, heat
from handlers.hot.issues import CaseTopic, HotIssue, Sample
from handlers.hot.topics import case_topics
from models import Case, CaseLink, CaseStatus, HotItemCase, HotItemStatus, LinkKind, Survey
from nlu import mask_phones_in_text


async def signals(since: datetime, until: datetime) -> CaseSignals:
    """Repeats and the latest satisfaction answers of cases created in the period."""
    repeats: Counter[int] = Counter()
    links = await CaseLink.filter(kind=LinkKind.REPEAT, at__gte=since, at__lt=until).values_list(
        "case_id", "other_id"
    )
    for original, later in links:
        repeats[later if later is not None else original] += 1
    rows = (
        await Survey.filter(
            answer__isnull=False, case__created_at__gte=since, case__created_at__lt=until
        )
        .order_by("round", "id")
        .values_list("case_id", "answer")
    )
    answers = {case_id: str(answer) for case_id, answer in rows}
    return CaseSignals(repeats=repeats, answers=answers)


def _issue(
    members: Sequence[CaseTopic],
    current: Sequence[CaseTopic],
    previous: Sequence[CaseTopic],
    label: str,
    found: CaseSignals,
) -> HotIssue:
    words = shared_words(current)
    lead = representative(current, words)
    f = factors(current, previous, found)
    places = Counter(c.place_name for c in current if c.place_name)
    units = Counter(c.unit_id for c in current if c.unit_id is not None)
    return HotIssue(
        key=members[0].number,
        title=mask_phones_in_text(lead.title),
        category=Counter(c.category for c in current).most_common(1)[0][0],
        topic_words=words,
        place_key=lead.place_key,
        place_label=label if lead.place_key else "",
        places=tuple(name for name, _ in places.most_common()),
        cases=len(current),
        residents=f.residents,
        open_cases=sum(1 for c in current if CaseStatus(c.status).is_open),
        first_at=current[0].created_at,
        last_at=current[-1].created_at,
        numbers=tuple(c.number for c in current),
        case_ids=tuple(c.id for c in current),
        unit_ids=tuple(unit for unit, _ in units.most_common()),
        samples=(),
        heat=heat(f),
        factors=f,
    )


def _sample_ids(issue: HotIssue) -> list[int]:
    ids = issue.case_ids
    picks = dict.fromkeys([ids[0], ids[len(ids) // 2], ids[-1]])
    return list(picks)[: tuning.SAMPLES]


async def _explained(issues: list[HotIssue]) -> list[HotIssue]:
    """The issues with their sample messages and the open items that cover them."""
    wanted = [case_id for issue in issues for case_id in _sample_ids(issue)]
    rows = await Case.filter(id__in=wanted).values("id", "number", "title", "text", "created_at")
    by_id = {row["id"]: row for row in rows}
    every = [case_id for issue in issues for case_id in issue.case_ids]
    covered: dict[int, set[str]] = {}
    links = await HotItemCase.filter(
        case_id__in=every, item__status=HotItemStatus.OPEN
    ).values_list("case_id", "item__number")
    for case_id, number in links:
        covered.setdefault(case_id, set()).add(number)
    explained = []
    for issue in issues:
        samples = tuple(
            Sample(
                number=row["number"],
                title=mask_phones_in_text(row["title"] or ""),
                excerpt=mask_phones_in_text((row["text"] or "")[: tuning.EXCERPT_LENGTH]),
                at=row["created_at"],
            )
            for row in (by_id.get(case_id) for case_id in _sample_ids(issue))
            if row is not None
        )
        items = sorted({n for case_id in issue.case_ids for n in covered.get(case_id, ())})
        explained.append(replace(issue, samples=samples, items=tuple(items)))
    return explained


async def hot_issues(
    since: datetime,
    until: datetime,
    *,
    limit: int = 10,
    min_residents: int = 2,
    unit_id: int | None = None,
    grid_id: int | None = None,
    category_prefix: str | None = None,
) -> list[HotIssue]:
    """The hottest issues among cases created in ``[since, until)``, hottest first."""
    before = since - (until - since)
    cases, aliases = await case_topics(
        before, until, unit_id=unit_id, grid_id=grid_id, category_prefix=category_prefix
    )
    found = await signals(since, until)
    issues = []
    for members in group(cases):
        current = [c for c in members if c.created_at >= since]
        if len({c.who for c in current}) < max(min_residents, 1):
            continue
        previous = [c for c in members if c.created_at < since]
        label = aliases.label(current[0].place_key)
        issues.append(_issue(members, current, previous, label, found))
    issues.sort(key=lambda i: (i.heat, i.residents, i.last_at), reverse=True)
    return await _explained(issues[:limit])
