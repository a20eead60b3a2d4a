"""The steps of a governance item after it is made: edit, milestones, notes, cases, close,
withdraw. Each is a note on the item's timeline and an audit event (``hot_item.*``), in one
transaction with a conditional update of the item's ``version`` (``handlers.hot.items.bump``).

Who (``handlers.staff.permissions.item_role``): the centre (``manage``) every step; the owner
unit (``owner``) notes, milestones ticked and the close; a co-unit (``co``) notes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tortoise.transactions import in_transaction

from config import hot_items as texts
from handlers.hot.item_cache import items_changed
from handlers.hot.items import (
    ItemProblem,
    ItemStateError,
    MilestoneIn,
    add_note,
    bump,
    cases_by_number,
    check_deadline,
    check_milestones,
    item_for,
    link_cases,
    refuse_unless_open,
    units_by_code,
    with_duplicates,
)
from handlers.staff.audit import StaffActor, audit
from handlers.timeline import Actor, event_row, record_events
from models import (
    Case,
    HotItem,
    HotItemCase,
    HotItemMilestone,
    HotItemOutcome,
    HotItemStatus,
    HotItemUnit,
    StaffUser,
    Unit,
)
from models.case_status import CaseAction

MANAGE = ("manage",)
OWNER = ("manage", "owner")
ANYONE = ("manage", "owner", "co")


@dataclass(frozen=True)
class ItemEdit:
    """What may change of an open item; ``None``: unchanged."""

    title: str | None = None
    problem: str | None = None
    plan: str | None = None
    deadline: date | None = None
    deadline_reason: str = ""
    co_units: tuple[str, ...] | None = None


def _bounded(value: str, name: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise ItemProblem(f"请填写{name}")
    if len(value) > limit:
        raise ItemProblem(f"{name}最多{limit}个字")
    return value


async def _audit(
    actor: StaffActor, action: str, item: HotItem, now: datetime, **detail: object
) -> None:
    await audit(
        actor,
        f"hot_item.{action}",
        now,
        target_type="hot_item",
        target_id=item.number,
        detail=detail,
    )


async def edit_item(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    edit: ItemEdit,
    now: datetime,
    version: int | None,
) -> HotItem:
    item, _ = await item_for(user, number, "修改", MANAGE)
    refuse_unless_open(item, "修改")
    changes: dict[str, object] = {}
    said: list[str] = []
    if edit.title is not None:
        title = _bounded(edit.title, "标题", texts.TITLE_LIMIT, required=True)
        if title != item.title:
            changes["title"] = title
            said.append("标题")
    if edit.problem is not None:
        problem = _bounded(edit.problem, "问题描述", texts.PROBLEM_LIMIT)
        if problem != item.problem:
            changes["problem"] = problem
            said.append("问题描述")
    if edit.plan is not None:
        plan = _bounded(edit.plan, "工作方案", texts.PLAN_LIMIT)
        if plan != item.plan:
            changes["plan"] = plan
            said.append("工作方案")
    moved: tuple[str, str] | None = None
    if edit.deadline is not None and edit.deadline != item.deadline:
        problems = check_deadline(edit.deadline, now)
        if problems:
            raise ItemProblem("；".join(problems))
        reason = _bounded(edit.deadline_reason, "调整原因", texts.REASON_LIMIT)
        if not reason:
            raise ItemProblem(texts.DEADLINE_REASON)
        moved = (item.deadline.isoformat(), edit.deadline.isoformat())
        changes["deadline"] = edit.deadline
    new_units: dict[str, Unit] | None = None
    if edit.co_units is not None:
        codes = tuple(dict.fromkeys(c.strip() for c in edit.co_units if c.strip()))
        if len(codes) > texts.MAX_CO_UNITS:
            raise ItemProblem(f"协办单位最多{texts.MAX_CO_UNITS}个")
        new_units = await units_by_code(codes)
        if any(u.id == item.owner_unit_id for u in new_units.values()):
            raise ItemProblem("牵头单位不必再列为协办单位")
    old_ids = set(await HotItemUnit.filter(item_id=item.id).values_list("unit_id", flat=True))
    unit_change = new_units is not None and {u.id for u in new_units.values()} != old_ids
    if not changes and not unit_change:
        raise ItemProblem("没有要修改的内容")
    async with in_transaction():
        await bump(item, version, now, **changes)
        if unit_change and new_units is not None:
            await HotItemUnit.filter(item_id=item.id).delete()
            await HotItemUnit.bulk_create(
                [HotItemUnit(item_id=item.id, unit_id=u.id) for u in new_units.values()]
            )
            said.append("协办单位")
        if said:
            await add_note(item, "edited", actor.username, now, "修改了" + "、".join(said))
        if moved is not None:
            await add_note(
                item,
                "deadline",
                actor.username,
                now,
                f"期限由 {moved[0]} 调整为 {moved[1]}：{edit.deadline_reason.strip()}",
                {"from": moved[0], "to": moved[1], "reason": edit.deadline_reason.strip()},
            )
        await _audit(
            actor,
            "edit",
            item,
            now,
            changed=said + (["期限"] if moved else []),
            deadline=list(moved) if moved else None,
            co_units=sorted(new_units) if unit_change and new_units is not None else None,
        )
    items_changed()
    return item


async def add_milestones(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    given: Sequence[MilestoneIn],
    now: datetime,
    version: int | None,
) -> list[HotItemMilestone]:
    item, _ = await item_for(user, number, "新增节点", MANAGE)
    refuse_unless_open(item, "新增节点")
    problems: list[str] = []
    checked = check_milestones(given, now, problems)
    if not checked and not problems:
        problems.append("请填写节点")
    existing = await HotItemMilestone.filter(item_id=item.id).count()
    if existing + len(checked) > texts.MAX_MILESTONES:
        problems.append(f"节点最多{texts.MAX_MILESTONES}个")
    if problems:
        raise ItemProblem("；".join(problems))
    async with in_transaction():
        await bump(item, version, now)
        made = []
        for n, milestone in enumerate(checked):
            made.append(
                await HotItemMilestone.create(
                    item_id=item.id, position=existing + n, title=milestone.title, due=milestone.due
                )
            )
        await add_note(
            item,
            "milestone",
            actor.username,
            now,
            "；".join(f"{m.title}（{m.due.isoformat()}）" for m in checked),
            {"milestones": [m.id for m in made]},
        )
        await _audit(actor, "milestone", item, now, milestones=[m.title for m in checked])
    return made


async def tick_milestone(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    milestone_id: int,
    note: str,
    now: datetime,
    version: int | None,
) -> HotItemMilestone:
    item, _ = await item_for(user, number, "标记节点完成", OWNER)
    refuse_unless_open(item, "标记节点完成")
    note = _bounded(note, "说明", texts.NOTE_LIMIT)
    milestone = await HotItemMilestone.get_or_none(id=milestone_id, item_id=item.id)
    if milestone is None:
        raise ItemProblem(texts.MILESTONE_UNKNOWN)
    if milestone.done_at is not None:
        raise ItemStateError(texts.MILESTONE_DONE)
    async with in_transaction():
        await bump(item, version, now)
        won = await HotItemMilestone.filter(id=milestone.id, done_at__isnull=True).update(
            done_at=now, note=note
        )
        if not won:
            raise ItemStateError(texts.MILESTONE_DONE)
        milestone.done_at, milestone.note = now, note
        await add_note(
            item,
            "milestone_done",
            actor.username,
            now,
            milestone.title + (f"：{note}" if note else ""),
            {"milestone": milestone.id},
        )
        await _audit(actor, "milestone_done", item, now, milestone=milestone.id)
    return milestone


async def add_progress(
    user: StaffUser, actor: StaffActor, number: str, text: str, now: datetime, version: int | None
) -> HotItem:
    item, role = await item_for(user, number, "记录进展", ANYONE)
    refuse_unless_open(item, "记录进展")
    text = _bounded(text, "进展", texts.NOTE_LIMIT, required=True)
    async with in_transaction():
        await bump(item, version, now)
        await add_note(item, "progress", actor.username, now, text, {"role": role})
        await _audit(actor, "progress", item, now, length=len(text))
    return item


async def link_by_hand(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    case_number: str,
    now: datetime,
    version: int | None,
) -> Case:
    item, _ = await item_for(user, number, "关联诉求", MANAGE)
    refuse_unless_open(item, "关联诉求")
    (case,) = await cases_by_number([case_number.strip()[:32]])
    if await HotItemCase.exists(item_id=item.id, case_id=case.id):
        raise ItemStateError(texts.CASE_LINKED.format(number=case.number))
    cases = await with_duplicates([case])
    async with in_transaction():
        await bump(item, version, now)
        linked = await link_cases(item, cases, "staff", Actor("staff", actor.username), now)
        await add_note(
            item,
            "linked",
            actor.username,
            now,
            " ".join(c.number for c in linked),
            {"cases": [c.number for c in linked], "how": "staff"},
        )
        await _audit(actor, "link", item, now, cases=[c.number for c in linked])
    return case


async def unlink_by_hand(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    case_number: str,
    now: datetime,
    version: int | None,
) -> None:
    item, _ = await item_for(user, number, "取消关联", MANAGE)
    refuse_unless_open(item, "取消关联")
    case = await Case.get_or_none(number=case_number.strip()[:32])
    link = await HotItemCase.get_or_none(item_id=item.id, case_id=case.id) if case else None
    if case is None or link is None:
        raise ItemProblem(texts.CASE_NOT_LINKED.format(number=case_number[:32]))
    async with in_transaction():
        await bump(item, version, now)
        if not await HotItemCase.filter(id=link.id).delete():
            raise ItemStateError(texts.CHANGED)
        await record_events(
            [
                event_row(
                    case,
                    CaseAction.ANNOTATE,
                    Actor("staff", actor.username),
                    now,
                    from_status=None,
                    to_status=None,
                    note=texts.CASE_EVENT_UNLINKED.format(number=item.number),
                    data={"hot_item": item.number, "unlinked": True},
                )
            ]
        )
        await add_note(item, "unlinked", actor.username, now, case.number, {"case": case.number})
        await _audit(actor, "unlink", item, now, case=case.number)


async def close_item(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    outcome: str,
    result: str,
    now: datetime,
    version: int | None,
) -> HotItem:
    item, _ = await item_for(user, number, "办结", OWNER)
    refuse_unless_open(item, "办结")
    if outcome not in texts.OUTCOME_LABELS:
        raise ItemProblem(
            "办理结果须为 solved（已解决）、partly（部分解决）或 unsolved（未能解决）"
        )
    result = _bounded(result, "结果说明", texts.RESULT_LIMIT, required=True)
    async with in_transaction():
        await bump(
            item,
            version,
            now,
            status=HotItemStatus.CLOSED,
            outcome=HotItemOutcome(outcome),
            result=result,
            closed_at=now,
        )
        await add_note(
            item,
            "closed",
            actor.username,
            now,
            f"{texts.OUTCOME_LABELS[outcome]}：{result}",
            {"outcome": outcome},
        )
        await _audit(actor, "close", item, now, outcome=outcome)
    items_changed()
    return item


async def withdraw_item(
    user: StaffUser, actor: StaffActor, number: str, reason: str, now: datetime, version: int | None
) -> HotItem:
    item, _ = await item_for(user, number, "撤销", MANAGE)
    refuse_unless_open(item, "撤销")
    reason = _bounded(reason, "撤销原因", texts.REASON_LIMIT, required=True)
    async with in_transaction():
        await bump(item, version, now, status=HotItemStatus.WITHDRAWN, closed_at=now)
        await add_note(item, "withdrawn", actor.username, now, reason, {"reason": reason})
        await _audit(actor, "withdraw", item, now, reason=reason)
    items_changed()
    return item
