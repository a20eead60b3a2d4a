"""A resident's message in plain form, whatever channel carried it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IncomingMessage:
    openid: str
    msg_type: str  # text, voice, image, video, shortvideo, location, link, event, or unknown
    create_time: int = 0
    msg_id: str | None = None
    content: str = ""  # text content; voice recognition; link title + description
    media_id: str | None = None
    picture_url: str | None = None
    recognition: str | None = None
    lng: float | None = None
    lat: float | None = None
    label: str | None = None  # location label
    url: str | None = None
    event: str | None = None  # lower-case event name
    event_key: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    def attachment(self) -> dict[str, Any]:
        """The message as an entry of a case's attachments (photo, voice, video, location)."""
        item: dict[str, Any] = {"type": self.msg_type, "media_id": self.media_id}
        if self.picture_url:
            item["url"] = self.picture_url
        if self.recognition:
            item["recognition"] = self.recognition
        if self.msg_id:
            item["msg_id"] = self.msg_id
        return item
