"""Open311 GeoReport v2 under ``/open311/v2/`` (being built)."""

from __future__ import annotations

from aiohttp import web

from bot.openapi import Operation

OPERATIONS: tuple[Operation, ...] = ()


def add_open311_routes(app: web.Application) -> None:
    pass
