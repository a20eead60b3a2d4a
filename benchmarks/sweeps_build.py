"""Building the sweeps benchmark's database: ``Builder`` makes every row of the big tables (a
year of cases, their residents, survey rounds and outbox history, in the state a service that
has been sweeping all along leaves, plus the work planted for each tick) and ``build`` copies
them in with COPY, then VACUUM ANALYZE and CHECKPOINT.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import asyncpg

from benchmarks.seeding import copy_rows, sync_sequences, with_ids
from benchmarks.sweeps_data import (
    ANSWERS,
    ARCHIVE_AFTER,
    ASKS_OUTSIDE_WINDOW,
    ASKS_PER_TICK,
    CASE_COLUMNS,
    CLOSES_PER_TICK,
    DAY,
    DEADLINE_TICK_SECONDS,
    DIFFICULT_COMPLETION,
    HISTORY_PAYLOAD,
    HOUR,
    KIND_LIMITS,
    KINDS,
    KINDS_REST,
    MINUTE,
    MISSES_PER_TICK,
    OUTBOX_COLUMNS,
    REMINDERS_PER_TICK,
    RESIDENT_COLUMNS,
    RESIDENTS_PER_CASE,
    S_ANSWERED,
    S_REMINDED,
    S_SCHEDULED,
    S_SENT,
    S_SKIPPED,
    S_UNRATED,
    S_UNREACHABLE,
    SHANGHAI_OFFSET,
    SKIP_REASONS,
    STATE_NAMES,
    SURVEY_COLUMNS,
    SURVEY_TICK_SECONDS,
    TOPICS,
    UNREACHABLE_REASON,
    URGENT_LIMITS,
    WARNINGS_PER_TICK,
    WORKER_PAYLOAD,
    YEAR,
    CaseFacts,
    District,
    GridInfo,
    Timeline,
    as_dt,
    dt,
    next_morning,
    openid,
    outbox_row,
    progress,
    resident_row,
    survey_row,
)
from config import escalation as ladder_config
from handlers.workflow.escalation import CLOCK_RULES, Escalation, lead, plan_steps, warning_key
from models import Case


class Builder:
    """Every row of the big tables, generated in the order they are copied."""

    def __init__(self, cases: int, timeline: Timeline, district: District, seed: int) -> None:
        self.tl = timeline
        self.district = district
        self.rng = random.Random(seed)
        self.t0_dt = dt(timeline.t0)
        self.warn_until = dt(timeline.deadline_ticks[-1])
        self.main_residents = max(100, int(cases * RESIDENTS_PER_CASE))
        self.planted_survey_cases = timeline.ticks * (
            ASKS_PER_TICK + REMINDERS_PER_TICK + CLOSES_PER_TICK
        )
        self.planted_deadline_cases = timeline.ticks * (MISSES_PER_TICK + WARNINGS_PER_TICK)
        self.main_cases = cases - self.planted_survey_cases - self.planted_deadline_cases
        if self.main_cases < 1000:
            raise SystemExit(f"--cases must be at least {cases - self.main_cases + 1000}")
        self.numbers: Counter[int] = Counter()  # local day -> cases numbered that day
        self.prefixes: dict[int, str] = {}
        # Survey rounds of the background cases, compact: one entry per round.
        self.s_case = array("q")
        self.s_resident = array("q")  # 0 = no resident
        self.s_state = array("b")
        self.s_due = array("d")
        self.s_answered = array("d")  # answered_at, or -1
        self.s_extra = array("b")  # answer index, or skip reason index
        # Rows written as they are found: planted rounds, warnings already sent.
        self.planted_surveys: list[tuple[Any, ...]] = []
        self.planted_residents: list[tuple[int, float]] = []  # (id, last_message_at)
        self.outbox_rows: list[tuple[Any, ...]] = []  # (columns of OUTBOX_COLUMNS but id)
        self.open_cases = 0
        self.expected: dict[str, int] = {}

    # numbers and small pieces

    def number(self, created: float) -> str:
        day = math.floor((created + SHANGHAI_OFFSET) / DAY)
        prefix = self.prefixes.get(day)
        if prefix is None:
            prefix = datetime.fromtimestamp(day * DAY, UTC).strftime("%y%m%d")
            self.prefixes[day] = prefix
        self.numbers[day] += 1
        return f"{prefix}{self.numbers[day]:04d}"

    def kind(self, r: float) -> str:
        for name, upto in KINDS:
            if r < upto:
                return name
        for name, upto in KINDS_REST:
            if r < upto:
                return name
        return "complaint"

    def case_record(self, c: CaseFacts) -> tuple[Any, ...]:
        grid = c.grid
        topic = c.topic
        closed_or_now = c.closed or c.completed or c.first_contact or c.signed or c.created
        return (
            c.id,
            self.number(c.created),
            "mp",
            c.status,
            c.kind,
            0.9,
            topic.category,
            0.8,
            "急" if c.urgent else "一般",
            '["漏水"]' if c.urgent else "[]",
            c.difficult,
            topic.title,
            "[]",
            topic.text,
            "[]",
            grid.compound if grid else None,
            grid.street if grid else None,
            grid.compound if grid else None,
            grid.lng if grid else None,
            grid.lat if grid else None,
            c.level > 0,
            0,
            0,
            c.level,
            as_dt(c.sign_due),
            as_dt(c.fc_due),
            as_dt(c.comp_due),
            as_dt(c.survey_due),
            dt(c.created),
            dt(closed_or_now),
            as_dt(c.dispatched),
            as_dt(c.signed),
            as_dt(c.first_contact),
            as_dt(c.completed),
            as_dt(c.closed),
            topic.result if c.completed else "",
            c.version,
            c.duplicate_of,
            grid.id if grid else None,
            c.resident_id,
            c.unit_id,
            c.worker_id,
            "[]",
        )

    # residents

    def residents(self) -> Iterator[tuple[Any, ...]]:
        rnd = self.rng.random
        t0 = self.tl.t0
        for rid in range(1, self.main_residents + 1):
            created = t0 - YEAR - 30 * DAY + rnd() * YEAR
            subscribed = rnd() > 0.05
            last = created + rnd() * (t0 - 3 * DAY - created)
            yield resident_row(rid, last, created, subscribed=subscribed, opt_out=rnd() < 0.01)
        for rid, last in self.planted_residents:
            yield resident_row(rid, last, last - 30 * DAY)

    # cases

    def cases(self) -> Iterator[tuple[Any, ...]]:
        span = YEAR / self.main_cases
        start = self.tl.t0 - YEAR
        rnd = self.rng.random
        for i in range(self.main_cases):
            created = start + (i + rnd()) * span
            yield self.case_record(self.background_case(i + 1, created))
        yield from self.planted_cases()

    def background_case(self, case_id: int, created: float) -> CaseFacts:
        rng = self.rng
        rnd = rng.random
        t0 = self.tl.t0
        c = CaseFacts(case_id, created, kind=self.kind(rnd()))
        c.urgent = rnd() < 0.06
        c.difficult = not c.urgent and rnd() < 0.05
        limits = URGENT_LIMITS if c.urgent else KIND_LIMITS[c.kind]
        completion_limit = DIFFICULT_COMPLETION if c.difficult else limits.completion
        c.resident_id = None if rnd() < 0.02 else int(rnd() * self.main_residents) + 1
        grids = self.district.grids
        c.grid = grid = grids[int(rnd() * len(grids))]
        c.topic = topic = TOPICS[int(rnd() * len(TOPICS))]
        fate = rnd()
        if fate < 0.02 and case_id > 2000:  # 已并案: joined an earlier open case
            c.status = "merged"
            c.duplicate_of = case_id - 1 - int(rnd() * 1500)
            return c
        dispatched = created + rnd() * 10 * MINUTE
        if dispatched > t0:
            self.open_cases += 1
            return c  # still 受理
        c.unit_id = self.district.units[topic.unit] if topic.unit else grid.unit_id
        c.worker_id = None if topic.unit else grid.worker_id
        c.dispatched = dispatched
        c.sign_due = dispatched + limits.sign
        c.fc_due = dispatched + limits.first_contact
        c.comp_due = dispatched + completion_limit
        c.version = 1
        if fate < 0.05:  # 撤销 before anybody signed
            cancelled = created + 10 * MINUTE + rnd() * 3 * HOUR
            if cancelled <= t0:
                c.status, c.closed, c.version = "cancelled", cancelled, 2
                return c
            return self.settle_open(c, "dispatched")
        late = rnd() < 0.05
        signed = dispatched + limits.sign * (1.05 + rnd() if late else 0.05 + 0.85 * rnd())
        if rnd() < 0.05:
            first_contact = c.fc_due + rnd() * 0.5 * limits.first_contact
        else:
            room = max(c.fc_due - signed, 0.1 * limits.first_contact)
            first_contact = signed + room * (0.1 + 0.8 * rnd())
        if rnd() < 0.03:
            duration = completion_limit * (1.0 + 0.5 * rnd())
        else:
            duration = min(rng.expovariate(1 / (0.12 * completion_limit)), completion_limit)
        completed = max(first_contact + 10 * MINUTE, dispatched + duration)
        if t0 < signed:
            return self.settle_open(c, "dispatched")
        c.signed = signed
        if t0 < first_contact:
            return self.settle_open(c, "signed")
        c.first_contact = first_contact
        if t0 < completed:
            return self.settle_open(c, "contacted" if t0 < first_contact + HOUR else "in_progress")
        c.completed = completed
        misses = (signed > c.sign_due) + (first_contact > c.fc_due) + (completed > c.comp_due)
        c.level = min(misses, ladder_config.TOP_LEVEL)
        c.version = 5 + c.level
        self.survey_round(c)
        return c

    def survey_round(self, c: CaseFacts) -> None:
        """The case's round after 办结, as the sweep would have left it by the anchor."""
        rnd = self.rng.random
        t0 = self.tl.t0
        completed = cast(float, c.completed)
        due = next_morning(completed)
        c.survey_due = due
        answered = -1.0
        extra = 0
        c.status = "completed"
        if due > t0:
            state = S_SCHEDULED
        elif c.resident_id is None:
            state, extra = S_SKIPPED, 0
        elif (r := rnd()) < 0.04:
            state, extra = S_SKIPPED, 1 + int(r * 50) % 2
        elif r < 0.16:
            state = S_UNREACHABLE
        else:
            reminder, closes = due + DAY, due + 3 * DAY
            at = due + self.rng.expovariate(1 / (8 * HOUR)) if rnd() < 0.75 else closes
            if at < closes and at <= t0:
                state, answered, extra = S_ANSWERED, at, int(rnd() < 0.15)
            elif closes <= t0:
                state = S_UNRATED
            elif reminder <= t0:
                state = S_REMINDED
            else:
                state = S_SENT
            if state in (S_ANSWERED, S_UNRATED):
                c.status, c.closed, c.version = "visited", min(at, closes), c.version + 1
        finished = c.closed or due
        if (c.status != "completed" or state in (S_SKIPPED, S_UNREACHABLE)) and (
            t0 - finished > ARCHIVE_AFTER
        ):
            c.status, c.closed, c.version = "archived", finished + 7 * DAY, c.version + 1
        if not self.tl.in_band(due):
            self.s_case.append(c.id)
            self.s_resident.append(c.resident_id or 0)
            self.s_state.append(state)
            self.s_due.append(due)
            self.s_answered.append(answered)
            self.s_extra.append(extra)

    def settle_open(self, c: CaseFacts, status: str) -> CaseFacts:
        """An open case in steady state: deadlines that passed are escalated, due warnings sent.

        The case's deadlines are kept out of the sweeps' band so that it brings no new work."""
        self.open_cases += 1
        c.status = status
        c.version = {"dispatched": 1, "signed": 2, "contacted": 3, "in_progress": 4}[status]
        second_miss = ladder_config.LADDERS.get("急" if c.urgent else "一般", ladder_config.DEFAULT)
        later = second_miss.second_miss_after.total_seconds()
        shift = self.tl.band[1] - self.tl.band[0] + MINUTE
        for name in ("sign_due", "fc_due", "comp_due"):
            value = getattr(c, name)
            while value is not None and (
                self.tl.in_band(value) or (name == "comp_due" and self.tl.in_band(value + later))
            ):
                value += shift
            setattr(c, name, value)
        ns = c.as_case()
        steps = plan_steps(cast(Case, ns), self.t0_dt)
        level = max((s.level for s in steps if isinstance(s, Escalation)), default=0)
        if level > c.level:
            c.version += level - c.level
            c.level = level
        ns.escalation_level = c.level
        self.prewarn(c, ns)
        return c

    def prewarn(self, c: CaseFacts, ns: SimpleNamespace) -> None:
        """Outbox rows of the warnings a sweep would send before the last tick (sent already)."""
        people = [c.worker_id] if c.worker_id else self.district.unit_staff.get(c.unit_id or 0, [])
        case = cast(Case, ns)
        for name in ladder_config.CLOCKS:
            rule = CLOCK_RULES[name]
            due = rule.due(case)
            if due is None or not rule.runs(case):
                continue
            if self.t0_dt < due <= self.warn_until + lead(case, name):
                warned = due.timestamp() - lead(case, name).total_seconds()
                for worker_id in people:
                    self.outbox_rows.append(
                        outbox_row(
                            "work_app",
                            f"worker:{worker_id}",
                            WORKER_PAYLOAD,
                            ladder_config.WARNING_PURPOSE,
                            warning_key(c.id, name, due, worker_id),
                            c.id,
                            max(warned, self.tl.t0 - HOUR),
                        )
                    )

    # the planted work

    def plan_planted(self) -> None:
        """Residents of the planted survey rounds (before the residents are written)."""
        rid = self.main_residents
        for tick in self.tl.survey_ticks:
            for j in range(ASKS_PER_TICK + REMINDERS_PER_TICK + CLOSES_PER_TICK):
                rid += 1
                outside = ASKS_PER_TICK - ASKS_OUTSIDE_WINDOW <= j < ASKS_PER_TICK
                self.planted_residents.append((rid, tick - (5 * DAY if outside else 2 * HOUR)))
        n = self.tl.ticks
        self.expected = {
            "asked": n * (ASKS_PER_TICK - ASKS_OUTSIDE_WINDOW),
            "unreachable": n * ASKS_OUTSIDE_WINDOW,
            "reminded": n * REMINDERS_PER_TICK,
            "closed": n * CLOSES_PER_TICK,
            "warnings": n * WARNINGS_PER_TICK,
            "supervised": n * MISSES_PER_TICK,
        }

    def planted_cases(self) -> Iterator[tuple[Any, ...]]:
        case_id = self.main_cases
        residents = iter(rid for rid, _ in self.planted_residents)
        grids = self.district.grids
        step = SURVEY_TICK_SECONDS
        for k, tick in enumerate(self.tl.survey_ticks):
            jobs = (
                ["ask"] * ASKS_PER_TICK
                + ["remind"] * REMINDERS_PER_TICK
                + ["close"] * CLOSES_PER_TICK
            )
            for n, job in enumerate(jobs):
                case_id += 1
                at = tick - step + (n + 1) / (len(jobs) + 1) * step  # falls due in this tick
                sent = {"ask": at, "remind": at - DAY, "close": at - 3 * DAY}[job]
                grid = grids[(k + n) % len(grids)]
                c = self.finished_case(case_id, next(residents), grid, sent - DAY)
                c.survey_due = sent
                yield self.case_record(c)
                self.planted_surveys.append(self.planted_round(c, job, at))
        for k, tick in enumerate(self.tl.deadline_ticks):
            for j in range(MISSES_PER_TICK + WARNINGS_PER_TICK):
                case_id += 1
                at = tick - DEADLINE_TICK_SECONDS + (j + 1) / 8 * DEADLINE_TICK_SECONDS
                grid = grids[(k * 7 + j) % len(grids)]
                resident = int(self.rng.random() * self.main_residents) + 1
                c = CaseFacts(case_id, 0.0, grid=grid, unit_id=grid.unit_id)
                c.worker_id, c.resident_id = grid.worker_id, resident
                limits = KIND_LIMITS["complaint"]
                if j < MISSES_PER_TICK:  # the sign-for deadline passes in this tick
                    c.status, c.version = "dispatched", 1
                    c.dispatched = at - limits.sign
                    c.created = c.dispatched - MINUTE
                    c.sign_due = at
                    c.fc_due = c.dispatched + limits.first_contact
                    c.comp_due = c.dispatched + limits.completion
                    self.prewarn(c, c.as_case())  # its warning went out an hour ago
                else:  # the first-contact deadline comes within its 2 h lead in this tick
                    fc_lead = ladder_config.GENERAL.warn_before["first_contact"].total_seconds()
                    c.status, c.version = "signed", 2
                    c.fc_due = at + fc_lead
                    c.dispatched = c.fc_due - limits.first_contact
                    c.created = c.dispatched - MINUTE
                    c.signed = c.dispatched + HOUR
                    c.sign_due = c.dispatched + limits.sign
                    c.comp_due = c.dispatched + limits.completion
                self.open_cases += 1
                yield self.case_record(c)

    def finished_case(
        self, case_id: int, resident: int, grid: GridInfo, completed: float
    ) -> CaseFacts:
        """已办结 at ``completed``, every step on time (its survey round is added apart)."""
        c = CaseFacts(case_id, completed - 2 * DAY, status="completed", grid=grid)
        c.unit_id, c.worker_id, c.resident_id = grid.unit_id, grid.worker_id, resident
        c.dispatched = c.created + MINUTE
        limits = KIND_LIMITS["complaint"]
        c.sign_due = c.dispatched + limits.sign
        c.fc_due = c.dispatched + limits.first_contact
        c.comp_due = c.dispatched + limits.completion
        c.signed = c.dispatched + HOUR
        c.first_contact = c.signed + 2 * HOUR
        c.completed = completed
        c.version = 5
        return c

    def planted_round(self, c: CaseFacts, job: str, at: float) -> tuple[Any, ...]:
        """A round that falls due at ``at``: to be asked, reminded or closed."""
        created = cast(float, c.completed)
        if job == "ask":
            return survey_row("scheduled", at, c.id, c.resident_id, created)
        if job == "remind":
            sent = at - DAY
            return survey_row(
                "sent", sent, c.id, c.resident_id, created,
                sent=sent, reminder=at, closes=sent + 3 * DAY,
            )  # fmt: skip
        sent = at - 3 * DAY
        return survey_row(
            "reminded", sent, c.id, c.resident_id, created,
            sent=sent, reminder=sent + DAY, reminded=sent + DAY, closes=at,
        )  # fmt: skip

    # survey rounds and the outbox they wrote

    def surveys(self) -> Iterator[tuple[Any, ...]]:
        survey_id = 0
        for i in range(len(self.s_case)):
            survey_id += 1
            state, due, extra = self.s_state[i], self.s_due[i], self.s_extra[i]
            case_id, resident = self.s_case[i], self.s_resident[i] or None
            name, created = STATE_NAMES[state], due - 12 * HOUR
            if state == S_SCHEDULED:
                row = survey_row(name, due, case_id, resident, created)
            elif state in (S_SKIPPED, S_UNREACHABLE):
                reason = SKIP_REASONS[extra] if state == S_SKIPPED else UNREACHABLE_REASON
                row = survey_row(name, due, case_id, resident, created, skip_reason=reason)
            else:
                answered = self.s_answered[i] if state == S_ANSWERED else None
                reminder = due + DAY
                reminded = state in (S_REMINDED, S_UNRATED) or (answered or 0.0) > reminder
                row = survey_row(
                    name, due, case_id, resident, created,
                    sent=due, reminder=reminder, reminded=reminder if reminded else None,
                    closes=due + 3 * DAY, answer=ANSWERS[extra] if answered else None,
                    answered=answered,
                )  # fmt: skip
            yield (survey_id, *row)
        for row in self.planted_surveys:
            survey_id += 1
            yield (survey_id, *row)

    def history_outbox(self) -> Iterator[tuple[Any, ...]]:
        """The survey messages the background rounds sent (or could not), then the warnings."""
        for i in range(len(self.s_case)):
            state = self.s_state[i]
            if state in (S_SCHEDULED, S_SKIPPED):
                continue
            survey_id, case_id, due = i + 1, self.s_case[i], self.s_due[i]
            recipient = openid(self.s_resident[i])
            ask = f"survey:{survey_id}:ask"
            if state == S_UNREACHABLE:
                yield outbox_row(
                    "mp_custom", recipient, HISTORY_PAYLOAD, "survey", ask, case_id, due,
                    skipped=UNREACHABLE_REASON,
                )  # fmt: skip
                continue
            yield outbox_row("mp_custom", recipient, HISTORY_PAYLOAD, "survey", ask, case_id, due)
            if state in (S_REMINDED, S_UNRATED) or self.s_answered[i] > due + DAY:
                remind = f"survey:{survey_id}:remind"
                yield outbox_row(
                    "mp_custom", recipient, HISTORY_PAYLOAD, "survey_reminder", remind, case_id,
                    due + DAY,
                )  # fmt: skip
        yield from self.outbox_rows


