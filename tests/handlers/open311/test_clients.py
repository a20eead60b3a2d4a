"""Open311 clients without HTTP: a key works until its client is revoked."""

from __future__ import annotations

from handlers.open311.clients import client_for_key, create_client, revoke_client
from models import Open311Client
from tests.handlers.open311.test_requests import NOW


async def test_a_key_works_until_its_client_is_revoked(db: str) -> None:
    client, key = await create_client("fixmystreet", NOW)
    stored = await Open311Client.get(id=client.id)
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    found = await client_for_key(key, NOW)
    assert found is not None and found.id == client.id
    assert (await Open311Client.get(id=client.id)).last_used_at == NOW
    assert await client_for_key(key + "x", NOW) is None and await client_for_key("", NOW) is None
    assert (await revoke_client("fixmystreet"))[1] is True
    assert await client_for_key(key, NOW) is None
    assert (await revoke_client("fixmystreet"))[1] is False
