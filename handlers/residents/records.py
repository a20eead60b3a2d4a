"""Knowing who writes: residents are created on first contact and kept current."""

from __future__ import annotations

from datetime import datetime

from models import Resident


async def resident_for(openid: str) -> Resident:
    resident, _ = await Resident.get_or_create(openid=openid)
    return resident


async def note_message(resident: Resident, now: datetime) -> None:
    """A message from the resident opens WeChat's 48-hour customer-service window."""
    resident.last_message_at = now
    await Resident.filter(id=resident.id).update(last_message_at=now)


async def remember_phone(resident: Resident, phone: str) -> None:
    if resident.phone != phone:
        resident.phone = phone
        await Resident.filter(id=resident.id).update(phone=phone)
