"""Messages that are not a report: greetings, fillers, tests, emoji, thanks and ads.

:func:`read_chatter` names what such a message is, or returns ``None`` for anything that may
carry a report ("你好，楼下路灯坏了" is a report). The conversation answers chatter with what the
service can do and makes no case of it.
"""

from __future__ import annotations

from typing import Literal

Chatter = Literal["greeting", "filler", "test", "emoji", "thanks", "ad"]


def read_chatter(text: str) -> Chatter | None:
    """What kind of non-report ``text`` is, or ``None`` if it may be a report."""
    return None
