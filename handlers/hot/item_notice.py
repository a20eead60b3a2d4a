"""告知居民: the residents who raised a closed item are told its result in one broadcast.

The notice's audience is the item's residents (``{"kind": "item", "item": number}``,
``handlers.broadcasts``): every resident of a case linked to it, once however many of their
cases it covers. It is drafted in the caller's name with the result as its text and then goes
the notice's normal way - a preview to its author, submitting, a second admin's approval, the
quota and consent checks, delivery through the outbox - so nobody is told anything unapproved.
The item keeps the notice's id (``notice_id``) and a ``notice`` note. A second notice is refused
while the first is still on its way or sent; a rejected or cancelled one may be drafted again.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from config import hot_items as texts
from handlers.broadcasts.notices import create_notice
from handlers.hot.items import ItemProblem, ItemStateError, add_note, bump, item_for
from handlers.staff.audit import StaffActor, audit
from models import Case, HotItem, HotItemCase, HotItemStatus, Notice, NoticeStatus, StaffUser, Unit

REDO = (NoticeStatus.REJECTED, NoticeStatus.CANCELLED)


def notice_text(item: HotItem, unit_name: str) -> str:
    """What the residents read: the problem, who took it up, and the result."""
    result = item.result.strip()
    if result and not result.endswith(("。", "！", "？", ".", "!")):
        result += "。"
    return texts.NOTICE_TEXT.format(
        title=item.title,
        kind=texts.KIND_LABELS[str(item.kind)],
        number=item.number,
        unit=unit_name,
        outcome=texts.OUTCOME_LABELS.get(str(item.outcome or ""), ""),
        result=result,
    )


async def residents_of(item: HotItem) -> int:
    """How many different residents the item's cases have."""
    case_ids = await HotItemCase.filter(item_id=item.id).values_list("case_id", flat=True)
    if not case_ids:
        return 0
    rows = (
        await Case.filter(id__in=list(case_ids), resident_id__isnull=False)
        .distinct()
        .values_list("resident_id", flat=True)
    )
    return len(set(rows))


async def tell_residents(
    user: StaffUser,
    actor: StaffActor,
    number: str,
    now: datetime,
    version: int | None,
    text: str = "",
) -> Notice:
    item, _ = await item_for(user, number, "告知居民", ("manage",))
    if item.status != HotItemStatus.CLOSED or not item.result:
        raise ItemStateError(texts.NOTICE_NOT_CLOSED)
    if item.notice_id is not None:
        earlier = await Notice.get_or_none(id=item.notice_id)
        if earlier is not None and earlier.status not in REDO:
            raise ItemStateError(texts.NOTICE_EXISTS.format(notice=earlier.id))
    if not await residents_of(item):
        raise ItemProblem(texts.NOTICE_NO_RESIDENTS)
    unit = await Unit.get(id=item.owner_unit_id)
    body = text.strip() or notice_text(item, unit.name)
    async with in_transaction():
        notice = await create_notice(
            actor,
            now,
            title=texts.NOTICE_TITLE.format(number=item.number),
            kind="text",
            channel="mp_mass",
            audience={"kind": "item", "item": item.number},
            content={"text": body},
        )
        await bump(item, version, now, notice_id=notice.id)
        await add_note(
            item,
            "notice",
            actor.username,
            now,
            f"已生成告知通知（编号 {notice.id}），待审批后发送",
            {"notice": notice.id},
        )
        await audit(
            actor,
            "hot_item.notice",
            now,
            target_type="hot_item",
            target_id=item.number,
            detail={"notice": notice.id},
        )
    return notice
