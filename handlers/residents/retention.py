"""Retention: the personal fields and photos of cases closed long ago are removed by a sweep.

``JIESU_RETENTION_DAYS`` (0, the default, keeps everything) names how long after a case closed
its personal data is kept. A case is closed when it is 已回访, 已归档, 已撤销, 不予受理 or 已并案;
it closed at ``closed_at`` (撤销, 不予受理), else at its 办结 (``completed_at``), else at its last
change. Each sweep takes up to ``batch`` such cases not yet anonymised, oldest id first, and
anonymises each (``handlers.residents.anonymise``: the case stays for the figures); it goes on
while a batch came back full, at most ``max_rounds`` batches, and logs what it did. A case
anonymised is marked (``anonymised_at``) and never taken again, so the sweep is idempotent and
safe to run in every process (two processes on one case: one marks it, the other's work is the
same removal again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from handlers.residents.anonymise import anonymise_case
from handlers.residents.media_store import MediaStore
from models import Case, CaseStatus

logger = logging.getLogger(__name__)

CLOSED = [
    CaseStatus.VISITED.value,
    CaseStatus.ARCHIVED.value,
    CaseStatus.CANCELLED.value,
    CaseStatus.INVALID.value,
    CaseStatus.MERGED.value,
]


@dataclass
class RetentionResult:
    cases: int = 0  # cases anonymised
    photos: int = 0  # photos removed
    more: bool = False  # stopped at max_rounds with work still waiting


def closed_before(cutoff: datetime) -> Q:
    return Q(status__in=CLOSED, anonymised_at__isnull=True) & (
        Q(closed_at__lt=cutoff)
        | Q(closed_at__isnull=True, completed_at__lt=cutoff)
        | Q(closed_at__isnull=True, completed_at__isnull=True, updated_at__lt=cutoff)
    )


async def sweep_retention(
    days: int,
    now: datetime,
    store: MediaStore | None,
    *,
    batch: int = 200,
    max_rounds: int = 50,
) -> RetentionResult:
    """Anonymise the cases closed more than ``days`` ago (nothing when ``days`` is 0)."""
    result = RetentionResult()
    if days <= 0:
        return result
    cutoff = now - timedelta(days=days)
    for _ in range(max_rounds):
        cases = await Case.filter(closed_before(cutoff)).order_by("id").limit(batch)
        for case in cases:
            photos = await anonymise_case(case, store, now)
            if case.anonymised_at == now:
                result.cases += 1
                result.photos += photos
        result.more = len(cases) == batch
        if not result.more:
            break
    if result.cases:
        logger.info(
            "retention sweep: %d cases closed before %s anonymised, %d photos removed",
            result.cases,
            cutoff.date().isoformat(),
            result.photos,
        )
    return result
