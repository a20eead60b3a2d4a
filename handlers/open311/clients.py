"""Who may file requests: Open311 clients and their api keys (``jiesu open311 add|list|revoke``).

Only a key's SHA-256 is kept, so a key is shown once, when its client is made. Revoking a client
stops its key at once; its requests and their cases stay.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from handlers.open311.common import CONTROL
from models import Open311Client, Open311Request

logger = logging.getLogger(__name__)

KEY_PREFIX = "o311_"
KEY_TOUCH_SECONDS = 60


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ClientError(ValueError):
    """A client name that cannot be used, or a client that is not there."""


def _client_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or CONTROL.search(name):
        raise ClientError("a client name is 1 to 64 characters, without control characters")
    return name


async def create_client(name: str, now: datetime) -> tuple[Open311Client, str]:
    """A new client and its key. Only the key's hash is kept: show the key now, once."""
    name = _client_name(name)
    if await Open311Client.exists(name=name):
        raise ClientError(f"an Open311 client called {name!r} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = await Open311Client.create(name=name, key_hash=hash_key(key), created_at=now)
    logger.info("open311 client %s created (id %s)", name, client.id)
    return client, key


async def revoke_client(name: str) -> tuple[Open311Client, bool]:
    """Stop the client's key from working (its requests and cases stay); whether it worked."""
    client = await Open311Client.get_or_none(name=name.strip())
    if client is None:
        raise ClientError(f"no Open311 client called {name!r}; see `jiesu open311 list`")
    was_active = client.active
    if was_active:
        client.active = False
        await Open311Client.filter(id=client.id).update(active=False)
        logger.info("open311 client %s revoked", client.name)
    return client, was_active


async def client_for_key(key: str, now: datetime) -> Open311Client | None:
    """The active client whose key this is, or None (unknown or revoked)."""
    if not key:
        return None
    client = await Open311Client.get_or_none(key_hash=hash_key(key), active=True)
    if client is None:
        return None
    last = client.last_used_at
    if last is None or (now - last).total_seconds() >= KEY_TOUCH_SECONDS:
        await Open311Client.filter(id=client.id).update(last_used_at=now)
    return client


async def client_summaries() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for client in await Open311Client.all().order_by("id"):
        rows.append(
            {
                "name": client.name,
                "active": client.active,
                "created_at": client.created_at.isoformat(),
                "last_used_at": client.last_used_at.isoformat() if client.last_used_at else None,
                "requests": await Open311Request.filter(client_id=client.id).count(),
            }
        )
    return rows