async def build(conn: asyncpg.Connection, builder: Builder) -> dict[str, Any]:
    started = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '256MB'")
    await conn.execute("SET synchronous_commit = off")
    builder.plan_planted()
    counts = {
        "residents": await copy_rows(
            conn, "residents", RESIDENT_COLUMNS, builder.residents(), bulk=True, say=progress
        ),
        "cases": await copy_rows(
            conn, "cases", CASE_COLUMNS, builder.cases(), bulk=True, say=progress
        ),
        "surveys": await copy_rows(
            conn, "surveys", SURVEY_COLUMNS, builder.surveys(), bulk=True, say=progress
        ),
        "outbox": await copy_rows(
            conn,
            "outbox",
            OUTBOX_COLUMNS,
            with_ids(builder.history_outbox(), 1),
            bulk=True,
            say=progress,
        ),
    }
    await sync_sequences(conn, counts)
    vacuum = time.perf_counter()
    for table in counts:
        await conn.execute(f"VACUUM (ANALYZE) {table}")
    progress(f"VACUUM ANALYZE in {time.perf_counter() - vacuum:.1f} s")
    # Write the load out now: a checkpoint still flushing it would slow the timed sweeps, and a
    # service in production is not in the middle of a 1 GB bulk load.
    checkpoint = time.perf_counter()
    await conn.execute("CHECKPOINT")
    progress(f"CHECKPOINT in {time.perf_counter() - checkpoint:.1f} s")
    states = dict(await conn.fetch("SELECT status, count(*) FROM cases GROUP BY status"))
    rounds = dict(await conn.fetch("SELECT status, count(*) FROM surveys GROUP BY status"))
    size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    seconds = time.perf_counter() - started
    progress(f"built in {seconds:.0f} s, database {size}")
    return {
        "rows": counts,
        "case_status": {str(k): int(v) for k, v in sorted(states.items())},
        "survey_status": {str(k): int(v) for k, v in sorted(rounds.items())},
        "open_cases": builder.open_cases,
        "database_size": size,
        "seconds": round(seconds, 1),
    }
