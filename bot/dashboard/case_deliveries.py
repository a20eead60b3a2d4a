"""The case page's 消息送达 card (templates/_deliveries.html): ``handlers.case_deliveries``."""

from __future__ import annotations

from typing import Any

from handlers.case_deliveries import case_deliveries
from handlers.clock import format_local
from models import Case


async def deliveries_context(case: Case) -> dict[str, Any]:
    found, more = await case_deliveries(case)
    deliveries = [
        {
            "at": format_local(d.at),
            "to": d.to,
            "channel": d.channel_label,
            "purpose": d.purpose_label,
            "preview": d.preview,
            "status": d.status,
            "status_label": d.status_label,
            "hint": d.hint,
            "needs_a_call": d.needs_a_call,
        }
        for d in found
    ]
    return {
        "deliveries": deliveries,
        "deliveries_more": more,
        "deliveries_to_call": sum(1 for d in found if d.needs_a_call),
    }
