"""Routing: the first matching rule wins, street-office rules need a grid, else the queue."""

from __future__ import annotations

from handlers.district.setup import load_demo_district
from handlers.workflow.routing import load_routing_table
from models import RoutingRule, Unit


async def test_routing_with_the_demo_district(db: str) -> None:
    await load_demo_district()
    table = await load_routing_table()
    grid = table.grid("WJC-01")
    assert grid is not None

    noise = table.route("环境保护/噪声污染", "complaint", grid)
    assert noise.unit is not None and noise.unit.code == "ECO"
    assert noise.worker is not None and noise.worker.name == "王芳"

    # 物业 has no rule of its own: the grid's street office handles it.
    property_case = table.route("城乡建设/物业管理", "complaint", grid)
    assert property_case.unit is not None and property_case.unit.code == "ST-WJC"
    assert property_case.rule is None

    # Parking goes to the street office by rule; without a grid that rule cannot apply and
    # the general 交通运输 rule takes over.
    parking = table.route("交通运输/停车管理", "complaint", grid)
    assert parking.unit is not None and parking.unit.code == "ST-WJC"
    assert table.route("交通运输/停车管理", "complaint", None).unit.code == "TRAFFIC"  # type: ignore[union-attr]

    # No rule and no grid: the dispatcher queue.
    assert table.route("城乡建设/物业管理", "complaint", None).unit is None


async def test_inactive_units_are_skipped(db: str) -> None:
    await load_demo_district()
    await Unit.filter(code="ECO").update(active=False)
    table = await load_routing_table()
    route = table.route("环境保护/噪声污染", "complaint", table.grid("YX-01"))
    assert route.unit is not None and route.unit.code == "ST-YX"


async def test_rules_in_priority_order(db: str) -> None:
    await load_demo_district()
    eco = await Unit.get(code="ECO")
    await RoutingRule.create(
        priority=1,
        category_prefix="环境保护",
        street="殷行街道",
        unit_id=(await Unit.get(code="ST-YX")).id,
    )
    table = await load_routing_table()
    assert table.route("环境保护/噪声污染", "complaint", table.grid("YX-01")).unit.code == "ST-YX"  # type: ignore[union-attr]
    assert table.route("环境保护/噪声污染", "complaint", table.grid("WJC-01")).unit.id == eco.id  # type: ignore[union-attr]
