"""A Shanghai date given as a query parameter (``?from=2026-03-01``), checked, for the admin API's
figure routes that answer refusals as :class:`bot.api.json_api.ApiError`."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.api.figures import FIRST_DAY, LAST_DAY
from bot.api.json_api import ApiError


def query_day(request: web.Request, name: str) -> date | None:
    """The date in query parameter ``name``; None when absent; else a 400 ``invalid_date``."""
    value = request.query.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, "invalid_date", f"参数 {name} 须为 YYYY-MM-DD 格式的日期，收到：{value[:32]}"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ApiError(400, "invalid_date", f"参数 {name} 须在 {FIRST_DAY} 到 {LAST_DAY} 之间")
    return day
