"""Expiry reminders: before a published entry's ``valid_until``, its unit hears of it.

``knowledge_reminder_days`` (default 14) before the last valid day - or at once for an entry
published that close to it, or already past it - the unit's head, its supervisors and the
workers with a supervisor's or head's role get one message (``config.knowledge.EXPIRY_REMINDER``).
A unit with none of these gets it at its staff. Once per entry version: the sweep claims the
entry by a conditional update of ``expiry_reminded_version``, so two processes never both send
it, and an edit (a new version, perhaps a new date) is reminded afresh when due.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.transactions import in_transaction

from config import knowledge as texts
from handlers.clock import local
from handlers.context import HandlerContext
from handlers.workflow.tasks import notify_worker
from models import EntryStatus, KnowledgeEntry, Unit, UnitSupervisor, Worker, WorkerRole

logger = logging.getLogger(__name__)

HEAD_ROLES = (WorkerRole.SUPERVISOR, WorkerRole.UNIT_HEAD)
BATCH = 200


async def recipients(unit: Unit) -> list[Worker]:
    """Who hears of the unit's expiring entries."""
    ids: dict[int, None] = {}
    if unit.head_id is not None:
        ids[unit.head_id] = None
    for link in await UnitSupervisor.filter(unit_id=unit.id).order_by("id"):
        ids[link.worker_id] = None
    for worker in await Worker.filter(unit_id=unit.id, role__in=list(HEAD_ROLES)).order_by("id"):
        ids[worker.id] = None
    people = await Worker.filter(id__in=list(ids), active=True).order_by("id") if ids else []
    if not people:
        people = await Worker.filter(
            unit_id=unit.id, role=WorkerRole.UNIT_STAFF, active=True
        ).order_by("id")
    return list(people)


def reminder_key(entry: KnowledgeEntry, worker: Worker) -> str:
    return f"kb-expiry:{entry.id}:{entry.version}:{worker.id}"


async def sweep_expiring_entries(ctx: HandlerContext) -> int:
    """Remind the units of entries about to expire; how many messages were queued here."""
    today = local(ctx.now).date()
    horizon = today + timedelta(days=ctx.settings.knowledge_reminder_days)
    due = (
        await KnowledgeEntry.filter(
            status=EntryStatus.PUBLISHED, valid_until__not_isnull=True, valid_until__lte=horizon
        )
        .order_by("valid_until", "id")
        .limit(BATCH * 5)
    )
    owed = [entry for entry in due if entry.expiry_reminded_version != entry.version][:BATCH]
    queued = 0
    for entry in owed:
        async with in_transaction():
            claimed = await KnowledgeEntry.filter(
                id=entry.id,
                version=entry.version,
                expiry_reminded_version=entry.expiry_reminded_version,
            ).update(expiry_reminded_version=entry.version)
            if not claimed:
                continue  # another process, or an edit in between
            unit = await Unit.get_or_none(id=entry.unit_id) if entry.unit_id else None
            if unit is None:
                logger.info("knowledge entry %s expires without an owner unit", entry.code)
                continue
            until = entry.valid_until
            assert until is not None
            text = texts.EXPIRY_REMINDER.format(
                unit=unit.name,
                question=entry.question[:40],
                code=entry.code,
                until=f"{until.year}年{until.month}月{until.day}日",
            )
            for worker in await recipients(unit):
                await notify_worker(
                    worker,
                    text,
                    ctx,
                    purpose="knowledge_expiry",
                    dedup_key=reminder_key(entry, worker),
                )
                queued += 1
    if queued:
        logger.info("knowledge expiry reminders queued: %d", queued)
    return queued
