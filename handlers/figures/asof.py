"""The rows as they stood at an instant (the end of a closed month): SQL the figures count with.

A live computation reads each row as it is. A closed month is computed *as of* its end ``C``:
what was recorded after ``C`` is rolled back, in the database, from the history the rows keep:

- a case's status at ``C``: the ``from_status`` of its first status-changing event after ``C``
  (none: its status now);
- a deadline at ``C``: the ``old_at`` of the first ``DeadlineChange`` of the spell (or, for a
  case without spells, of the case) after ``C`` (none: the deadline now);
- a spell that started after ``C`` did not exist; one that ended after ``C`` was still open;
- a first contact or a completion after ``C`` had not happened; a completion cleared after
  ``C`` (审核退回, 重办) had: it is the case's latest 办结 event by ``C`` not followed by a
  send-back or a reopening by ``C``;
- the unit that held a case at ``C``: the unit of its latest spell started by ``C`` (none when
  that spell had been returned to the centre by ``C``, or when no spell had started: the case
  was in the dispatcher queue); a case whose spells all lie before ``C`` has its unit now;
- a merge after ``C`` had not happened (the case counts as its own, for its unit at ``C``);
- reopenings after ``C`` had not happened (``reopened_count`` less the 重办 events after ``C``);
- a survey round at ``C``: answered if the answer was *recorded* by ``C`` (``recorded_at``, or
  ``answered_at`` for rows from before it was kept), 未评价 if it closed by ``C``, unreachable if
  it was asked (and could not be delivered) by ``C``; otherwise still open at ``C``, counted
  nowhere. A late answer (after the round closed) counts as late only if recorded by ``C``.

With ``AsOf(None)`` every expression is the plain column, so live figures are what they were.
What is not rolled back is listed in ``handlers/figures/compute.py`` ("What is frozen").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from handlers.figures.sql import dialect
from models import CaseAction, CaseStatus

CASES = '"cases"'
_UNIT_CLEARED = (CaseAction.RESTORE.value, CaseAction.SPLIT.value)
SPELLS = '"case_unit_spells"'
ASIDE = (CaseStatus.CANCELLED.value, CaseStatus.INVALID.value)
# When a survey answer was written down; rows from before it was kept: when it was given (or,
# without that either, when the round was asked or due).
_RECORDED = (
    'COALESCE("surveys"."recorded_at", "surveys"."answered_at", "surveys"."sent_at", '
    '"surveys"."due_at")'
)


def literal(at: datetime) -> str:
    """A time as a SQL literal comparable with stored times on either backend."""
    text = at.astimezone(UTC).isoformat(sep=" ")
    if dialect() == "sqlite":
        return f"'{text}'"  # stored as ISO text in UTC: compared as strings
    return f"'{text}'::timestamptz"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


@dataclass(frozen=True)
class AsOf:
    """SQL for values as they stood at ``at`` (``None``: as they are now)."""

    at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.at is None

    @property
    def cut(self) -> str:
        assert self.at is not None
        return literal(self.at)

    def _events_after(self, case_id: str, actions: tuple[str, ...]) -> str:
        return (
            f'SELECT 1 FROM "case_events" x WHERE x."case_id" = {case_id} '
            f'AND x."action" IN {_in(actions)} AND x."at" > {self.cut}'
        )

    # Cases.

    def status(self, case_id: str = f'{CASES}."id"', now: str = f'{CASES}."status"') -> str:
        """The case's status at the instant."""
        if self.live:
            return now
        first_change = (
            f'SELECT e."from_status" FROM "case_events" e WHERE e."case_id" = {case_id} '
            f'AND e."from_status" IS NOT NULL AND e."at" > {self.cut} '
            'ORDER BY e."at", e."id" LIMIT 1'
        )
        return f"COALESCE(({first_change}), {now})"

    def set_aside(self, case_id: str = f'{CASES}."id"', now: str = f'{CASES}."status"') -> str:
        """1 when the case was withdrawn or invalid at the instant, else 0."""
        return f"CASE WHEN {self.status(case_id, now)} IN {_in(ASIDE)} THEN 1 ELSE 0 END"

    def unit(self, case_id: str = f'{CASES}."id"', now: str = f'{CASES}."unit_id"') -> str:
        """The unit holding the case at the instant (NULL: the dispatcher queue)."""
        if self.live:
            return now
        # Its spells moved after the instant, or it left the queue rules (恢复受理, 拆分 clear the
        # unit): then the spells say who held it; else the unit now did.
        moved_after = (
            f'SELECT 1 FROM {SPELLS} m WHERE m."case_id" = {case_id} '
            f'AND (m."started_at" > {self.cut} OR m."ended_at" > {self.cut}) '
            f"UNION ALL {self._events_after(case_id, _UNIT_CLEARED)}"
        )
        held = (
            f'SELECT CASE WHEN h."ended_at" <= {self.cut} AND h."end_reason" = \'returned\' '
            f'THEN NULL ELSE h."unit_id" END FROM {SPELLS} h WHERE h."case_id" = {case_id} '
            f'AND h."started_at" <= {self.cut} ORDER BY h."started_at" DESC, h."id" DESC LIMIT 1'
        )
        return f"CASE WHEN EXISTS ({moved_after}) THEN ({held}) ELSE {now} END"

    def merged(self) -> str:
        """1 when the case had been merged into another (并案) at the instant, else 0."""
        now = f'CASE WHEN {CASES}."duplicate_of_id" IS NOT NULL THEN 1 ELSE 0 END'
        if self.live:
            return now
        merged_after = self._events_after(f'{CASES}."id"', (CaseAction.MERGE.value,))
        return f"CASE WHEN EXISTS ({merged_after}) THEN 0 ELSE {now} END"

    def merged_unit(self) -> str:
        """The unit a merged case counts for: the one holding the case it joined."""
        target = f'{CASES}."duplicate_of_id"'
        return self.unit(target, f'(SELECT t."unit_id" FROM {CASES} t WHERE t."id" = {target})')

    def reopened(self) -> str:
        """1 when the case had been reopened (重办) at least once by the instant, else 0."""
        if self.live:
            return f'CASE WHEN {CASES}."reopened_count" > 0 THEN 1 ELSE 0 END'
        later = (
            f'SELECT COUNT(*) FROM "case_events" r WHERE r."case_id" = {CASES}."id" '
            f'AND r."action" = \'{CaseAction.REOPEN.value}\' AND r."at" > {self.cut}'
        )
        return f'CASE WHEN {CASES}."reopened_count" > ({later}) THEN 1 ELSE 0 END'

    def milestone(self, table: str, column: str) -> str:
        """A time recorded once (signed, contacted): NULL if recorded after the instant."""
        value = f'{table}."{column}"'
        if self.live:
            return value
        return f"CASE WHEN {value} <= {self.cut} THEN {value} END"

    def completion(
        self, table: str, case_id: str, since: str | None = None, until: str | None = None
    ) -> str:
        """When the case (or the spell, from ``since`` to ``until``, its start and end) was
        finished, at the instant."""
        value = f'{table}."completed_at"'
        if self.live:
            return value
        cleared_after = self._events_after(
            case_id, (CaseAction.SEND_BACK.value, CaseAction.REOPEN.value)
        )
        undone = (
            f'SELECT 1 FROM "case_events" b WHERE b."case_id" = {case_id} '
            f'AND b."action" IN {_in((CaseAction.SEND_BACK.value, CaseAction.REOPEN.value))} '
            f'AND b."at" > f."at" AND b."at" <= {self.cut}'
        )
        started = f' AND f."at" >= {since}' if since else ""
        if until:
            started += f' AND ({until} IS NULL OR f."at" <= {until})'
        latest = (
            f'SELECT MAX(f."at") FROM "case_events" f WHERE f."case_id" = {case_id} '
            f'AND f."action" = \'{CaseAction.FINISH.value}\' AND f."at" <= {self.cut}{started} '
            f"AND NOT EXISTS ({undone})"
        )
        return (
            f"CASE WHEN {value} <= {self.cut} THEN {value} "
            f"WHEN EXISTS ({cleared_after}) THEN ({latest}) END"
        )

    def deadline(self, table: str, column: str, owner: str, deadline: str) -> str:
        """A deadline in force at the instant: before the first change recorded after it.
        ``owner`` is ``spell_id`` (for spells) or ``case_id`` (for cases without spells)."""
        value = f'{table}."{column}"'
        if self.live:
            return value
        first_change = (
            f'SELECT d."old_at" FROM "deadline_changes" d WHERE d."{owner}" = {table}."id" '
            f'AND d."deadline" = \'{deadline}\' AND d."at" > {self.cut} '
            'ORDER BY d."at", d."id" LIMIT 1'
        )
        return f"COALESCE(({first_change}), {value})"

    # Spells.

    def spell_ended(self) -> str:
        return self.milestone(SPELLS, "ended_at")

    def spell_done(self, column: str) -> str:
        if column == "completed_at":
            # A spell's completion is cleared only while it is open (审核退回).
            return self.completion(
                SPELLS, f'{SPELLS}."case_id"', f'{SPELLS}."started_at"', f'{SPELLS}."ended_at"'
            )
        return self.milestone(SPELLS, column)

    # Survey rounds.

    def round_state(self) -> str:
        """How the round stood: answered, unrated or unreachable (finished), else NULL."""
        status = '"surveys"."status"'
        if self.live:
            finished = _in(("answered", "unrated", "unreachable"))
            return f"CASE WHEN {status} IN {finished} THEN {status} END"
        recorded = _RECORDED
        asked = 'COALESCE("surveys"."sent_at", "surveys"."due_at")'
        closed = 'COALESCE("surveys"."closes_at", "surveys"."due_at")'
        return (
            f"CASE WHEN {status} = 'answered' AND {recorded} <= {self.cut} THEN 'answered' "
            f"WHEN {status} = 'unrated' AND {closed} <= {self.cut} THEN 'unrated' "
            f"WHEN {status} = 'unreachable' AND {asked} <= {self.cut} THEN 'unreachable' END"
        )

    def round_late(self) -> str:
        """1 for a late answer (after the round closed) recorded by the instant, else 0."""
        late = '"surveys"."late"'
        if self.live:
            return f"CASE WHEN {late} THEN 1 ELSE 0 END"
        return f"CASE WHEN {late} AND {_RECORDED} <= {self.cut} THEN 1 ELSE 0 END"
