"""The early warning (预警): a place or topic whose volume jumps, told before it tops the ranking.

Every sweep (``scheduler.jobs``, hourly) reads the cases of the last five weeks as topic rows
(``handlers.hot.topics.case_topics``) and counts, per key, the cases and residents of the last
seven days against the weekly average of the four weeks before. The rule and its constants are
``config.hot_warnings``. The keys:

- ``p:<place key>``: one place, however it was written (the place aliases give one key);
- ``t:<a|b>``: one topic signature (``nlu.topics.signatures``), for cases with and without a
  place alike, so that a place-less problem (a city-wide subsidy) is seen too;
- ``p:<place key>+t:<a|b>``: the two together, the most specific, told first when it passes.

One jump is told once: keys that pass are taken most specific first, then by residents, and a
key whose recent cases are mostly those of a warning told in the last seven days (or a key
warned in that time) is left out. A warning is a ``HotWarning`` row, unique per key and local
week, written in the same transaction as its messages: a process that loses the race to insert
it rolls back and sends nothing. The messages go through the outbox (``notify_worker``: WeCom
when the person has a userid, else the official account's worker template, else an unsent row
with the reason) to the unit's supervisors and head and to the centre's dispatchers, with the
dedup key ``hotwarn:<warning>:<worker>``; the unit's next morning digest names it too
(:func:`digest_lines`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config import hot_warnings as config
from handlers.clock import iso, local
from handlers.context import HandlerContext
from handlers.hot.grouping import too_common
from handlers.hot.issues import CaseTopic
from handlers.hot.topics import case_topics
from handlers.workflow.tasks import notify_worker
from models import Case, HotWarning, StaffRole, StaffUser, Unit, UnitSupervisor, Worker, WorkerRole
from nlu.place_aliases import PlaceAliases
from nlu.topics import signatures

logger = logging.getLogger(__name__)

KEY_LENGTH = 160  # HotWarning.key
LABEL_LENGTH = 160  # HotWarning.label
UNIT_ROLES = (WorkerRole.SUPERVISOR, WorkerRole.UNIT_HEAD)
# Specificity: a place with a topic is told before the place alone, the place before the topic.
PLACE_TOPIC, PLACE, TOPIC = 0, 1, 2


@dataclass(frozen=True)
class Jump:
    """A key whose last seven days passed the rule: what the warning will say."""

    key: str
    label: str
    specificity: int
    count: int  # cases in the last seven days
    residents: int
    baseline: float  # weekly average of cases over the trailing weeks
    unit_id: int | None  # the unit with most of the recent cases
    numbers: tuple[str, ...]  # the recent cases, oldest first


@dataclass
class WarningSweepResult:
    jumps: int = 0  # keys that passed the rule
    warned: int = 0  # warnings stored by this sweep
    told: int = 0  # messages queued by this sweep
    already: int = 0  # jumps left out: told lately, or mostly the cases of one told
    lost_races: int = 0  # warnings another process stored first


@dataclass
class _Tally:
    specificity: int
    place_key: str
    signature: str
    recent: list[CaseTopic]
    earlier: int = 0  # cases in the trailing weeks


def week_of(now: datetime) -> date:
    """The local Monday of ``now``'s week."""
    day = local(now).date()
    return day - timedelta(days=day.weekday())


def stored_key(key: str) -> str:
    """``key`` as it fits the column: a long one is cut and ends with a hash of the whole."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return f"{key[: KEY_LENGTH - 13]}~{digest}"


def common_signatures(earlier: Sequence[CaseTopic]) -> frozenset[str]:
    """Signatures in too many of the trailing weeks' cases to mean one problem."""
    seen: Counter[str] = Counter()
    for case in earlier:
        seen.update(set(signatures(case.words)))
    return too_common(seen, len(earlier), config.COMMON_SHARE, config.COMMON_MIN_CASES)


