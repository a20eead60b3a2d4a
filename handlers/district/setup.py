"""Loading the demo district through the same import a district uses for its own files
(idempotent: safe to repeat), and its routing rules from ``config/demo_district.py``."""

from __future__ import annotations

import logging

from config import demo_district
from handlers.clock import SystemClock
from handlers.district.applying import apply_plan
from handlers.district.files import files_in, read_files
from handlers.district.planning import plan_district
from models import RoutingRule, Unit

logger = logging.getLogger(__name__)


async def load_demo_district() -> None:
    data = read_files(files_in([demo_district.FILES]))
    summary = await apply_plan(await plan_district(data), None, SystemClock().now())
    if not await RoutingRule.exists():
        units = {unit.code: unit.id for unit in await Unit.all()}
        for priority, prefix, rule_unit in demo_district.ROUTING_RULES:
            await RoutingRule.create(
                priority=priority,
                category_prefix=prefix,
                unit_id=units[rule_unit] if rule_unit else None,
                note="demo district",
            )
    logger.info(
        "demo district %s loaded: %d units, %d grids",
        demo_district.DISTRICT,
        len(data.units),
        len(data.grids),
    )
    logger.debug("demo district changes: %s", summary)
