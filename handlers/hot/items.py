"""Governance items (未诉先办 / 每月一题): a hot issue taken up as work, and its making.

An item is made from a hot issue (its cases, topic words, place and heat, as the hot page shows
them) or by hand, with an owner unit, co-units, a plan, milestones and a deadline (a local date,
not in the past). Its number is ``RD`` + yymm + a four-digit sequence of the month, taken from
the ``case_counters`` row ``RD<yymm>`` by one upsert (``RETURNING``) on either backend: two
items made at once get two numbers, and on PostgreSQL the row stays locked until the making
commits, which also serialises the 每月一题 rule below.

每月一题: a monthly item names its month (YYYY-MM); an owner unit has at most one monthly item a
month that is not withdrawn (``config.hot_items``).

Every step of an item (``handlers.hot.item_steps``) is a :class:`models.HotItemNote` on its
timeline and an audit event, in one transaction with the change; each change is a conditional
update on the item's ``version`` (two staff at once: one wins, the other is told to reload).
Who may do what is :func:`handlers.staff.permissions.item_role`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import hot_items as texts
from handlers.case_numbers import next_counter_value
from handlers.clock import local
from handlers.hot.item_cache import items_changed
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import item_role
from handlers.timeline import Actor, event_row, record_events
from models import (
    Case,
    HotItem,
    HotItemCase,
    HotItemKind,
    HotItemMilestone,
    HotItemNote,
    HotItemStatus,
    HotItemUnit,
    StaffUser,
    Unit,
)
from models.case_status import CaseAction

NUMBER_PATTERN = re.compile(rf"^{texts.NUMBER_PREFIX}\d{{8}}$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
HOW = ("hot", "auto", "staff")


class ItemError(Exception):
    """A request about an item that cannot be done; the message says what to do instead."""

    status = 400
    code = "rejected"


class ItemProblem(ItemError):
    pass


class ItemNotFound(ItemError):
    status = 404
    code = "not_found"


class ItemForbidden(ItemError):
    status = 403
    code = "forbidden"


class ItemStateError(ItemError):
    """The item's status does not allow it, or somebody changed it meanwhile."""

    status = 409
    code = "illegal_state"


@dataclass(frozen=True)
class MilestoneIn:
    title: str
    due: date


@dataclass(frozen=True)
class ItemIn:
    """An item as staff make it (from a hot issue: its numbers, words, place, category, heat)."""

    title: str
    owner_unit: str  # unit code
    deadline: date
    kind: str = HotItemKind.PROACTIVE.value
    co_units: tuple[str, ...] = ()
    plan: str = ""
    problem: str = ""
    month: str = ""
    milestones: tuple[MilestoneIn, ...] = ()
    numbers: tuple[str, ...] = ()
    topic_words: tuple[str, ...] = ()
    place_key: str = ""
    place_label: str = ""
    category: str = ""
    heat: dict[str, Any] = field(default_factory=dict)


def today_of(now: datetime) -> date:
    return local(now).date()


def check_deadline(deadline: date, now: datetime) -> list[str]:
    today = today_of(now)
    if deadline < today:
        return [texts.DEADLINE_PASSED]
    if deadline > today + timedelta(days=texts.MAX_DEADLINE_DAYS):
        return [texts.DEADLINE_FAR]
    return []


