"""The sweep jobs every jiesu process runs (``jiesu serve`` and ``jiesu worker`` alike).

Fixed ids, one interval each, each a sweep over rows that any number of processes may run at
once. Each runs once at start too, so whatever fell due while the service was down is handled as
soon as it is back, not an interval later.

=====================  ====================================  ==================================
id                     what                                  every
=====================  ====================================  ==================================
recover_inbound        re-run messages whose work died       inbound_recovery_seconds / 3
sweep_deadlines        warnings, 督办, second misses          escalation_sweep_seconds
sweep_due_surveys      ask, remind, close survey rounds;     followup_sweep_seconds
                       field visits past due reported
sweep_digests          the working-morning digest            digest_sweep_seconds
sweep_month_close      close last month's figures, send its  digest_sweep_seconds
                       ranking to the district's heads
sweep_knowledge_expiry remind units of entries about to     digest_sweep_seconds
                       expire (knowledge base)
sweep_broadcasts       start, fan out and complete notices   broadcast_sweep_seconds
sweep_hot_warnings     早期预警: places and topics whose     config.hot_warnings.SWEEP_SECONDS
                       volume jumped, told once              (hourly)
sweep_retention        personal data of long-closed cases    retention_sweep_seconds
                       (only when retention_days > 0)
sweep_hot_links        link new cases to the open governance config.hot_items
                       items they match (the ones the          LINK_SWEEP_SECONDS
                       intake's background linking missed)
=====================  ====================================  ==================================
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from config import hot_items as hot_item_texts
from config import hot_warnings
from config.settings import Settings
from handlers.broadcasts.delivery import BroadcastSweepResult, sweep_broadcasts
from handlers.context import HandlerContext
from handlers.followup.digest import sweep_digests
from handlers.followup.field_visit_overdue import sweep_overdue_field_visits
from handlers.followup.month_close import sweep_month_close
from handlers.followup.surveys import FollowupResult, sweep_due_surveys
from handlers.hot.item_cache import OpenItems
from handlers.hot.linking import LinkCursor, sweep_links
from handlers.hot.warnings import WarningSweepResult, sweep_hot_warnings
from handlers.knowledge.reminders import sweep_expiring_entries
from handlers.residents.media_store import LocalMediaStore
from handlers.residents.retention import RetentionResult, sweep_retention
from handlers.workflow.escalation import sweep_until_done
from scheduler.runner import SweepJob

logger = logging.getLogger(__name__)

RECOVER_INBOUND_JOB = "recover_inbound"
DEADLINE_SWEEP_JOB = "sweep_deadlines"
SURVEY_SWEEP_JOB = "sweep_due_surveys"
DIGEST_SWEEP_JOB = "sweep_digests"
MONTH_CLOSE_JOB = "sweep_month_close"
BROADCAST_SWEEP_JOB = "sweep_broadcasts"
RETENTION_SWEEP_JOB = "sweep_retention"
KNOWLEDGE_EXPIRY_JOB = "sweep_knowledge_expiry"
HOT_WARNING_JOB = "sweep_hot_warnings"
HOT_LINK_SWEEP_JOB = "sweep_hot_links"

ContextFactory = Callable[[], Awaitable[HandlerContext]]


async def surveys_until_done(
    context: ContextFactory, *, batch: int = 200, max_rounds: int = 50
) -> FollowupResult:
    """Sweep again while a sweep stops at its batch (a backlog after downtime), with a fresh
    ``now`` each round; at most ``max_rounds``, the rest waits for the next interval."""
    total = FollowupResult()
    for _ in range(max_rounds):
        result = await sweep_due_surveys(await context(), batch=batch)
        total.add(result)
        if not result.more:
            break
    total.more = result.more
    if total.steps or total.failed:
        logger.info(
            "survey sweep: %d asked, %d unreachable, %d skipped, %d reminded, %d closed, "
            "%d taken by other processes, %d failed",
            total.asked,
            total.unreachable,
            total.skipped,
            total.reminded,
            total.closed,
            total.lost_races,
            total.failed,
        )
    return total


async def digests(context: ContextFactory) -> int:
    return await sweep_digests(await context())


async def broadcasts_until_done(
    context: ContextFactory, *, max_rounds: int = 20
) -> BroadcastSweepResult:
    """Sweep again (with a fresh ``now``) while a fan-out stopped at its step limit."""
    total = BroadcastSweepResult()
    for _ in range(max_rounds):
        result = await sweep_broadcasts(await context())
        total.add(result)
        if not result.more:
            break
    if total.steps or total.failed:
        logger.info(
            "broadcast sweep: %d started, %d batches (%d deliveries), %d done, "
            "%d taken by other processes, %d failed",
            total.started,
            total.batches,
            total.rows,
            total.completed,
            total.lost_races,
            total.failed,
        )
    return total


async def hot_warnings_sweep(context: ContextFactory) -> WarningSweepResult:
    result = await sweep_hot_warnings(await context())
    if result.warned or result.lost_races:
        logger.info(
            "hot warning sweep: %d jumps, %d warned (%d people told), %d told before, "
            "%d taken by other processes",
            result.jumps,
            result.warned,
            result.told,
            result.already,
            result.lost_races,
        )
    return result


async def retention(context: ContextFactory) -> RetentionResult:
    ctx = await context()
    store = LocalMediaStore(ctx.settings.upload_dir)
    return await sweep_retention(ctx.settings.retention_days, ctx.now, store)


def sweep_jobs(
    settings: Settings, context: ContextFactory, recover: Callable[[], Awaitable[object]]
) -> list[SweepJob]:
    async def deadlines() -> object:
        return await sweep_until_done(context)

    async def followups() -> object:
        result = await surveys_until_done(context)
        overdue = await sweep_overdue_field_visits(await context())
        if overdue.reminded:
            logger.info(
                "field visits past due: %d reported to %d people", overdue.reminded, overdue.told
            )
        return result

    async def digest() -> object:
        return await digests(context)

    async def month_close() -> object:
        return await sweep_month_close(await context())

    async def knowledge_expiry() -> object:
        return await sweep_expiring_entries(await context())

    async def notices() -> object:
        return await broadcasts_until_done(context)

    async def warnings() -> object:
        return await hot_warnings_sweep(context)

    async def personal_data() -> object:
        return await retention(context)

    open_items, cursor = OpenItems(), LinkCursor()

    async def hot_links() -> object:
        return await sweep_links((await context()).now, open_items, cursor)

    jobs = [
        SweepJob(RECOVER_INBOUND_JOB, recover, max(settings.inbound_recovery_seconds / 3, 1.0)),
        SweepJob(DEADLINE_SWEEP_JOB, deadlines, settings.escalation_sweep_seconds),
        SweepJob(SURVEY_SWEEP_JOB, followups, settings.followup_sweep_seconds),
        SweepJob(DIGEST_SWEEP_JOB, digest, settings.digest_sweep_seconds),
        SweepJob(MONTH_CLOSE_JOB, month_close, settings.digest_sweep_seconds),
        SweepJob(KNOWLEDGE_EXPIRY_JOB, knowledge_expiry, settings.digest_sweep_seconds),
        SweepJob(BROADCAST_SWEEP_JOB, notices, settings.broadcast_sweep_seconds),
        SweepJob(HOT_WARNING_JOB, warnings, hot_warnings.SWEEP_SECONDS),
        SweepJob(HOT_LINK_SWEEP_JOB, hot_links, hot_item_texts.LINK_SWEEP_SECONDS),
    ]
    if settings.retention_days > 0:
        jobs.append(SweepJob(RETENTION_SWEEP_JOB, personal_data, settings.retention_sweep_seconds))
    return jobs
