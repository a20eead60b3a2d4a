"""Staff API for residents: held messages and blocking (being built)."""

from __future__ import annotations

from aiohttp import web

from bot.openapi import Operation

OPERATIONS: tuple[Operation, ...] = ()


def add_admin_resident_routes(app: web.Application) -> None:
    pass