def _text(value: str, name: str, limit: int, problems: list[str], *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        problems.append(f"请填写{name}")
    elif len(value) > limit:
        problems.append(f"{name}最多{limit}个字")
    elif "\x00" in value:
        problems.append(f"{name}含有不能保存的字符")
    return value


def check_milestones(
    given: Sequence[MilestoneIn], now: datetime, problems: list[str]
) -> tuple[MilestoneIn, ...]:
    if len(given) > texts.MAX_MILESTONES:
        problems.append(f"节点最多{texts.MAX_MILESTONES}个")
        return ()
    checked = []
    for milestone in given:
        title = _text(
            milestone.title, "节点名称", texts.MILESTONE_TITLE_LIMIT, problems, required=True
        )
        if milestone.due < today_of(now):
            problems.append(f"节点“{title[:16]}”的日期不能早于今天")
        checked.append(MilestoneIn(title, milestone.due))
    return tuple(checked)


def _words(words: Sequence[str], problems: list[str]) -> list[str]:
    if len(words) > texts.MAX_TOPIC_WORDS:
        problems.append(f"关键词最多{texts.MAX_TOPIC_WORDS}个")
        return []
    kept = list(dict.fromkeys(w.strip() for w in words if w.strip()))
    if any(len(w) > texts.WORD_LIMIT or "\x00" in w for w in kept):
        problems.append(f"每个关键词最多{texts.WORD_LIMIT}个字")
    return kept


def check_item(given: ItemIn, now: datetime) -> ItemIn:
    """``given`` trimmed and checked (no database); :class:`ItemProblem` names every problem."""
    problems: list[str] = []
    title = _text(given.title, "标题", texts.TITLE_LIMIT, problems, required=True)
    plan = _text(given.plan, "工作方案", texts.PLAN_LIMIT, problems, required=False)
    problem = _text(given.problem, "问题描述", texts.PROBLEM_LIMIT, problems, required=False)
    place_key = _text(given.place_key, "地点键", texts.PLACE_KEY_LIMIT, problems, required=False)
    label = _text(given.place_label, "地点", texts.PLACE_LABEL_LIMIT, problems, required=False)
    category = _text(given.category, "分类", texts.CATEGORY_LIMIT, problems, required=False)
    if given.kind not in texts.KIND_LABELS:
        problems.append("类型须为 proactive（未诉先办）或 monthly（每月一题）")
    month = given.month.strip()
    if given.kind == HotItemKind.MONTHLY.value and not MONTH_PATTERN.fullmatch(month):
        problems.append(texts.MONTH_FORMAT)
    elif given.kind != HotItemKind.MONTHLY.value and month:
        problems.append(texts.MONTH_ONLY_MONTHLY)
    problems.extend(check_deadline(given.deadline, now))
    milestones = check_milestones(given.milestones, now, problems)
    co_units = tuple(dict.fromkeys(c.strip() for c in given.co_units if c.strip()))
    if len(co_units) > texts.MAX_CO_UNITS:
        problems.append(f"协办单位最多{texts.MAX_CO_UNITS}个")
    if given.owner_unit.strip() in co_units:
        problems.append("牵头单位不必再列为协办单位")
    numbers = tuple(dict.fromkeys(n.strip() for n in given.numbers if n.strip()))
    if len(numbers) > texts.MAX_CASES:
        problems.append(f"一次最多关联{texts.MAX_CASES}件诉求")
    words = _words(given.topic_words, problems)
    if not isinstance(given.heat, dict):
        problems.append("热度因素应为对象")
    elif len(json.dumps(given.heat, ensure_ascii=False)) > texts.HEAT_LIMIT:
        problems.append(f"热度因素最多{texts.HEAT_LIMIT}个字符")
    if problems:
        raise ItemProblem("；".join(problems))
    return ItemIn(
        title=title,
        owner_unit=given.owner_unit.strip(),
        deadline=given.deadline,
        kind=given.kind,
        co_units=co_units,
        plan=plan,
        problem=problem,
        month=month,
        milestones=milestones,
        numbers=numbers,
        topic_words=tuple(words),
        place_key=place_key,
        place_label=label,
        category=category,
        heat=dict(given.heat),
    )


async def next_item_number(now: datetime) -> str:
    """``RD`` + yymm + the month's next sequence value (at least four digits). Call inside the
    making's transaction: on PostgreSQL the counter row stays locked until it commits."""
    key = f"{texts.NUMBER_PREFIX}{local(now):%y%m}"
    return f"{key}{await next_counter_value(key):04d}"


async def units_by_code(codes: Sequence[str]) -> dict[str, Unit]:
    """The units of ``codes``; :class:`ItemProblem` names any unknown one."""
    wanted = list(dict.fromkeys(codes))
    found = {u.code: u for u in await Unit.filter(code__in=wanted)} if wanted else {}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ItemProblem(texts.UNKNOWN_UNIT.format(code="、".join(c[:32] for c in unknown[:5])))
    return found


async def cases_by_number(numbers: Sequence[str]) -> list[Case]:
    """The cases of ``numbers`` in the given order; :class:`ItemProblem` names unknown ones."""
    if not numbers:
        return []
    found = {c.number: c for c in await Case.filter(number__in=list(numbers))}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        shown = "、".join(n[:20] for n in unknown[:5]) + ("…" if len(unknown) > 5 else "")
        raise ItemProblem(texts.UNKNOWN_CASES.format(numbers=shown))
    return [found[n] for n in numbers]


async def with_duplicates(cases: list[Case]) -> list[Case]:
    """The cases and the duplicates merged into them (a merged duplicate goes with its
    original: its resident raised the same problem)."""
    ids = {c.id for c in cases}
    if not ids:
        return cases
    merged = await Case.filter(duplicate_of_id__in=list(ids)).exclude(id__in=list(ids))
    return [*cases, *merged]


async def add_note(
    item: HotItem,
    action: str,
    actor: str,
    now: datetime,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> HotItemNote:
    return await HotItemNote.create(
        item_id=item.id, at=now, action=action, actor=actor, text=text, data=data or {}
    )


async def link_cases(
    item: HotItem, cases: Sequence[Case], how: str, actor: Actor, now: datetime
) -> list[Case]:
    """Link ``cases`` not yet linked to ``item``, each with an event on its own timeline;
    returns those newly linked. Call inside a transaction."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    already = set(
        await HotItemCase.filter(item_id=item.id, case_id__in=ids).values_list("case_id", flat=True)
    )
    fresh = [c for c in dict((c.id, c) for c in cases).values() if c.id not in already]
    if not fresh:
        return []
    await HotItemCase.bulk_create(
        [HotItemCase(item_id=item.id, case_id=c.id, how=how, linked_at=now) for c in fresh]
    )
    note = texts.CASE_EVENT_LINKED.format(
        number=item.number, kind=texts.KIND_LABELS[str(item.kind)], title=item.title
    )
    data = {"hot_item": item.number, "how": how}
    await record_events(
        [
            event_row(
                c,
                CaseAction.ANNOTATE,
                actor,
                now,
                from_status=None,
                to_status=None,
                note=note,
                data=data,
            )
            for c in fresh
        ]
    )
    return fresh


async def co_unit_ids(item: HotItem) -> set[int]:
    rows: list[Any] = await HotItemUnit.filter(item_id=item.id).values_list("unit_id", flat=True)
    return {int(r) for r in rows}


async def get_item(number: str) -> HotItem:
    item = await HotItem.get_or_none(number=number) if NUMBER_PATTERN.fullmatch(number) else None
    if item is None:
        raise ItemNotFound(texts.NOT_FOUND)
    return item


async def role_of(user: StaffUser, item: HotItem) -> str:
    return item_role(user, item.owner_unit_id, await co_unit_ids(item))


async def item_for(
    user: StaffUser, number: str, action: str = "", allowed: Sequence[str] = ()
) -> tuple[HotItem, str]:
    """The item ``user`` may see (else not found, as if there were none) and their role on it;
    with ``allowed``, :class:`ItemForbidden` unless the role is one of them."""
    item = await get_item(number)
    role = await role_of(user, item)
    if not role:
        raise ItemNotFound(texts.NOT_FOUND)
    if allowed and role not in allowed:
        raise ItemForbidden(texts.FORBIDDEN.format(action=action))
    return item, role


def refuse_unless_open(item: HotItem, action: str) -> None:
    if item.status != HotItemStatus.OPEN:
        status = texts.STATUS_LABELS.get(str(item.status), str(item.status))
        raise ItemStateError(texts.NOT_OPEN.format(status=status, action=action))


async def bump(item: HotItem, version: int | None, now: datetime, **changes: Any) -> None:
    """Apply ``changes`` if the item is still at ``version`` (the one the caller saw, else the
    one read); raises :class:`ItemStateError` when somebody changed it meanwhile."""
    seen = item.version if version is None else version
    if seen != item.version:
        raise ItemStateError(texts.CHANGED)
    won = await HotItem.filter(id=item.id, version=seen).update(
        version=seen + 1, updated_at=now, **changes
    )
    if not won:
        raise ItemStateError(texts.CHANGED)
    item.version, item.updated_at = seen + 1, now
    for name, value in changes.items():
        setattr(item, name, value)


def summary(item: HotItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "kind": str(item.kind),
        "owner_unit": item.owner_unit_id,
        "deadline": item.deadline.isoformat(),
        "month": item.month,
        "status": str(item.status),
    }


async def _month_taken(unit: Unit, month: str) -> None:
    other = await (
        HotItem.filter(kind=HotItemKind.MONTHLY, month=month, owner_unit_id=unit.id)
        .exclude(status=HotItemStatus.WITHDRAWN)
        .first()
    )
    if other is not None:
        raise ItemStateError(
            texts.MONTH_TAKEN.format(unit=unit.name, month=month, number=other.number)
        )


async def create_item(given: ItemIn, actor: StaffActor, now: datetime) -> HotItem:
    """Make an item (``hot.items.manage``: the caller checked); its cases linked as ``hot``."""
    checked = check_item(given, now)
    units = await units_by_code([checked.owner_unit, *checked.co_units])
    owner = units[checked.owner_unit]
    cases = await with_duplicates(await cases_by_number(checked.numbers))
    async with in_transaction():
        number = await next_item_number(now)  # first: on PostgreSQL it serialises the rest
        if checked.kind == HotItemKind.MONTHLY.value:
            await _month_taken(owner, checked.month)
        item = await HotItem.create(
            number=number,
            kind=checked.kind,
            status=HotItemStatus.OPEN,
            title=checked.title,
            problem=checked.problem,
            topic_words=list(checked.topic_words),
            place_key=checked.place_key,
            place_label=checked.place_label,
            category=checked.category,
            month=checked.month or None,
            owner_unit_id=owner.id,
            plan=checked.plan,
            deadline=checked.deadline,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
            heat=checked.heat,
            version=0,
        )
        if checked.co_units:
            await HotItemUnit.bulk_create(
                [HotItemUnit(item_id=item.id, unit_id=units[c].id) for c in checked.co_units]
            )
        if checked.milestones:
            await HotItemMilestone.bulk_create(
                [
                    HotItemMilestone(item_id=item.id, position=n, title=m.title, due=m.due)
                    for n, m in enumerate(checked.milestones)
                ]
            )
        linked = await link_cases(item, cases, "hot", Actor("staff", actor.username), now)
        await add_note(
            item,
            "created",
            actor.username,
            now,
            checked.plan[:200],
            {"cases": len(linked), "deadline": checked.deadline.isoformat()},
        )
        await audit(
            actor,
            "hot_item.create",
            now,
            target_type="hot_item",
            target_id=item.number,
            detail={**summary(item), "cases": [c.number for c in linked]},
        )
    items_changed()
    return item
