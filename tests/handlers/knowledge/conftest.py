"""A small organisation for the knowledge base's tests: two units, their accounts, a reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from handlers.knowledge.records import EntryIn
from handlers.staff.audit import StaffActor
from models import StaffUser, Unit

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@dataclass
class Org:
    civil: Unit
    housing: Unit
    civil_clerk: StaffUser  # unit account of 民政局
    housing_clerk: StaffUser
    dispatcher: StaffUser
    admin: StaffUser

    def actor(self, user: StaffUser) -> StaffActor:
        return StaffActor.of(user, via="test")


def entry(question: str = "高龄津贴怎么申请", **fields: object) -> EntryIn:
    values: dict[str, object] = {
        "answer": "年满80周岁的本区户籍老人到社区事务受理中心申请。",
        "variants": ("八十岁以上老人补贴去哪里申领",),
        "unit": "CIVIL",
        "policy": "高龄老人营养补贴办法",
        "category": "民政/养老",
        "valid_from": date(2026, 1, 1),
    }
    values.update(fields)
    return EntryIn(question=question, **values)  # type: ignore[arg-type]


async def user(name: str, role: str, unit: Unit | None = None) -> StaffUser:
    """An account without a password (no sign-in here: hashing one costs a second)."""
    return await StaffUser.create(
        username=name, role=role, unit_id=unit.id if unit else None, created_at=NOW
    )


@pytest.fixture
async def org(db: str) -> Org:
    civil = await Unit.create(code="CIVIL", name="区民政局")
    housing = await Unit.create(code="HOUSING", name="区房屋管理局")
    return Org(
        civil=civil,
        housing=housing,
        civil_clerk=await user("civil", "unit", civil),
        housing_clerk=await user("housing", "unit", housing),
        dispatcher=await user("disp", "dispatcher"),
        admin=await user("root", "admin"),
    )
