"""Who handles a case: category × place -> unit by the first matching rule, the grid's worker."""

from __future__ import annotations

from dataclasses import dataclass

from models import Grid, RoutingRule, Unit, Worker, WorkerRole


@dataclass(frozen=True)
class Route:
    unit: Unit | None  # None: the dispatcher queue decides
    worker: Worker | None
    rule: RoutingRule | None


def _rule_matches(rule: RoutingRule, category: str, kind: str, grid: Grid | None) -> bool:
    if rule.category_prefix and not (
        category == rule.category_prefix or category.startswith(rule.category_prefix + "/")
    ):
        return False
    if rule.kind and rule.kind != kind:
        return False
    if rule.street and (grid is None or grid.street != rule.street):
        return False
    return not (rule.grid_id and (grid is None or grid.id != rule.grid_id))


async def street_office(grid: Grid | None) -> Unit | None:
    if grid is None or grid.unit_id is None:
        return None
    return await Unit.get_or_none(id=grid.unit_id, active=True)


async def grid_worker(grid: Grid | None) -> Worker | None:
    if grid is None:
        return None
    return await Worker.filter(grid_id=grid.id, role=WorkerRole.GRID_WORKER, active=True).first()


async def route_case(category: str, kind: str, grid: Grid | None) -> Route:
    rules = await RoutingRule.filter(active=True).order_by("priority", "id")
    for rule in rules:
        if not _rule_matches(rule, category, kind, grid):
            continue
        if rule.unit_id is None:
            unit = await street_office(grid)
            if unit is None:
                continue  # a rule for the grid's street office cannot apply without a grid
        else:
            unit = await Unit.get_or_none(id=rule.unit_id, active=True)
            if unit is None:
                continue
        return Route(unit=unit, worker=await grid_worker(grid), rule=rule)
    unit = await street_office(grid)
    return Route(unit=unit, worker=await grid_worker(grid), rule=None)
