"""Phone numbers in free text: find them in a normal form, and mask them for display.

Residents write numbers with spaces, dashes, a +86 prefix or full-width digits. We return
mobiles as 11 digits and landlines as ``area-number``; a bare 7-8 digit local number is taken
only right after a word such as 电话 or 联系, because order and ID numbers look the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.normalise import normalise

_SEP = r"[-\s]?"
_MOBILE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?86{_SEP})?(1[3-9]\d(?:{_SEP}\d){{8}})(?!\d)")
# Area codes: 010 and 02x take 8 digits; 0[3-9]xx take 7 or 8.
_LANDLINE = re.compile(
    r"(?<!\d)[(（]?(0(?:10|2\d)|0[3-9]\d{2})[)）]?[-\s—]?"
    r"([1-9]\d{2,3}[-\s]?\d{4})(?!\d)"
)
_LOCAL = re.compile(
    r"(?:电话|联系|手机|座机|热线|tel|TEL|Tel)[^\d\n]{0,6}?"
    r"(?<!\d)([1-9]\d{2,3}[-\s]?\d{4})(?!\d)"
)


@dataclass(frozen=True)
class _PhoneMatch:
    start: int
    end: int
    phone: str


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _scan(text: str) -> list[_PhoneMatch]:
    """All phone matches, left to right, without overlaps (mobile > landline > local)."""
    normal = normalise(text)
    found: list[_PhoneMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _MOBILE.finditer(normal):
        found.append(_PhoneMatch(match.start(), match.end(), _digits(match.group(1))))
        taken.append((match.start(), match.end()))
    for match in _LANDLINE.finditer(normal):
        number = _digits(match.group(2))
        area = match.group(1)
        if len(number) == 7 and area[1] in "12":
            continue  # 010/02x numbers have 8 digits
        if free(match.start(), match.end()):
            found.append(_PhoneMatch(match.start(), match.end(), f"{area}-{number}"))
            taken.append((match.start(), match.end()))
    for match in _LOCAL.finditer(normal):
        start, end = match.span(1)
        if free(start, end):
            found.append(_PhoneMatch(start, end, _digits(match.group(1))))
            taken.append((start, end))
    found.sort(key=lambda item: item.start)
    return found


def find_phones(text: str) -> tuple[str, ...]:
    """Distinct phone numbers in order of appearance, normalised."""
    return tuple(dict.fromkeys(match.phone for match in _scan(text)))


def mask_phone(phone: str) -> str:
    """Hide the middle of a number but keep enough to recognise it: ``138****5678``.

    Meant for numbers from :func:`find_phones`; other spellings are normalised first.
    """
    normal = find_phones(phone)
    if len(normal) == 1:
        phone = normal[0]
    if "-" in phone:
        area, _, number = phone.partition("-")
        return f"{area}-{_mask_digits(_digits(number), keep_head=0)}"
    digits = _digits(phone)
    if len(digits) == 11 and digits.startswith("1"):
        return _mask_digits(digits, keep_head=3)
    if len(digits) > 11 and digits.startswith("86"):
        return _mask_digits(digits[-11:], keep_head=3)
    return _mask_digits(digits, keep_head=0)


def _mask_digits(digits: str, keep_head: int) -> str:
    if len(digits) <= 4:
        return "*" * len(digits)
    hidden = len(digits) - keep_head - 4
    return digits[:keep_head] + "*" * hidden + digits[-4:]


def mask_phones_in_text(text: str) -> str:
    """The text with every phone number replaced by its masked normal form."""
    matches = _scan(text)
    if not matches:
        return text
    parts: list[str] = []
    position = 0
    for match in matches:
        parts.append(text[position : match.start])
        parts.append(mask_phone(match.phone))
        position = match.end
    parts.append(text[position:])
    return "".join(parts)
