"""Hot issues (热点问题): many residents about one place and problem within a period.

A hot issue is a group of cases: first each merged case with the case it joined, then groups at
the same place whose problem words are alike (:data:`config.duplicates.HOT_ISSUE_SIMILARITY`,
looser than a merge, because grouping for a list hides nothing). Groups are ranked by how many
residents wrote, then by how many cases, then by the latest case.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from config import duplicates as tuning
from handlers.intake.duplicates import Probe, place_relation, problem_words, similarity
from models import Case, CaseStatus

MAX_CASES = 20_000


@dataclass(frozen=True)
class HotIssue:
    title: str
    category: str
    place: str
    cases: int
    residents: int
    open_cases: int
    first_at: datetime
    last_at: datetime
    numbers: tuple[str, ...]  # oldest first

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "category": self.category,
            "place": self.place,
            "cases": self.cases,
            "residents": self.residents,
            "open_cases": self.open_cases,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "numbers": list(self.numbers),
        }


class _Groups:
    """Union-find over case ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _bucket(case: Case) -> str | None:
    """Cases are compared only with cases sharing a bucket: their compound, else address."""
    if case.compound:
        return f"c:{case.compound}"
    if case.address:
        return f"a:{case.address}"
    if case.lat is not None and case.lng is not None:
        return f"p:{round(case.lat, 3)},{round(case.lng, 3)}"
    return None


def _place(case: Case) -> str:
    named = [part for part in (case.street, case.compound, case.address) if part]
    return "".join(dict.fromkeys(named)) or case.place_text or "地点待补充"


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
    query = Case.filter(created_at__gte=since, created_at__lt=until).exclude(
        status=CaseStatus.CANCELLED
    )
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    if grid_id is not None:
        query = query.filter(grid_id=grid_id)
    if category_prefix:
        query = query.filter(category__startswith=category_prefix)
    cases = await query.order_by("created_at", "id").limit(MAX_CASES)
    groups = _Groups()
    for case in cases:
        groups.find(case.id)
        if case.duplicate_of_id is not None:
            groups.join(case.id, case.duplicate_of_id)
    buckets: dict[str, list[Case]] = {}
    for case in cases:
        key = _bucket(case)
        if key is not None and case.duplicate_of_id is None:
            buckets.setdefault(key, []).append(case)
    for members in buckets.values():
        words = [problem_words(c.text, Probe.of(c).place_names) for c in members]
        for i, a in enumerate(members):
            for j in range(i + 1, len(members)):
                b = members[j]
                if a.category.split("/")[0] != b.category.split("/")[0]:
                    continue
                if place_relation(Probe.of(a), Probe.of(b)) != "same":
                    continue
                if similarity(words[i], words[j]) >= tuning.HOT_ISSUE_SIMILARITY:
                    groups.join(a.id, b.id)
    grouped: dict[int, list[Case]] = {}
    for case in cases:
        grouped.setdefault(groups.find(case.id), []).append(case)
    issues = []
    for members in grouped.values():
        residents = {c.resident_id if c.resident_id is not None else -c.id for c in members}
        if len(residents) < min_residents:
            continue
        lead = next((c for c in members if c.duplicate_of_id is None), members[0])
        issues.append(
            HotIssue(
                title=lead.title,
                category=Counter(c.category for c in members).most_common(1)[0][0],
                place=_place(lead),
                cases=len(members),
                residents=len(residents),
                open_cases=sum(1 for c in members if CaseStatus(c.status).is_open),
                first_at=members[0].created_at,
                last_at=members[-1].created_at,
                numbers=tuple(c.number for c in members),
            )
        )
    issues.sort(key=lambda issue: (issue.residents, issue.cases, issue.last_at), reverse=True)
    return issues[:limit]
