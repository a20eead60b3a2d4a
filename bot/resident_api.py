"""The mini-program's resident API under ``/api/resident/`` (being built)."""

from __future__ import annotations

from aiohttp import web

from bot.openapi import Operation

OPERATIONS: tuple[Operation, ...] = ()


def add_resident_routes(app: web.Application) -> None:
    pass
