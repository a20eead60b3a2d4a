"""Admins edit the routing rules (派单规则) and the SLA policy (时限规则) on the dashboard.

Every change is checked (a category that is a taxonomy path or a first level, units and grids
that exist, limits that make sense), written with its audit event in one transaction, and
described in the event's detail as before/after. The caller then invalidates its caches
(``IntakeService.routing`` and ``.sla``) so the change holds for the next case in this process;
other processes reload within a minute (``RefreshingCache``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from config.lexicon import KIND_LABELS
from config.taxonomy import first_level_names, is_valid_path
from handlers.staff.audit import StaffActor, audit
from handlers.workflow.sla_table import GRADES
from models import Grid, RoutingRule, SlaRule, Unit

MAX_PRIORITY = 100_000
MAX_HOURS = 24 * 90
MAX_WORKING_DAYS = 90


class RuleRejected(ValueError):
    """The rule as given cannot be saved; the message says what to change (in Chinese)."""


@dataclass(frozen=True)
class RoutingRuleIn:
    priority: int
    category_prefix: str = ""
    kind: str = ""
    street: str = ""
    grid_code: str = ""
    unit_code: str = ""  # empty: the street office of the case's grid
    note: str = ""
    active: bool = True


def rule_detail(rule: RoutingRule) -> dict[str, Any]:
    return {
        "priority": rule.priority,
        "category_prefix": rule.category_prefix,
        "kind": rule.kind,
        "street": rule.street,
        "grid_id": rule.grid_id,
        "unit_id": rule.unit_id,
        "note": rule.note,
        "active": rule.active,
    }


async def _routing_columns(given: RoutingRuleIn) -> dict[str, Any]:
    if not 0 <= given.priority <= MAX_PRIORITY:
        raise RuleRejected(f"优先级须为 0 到 {MAX_PRIORITY} 的整数（小的先匹配）")
    prefix = given.category_prefix.strip().strip("/")
    if prefix and prefix not in first_level_names() and not is_valid_path(prefix):
        raise RuleRejected(f"没有这个分类：{prefix}（填一级分类，或“一级/二级”，留空匹配全部）")
    kind = given.kind.strip()
    if kind and kind not in KIND_LABELS:
        raise RuleRejected(f"没有这个诉求类型：{kind}")
    street = given.street.strip()
    if street and not await Grid.exists(street=street):
        raise RuleRejected(f"没有网格属于街道“{street}”")
    grid_id = None
    if given.grid_code.strip():
        grid = await Grid.get_or_none(code=given.grid_code.strip())
        if grid is None:
            raise RuleRejected(f"没有编号为 {given.grid_code.strip()} 的网格")
        grid_id = grid.id
    unit_id = None
    if given.unit_code.strip():
        unit = await Unit.get_or_none(code=given.unit_code.strip(), active=True)
        if unit is None:
            raise RuleRejected(f"没有在用的承办单位 {given.unit_code.strip()}")
        unit_id = unit.id
    note = given.note.strip()
    if len(note) > 128:
        raise RuleRejected("备注不能超过128字")
    return {
        "priority": given.priority,
        "category_prefix": prefix,
        "kind": kind or None,
        "street": street or None,
        "grid_id": grid_id,
        "unit_id": unit_id,
        "note": note,
        "active": given.active,
    }


async def create_routing_rule(
    given: RoutingRuleIn, actor: StaffActor, now: datetime
) -> RoutingRule:
    columns = await _routing_columns(given)
    async with in_transaction():
        rule = await RoutingRule.create(**columns)
        await audit(
            actor,
            "routing.create",
            now,
            target_type="routing_rule",
            target_id=rule.id,
            detail={"after": rule_detail(rule)},
        )
    return rule


async def update_routing_rule(
    rule_id: int, given: RoutingRuleIn, actor: StaffActor, now: datetime
) -> RoutingRule:
    columns = await _routing_columns(given)
    async with in_transaction():
        rule = await RoutingRule.get_or_none(id=rule_id)
        if rule is None:
            raise RuleRejected("这条派单规则已不存在，请刷新")
        before = rule_detail(rule)
        await RoutingRule.filter(id=rule_id).update(**columns)
        await rule.refresh_from_db()
        await audit(
            actor,
            "routing.update",
            now,
            target_type="routing_rule",
            target_id=rule.id,
            detail={"before": before, "after": rule_detail(rule)},
        )
    return rule


async def delete_routing_rule(rule_id: int, actor: StaffActor, now: datetime) -> None:
    async with in_transaction():
        rule = await RoutingRule.get_or_none(id=rule_id)
        if rule is None:
            raise RuleRejected("这条派单规则已不存在，请刷新")
        before = rule_detail(rule)
        await rule.delete()
        await audit(
            actor,
            "routing.delete",
            now,
            target_type="routing_rule",
            target_id=rule_id,
            detail={"before": before},
        )


@dataclass(frozen=True)
class LimitIn:
    """One limit as typed: an amount and its unit ("hours" or "working_days"); 0 keeps the
    policy's limit."""

    amount: float = 0
    unit: str = "hours"


