"""The mini-program's message push (customer-service messages) at ``/wechat/mini`` (being built)."""

from __future__ import annotations

from bot.openapi import Operation

OPERATIONS: tuple[Operation, ...] = ()
