"""Per-resident limits: cases per hour and day from the database, API calls per minute in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.intake.rate_limits import RequestWindow, case_limit, upload_limit
from models import Case, HeldMessage, HeldReason, HeldStatus, MediaFile, Resident
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


async def case_at(resident: Resident, when: datetime, n: int) -> Case:
    return await Case.create(number=f"2603{n:06d}", resident_id=resident.id, created_at=when)


async def test_cases_per_hour(db: str) -> None:
    settings = make_settings(db, resident_cases_per_hour=3, resident_cases_per_day=10)
    resident = await Resident.create(openid="o-limit-1")
    other = await Resident.create(openid="o-limit-2")
    for n, minutes in enumerate((50, 30, 10)):
        await case_at(resident, NOW - timedelta(minutes=minutes), n)
    await case_at(other, NOW, 9)
    limited = await case_limit(resident.id, NOW, settings)
    assert limited is not None and limited.window == "hour" and limited.limit == 3
    # The oldest of the three leaves the window at 10:10: then one more fits.
    assert limited.until == NOW + timedelta(minutes=10)
    assert limited.retry_after(NOW) == 600
    assert "1小时内已提交3件" in limited.text and "10:10" in limited.text
    assert await case_limit(resident.id, NOW + timedelta(minutes=10), settings) is None
    assert await case_limit(other.id, NOW, settings) is None


async def test_cases_per_day_and_held_messages(db: str) -> None:
    settings = make_settings(db, resident_cases_per_hour=5, resident_cases_per_day=3)
    resident = await Resident.create(openid="o-limit-3")
    await case_at(resident, NOW - timedelta(hours=20), 1)
    await case_at(resident, NOW - timedelta(hours=5), 2)
    held = {"resident_id": resident.id, "channel": "miniprogram", "reason": HeldReason.BLOCKED}
    await HeldMessage.create(**held, created_at=NOW - timedelta(hours=3), status=HeldStatus.HELD)
    limited = await case_limit(resident.id, NOW, settings)
    assert limited is not None and limited.window == "day"
    assert limited.until == NOW + timedelta(hours=4)
    # A released message counts as its case, not twice.
    await HeldMessage.filter(resident_id=resident.id).update(status=HeldStatus.RELEASED)
    assert await case_limit(resident.id, NOW, settings) is None


async def test_uploads_per_hour(db: str) -> None:
    for minutes in (40, 20):
        await MediaFile.create(
            key=f"k{minutes:031d}",
            owner_type="resident",
            owner_id=7,
            content_type="image/png",
            size=1,
            sha256="0" * 64,
            path="x",
            created_at=NOW - timedelta(minutes=minutes),
        )
    limited = await upload_limit("resident", 7, NOW, 2)
    assert limited is not None and limited.until == NOW + timedelta(minutes=20)
    assert await upload_limit("resident", 7, NOW, 3) is None
    assert await upload_limit("resident", 8, NOW, 1) is None


def test_calls_per_minute() -> None:
    window = RequestWindow(3)
    assert [window.hit(1, NOW + timedelta(seconds=s)) for s in (0, 10, 20)] == [None] * 3
    refused = window.hit(1, NOW + timedelta(seconds=30))
    assert refused is not None and refused.retry_after(NOW + timedelta(seconds=30)) == 30
    assert window.hit(2, NOW + timedelta(seconds=30)) is None  # per resident
    assert window.hit(1, NOW + timedelta(seconds=61)) is None  # the first call left the window


def test_idle_residents_are_forgotten() -> None:
    window = RequestWindow(1)
    window.PRUNE_EVERY = 3
    window.hit(1, NOW)
    window.hit(2, NOW)
    window.hit(3, NOW + timedelta(minutes=2))
    assert set(window._calls) == {3}
