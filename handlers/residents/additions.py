"""A resident adds to their own case from the mini-program: more words, photos, or its place.

``POST cases/{number}/info`` comes here. It is added as the chat adds it
(``handlers.intake.detail``), unless the sender is blocked or the content check holds the words:
then it is kept as a ``models.HeldMessage`` (``handlers.residents.cases.keep_held``) and the
resident gets the same neutral answer. A case that is closed takes no more (:class:`CaseClosed`).

A case takes only so much (``handlers.intake.case_limits``): an addition whose words or photos
do not fit is refused whole (:class:`CaseFull`, saying how much still fits), the resident's form
still holds it, and the case's timeline counts the attempt for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from config import resident_api as texts
from handlers.context import HandlerContext
from handlers.intake.case_limits import note_kept_out, room_of, take_case, words_room
from handlers.intake.content_check import CheckOutcome, TextChecker, check_words, words_of
from handlers.intake.detail import add_attachments, add_text, set_place
from handlers.residents.cases import CHANNEL, keep_held
from handlers.residents.photos import attach_photos, owned_photos, photo_attachments
from models import Case, CaseStatus, HeldReason, Resident


class CaseClosed(ValueError):
    """The case no longer takes additions."""


class CaseFull(ValueError):
    """The addition does not fit the case's caps; the message tells the resident what does."""


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
        refused = await refusal(case, addition, ctx)
        if refused is None:
            return await apply_addition(case, current, addition, ctx), False
    raise refused


async def refusal(case: Case, addition: Addition, ctx: HandlerContext) -> CaseFull | None:
    """Whether ``addition`` fits the case; if not, the attempt is counted on its timeline.

    Call in the transaction that would add it (the case's row is held until it ends).
    """
    await take_case(case, ctx.now)
    room = room_of(case, ctx.settings)
    words = words_room(room, ctx.now)
    if addition.text and len(addition.text) > words:
        message = texts.CASE_WORDS_FULL.format(
            number=case.number, left=words, size=len(addition.text)
        )
    elif len(addition.photos) > room.attachments:
        message = texts.CASE_PHOTOS_FULL.format(
            number=case.number, left=room.attachments, size=len(addition.photos)
        )
    else:
        return None
    await note_kept_out(case, ctx, chars=len(addition.text), attachments=len(addition.photos))
    return CaseFull(message)
