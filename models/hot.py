"""Hot issues turned into work (issue 20): governance items (未诉先办, 每月一题) and warnings.

A hot issue itself is not stored: it is computed from cases (``handlers/hot``). When staff take
one up it becomes a ``HotItem`` with an owner unit, co-units, a plan, milestones and a deadline,
the cases it covers (``HotItemCase``: those it was made from, and new ones that match as they
arrive), and a timeline of progress notes (``HotItemNote``). A ``HotWarning`` is one jump in the
volume of a topic or a place found by the warning sweep, stored once per key and week.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case
    from models.district import Unit


class HotItemKind(StrEnum):
    PROACTIVE = "proactive"  # 未诉先办: a problem taken up before more residents complain
    MONTHLY = "monthly"  # 每月一题: the month's chosen problem, solved at its root

    @property
    def label(self) -> str:
        return "每月一题" if self is HotItemKind.MONTHLY else "未诉先办"


class HotItemStatus(StrEnum):
    OPEN = "open"  # 办理中: an owner, a plan and a deadline
    CLOSED = "closed"  # 已办结: closed with its result
    WITHDRAWN = "withdrawn"  # 已撤销: taken up by mistake, with the reason

    @property
    def label(self) -> str:
        return HOT_ITEM_STATUS_LABELS[self]


HOT_ITEM_STATUS_LABELS: dict[HotItemStatus, str] = {
    HotItemStatus.OPEN: "办理中",
    HotItemStatus.CLOSED: "已办结",
    HotItemStatus.WITHDRAWN: "已撤销",
}


class HotItemOutcome(StrEnum):
    SOLVED = "solved"  # 已解决
    PARTLY = "partly"  # 部分解决
    UNSOLVED = "unsolved"  # 未能解决 (with why)


class HotItem(Model):
    """One hot issue taken up as a piece of work, a line of the ledger (台账)."""

    owner_unit_id: int
    created_by_id: int | None

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True, description="RD + yymm + sequence")
    kind = fields.CharEnumField(HotItemKind, max_length=16, default=HotItemKind.PROACTIVE)
    status = fields.CharEnumField(HotItemStatus, max_length=16, default=HotItemStatus.OPEN)
    title = fields.CharField(max_length=128)
    problem = fields.TextField(default="", description="what the residents raised, in short")
    # What new cases are matched by: the topic's words, the place's key, the first-level category.
    topic_words: fields.JSONField[list[str]] = fields.JSONField(default=list)
    place_key = fields.CharField(max_length=64, default="", description="empty: no place")
    place_label = fields.CharField(max_length=128, default="")
    category = fields.CharField(max_length=128, default="")
    month = fields.CharField(max_length=7, null=True, description="YYYY-MM for 每月一题")
    owner_unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="hot_items", on_delete=fields.RESTRICT
    )
    plan = fields.TextField(default="")
    deadline = fields.DateField(description="local date by which it is to be solved")
    created_by: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "models.StaffUser", related_name="hot_items", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(HotItemOutcome, max_length=16, null=True)
    result = fields.TextField(default="", description="what was done, as residents are told")
    # The notice that told the residents who raised it (one broadcast to exactly them).
    notice_id = fields.BigIntField(null=True)
    heat: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="the hot issue's factors when it was taken up"
    )
    version = fields.IntField(default=0, description="bumped on every change")

    class Meta:
        table = "hot_items"
        indexes = (("status", "deadline"), ("owner_unit_id", "status"))


class HotItemUnit(Model):
    """A co-unit (协办单位) of an item."""

    item_id: int
    unit_id: int

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[HotItem] = fields.ForeignKeyField(
        "models.HotItem", related_name="co_units", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="hot_item_roles", on_delete=fields.CASCADE
    )

    class Meta:
        table = "hot_item_units"
        unique_together = (("item", "unit"),)


class HotItemMilestone(Model):
    """A step of an item's plan with its own date, ticked off when done."""

    item_id: int

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[HotItem] = fields.ForeignKeyField(
        "models.HotItem", related_name="milestones", on_delete=fields.CASCADE
    )
    position = fields.IntField(default=0)
    title = fields.CharField(max_length=128)
    due = fields.DateField()
    done_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="")

    class Meta:
        table = "hot_item_milestones"
        ordering = ("position", "id")


class HotItemCase(Model):
    """A case an item covers: one it was made from (``hot``), one linked as it arrived
    (``auto``), or one staff added by hand (``staff``)."""

    item_id: int
    case_id: int

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[HotItem] = fields.ForeignKeyField(
        "models.HotItem", related_name="cases", on_delete=fields.CASCADE
    )
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="hot_items", on_delete=fields.CASCADE
    )
    how = fields.CharField(max_length=8, default="hot", description="hot | auto | staff")
    linked_at = fields.DatetimeField()

    class Meta:
        table = "hot_item_cases"
        unique_together = (("item", "case"),)
        indexes = (("case_id",),)


class HotItemNote(Model):
    """One entry of an item's timeline: taken up, a progress note, a milestone done, the
    deadline moved, closed, residents told."""

    item_id: int

    id = fields.BigIntField(primary_key=True)
    item: fields.ForeignKeyRelation[HotItem] = fields.ForeignKeyField(
        "models.HotItem", related_name="notes", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    action = fields.CharField(max_length=16, description="created | progress | milestone | ...")
    actor = fields.CharField(max_length=64, default="", description="staff username or system")
    text = fields.TextField(default="")
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "hot_item_notes"
        ordering = ("at", "id")
        indexes = (("item_id", "at"),)


class HotWarning(Model):
    """A topic or place whose volume jumped against its trailing weeks (预警), stored once per
    key and week so that the sweep tells people once."""

    unit_id: int | None
    item_id: int | None

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=160, description="t:<topic words> or p:<place key>")
    label = fields.CharField(max_length=160, description="what people read: place and topic")
    week = fields.DateField(description="local Monday of the week it was found in")
    found_at = fields.DatetimeField()
    count = fields.IntField(description="cases in the last 7 days")
    residents = fields.IntField(default=0)
    baseline = fields.FloatField(description="weekly average over the trailing four weeks")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="hot_warnings", null=True, on_delete=fields.SET_NULL
    )
    numbers: fields.JSONField[list[str]] = fields.JSONField(default=list)
    item: fields.ForeignKeyNullableRelation[HotItem] = fields.ForeignKeyField(
        "models.HotItem", related_name="warnings", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "hot_warnings"
        unique_together = (("key", "week"),)
        indexes = (("found_at",),)