@dataclass(frozen=True)
class SlaRuleIn:
    kind: str  # "" = every kind
    grade: str  # 急 | 一般 | 难 | 急难
    sign: LimitIn = LimitIn()
    first_contact: LimitIn = LimitIn()
    completion: LimitIn = LimitIn()


LIMIT_LABELS = {"sign": "签收时限", "first_contact": "先行联系时限", "completion": "办结时限"}


def _limit_columns(name: str, limit: LimitIn) -> dict[str, Any]:
    label = LIMIT_LABELS[name]
    if not math.isfinite(limit.amount):
        # NaN passes every comparison below and would make every deadline of the grade fail.
        raise RuleRejected(f"{label}须为数字")
    if limit.amount < 0:
        raise RuleRejected(f"{label}不能为负数")
    if limit.unit == "working_days":
        if limit.amount != int(limit.amount) or limit.amount > MAX_WORKING_DAYS:
            raise RuleRejected(f"{label}按工作日计时须为 0 到 {MAX_WORKING_DAYS} 的整数")
        return {f"{name}_hours": 0, f"{name}_working_days": int(limit.amount)}
    if limit.unit != "hours":
        raise RuleRejected(f"{label}的单位只能是小时或工作日")
    if limit.amount > MAX_HOURS:
        raise RuleRejected(f"{label}不能超过 {MAX_HOURS} 小时")
    return {f"{name}_hours": float(limit.amount), f"{name}_working_days": 0}


def sla_detail(rule: SlaRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "grade": rule.grade,
        "sign_hours": rule.sign_hours,
        "sign_working_days": rule.sign_working_days,
        "first_contact_hours": rule.first_contact_hours,
        "first_contact_working_days": rule.first_contact_working_days,
        "completion_hours": rule.completion_hours,
        "completion_working_days": rule.completion_working_days,
    }


async def save_sla_rule(given: SlaRuleIn, actor: StaffActor, now: datetime) -> SlaRule | None:
    """Create or replace the row for (kind, grade). All limits empty removes the row."""
    kind = given.kind.strip()
    if kind and kind not in KIND_LABELS:
        raise RuleRejected(f"没有这个诉求类型：{kind}")
    if given.grade not in GRADES:
        raise RuleRejected("等级只能是 急、一般 或 难")
    columns: dict[str, Any] = {}
    for name in LIMIT_LABELS:
        columns.update(_limit_columns(name, getattr(given, name)))
    empty = not any(columns.values())
    async with in_transaction():
        rule = await SlaRule.get_or_none(kind=kind, grade=given.grade)
        before = sla_detail(rule) if rule is not None else None
        if empty:
            if rule is None:
                return None
            await rule.delete()
            await audit(
                actor,
                "sla.delete",
                now,
                target_type="sla_rule",
                target_id=f"{kind or '*'}:{given.grade}",
                detail={"before": before},
            )
            return None
        if rule is None:
            rule = await SlaRule.create(
                kind=kind, grade=given.grade, updated_by=actor.username, **columns
            )
        else:
            await SlaRule.filter(id=rule.id).update(updated_by=actor.username, **columns)
            await rule.refresh_from_db()
        await audit(
            actor,
            "sla.save",
            now,
            target_type="sla_rule",
            target_id=f"{kind or '*'}:{given.grade}",
            detail={"before": before, "after": sla_detail(rule)},
        )
    return rule


async def delete_sla_rule(rule_id: int, actor: StaffActor, now: datetime) -> None:
    async with in_transaction():
        rule = await SlaRule.get_or_none(id=rule_id)
        if rule is None:
            raise RuleRejected("这条时限规则已不存在，请刷新")
        before = sla_detail(rule)
        await rule.delete()
        await audit(
            actor,
            "sla.delete",
            now,
            target_type="sla_rule",
            target_id=f"{rule.kind or '*'}:{rule.grade}",
            detail={"before": before},
        )
