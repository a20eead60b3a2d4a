"""The editors of the routing rules (派单规则) and the SLA policy (时限规则), for admins.

Changes go through ``handlers.workflow.rule_editing`` (checked and audited in one transaction); then
this process's caches are invalidated, so the next case is routed and timed by the new rules
here at once, and in other processes within a minute (their ``RefreshingCache`` reloads).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, int_or_none, page, redirect, refuse, render
from bot.keys import CLOCK, INTAKE
from config import sla
from config.lexicon import KIND_LABELS
from config.taxonomy import all_paths, first_level_names
from handlers.digits import decimal_number, whole_number
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.routing import load_routing_table
from handlers.workflow.rule_editing import (
    LIMIT_LABELS,
    LimitIn,
    RoutingRuleIn,
    RuleRejected,
    SlaRuleIn,
    create_routing_rule,
    delete_routing_rule,
    delete_sla_rule,
    save_sla_rule,
    update_routing_rule,
)
from handlers.workflow.sla_table import GRADE_FLAGS, GRADES, config_policy, load_sla_table
from models import Grid, RoutingRule, SlaRule, Unit

# Routing rules


def limit_text(limit: sla.Limit) -> str:
    if limit.working_days:
        return f"{limit.working_days}个工作日"
    hours = f"{limit.hours:g}"
    return f"{hours}小时" if limit.hours >= 1 else f"{limit.hours * 60:g}分钟"


async def _routing_choices() -> dict[str, Any]:
    grids = await Grid.filter(active=True).order_by("code")
    return {
        "units": await Unit.filter(active=True).order_by("kind", "code"),
        "grids": grids,
        "streets": sorted({g.street for g in grids}),
        "kinds": list(KIND_LABELS.items()),
        "prefixes": [*first_level_names(), *all_paths()],
    }


def _rule_in(form: dict[str, str]) -> RoutingRuleIn:
    raw = form.get("priority", "")
    priority = whole_number(raw.strip(), 9)
    if priority is None:
        raise RuleRejected("优先级须为整数（小的先匹配）")
    return RoutingRuleIn(
        priority=priority,
        category_prefix=form.get("category_prefix", ""),
        kind=form.get("kind", ""),
        street=form.get("street", ""),
        grid_code=form.get("grid", ""),
        unit_code=form.get("unit", ""),
        note=form.get("note", ""),
        active=form.get("active") == "1",
    )


async def _rules_page(
    request: web.Request, staff: StaffContext, error: str = "", status: int = 200
) -> web.Response:
    rules = await RoutingRule.all().order_by("priority", "id")
    units = {u.id: u for u in await Unit.all()}
    grids = {g.id: g for g in await Grid.all()}
    tried: dict[str, Any] | None = None
    try_category = request.query.get("try_category", "").strip()
    try_grid = request.query.get("try_grid", "").strip()
    try_kind = request.query.get("try_kind", "").strip() or "complaint"
    if try_category:
        table = await load_routing_table()
        grid = table.grid(try_grid)
        route = table.route(try_category, try_kind, grid)
        tried = {
            "unit": route.unit.name if route.unit else "调度队列（人工派单）",
            "worker": route.worker.name if route.worker else "",
            "rule": route.rule,
        }
    return render(
        request,
        staff,
        "routing.html",
        {
            "title": "派单规则",
            "error": error,
            "rules": rules,
            "unit_names": {i: u.name for i, u in units.items()},
            "grid_names": {i: g.name for i, g in grids.items()},
            "tried": tried,
            "try_category": try_category,
            "try_grid": try_grid,
            "try_kind": try_kind,
            **await _routing_choices(),
        },
        status=status,
    )


@page("routing.edit")
async def routing_list(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _rules_page(request, staff)


async def _rule_form(
    request: web.Request,
    staff: StaffContext,
    rule: RoutingRule | None,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    if values is None:
        if rule is not None:
            unit = await Unit.get_or_none(id=rule.unit_id) if rule.unit_id else None
            grid = await Grid.get_or_none(id=rule.grid_id) if rule.grid_id else None
            values = {
                "priority": str(rule.priority),
                "category_prefix": rule.category_prefix,
                "kind": rule.kind or "",
                "street": rule.street or "",
                "grid": grid.code if grid else "",
                "unit": unit.code if unit else "",
                "note": rule.note,
                "active": "1" if rule.active else "",
            }
        else:
            values = {"priority": "100", "active": "1"}
    return render(
        request,
        staff,
        "routing_form.html",
        {
            "title": "编辑派单规则" if rule else "新增派单规则",
            "rule": rule,
            "values": values,
            "error": error,
            **await _routing_choices(),
        },
        status=status,
    )


@page("routing.edit")
async def routing_new(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _rule_form(request, staff, None)


async def _rule_of(request: web.Request) -> RoutingRule | None:
    rule_id = int_or_none(request.match_info["rule_id"])
    return await RoutingRule.get_or_none(id=rule_id) if rule_id is not None else None


@page("routing.edit")
async def routing_edit(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    rule = await _rule_of(request)
    if rule is None:
        return refuse(request, staff, 404, "这条派单规则已不存在")
    return await _rule_form(request, staff, rule)


def _routing_changed(request: web.Request) -> None:
    request.app[INTAKE].routing.invalidate()


@page("routing.edit")
async def routing_create(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    try:
        await create_routing_rule(_rule_in(form), staff.actor, request.app[CLOCK].now())
    except RuleRejected as problem:
        return await _rule_form(request, staff, None, form, str(problem), 400)
    _routing_changed(request)
    raise redirect(f"{PREFIX}/routing", ok="rule_saved")


@page("routing.edit")
async def routing_update(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    rule = await _rule_of(request)
    if rule is None:
        return refuse(request, staff, 404, "这条派单规则已不存在")
    form = await form_of(request)
    try:
        await update_routing_rule(rule.id, _rule_in(form), staff.actor, request.app[CLOCK].now())
    except RuleRejected as problem:
        return await _rule_form(request, staff, rule, form, str(problem), 400)
    _routing_changed(request)
    raise redirect(f"{PREFIX}/routing", ok="rule_saved")


@page("routing.edit")
async def routing_delete(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    rule = await _rule_of(request)
    if rule is None:
        return refuse(request, staff, 404, "这条派单规则已不存在")
    try:
        await delete_routing_rule(rule.id, staff.actor, request.app[CLOCK].now())
    except RuleRejected as problem:
        return await _rules_page(request, staff, str(problem), 409)
    _routing_changed(request)
    raise redirect(f"{PREFIX}/routing", ok="rule_deleted")


# SLA policy

KIND_CHOICES = [("", "所有类型"), *KIND_LABELS.items()]


@page("sla.edit")
async def sla_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    table = await load_sla_table()
    rows = []
    for grade in GRADES:
        cells = []
        for kind, kind_label in KIND_CHOICES:
            urgency, difficult = GRADE_FLAGS[grade]
            policy = table.policy_for(kind or "complaint", urgency, difficult)
            own = table.overrides.get((kind, grade))
            cells.append(
                {
                    "kind": kind,
                    "kind_label": kind_label,
                    "custom": own is not None,
                    "inherited": own is None and table.overrides.get(("", grade)) is not None,
                    "limits": [limit_text(getattr(policy, name)) for name in LIMIT_LABELS],
                }
            )
        rows.append({"grade": grade, "cells": cells})
    return render(
        request,
        staff,
        "sla.html",
        {
            "title": "时限规则",
            "rows": rows,
            "kinds": KIND_CHOICES,
            "limit_labels": ["签收", "联系", "办结"],
            "saved": await SlaRule.all().order_by("grade", "kind"),
        },
    )


def _limit_value(rule: SlaRule | None, name: str) -> tuple[str, str]:
    if rule is None:
        return "", "hours"
    days = getattr(rule, f"{name}_working_days")
    if days:
        return str(days), "working_days"
    hours = getattr(rule, f"{name}_hours")
    return (f"{hours:g}" if hours else ""), "hours"


async def _sla_form(
    request: web.Request,
    staff: StaffContext,
    kind: str,
    grade: str,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    rule = await SlaRule.get_or_none(kind=kind, grade=grade)
    if values is None:
        values = {}
        for name in LIMIT_LABELS:
            amount, unit = _limit_value(rule, name)
            values[f"{name}_amount"], values[f"{name}_unit"] = amount, unit
    urgency, difficult = GRADE_FLAGS[grade]
    default = config_policy(kind or "complaint", urgency, difficult)
    table = await load_sla_table()
    now = request.app[CLOCK].now()
    example = deadlines_for(kind or "complaint", urgency, difficult, now, table)
    return render(
        request,
        staff,
        "sla_form.html",
        {
            "title": "编辑时限规则",
            "kind": kind,
            "kind_label": dict(KIND_CHOICES)[kind],
            "grade": grade,
            "rule": rule,
            "values": values,
            "error": error,
            "limits": [
                (name, label, limit_text(getattr(default, name)))
                for name, label in LIMIT_LABELS.items()
            ],
            "example": example,
        },
        status=status,
    )


def _kind_grade(query: Any) -> tuple[str, str] | None:
    kind = str(query.get("kind", "")).strip()
    grade = str(query.get("grade", "")).strip()
    if (kind and kind not in KIND_LABELS) or grade not in GRADES:
        return None
    return kind, grade


@page("sla.edit")
async def sla_edit(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    chosen = _kind_grade(request.query)
    if chosen is None:
        return refuse(request, staff, 404, "没有这个类型或等级")
    return await _sla_form(request, staff, *chosen)


def _amount(form: dict[str, str], name: str) -> LimitIn:
    raw = form.get(f"{name}_amount", "").strip()
    unit = form.get(f"{name}_unit", "hours")
    if not raw:
        return LimitIn(0, unit)
    amount = decimal_number(raw)
    if amount is None:
        raise RuleRejected(f"{LIMIT_LABELS[name]}须为数字")
    return LimitIn(amount, unit)


@page("sla.edit")
async def sla_save(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    chosen = _kind_grade(form)
    if chosen is None:
        return refuse(request, staff, 400, "没有这个类型或等级")
    kind, grade = chosen
    try:
        given = SlaRuleIn(
            kind=kind,
            grade=grade,
            sign=_amount(form, "sign"),
            first_contact=_amount(form, "first_contact"),
            completion=_amount(form, "completion"),
        )
        saved = await save_sla_rule(given, staff.actor, request.app[CLOCK].now())
    except RuleRejected as problem:
        return await _sla_form(request, staff, kind, grade, form, str(problem), 400)
    request.app[INTAKE].sla.invalidate()
    raise redirect(f"{PREFIX}/sla", ok="sla_saved" if saved else "sla_reset")


@page("sla.edit")
async def sla_delete(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    rule_id = int_or_none(request.match_info["rule_id"])
    try:
        if rule_id is None:
            raise RuleRejected("这条时限规则已不存在，请刷新")
        await delete_sla_rule(rule_id, staff.actor, request.app[CLOCK].now())
    except RuleRejected as problem:
        return refuse(request, staff, 404, str(problem))
    request.app[INTAKE].sla.invalidate()
    raise redirect(f"{PREFIX}/sla", ok="sla_reset")


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/routing", routing_list)
    app.router.add_post(f"{PREFIX}/routing", routing_create)
    app.router.add_get(f"{PREFIX}/routing/new", routing_new)
    app.router.add_get(f"{PREFIX}/routing/{{rule_id}}", routing_edit)
    app.router.add_post(f"{PREFIX}/routing/{{rule_id}}", routing_update)
    app.router.add_post(f"{PREFIX}/routing/{{rule_id}}/delete", routing_delete)
    app.router.add_get(f"{PREFIX}/sla", sla_page)
    app.router.add_get(f"{PREFIX}/sla/edit", sla_edit)
    app.router.add_post(f"{PREFIX}/sla", sla_save)
    app.router.add_post(f"{PREFIX}/sla/{{rule_id}}/delete", sla_delete)
