"""A resident adds to their own case from the mini-program: more words, photos, or its place.

``POST cases/{number}/info`` comes here. It is added as the chat adds it
(``handlers.intake.detail``), unless the sender is blocked or the content check holds the words:
then it is kept as a ``models.HeldMessage`` (``handlers.residents.cases.keep_held``) and the
resident gets the same neutral answer. A case that is closed takes no more (:class:`CaseClosed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.intake.content_check import CheckOutcome, TextChecker, check_words, words_of
from handlers.intake.detail import add_attachments, add_text, set_place
from handlers.residents.cases import CHANNEL, keep_held
from handlers.residents.photos import attach_photos, owned_photos, photo_attachments
from models import Case, CaseStatus, HeldReason, Resident


class CaseClosed(ValueError):
    """The case no longer takes additions."""


@dataclass(frozen=True)
class Addition:
    """More for a case: words, photos, or its place (``POST cases/{number}/info``)."""

    text: str = ""
    photos: tuple[str, ...] = ()
    lng: float | None = None
    lat: float | None = None
    address: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Addition:
        location = body.get("location") or {}
        return cls(
            text=str(body.get("text") or ""),
            photos=tuple(dict.fromkeys(body.get("photos") or ())),
            lng=location.get("lng"),
            lat=location.get("lat"),
            address=location.get("address") or None,
        )

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lng, self.lat) if self.lng is not None and self.lat is not None else None

    @property
    def words(self) -> str:
        return words_of(self.text, self.address)


ADDABLE = frozenset({*(s for s in CaseStatus if s.is_open), CaseStatus.MERGED})


async def apply_addition(
    case: Case, resident: Resident, addition: Addition, ctx: HandlerContext
) -> str:
    """Words, photos and the place onto the case, as the chat adds them. In a transaction."""
    if CaseStatus(case.status) not in ADDABLE:
        raise CaseClosed(case.number)
    photos = await owned_photos(resident, addition.photos)
    replies: list[str] = []
    if addition.point is not None or addition.address:
        replies.append(
            await set_place(
                case,
                resident,
                ctx,
                text=addition.address or "",
                location=addition.point,
                label=addition.address,
            )
        )
    if addition.text:
        replies.append(await add_text(case, resident, addition.text, ctx))
    if photos:
        replies.append(await add_attachments(case, resident, photo_attachments(photos, ctx), ctx))
        await attach_photos(photos, case)
    return replies[0] if replies else ""


async def add_to_case(
    case: Case,
    resident: Resident,
    addition: Addition,
    ctx: HandlerContext,
    checker: TextChecker | None,
    *,
    held_reply: str,
) -> tuple[str, bool]:
    """Add to the resident's case unless the sender is blocked or the words are held.

    Returns (reply, held).
    """
    if CaseStatus(case.status) not in ADDABLE:
        raise CaseClosed(case.number)
    await owned_photos(resident, addition.photos)
    payload = {
        "kind": "info",
        "case": case.number,
        "addition": {
            "text": addition.text,
            "photos": list(addition.photos),
            "location": {"lng": addition.lng, "lat": addition.lat, "address": addition.address}
            if addition.point is not None or addition.address
            else None,
        },
    }
    current = await Resident.get(id=resident.id)
    check: CheckOutcome | None = None
    if not current.blocked:
        check = await check_words(checker, ctx.settings, current.openid, addition.words)
    async with in_transaction():
        if check is None or check.hold:
            await keep_held(
                current,
                channel=CHANNEL,
                reason=HeldReason.BLOCKED if check is None else HeldReason.CONTENT_CHECK,
                text=addition.text,
                payload=payload,
                ctx=ctx,
                check_result=check.result if check is not None else None,
            )
            return held_reply, True
        return await apply_addition(case, current, addition, ctx), False
