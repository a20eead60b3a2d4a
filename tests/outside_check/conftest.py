"""The service an outside checker talks to, and the credentials the district would give them.

The app runs with an injected clock that the scenario moves between steps, as a checker would
live through the days; the staff accounts and worker tokens are made the way the operator's
commands make them (``jiesu users add`` / ``jiesu users token``, ``jiesu workers token``).
Nothing else in the checks touches the database or calls the product's code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.staff.accounts import create_user, issue_api_token
from handlers.workflow.actions import issue_token
from models import Worker
from tests.conftest import make_settings
from tests.outside_check.month import START, Operator, Outsider

PASSWORD = "correct horse battery"


class DistrictOperator(Operator):
    """What the district's operator does with the command line, for the checker."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    def move_to(self, when: datetime) -> None:
        self.clock.set(when)

    async def staff_token(self, username: str, role: str) -> str:
        # jiesu users add USERNAME --role ROLE, then jiesu users token USERNAME
        user = await create_user(username, role, PASSWORD, self.clock.now())
        return await issue_api_token(user, self.clock.now(), "outside check")

    async def worker_token(self, worker_id: int) -> str:
        # jiesu workers token ID
        worker = await Worker.get(id=worker_id)
        return await issue_token(worker, self.clock.now(), "outside check")


@pytest.fixture
async def outsider(db_url: str, aiohttp_client: Any) -> Outsider:
    clock = ManualClock(START)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    backend = "postgres" if db_url.startswith("postgres") else "sqlite"
    return Outsider(client, DistrictOperator(clock), backend)
