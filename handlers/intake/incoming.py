"""A resident's message in plain form, whatever channel carried it."""

from __future__ import annotations

from dataclasses import dataclass


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
