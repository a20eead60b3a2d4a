"""Editing routing rules and SLA rows: what is refused, what is kept, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.district.setup import load_demo_district
from handlers.staff.audit import StaffActor
from handlers.workflow.rule_editing import (
    LimitIn,
    RoutingRuleIn,
    RuleRejected,
    SlaRuleIn,
    create_routing_rule,
    save_sla_rule,
    update_routing_rule,
)
from models import AuditEvent, RoutingRule, SlaRule, Unit

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ADMIN = StaffActor(1, "admin", "admin", "127.0.0.1", "", "dashboard")


async def test_routing_rules_are_checked_before_they_are_kept(db: str) -> None:
    await load_demo_district()
    bad = (
        (RoutingRuleIn(priority=-1), "优先级"),
        (RoutingRuleIn(priority=1, category_prefix="不存在"), "没有这个分类"),
        (RoutingRuleIn(priority=1, kind="rumour"), "诉求类型"),
        (RoutingRuleIn(priority=1, street="火星街道"), "火星街道"),
        (RoutingRuleIn(priority=1, grid_code="XX-99"), "XX-99"),
        (RoutingRuleIn(priority=1, unit_code="NOPE"), "NOPE"),
    )
    count = await RoutingRule.all().count()
    for given, message in bad:
        with pytest.raises(RuleRejected, match=message):
            await create_routing_rule(given, ADMIN, NOW)
    assert await RoutingRule.all().count() == count and not await AuditEvent.exists()

    rule = await create_routing_rule(
        RoutingRuleIn(
            priority=5,
            category_prefix="城乡建设/",
            kind="complaint",
            street="五角场街道",
            grid_code="WJC-01",
            unit_code="",
        ),
        ADMIN,
        NOW,
    )
    assert rule.category_prefix == "城乡建设" and rule.unit_id is None and rule.grid_id
    housing = await Unit.get(code="HOUSING")
    await update_routing_rule(
        rule.id, RoutingRuleIn(priority=6, unit_code="HOUSING", active=False), ADMIN, NOW
    )
    await rule.refresh_from_db()
    assert rule.unit_id == housing.id and not rule.active and rule.street is None
    change = await AuditEvent.get(action="routing.update")
    assert change.detail["before"]["priority"] == 5 and change.detail["after"]["priority"] == 6


async def test_sla_rows_are_saved_replaced_and_removed(db: str) -> None:
    with pytest.raises(RuleRejected, match="等级"):
        await save_sla_rule(SlaRuleIn(kind="", grade="慢"), ADMIN, NOW)
    with pytest.raises(RuleRejected, match="整数"):
        await save_sla_rule(
            SlaRuleIn(kind="", grade="急", sign=LimitIn(1.5, "working_days")), ADMIN, NOW
        )
    with pytest.raises(RuleRejected, match="负数"):
        await save_sla_rule(SlaRuleIn(kind="", grade="急", sign=LimitIn(-1)), ADMIN, NOW)
    for amount in (float("nan"), float("inf")):  # NaN would make every deadline fail
        with pytest.raises(RuleRejected, match=r"数字|超过"):
            await save_sla_rule(SlaRuleIn(kind="", grade="急", sign=LimitIn(amount)), ADMIN, NOW)
    first = await save_sla_rule(
        SlaRuleIn(kind="question", grade="一般", completion=LimitIn(1, "working_days")),
        ADMIN,
        NOW,
    )
    assert first is not None and first.completion_working_days == 1
    second = await save_sla_rule(
        SlaRuleIn(kind="question", grade="一般", completion=LimitIn(20)), ADMIN, NOW
    )
    assert second is not None and second.id == first.id
    assert second.completion_hours == 20 and second.completion_working_days == 0
    assert await save_sla_rule(SlaRuleIn(kind="question", grade="一般"), ADMIN, NOW) is None
    assert not await SlaRule.exists()
    actions = [e.action for e in await AuditEvent.all().order_by("id")]
    assert actions == ["sla.save", "sla.save", "sla.delete"]
