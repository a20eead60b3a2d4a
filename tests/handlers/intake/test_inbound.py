"""Recovery re-runs stuck messages of one channel only: each channel has its own router."""

from __future__ import annotations

from datetime import timedelta

from handlers.intake.inbound import claim_stuck
from models import InboundMessage, InboundStatus
from tests.handlers.intake.test_duplicates import NOW


async def test_only_the_asked_channel_is_claimed(db: str) -> None:
    old = NOW - timedelta(minutes=5)
    for channel in ("mp", "work"):
        await InboundMessage.create(
            dedup_key=f"{channel}:1",
            channel=channel,
            openid="o-1",
            msg_type="text",
            body="<xml/>",
            status=InboundStatus.FAILED,
            received_at=old,
            claimed_at=old,
        )
    claimed = await claim_stuck(NOW, timedelta(seconds=30), max_attempts=5, limit=10)
    assert [row.channel for row in claimed] == ["mp"]
    work = await claim_stuck(NOW, timedelta(seconds=30), 5, 10, channel="work")
    assert [row.dedup_key for row in work] == ["work:1"]
