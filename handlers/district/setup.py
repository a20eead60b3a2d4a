"""Loading a district's units, grids, workers and routing rules (idempotent: safe to repeat)."""

from __future__ import annotations

import logging

from config import demo_district
from models import Grid, RoutingRule, Unit, Worker, WorkerRole

logger = logging.getLogger(__name__)


async def load_demo_district() -> None:
    units: dict[str, Unit] = {}
    for code, name, kind, street in demo_district.UNITS:
        unit, _ = await Unit.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "street": street}
        )
        units[code] = unit
    grids: dict[str, Grid] = {}
    for item in demo_district.GRIDS:
        grid, _ = await Grid.update_or_create(
            code=str(item["code"]),
            defaults={
                "name": item["name"],
                "street": item["street"],
                "compounds": item["compounds"],
                "aliases": item["aliases"],
                "boundary": item["boundary"],
                "unit_id": units[str(item["unit"])].id,
            },
        )
        grids[grid.code] = grid
    for name, role, unit_code, grid_code, userid, phone in demo_district.WORKERS:
        await Worker.update_or_create(
            wecom_userid=userid,
            defaults={
                "name": name,
                "role": WorkerRole(role),
                "unit_id": units[unit_code].id,
                "grid_id": grids[grid_code].id if grid_code else None,
                "phone": phone,
            },
        )
    if not await RoutingRule.exists():
        for priority, prefix, rule_unit in demo_district.ROUTING_RULES:
            await RoutingRule.create(
                priority=priority,
                category_prefix=prefix,
                unit_id=units[rule_unit].id if rule_unit else None,
                note="demo district",
            )
    logger.info(
        "demo district %s loaded: %d units, %d grids",
        demo_district.DISTRICT,
        len(units),
        len(grids),
    )
