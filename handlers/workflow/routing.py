"""Who handles a case: category × place -> unit by the first matching rule, the grid's worker.

Rules, units and grid workers change rarely and are read for every case, so they are loaded
into a :class:`RoutingTable`, held in a ``RefreshingCache`` by the intake service.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Grid, RoutingRule, Unit, Worker, WorkerGrid, WorkerRole


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


@dataclass(frozen=True)
class RoutingTable:
    rules: tuple[RoutingRule, ...] = ()
    units: dict[int, Unit] = field(default_factory=dict)  # active units by id
    grid_workers: dict[int, Worker] = field(default_factory=dict)  # grid id -> its grid worker
    grids: dict[str, Grid] = field(default_factory=dict)  # active grids by code

    def grid(self, code: str | None) -> Grid | None:
        return self.grids.get(code) if code else None

    def grid_by_id(self, grid_id: int | None) -> Grid | None:
        if grid_id is None:
            return None
        return next((grid for grid in self.grids.values() if grid.id == grid_id), None)

    def street_office(self, grid: Grid | None) -> Unit | None:
        if grid is None or grid.unit_id is None:
            return None
        return self.units.get(grid.unit_id)

    def route(self, category: str, kind: str, grid: Grid | None) -> Route:
        worker = self.grid_workers.get(grid.id) if grid is not None else None
        for rule in self.rules:
            if not _rule_matches(rule, category, kind, grid):
                continue
            if rule.unit_id is None:
                unit = self.street_office(grid)
            else:
                unit = self.units.get(rule.unit_id)
            if unit is None:
                continue  # an inactive unit, or a street-office rule without a grid
            return Route(unit=unit, worker=worker, rule=rule)
        return Route(unit=self.street_office(grid), worker=worker, rule=None)


async def load_routing_table() -> RoutingTable:
    rules = await RoutingRule.filter(active=True).order_by("priority", "id")
    units = {unit.id: unit for unit in await Unit.filter(active=True)}
    workers: dict[int, Worker] = {}
    for worker in await Worker.filter(
        role=WorkerRole.GRID_WORKER, active=True, grid_id__isnull=False
    ).order_by("id"):
        if worker.grid_id is not None:
            workers.setdefault(worker.grid_id, worker)
    # A grid whose only grid worker has it as a further grid (worker_grids) is theirs too.
    covering = {w.id: w for w in await Worker.filter(role=WorkerRole.GRID_WORKER, active=True)}
    for link in await WorkerGrid.filter(worker_id__in=list(covering)).order_by("position", "id"):
        workers.setdefault(link.grid_id, covering[link.worker_id])
    grids = {grid.code: grid for grid in await Grid.filter(active=True)}
    return RoutingTable(rules=tuple(rules), units=units, grid_workers=workers, grids=grids)
