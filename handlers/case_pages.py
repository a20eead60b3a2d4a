"""What staff and residents read of a case stays bounded however long the case grew: its words
folded to a preview, each timeline note too, the timeline in pages with the latest first.

``full=1`` unfolds the words and the notes of the page shown; ``timeline_page=2`` is the page
before the latest, and so on. The dashboard's case page, the admin case JSON, the worker's case
detail and the resident's own view read the same :class:`CaseView` from their query strings.
Caps on what a case takes in are ``handlers.intake.case_limits``; this is for cases that grew
before them, and keeps every page small even so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet

from handlers.digits import whole_number
from models import CaseEvent
from nlu import mask_phones_in_text

TIMELINE_PAGE_SIZE = 50
MAX_TIMELINE_PAGE = 10_000
TEXT_PREVIEW_CHARS = 2000  # a case's words: a whole report fits
NOTE_PREVIEW_CHARS = 300  # each note on the timeline
ATTACHMENTS_SHOWN = 60  # a case's attachments listed (its caps keep new cases below)
FLAG_VALUES = ("", "0", "1", "true", "false", "yes", "no")
_TRUE = frozenset({"1", "true", "yes"})


class BadView(ValueError):
    """A query parameter of the case view that cannot be used; the message says which."""


@dataclass(frozen=True)
class CaseView:
    full: bool = False
    timeline_page: int = 1

    @classmethod
    def of(cls, query: Mapping[str, str]) -> CaseView:
        """``full`` and ``timeline_page`` from a query string; :class:`BadView` if unusable."""
        flag = query.get("full", "").strip().lower()
        if flag not in FLAG_VALUES:
            raise BadView("full 只能是 1 或 0")
        raw = query.get("timeline_page", "").strip() or "1"
        page = whole_number(raw, 6)
        if page is None or not 1 <= page <= MAX_TIMELINE_PAGE:
            raise BadView(f"timeline_page 须为 1 到 {MAX_TIMELINE_PAGE} 的整数")
        return cls(full=flag in _TRUE, timeline_page=page)


@dataclass(frozen=True)
class Folded:
    text: str  # the whole text, or its first part when folded
    length: int  # the whole text's length
    folded: bool


def fold(text: str | None, limit: int, full: bool = False, *, mask: bool = False) -> Folded:
    """``text`` whole or its first ``limit`` characters; ``mask``: phone numbers masked.

    Only what is shown is masked, with room to spare so that a number at the cut is whole
    when masked (a masked number is never less than half as long as it was written).
    """
    whole = text or ""
    if full or len(whole) <= limit:
        return Folded(mask_phones_in_text(whole) if mask else whole, len(whole), False)
    shown = whole[: 2 * limit + 64]
    return Folded((mask_phones_in_text(shown) if mask else shown)[:limit], len(whole), True)


def fold_text(text: str | None, view: CaseView, *, mask: bool = True) -> Folded:
    return fold(text, TEXT_PREVIEW_CHARS, view.full, mask=mask)


def fold_note(note: str | None, view: CaseView, *, mask: bool = True) -> Folded:
    return fold(note, NOTE_PREVIEW_CHARS, view.full, mask=mask)


def shown_attachments(items: list[dict[str, Any]] | None, view: CaseView) -> list[dict[str, Any]]:
    items = list(items or [])
    return items if view.full else items[:ATTACHMENTS_SHOWN]


def content_fields(
    text: str | None, attachments: list[dict[str, Any]] | None, view: CaseView, *, mask: bool = True
) -> dict[str, Any]:
    """A case's words and attachments as every JSON view of a case shows them: folded or whole,
    with what was left out counted."""
    words = fold_text(text, view, mask=mask)
    return {
        "text": words.text,
        "text_length": words.length,
        "text_folded": words.folded,
        "attachments": shown_attachments(attachments, view),
        "attachments_total": len(attachments or []),
    }


@dataclass(frozen=True)
class TimelinePage:
    events: list[CaseEvent]  # oldest first within the page
    total: int
    page: int
    pages: int

    @property
    def has_older(self) -> bool:
        return self.page < self.pages

    @property
    def has_newer(self) -> bool:
        return self.page > 1

    def fields(self) -> dict[str, int]:
        """What the JSON views say of the paging."""
        return {
            "timeline_total": self.total,
            "timeline_page": self.page,
            "timeline_pages": self.pages,
        }


async def timeline_page(
    events: QuerySet[CaseEvent], view: CaseView, size: int = TIMELINE_PAGE_SIZE
) -> TimelinePage:
    """One page of ``events`` (a case's, perhaps filtered): page 1 is the latest ``size``."""
    total = await events.count()
    pages = max(1, -(-total // size))
    offset = (view.timeline_page - 1) * size
    chosen = list(await events.order_by("-at", "-id").offset(offset).limit(size))
    chosen.reverse()
    return TimelinePage(chosen, total, view.timeline_page, pages)
