"""The items as a 台账 (ledger): filtered, paged, and exported as CSV or XLSX.

Filters: ``status``, ``kind``, ``owner`` (unit code), ``co_unit`` (unit code), ``month``
(YYYY-MM of 每月一题), ``overdue`` (open and past its deadline), ``q`` (number, title, problem
or place). A unit's staff see the items their unit owns or helps with; the centre every item
(``handlers.staff.permissions.item_role``).

Export columns (:data:`COLUMNS`): 编号 类型 标题 地点 牵头单位 协办单位 立项时间 期限 状态
进度 (milestones done/all) 关联诉求数 结果. CSV is UTF-8 with a BOM (Excel); in both a cell that
starts with ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'`` so a spreadsheet never runs it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from config import hot_items as texts
from handlers.clock import local
from handlers.hot.items import MONTH_PATTERN
from handlers.staff.permissions import can
from models import (
    HotItem,
    HotItemCase,
    HotItemMilestone,
    HotItemNote,
    HotItemStatus,
    HotItemUnit,
    StaffRole,
    StaffUser,
    Unit,
)

COLUMNS = (
    "编号",
    "类型",
    "标题",
    "地点",
    "牵头单位",
    "协办单位",
    "立项时间",
    "期限",
    "状态",
    "进度",
    "关联诉求数",
    "结果",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerProblem(ValueError):
    """A filter that cannot be used; the message says which."""


@dataclass(frozen=True)
class LedgerFilter:
    status: str = ""
    kind: str = ""
    owner: str = ""  # unit code
    co_unit: str = ""  # unit code
    month: str = ""
    overdue: bool = False
    q: str = ""


@dataclass(frozen=True)
class LedgerRow:
    """One line of the ledger, as the page, the API and the exports show it."""

    item: HotItem
    owner: str
    co_units: tuple[str, ...]
    milestones_done: int
    milestones: int
    cases: int
    overdue: bool
    result: str  # the outcome and result, or why it was withdrawn

    @property
    def progress(self) -> str:
        return f"{self.milestones_done}/{self.milestones}"

    def cells(self) -> list[Any]:
        item = self.item
        return [
            item.number,
            texts.KIND_LABELS.get(str(item.kind), str(item.kind)),
            item.title,
            item.place_label,
            self.owner,
            "、".join(self.co_units),
            local(item.created_at).strftime("%Y-%m-%d %H:%M"),
            item.deadline.isoformat(),
            texts.STATUS_LABELS.get(str(item.status), str(item.status))
            + ("（已逾期）" if self.overdue else ""),
            self.progress,
            self.cases,
            self.result,
        ]


async def _unit_id(code: str, name: str) -> int:
    unit = await Unit.get_or_none(code=code[:32])
    if unit is None:
        raise LedgerProblem(f"没有这个{name}：{code[:32]}")
    return unit.id


async def ledger_query(user: StaffUser, given: LedgerFilter, today: date) -> QuerySet[HotItem]:
    """The items ``user`` may see that pass ``given``, newest first."""
    query = HotItem.all()
    if not can(user, "hot.items.manage") and not (
        StaffRole(user.role) == StaffRole.SUPERVISOR and user.unit_id is None
    ):
        mine = HotItemUnit.filter(unit_id=user.unit_id or 0).values_list("item_id", flat=True)
        query = query.filter(Q(owner_unit_id=user.unit_id or 0) | Q(id__in=list(await mine)))
    if given.status:
        if given.status not in texts.STATUS_LABELS:
            raise LedgerProblem("status 须为 open、closed 或 withdrawn")
        query = query.filter(status=given.status)
    if given.kind:
        if given.kind not in texts.KIND_LABELS:
            raise LedgerProblem("kind 须为 proactive 或 monthly")
        query = query.filter(kind=given.kind)
    if given.owner:
        query = query.filter(owner_unit_id=await _unit_id(given.owner, "牵头单位"))
    if given.co_unit:
        unit_id = await _unit_id(given.co_unit, "协办单位")
        helped = await HotItemUnit.filter(unit_id=unit_id).values_list("item_id", flat=True)
        query = query.filter(id__in=list(helped) or [0])
    if given.month:
        if not MONTH_PATTERN.fullmatch(given.month):
            raise LedgerProblem("month 格式如 2026-03")
        query = query.filter(month=given.month)
    if given.overdue:
        query = query.filter(status=HotItemStatus.OPEN, deadline__lt=today)
    q = given.q.replace("\x00", "").strip()[:64]
    if q:
        query = query.filter(
            Q(number__icontains=q)
            | Q(title__icontains=q)
            | Q(problem__icontains=q)
            | Q(place_label__icontains=q)
        )
    return query.order_by("-created_at", "-id")


async def ledger_rows(items: list[HotItem], today: date) -> list[LedgerRow]:
    """The ledger's lines for ``items`` (a few queries for all of them, not a few each)."""
    ids = [i.id for i in items] or [0]
    co = await HotItemUnit.filter(item_id__in=ids).order_by("id").values("item_id", "unit_id")
    unit_ids = {i.owner_unit_id for i in items} | {r["unit_id"] for r in co}
    names = dict(await Unit.filter(id__in=list(unit_ids) or [0]).values_list("id", "name"))
    co_names: dict[int, list[str]] = {}
    for row in co:
        co_names.setdefault(row["item_id"], []).append(str(names.get(row["unit_id"], "")))
    steps = (
        await HotItemMilestone.filter(item_id__in=ids)
        .group_by("item_id")
        .annotate(n=Count("id"))
        .values("item_id", "n")
    )
    done = (
        await HotItemMilestone.filter(item_id__in=ids, done_at__isnull=False)
        .group_by("item_id")
        .annotate(n=Count("id"))
        .values("item_id", "n")
    )
    cases = (
        await HotItemCase.filter(item_id__in=ids)
        .group_by("item_id")
        .annotate(n=Count("id"))
        .values("item_id", "n")
    )
    withdrawn = [i.id for i in items if i.status == HotItemStatus.WITHDRAWN]
    reasons = {
        int(r["item_id"]): str(r["text"])
        for r in await HotItemNote.filter(item_id__in=withdrawn or [0], action="withdrawn").values(
            "item_id", "text"
        )
    }
    count = {int(r["item_id"]): int(r["n"]) for r in steps}
    ticked = {int(r["item_id"]): int(r["n"]) for r in done}
    linked = {int(r["item_id"]): int(r["n"]) for r in cases}
    rows = []
    for item in items:
        if item.status == HotItemStatus.CLOSED:
            result = f"{texts.OUTCOME_LABELS.get(str(item.outcome), '')}：{item.result}"
        elif item.status == HotItemStatus.WITHDRAWN:
            result = f"撤销：{reasons.get(item.id, '')}"
        else:
            result = ""
        rows.append(
            LedgerRow(
                item=item,
                owner=str(names.get(item.owner_unit_id, "")),
                co_units=tuple(co_names.get(item.id, [])),
                milestones_done=ticked.get(item.id, 0),
                milestones=count.get(item.id, 0),
                cases=linked.get(item.id, 0),
                overdue=item.status == HotItemStatus.OPEN and item.deadline < today,
                result=result,
            )
        )
    return rows


async def ledger_page(
    user: StaffUser, given: LedgerFilter, today: date, page: int, size: int
) -> tuple[list[LedgerRow], int]:
    query = await ledger_query(user, given, today)
    total = await query.count()
    items = await query.offset((page - 1) * size).limit(size)
    return await ledger_rows(list(items), today), total


async def ledger_export(user: StaffUser, given: LedgerFilter, today: date) -> list[LedgerRow]:
    query = await ledger_query(user, given, today)
    return await ledger_rows(list(await query.limit(texts.EXPORT_LIMIT)), today)


def _cell(value: Any) -> Any:
    if isinstance(value, int):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(rows: list[LedgerRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in row.cells()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[LedgerRow], now: datetime) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "热点事项台账"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_cell(v) for v in row.cells()])
    sheet.freeze_panes = "A2"
    book.properties.created = now.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