def _keys(case: CaseTopic, common: frozenset[str]) -> Iterable[tuple[str, int, str, str]]:
    """The case's keys: (key, specificity, place key, signature)."""
    place = case.place_key
    if place:
        yield f"p:{place}", PLACE, place, ""
    for signature in dict.fromkeys(signatures(case.words)):
        if signature in common:
            continue
        yield f"t:{signature}", TOPIC, "", signature
        if place:
            yield f"p:{place}+t:{signature}", PLACE_TOPIC, place, signature


def _topic_label(cases: Sequence[CaseTopic], first: Sequence[str]) -> str:
    """The signature's words, then the words most of the cases share, at most LABEL_WORDS."""
    counts: Counter[str] = Counter()
    for case in cases:
        counts.update(set(case.words))
    shared = [
        word
        for word, seen in counts.most_common()
        if seen >= 2 and seen * 2 >= len(cases) and word not in first
    ]
    return "、".join([*first, *shared][: config.LABEL_WORDS])


def _label(tally: _Tally, aliases: PlaceAliases) -> str:
    first = tuple(tally.signature.split("|")) if tally.signature else ()
    topic = _topic_label(tally.recent, first)
    place = aliases.label(tally.place_key) if tally.place_key else ""
    label = f"{place}：{topic}" if place and topic else place or topic
    return label[:LABEL_LENGTH]


def _main_unit(cases: Sequence[CaseTopic]) -> int | None:
    units = Counter(case.unit_id for case in cases if case.unit_id is not None)
    return units.most_common(1)[0][0] if units else None


def passes(count: int, residents: int, baseline: float) -> bool:
    """The rule (``config.hot_warnings``)."""
    floor = max(baseline, config.BASELINE_FLOOR)
    return residents >= config.MIN_RESIDENTS and count >= config.RATIO * floor


def find_jumps(topics: Sequence[CaseTopic], aliases: PlaceAliases, now: datetime) -> list[Jump]:
    """The keys whose last seven days passed the rule, most specific and largest first.

    ``topics``: the cases of the last seven days and of the trailing weeks before them.
    """
    recent_since = now - timedelta(days=config.RECENT_DAYS)
    earlier_since = recent_since - timedelta(weeks=config.BASELINE_WEEKS)
    earlier = [c for c in topics if earlier_since <= c.created_at < recent_since]
    recent = [c for c in topics if recent_since <= c.created_at < now]
    common = common_signatures(earlier)
    tallies: dict[str, _Tally] = {}
    for case in recent:
        for key, specificity, place, signature in _keys(case, common):
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally(specificity, place, signature, [])
            tally.recent.append(case)
    for case in earlier:
        for key, *_ in _keys(case, common):
            if key in tallies:
                tallies[key].earlier += 1
    jumps: list[tuple[tuple[Any, ...], Jump]] = []
    for key, tally in tallies.items():
        count = len(tally.recent)
        residents = len({case.who for case in tally.recent})
        baseline = tally.earlier / config.BASELINE_WEEKS
        if not passes(count, residents, baseline):
            continue
        jump = Jump(
            key=stored_key(key),
            label=_label(tally, aliases),
            specificity=tally.specificity,
            count=count,
            residents=residents,
            baseline=baseline,
            unit_id=_main_unit(tally.recent),
            numbers=tuple(case.number for case in tally.recent),
        )
        order = (jump.specificity, -residents, -count, _depth(tally), jump.key)
        jumps.append((order, jump))
    jumps.sort(key=lambda pair: pair[0])
    return [jump for _, jump in jumps]


def _depth(tally: _Tally) -> int:
    """How far down the cases' topics the signature's words stand (lower is more telling), so
    that of two signatures with the same cases the one of their first words names the jump."""
    words = tally.signature.split("|") if tally.signature else ()
    return sum(
        case.words.index(word) if word in case.words else len(case.words)
        for case in tally.recent
        for word in words
    )


