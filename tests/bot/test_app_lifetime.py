"""The app's resources start and stop with it, and nothing outlives it in the process."""

from __future__ import annotations

import gc

from tests.bot.conftest import ClientFactory


async def test_an_app_leaves_the_collector_alone(make_client: ClientFactory) -> None:
    """Only ``jiesu serve`` freezes start-up objects: an app that froze them itself would keep
    every earlier app's connections alive in a process that builds many (the test suite ran
    PostgreSQL out of connections that way)."""
    before = gc.get_freeze_count()
    client = await make_client()
    assert (await client.get("/healthz")).status == 200
    assert gc.get_freeze_count() == before
