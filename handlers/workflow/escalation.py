"""The deadline sweep: warn before a deadline, 督办 at the first miss, the unit head at the second.

The ladder itself (leads, who is told, texts) is data in ``config/escalation.py``. This module
finds the due work and climbs the ladder, exactly once per step, however many processes sweep
at the same time and however often they restart:

- Due work is found with range scans on the indexed deadline columns, paged by (deadline, id):
  warnings in (now, now + the longest lead], misses in (now - LOOK_BACK, now]. Looking back, not
  just at "now", is what makes a sweep after downtime handle everything that fell due meanwhile.
- Each step is one short transaction that starts by locking the case row with a version-guarded
  no-op UPDATE: a sweep that finds the case changed (a worker signed, another sweep escalated)
  skips it, and sweeps on the same case take turns. Inside the lock the step queues its notices
  through ``handlers.workflow.tasks.notify_worker`` with one unique outbox ``dedup_key`` per
  recipient (``warn:{case}:{clock}:{deadline}:{worker}``, ``escalate:{case}:{level}:{worker}``),
  skipping keys already queued, and records its one event only when a notice was new. A notice and
  its event commit together or not at all; a unique-key clash rolls the step back.
- The rungs are also state on the case: ``escalation_level`` (and the 督办 flag), written with the
  version-guarded :func:`handlers.timeline.apply_action`, so a rung with nobody to tell still
  happens once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from config import escalation as ladder_config
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.timeline import Actor, ConcurrentChange, apply_action, record_event
from handlers.workflow.tasks import notify_worker
from models import Case, CaseAction, CaseStatus, OutboxMessage, Unit, Worker, WorkerRole

logger = logging.getLogger(__name__)

S = CaseStatus


@dataclass(frozen=True)
class ClockRule:
    """One SLA clock: its deadline column, when it runs, and how to tell it was met late."""

    name: str
    due_column: str
    done_column: str
    statuses: frozenset[CaseStatus]  # the clock runs in these statuses ...
    also_running: Q | None = None  # ... and in these rows too
    also_runs: Callable[[Case], bool] | None = None  # (the same condition, in Python)

    def running(self) -> Q:
        query = Q(status__in=[status.value for status in self.statuses])
        return query | self.also_running if self.also_running is not None else query

    def runs(self, case: Case) -> bool:
        if CaseStatus(case.status) in self.statuses:
            return True
        return self.also_runs is not None and self.also_runs(case)

    def due(self, case: Case) -> datetime | None:
        value: datetime | None = getattr(case, self.due_column)
        return value

    def missed(self, case: Case, now: datetime) -> bool:
        """The deadline passed while the clock ran, or the step was done after it."""
        due = self.due(case)
        if due is None or due > now:
            return False
        if self.runs(case):
            return True
        done: datetime | None = getattr(case, self.done_column)
        return done is not None and done > due


CLOCK_RULES: dict[str, ClockRule] = {
    "sign": ClockRule("sign", "sign_due_at", "signed_at", frozenset({S.DISPATCHED})),
    "first_contact": ClockRule(
        "first_contact",
        "first_contact_due_at",
        "first_contact_at",
        frozenset({S.DISPATCHED, S.SIGNED}),
        also_running=Q(status=S.IN_PROGRESS.value, first_contact_at__isnull=True),
        also_runs=lambda case: case.status == S.IN_PROGRESS and case.first_contact_at is None,
    ),
    "completion": ClockRule(
        "completion",
        "completion_due_at",
        "completed_at",
        frozenset({S.DISPATCHED, S.SIGNED, S.CONTACTED, S.IN_PROGRESS}),
    ),
}


@dataclass
class SweepResult:
    """What one sweep did. ``more``: it stopped at its batch budget and work is still waiting."""

    warnings: int = 0  # warnings sent (one event each)
    supervised: int = 0  # rung 1: 督办 flag set, supervisors told
    escalated: int = 0  # rung 2: unit heads told
    notices: int = 0  # outbox rows queued
    skipped: int = 0  # steps another process did, or cases that changed meanwhile
    failed: int = 0  # steps that raised (logged; the next sweep tries again)
    more: bool = False

    @property
    def steps(self) -> int:
        return self.warnings + self.supervised + self.escalated


@dataclass(frozen=True)
class DeadlineWarning:
    clock: str
    due: datetime


@dataclass(frozen=True)
class Escalation:
    level: int
    clock: str
    due: datetime
    late_completion: bool = False  # the completion deadline passed by second_miss_after


Step = DeadlineWarning | Escalation


def ladder_for(case: Case) -> ladder_config.Ladder:
    return ladder_config.LADDERS.get(case.urgency, ladder_config.DEFAULT)


def lead(case: Case, clock: str) -> timedelta:
    return ladder_for(case).warn_before.get(clock, timedelta(0))


def plan_steps(case: Case, now: datetime) -> list[Step]:
    """The steps the ladder owes this case at ``now``, whether or not they were done already.

    Warnings are idempotent by their dedup keys; rungs above ``escalation_level`` are owed.
    """
    steps: list[Step] = []
    for name in ladder_config.CLOCKS:
        rule = CLOCK_RULES[name]
        due = rule.due(case)
        if due is not None and rule.runs(case) and now < due <= now + lead(case, name):
            steps.append(DeadlineWarning(name, due))
    missed = sorted(
        (
            (due, name)
            for name in ladder_config.CLOCKS
            if CLOCK_RULES[name].missed(case, now)
            and (due := CLOCK_RULES[name].due(case)) is not None
        ),
    )
    rungs: list[Escalation] = [Escalation(i + 1, name, due) for i, (due, name) in enumerate(missed)]
    completion = CLOCK_RULES["completion"]
    completion_due = completion.due(case)
    if (
        completion_due is not None
        and completion.runs(case)
        and completion_due + ladder_for(case).second_miss_after <= now
    ):
        rungs.append(Escalation(len(rungs) + 1, "completion", completion_due, True))
    steps.extend(
        rung for rung in rungs if case.escalation_level < rung.level <= ladder_config.TOP_LEVEL
    )
    return steps


def warning_key(case_id: int, clock: str, due: datetime, worker_id: int) -> str:
    return f"warn:{case_id}:{clock}:{due.astimezone(UTC):%Y%m%d%H%M}:{worker_id}"


def escalation_key(case_id: int, level: int, worker_id: int) -> str:
    return f"escalate:{case_id}:{level}:{worker_id}"


def _title(case: Case) -> str:
    return case.title or ladder_config.UNTITLED


def warning_text(case: Case, step: DeadlineWarning) -> str:
    return ladder_config.WARNING_TEXT.format(
        number=case.number,
        title=_title(case),
        clock=ladder_config.CLOCK_LABELS[step.clock],
        deadline=format_local(step.due),
        action=ladder_config.WARNING_ACTIONS[step.clock],
    )


def escalation_reason(step: Escalation, now: datetime) -> str:
    deadline = format_local(step.due)
    if step.late_completion:
        hours = int((now - step.due).total_seconds() // 3600)
        return ladder_config.LATE_COMPLETION_REASON.format(deadline=deadline, hours=hours)
    clock = ladder_config.CLOCK_LABELS[step.clock]
    return ladder_config.MISSED_REASON.format(clock=clock, deadline=deadline)


def escalation_text(case: Case, step: Escalation, unit: str, now: datetime) -> str:
    return ladder_config.ESCALATION_TEXTS[step.level].format(
        number=case.number, title=_title(case), reason=escalation_reason(step, now), unit=unit
    )


def _between(column: str, start: datetime, end: datetime) -> Q:
    """start < column <= end"""
    bounds: dict[str, Any] = {f"{column}__gt": start, f"{column}__lte": end}
    return Q(**bounds)


def _after(column: str, value: datetime, row_id: int) -> Q:
    """Rows after (value, row_id) in (column, id) order."""
    later: dict[str, Any] = {f"{column}__gt": value}
    same: dict[str, Any] = {column: value, "id__gt": row_id}
    return Q(**later) | Q(**same)


class _Skip(Exception):
    """The step has nothing new to do: another process did it, or the case changed."""


@dataclass
class _Sweep:
    ctx: HandlerContext
    budget: int
    result: SweepResult = field(default_factory=SweepResult)
    seen: set[int] = field(default_factory=set)
    workers: dict[int, Worker | None] = field(default_factory=dict)  # worker id -> worker
    unit_workers: dict[int, list[Worker]] = field(default_factory=dict)  # unit id -> active
    unit_names: dict[int, str] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.ctx.now

    @property
    def exhausted(self) -> bool:
        return self.result.steps >= self.budget

    # Finding due work

    def scans(self) -> list[tuple[str, Q]]:
        """(deadline column, filter) per scan: misses first (they matter more), then warnings."""
        now = self.now
        ladders = [*ladder_config.LADDERS.values(), ladder_config.DEFAULT]
        since = now - ladder_config.LOOK_BACK - max(x.second_miss_after for x in ladders)
        scans: list[tuple[str, Q]] = []
        for name in ladder_config.CLOCKS:
            rule = CLOCK_RULES[name]
            column = rule.due_column
            window = _between(column, since, now)
            owed = Q(escalation_level__lt=ladder_config.TOP_LEVEL)
            scans.append((column, rule.running() & window & owed))
        for name in ladder_config.CLOCKS:
            rule = CLOCK_RULES[name]
            column = rule.due_column
            longest = max(x.warn_before.get(name, timedelta(0)) for x in ladders)
            if longest <= timedelta(0):
                continue
            window = _between(column, now, now + longest)
            scans.append((column, rule.running() & window))
        return scans

    async def pages(self, column: str, where: Q) -> AsyncIterator[list[Case]]:
        """Rows in (deadline, id) order, a page at a time (keyset paging: no OFFSET)."""
        after: tuple[datetime, int] | None = None
        while True:
            query = Case.filter(where)
            if after is not None:
                query = query.filter(_after(column, *after))
            page = await query.order_by(column, "id").limit(self.budget)
            if not page:
                return
            yield page
            if len(page) < self.budget:
                return
            last = page[-1]
            after = (getattr(last, column), last.id)

    # Who is told

    async def load_people(self, cases: Sequence[Case]) -> None:
        worker_ids = {c.worker_id for c in cases if c.worker_id is not None} - set(self.workers)
        if worker_ids:
            found = {w.id: w for w in await Worker.filter(id__in=worker_ids)}
            for worker_id in worker_ids:
                self.workers[worker_id] = found.get(worker_id)
        unit_ids = {c.unit_id for c in cases if c.unit_id is not None} - set(self.unit_workers)
        if unit_ids:
            for unit_id in unit_ids:
                self.unit_workers[unit_id] = []
            for worker in await Worker.filter(unit_id__in=unit_ids, active=True).order_by("id"):
                if worker.unit_id is not None:
                    self.unit_workers[worker.unit_id].append(worker)
            for unit_id, name in await Unit.filter(id__in=unit_ids).values_list("id", "name"):
                self.unit_names[int(unit_id)] = str(name)

    def unit_staff(self, case: Case, roles: Sequence[str]) -> list[Worker]:
        if case.unit_id is None:
            return []
        wanted = {WorkerRole(role) for role in roles}
        return [w for w in self.unit_workers.get(case.unit_id, []) if w.role in wanted]

    def recipients(self, case: Case, step: Step) -> list[Worker]:
        if isinstance(step, Escalation):
            return self.unit_staff(case, ladder_config.LEVEL_ROLES.get(step.level, ()))
        worker = self.workers.get(case.worker_id) if case.worker_id is not None else None
        if worker is not None and worker.active:
            return [worker]
        return self.unit_staff(case, ladder_config.WARN_FALLBACK_ROLES)

    def keys(self, case: Case, step: Step) -> dict[int, str]:
        """Recipient id -> dedup key of their notice for this step."""
        people = self.recipients(case, step)
        if isinstance(step, Escalation):
            return {w.id: escalation_key(case.id, step.level, w.id) for w in people}
        return {w.id: warning_key(case.id, step.clock, step.due, w.id) for w in people}

    # Doing the work

    async def run(self) -> SweepResult:
        for column, where in self.scans():
            async for page in self.pages(column, where):
                await self.handle_page(page)
                if self.exhausted:
                    self.result.more = True
                    return self.result
        return self.result

    async def handle_page(self, page: Sequence[Case]) -> None:
        fresh = [case for case in page if case.id not in self.seen]
        self.seen.update(case.id for case in fresh)
        plans = [(case, steps) for case in fresh if (steps := plan_steps(case, self.now))]
        if not plans:
            return
        await self.load_people([case for case, _ in plans])
        # One query tells which notices exist already, so finished steps cost no transaction.
        wanted = [
            key for case, steps in plans for step in steps for key in self.keys(case, step).values()
        ]
        queued: set[str] = set()
        if wanted:
            found = await OutboxMessage.filter(dedup_key__in=wanted).values_list("dedup_key")
            queued = {str(key) for (key,) in found}
        for case, steps in plans:
            if self.exhausted:
                return
            await self.handle_case(case, steps, queued)

    async def handle_case(self, case: Case, steps: Sequence[Step], queued: set[str]) -> None:
        for step in steps:
            keys = self.keys(case, step)
            if keys and set(keys.values()) <= queued:
                # Told before (by an earlier sweep, or before escalation_level was reset).
                if isinstance(step, Escalation):
                    return
                continue
            if isinstance(step, DeadlineWarning) and not keys:
                logger.debug("case %s: nobody to warn about %s", case.number, step.clock)
                continue
            try:
                await self.do_step(case, step)
            except _Skip as exc:
                logger.debug("case %s: %s skipped: %s", case.number, step, exc)
                self.result.skipped += 1
                if isinstance(step, Escalation):
                    return  # a higher rung waits for this one
            except (ConcurrentChange, IntegrityError) as exc:
                # Another process did this step, or the case moved: the next sweep reads it anew.
                logger.debug("case %s: %s skipped: %r", case.number, step, exc)
                self.result.skipped += 1
                return
            except Exception:
                logger.exception(
                    "case %s: %s failed; the next sweep tries again", case.number, step
                )
                self.result.failed += 1
                return

    async def do_step(self, case: Case, step: Step) -> None:
        now = self.now
        people = self.recipients(case, step)
        keys = self.keys(case, step)
        unit = self.unit_names.get(case.unit_id, "") if case.unit_id is not None else ""
        if isinstance(step, DeadlineWarning):
            text = warning_text(case, step)
            purpose = ladder_config.WARNING_PURPOSE
        else:
            text = escalation_text(case, step, unit or ladder_config.NO_UNIT, now)
            purpose = ladder_config.ESCALATION_PURPOSE
        async with in_transaction():
            # Lock the row (no-op write, guarded by version): concurrent sweeps take turns on a
            # case, and one that finds it changed since it was read leaves it to the next sweep.
            locked = await Case.filter(id=case.id, version=case.version).update(
                version=F("version")
            )
            if not locked:
                raise ConcurrentChange(f"case {case.number} changed since the sweep read it")
            told: list[int] = []
            for worker in people:
                key = keys[worker.id]
                if await OutboxMessage.exists(dedup_key=key):
                    continue
                await notify_worker(
                    worker, text, self.ctx, purpose=purpose, case_id=case.id, dedup_key=key
                )
                told.append(worker.id)
            if people and not told:
                raise _Skip("every notice of this step was queued already")
            await self.record(case, step, told, text)
        self.result.notices += len(told)
        if isinstance(step, DeadlineWarning):
            self.result.warnings += 1
        elif step.level == 1:
            self.result.supervised += 1
        else:
            self.result.escalated += 1
        logger.info(
            "case %s: %s, told %d worker(s)",
            case.number,
            f"{step.clock} warning"
            if isinstance(step, DeadlineWarning)
            else f"escalation {step.level}",
            len(told),
            extra={"case": case.number},
        )

    async def record(self, case: Case, step: Step, told: list[int], text: str) -> None:
        system = Actor.system()
        if isinstance(step, DeadlineWarning):
            data: dict[str, Any] = {
                "kind": "deadline_warning",
                "clock": step.clock,
                "due_at": step.due.isoformat(),
                "to": told,
            }
            label = ladder_config.CLOCK_LABELS[step.clock]
            note = f"{label}期限 {format_local(step.due)} 将至，已提醒承办人"
            await record_event(
                case,
                CaseAction.ANNOTATE,
                system,
                self.now,
                from_status=None,
                to_status=None,
                note=note,
                data=data,
            )
            return
        data = {
            "kind": "escalation",
            "level": step.level,
            "clock": step.clock,
            "due_at": step.due.isoformat(),
            "late_completion": step.late_completion,
            "to": told,
        }
        reason = escalation_reason(step, self.now)
        if step.level == 1:
            await apply_action(
                case,
                CaseAction.SUPERVISE,
                system,
                self.now,
                note=f"{reason}，列入督办",
                data=data,
                changes={"supervised": True, "escalation_level": 1},
            )
        else:
            await apply_action(
                case,
                CaseAction.ANNOTATE,
                system,
                self.now,
                note=f"{reason}，已报单位负责人",
                data=data,
                changes={"escalation_level": step.level},
            )
        if not told:
            logger.warning(
                "case %s: escalation %d with nobody to tell (unit %s has no %s)",
                case.number,
                step.level,
                case.unit_id,
                "/".join(ladder_config.LEVEL_ROLES.get(step.level, ())),
                extra={"case": case.number},
            )


async def sweep_deadlines(ctx: HandlerContext, *, batch: int = 200) -> SweepResult:
    """Warn, flag and escalate everything due at ``ctx.now``: at most ``batch`` steps.

    Safe to run in every process at once and to repeat: each step happens once. When the result
    says ``more``, call again (the scheduler job does) to work through a backlog.
    """
    if batch <= 0:
        raise ValueError("batch must be positive")
    return await _Sweep(ctx, batch).run()


async def sweep_until_done(
    context: Callable[[], Awaitable[HandlerContext]],
    *,
    batch: int = 200,
    max_rounds: int = 50,
) -> SweepResult:
    """Sweep again while a sweep stops at its budget (a backlog after downtime), a fresh context
    (and ``now``) each round; at most ``max_rounds``, the rest waits for the next interval."""
    total = SweepResult()
    for _ in range(max_rounds):
        result = await sweep_deadlines(await context(), batch=batch)
        for name in ("warnings", "supervised", "escalated", "notices", "skipped", "failed"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        total.more = result.more
        if not result.more:
            break
    if total.steps or total.failed:
        logger.info(
            "deadline sweep: %d warnings, %d 督办, %d second escalations, %d skipped, %d failed",
            total.warnings,
            total.supervised,
            total.escalated,
            total.skipped,
            total.failed,
        )
    return total
