"""Following and unfollowing the account, and the consents residents give along the way."""

from __future__ import annotations

from datetime import datetime

from config import replies
from models import Resident


async def subscribe(resident: Resident, now: datetime, scene: str | None = None) -> str:
    values: dict[str, object] = {"subscribed": True, "subscribed_at": now}
    if scene:
        values["subscribe_scene"] = scene[:128]
    await Resident.filter(id=resident.id).update(**values)
    return replies.WELCOME.format(service=replies.SERVICE_NAME)


async def unsubscribe(resident: Resident, now: datetime) -> None:
    await Resident.filter(id=resident.id).update(subscribed=False, unsubscribed_at=now)


async def record_subscribe_consent(resident: Resident, choices: dict[str, str]) -> None:
    """subscribe_msg_popup_event: the resident accepted or rejected subscription templates."""
    consent = dict(resident.consent_subscribe)
    consent.update(choices)
    resident.consent_subscribe = consent
    await Resident.filter(id=resident.id).update(consent_subscribe=consent)


async def remember_location(resident: Resident, lng: float, lat: float) -> None:
    await Resident.filter(id=resident.id).update(last_lng=lng, last_lat=lat)