def figure(value: float) -> str:
    """A weekly average as people read it: 0.5, 2, 2.3."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def hot_page_line(ctx: HandlerContext) -> str:
    base = ctx.settings.public_url.strip().rstrip("/")
    if not base:
        return config.HOT_PAGE_HINT
    return config.HOT_PAGE_LINK.format(url=f"{base}/dashboard/hot?days={config.RECENT_DAYS}")


def warning_text(jump: Jump, unit: str, ctx: HandlerContext) -> str:
    return config.WARNING_TEXT.format(
        label=jump.label,
        count=jump.count,
        residents=jump.residents,
        baseline=figure(jump.baseline),
        unit=unit or config.NO_UNIT,
        numbers="、".join(jump.numbers[-config.SAMPLE_NUMBERS :]),
        link=hot_page_line(ctx),
    )


async def recipients(unit_id: int | None) -> list[Worker]:
    """The unit's supervisors and head, and the centre's dispatchers (workers with the
    dispatcher role, and the workers linked to dispatchers' staff accounts): active, each once."""
    ids: dict[int, None] = {}
    if unit_id is not None:
        ids.update(
            dict.fromkeys(
                await Worker.filter(unit_id=unit_id, role__in=list(UNIT_ROLES)).values_list(
                    "id", flat=True
                )
            )
        )
        ids.update(
            dict.fromkeys(
                await UnitSupervisor.filter(unit_id=unit_id).values_list("worker_id", flat=True)
            )
        )
    ids.update(
        dict.fromkeys(await Worker.filter(role=WorkerRole.DISPATCHER).values_list("id", flat=True))
    )
    ids.update(
        dict.fromkeys(
            await StaffUser.filter(
                role=StaffRole.DISPATCHER, active=True, worker_id__not_isnull=True
            ).values_list("worker_id", flat=True)
        )
    )
    return await Worker.filter(id__in=list(ids), active=True).order_by("id")


async def _told_lately(now: datetime) -> tuple[set[str], set[str]]:
    """The keys warned in the last seven days, and the case numbers those warnings hold."""
    rows = await HotWarning.filter(
        found_at__gte=now - timedelta(days=config.RECENT_DAYS)
    ).values_list("key", "numbers")
    keys = {str(key) for key, _ in rows}
    numbers = {str(number) for _, held in rows for number in held or []}
    return keys, numbers


def to_tell(jumps: Sequence[Jump], keys: set[str], numbers: set[str]) -> list[Jump]:
    """The jumps to tell, in order: none whose key was told lately, none whose cases were
    mostly told already (by a warning told lately, or by a jump chosen before it here).

    Every process chooses alike from the same rows, so a process that loses the race to store
    a jump skips the same overlapping jumps as the winner did.
    """
    keys, numbers = set(keys), set(numbers)
    chosen = []
    for jump in jumps:
        shared = sum(1 for number in jump.numbers if number in numbers)
        if jump.key in keys or shared > config.OVERLAP_SHARE * len(jump.numbers):
            continue
        chosen.append(jump)
        keys.add(jump.key)
        numbers.update(jump.numbers)
    return chosen


async def _store_and_tell(jump: Jump, ctx: HandlerContext, unit: str) -> int | None:
    """Store the warning and queue its messages, in one transaction; how many were queued, or
    None when another process stored it first."""
    try:
        async with in_transaction():
            warning = await HotWarning.create(
                key=jump.key,
                label=jump.label,
                week=week_of(ctx.now),
                found_at=ctx.now,
                count=jump.count,
                residents=jump.residents,
                baseline=jump.baseline,
                unit_id=jump.unit_id,
                numbers=list(jump.numbers[-config.KEPT_NUMBERS :]),
            )
            text = warning_text(jump, unit, ctx)
            people = await recipients(jump.unit_id)
            for worker in people:
                await notify_worker(
                    worker,
                    text,
                    ctx,
                    purpose=config.PURPOSE,
                    dedup_key=f"hotwarn:{warning.id}:{worker.id}",
                    key_is_new=True,
                )
    except IntegrityError:
        logger.debug("hot warning %s was stored by another process", jump.key)
        return None
    logger.info(
        "hot warning %s (%s): %d cases, %d residents, baseline %.2f a week; %d people told",
        jump.key,
        jump.label,
        jump.count,
        jump.residents,
        jump.baseline,
        len(people),
    )
    return len(people)


async def sweep_hot_warnings(ctx: HandlerContext) -> WarningSweepResult:
    """Find this hour's jumps and tell each new one once (any number of processes may run it)."""
    now = ctx.now
    since = now - timedelta(days=config.RECENT_DAYS, weeks=config.BASELINE_WEEKS)
    topics, aliases = await case_topics(since, now)
    jumps = find_jumps(topics, aliases, now)
    result = WarningSweepResult(jumps=len(jumps))
    if not jumps:
        return result
    keys, numbers = await _told_lately(now)
    unit_ids = {jump.unit_id for jump in jumps if jump.unit_id is not None}
    units = dict(await Unit.filter(id__in=list(unit_ids)).values_list("id", "name"))
    chosen = to_tell(jumps, keys, numbers)
    result.already = len(jumps) - len(chosen)
    for jump in chosen:
        told = await _store_and_tell(jump, ctx, str(units.get(jump.unit_id, "")))
        if told is None:
            result.lost_races += 1
        else:
            result.warned += 1
            result.told += told
    return result


async def digest_lines(unit_id: int, since: datetime, until: datetime) -> str:
    """The lines of a unit's morning digest about its warnings found in ``[since, until)``."""
    # In UTC: SQLite compares stored times as text, so a Shanghai time would not compare right.
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    rows = (
        await HotWarning.filter(unit_id=unit_id, found_at__gte=since, found_at__lt=until)
        .order_by("found_at", "id")
        .values_list("label", "count", "baseline")
    )
    text = "".join(
        config.DIGEST_LINE.format(label=label, count=count, baseline=figure(baseline))
        for label, count, baseline in rows[: config.DIGEST_LINES]
    )
    if len(rows) > config.DIGEST_LINES:
        text += config.DIGEST_MORE.format(more=len(rows) - config.DIGEST_LINES)
    return text


async def listed_warnings(
    since: datetime, until: datetime, *, unit_id: int | None = None, limit: int = 500
) -> tuple[list[dict[str, Any]], bool]:
    """The warnings found in ``[since, until)``, newest first, at most ``limit``, and whether
    there were more. With ``unit_id``: that unit's warnings, naming only that unit's cases."""
    query = HotWarning.filter(
        found_at__gte=since.astimezone(UTC), found_at__lt=until.astimezone(UTC)
    )
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    rows = await query.order_by("-found_at", "-id").limit(limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    units = {
        unit.id: unit
        for unit in await Unit.filter(id__in=[row.unit_id for row in rows if row.unit_id])
    }
    visible: set[str] | None = None
    if unit_id is not None:
        named = {str(number) for row in rows for number in row.numbers or []}
        found = await Case.filter(number__in=list(named), unit_id=unit_id).values_list(
            "number", flat=True
        )
        visible = {str(number) for number in found}
    listed = []
    for row in rows:
        unit = units.get(row.unit_id) if row.unit_id is not None else None
        numbers = [str(n) for n in row.numbers or [] if visible is None or str(n) in visible]
        listed.append(
            {
                "id": row.id,
                "key": row.key,
                "label": row.label,
                "week": row.week.isoformat(),
                "found_at": iso(row.found_at),
                "count": row.count,
                "residents": row.residents,
                "baseline": row.baseline,
                "unit": None
                if unit is None
                else {"id": unit.id, "code": unit.code, "name": unit.name},
                "numbers": numbers,
                "item_id": row.item_id,
            }
        )
    return listed, more
