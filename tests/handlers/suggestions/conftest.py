"""The demo district, the suggestion office, two departments' accounts and a proposer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.staff.audit import StaffActor
from handlers.suggestions.intake import Suggested
from models import OutboxMessage, Resident, StaffUser, Suggestion, Unit, Worker, WorkerRole
from tests.handlers.workflow.test_actions import context

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
BUS_STOP = "建议在控江路增设一个公交站，附近居民出行太不方便了"
BENCHES = "建议在黄兴公园门口多放几张长椅，老人走累了没地方坐"


@dataclass
class Office:
    clerk: StaffUser  # 人民建议征集办公室
    second: StaffUser  # another of the office
    traffic: StaffUser  # unit account of 区交通委员会
    housing: StaffUser  # unit account of 区房屋管理局
    dispatcher: StaffUser
    traffic_unit: Unit
    housing_unit: Unit
    traffic_head: Worker
    resident: Resident

    def actor(self, user: StaffUser) -> StaffActor:
        return StaffActor.of(user, via="test")

    async def ctx(self, now: datetime = NOW) -> HandlerContext:
        return await context(now)

    async def suggestion(self, text: str = BUS_STOP, now: datetime = NOW) -> Suggestion:
        """A suggestion as the chat makes one (the resident's words read as 建议)."""
        async with in_transaction():
            made = await report_case(
                self.resident, text, await self.ctx(now), channel="mp", suggestions=True
            )
        assert isinstance(made, Suggested), made
        return made.suggestion


async def account(name: str, role: str, unit: Unit | None = None) -> StaffUser:
    """An account without a password (no sign-in here: hashing one costs a second)."""
    return await StaffUser.create(
        username=name, role=role, unit_id=unit.id if unit else None, created_at=NOW
    )


async def told(suggestion: Suggestion) -> list[str]:
    """What the proposer was sent about the suggestion, oldest first."""
    rows = await OutboxMessage.filter(purpose="suggestion").order_by("id")
    found = [str(row.payload) for row in rows]
    return [text for text in found if suggestion.number in text]


@pytest.fixture
async def office(db: str) -> Office:
    await load_demo_district()
    traffic = await Unit.get(code="TRAFFIC")
    housing = await Unit.get(code="HOUSING")
    head = await Worker.create(
        name="交通委王处", role=WorkerRole.UNIT_HEAD, unit_id=traffic.id, wecom_userid="jtw-wang"
    )
    return Office(
        clerk=await account("jianyi", "suggestions"),
        second=await account("jianyi2", "suggestions"),
        traffic=await account("jtw", "unit", traffic),
        housing=await account("fgj", "unit", housing),
        dispatcher=await account("disp", "dispatcher"),
        traffic_unit=traffic,
        housing_unit=housing,
        traffic_head=head,
        resident=await Resident.create(
            openid="o-proposer", subscribed=True, last_message_at=NOW - timedelta(hours=1)
        ),
    )
