"""Publishing an adopted suggestion (公开采纳建议), and taking it down again.

Only what the proposer agreed to (``consent_publish``) and only a suggestion that was adopted
(``adopted_at``, and still adopted, forwarded, answered or implemented) is published. What the
public reads is the wording the office approved: by default the proposer's title and words with
what names a person masked (:mod:`handlers.suggestions.anonymise`), or the office's own edit of
them; it is kept in the ``publish`` event's data (the latest one counts), so the proposer's
original words stay as they were. The proposer is named only by the ``credit_name`` they gave,
else 匿名. The departments' answers and the result (落地) are shown as they are recorded.

The first publication thanks the proposer (``records.tell``); publishing again replaces the
wording without telling them twice. ``unpublish`` takes it down (a suggestion not published is
refused: there is nothing to take down).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from config import suggestion_publication as texts
from config.settings import Settings
from handlers.staff.audit import StaffActor, audit
from handlers.suggestions.anonymise import anonymised
from handlers.suggestions.records import record, tell
from handlers.timeline import Actor
from models import Resident, Suggestion, SuggestionEvent, SuggestionStatus

S = SuggestionStatus
# Statuses an adopted suggestion can be in; a published one that leaves them is no longer shown.
PUBLISHABLE = frozenset({S.ADOPTED, S.FORWARDED, S.ANSWERED, S.IMPLEMENTED})
PUBLISH = "publish"
UNPUBLISH = "unpublish"
MAX_TITLE = 64
MAX_TEXT = 4000


class PublicationRefused(ValueError):
    """The suggestion cannot be published (or taken down) now; the message says why."""


class NoConsent(PublicationRefused):
    """The proposer did not agree to publication (``consent_publish``)."""


class NotAdopted(PublicationRefused):
    """Only adopted suggestions are published."""


class NotPublished(PublicationRefused):
    """There is nothing to take down."""


@dataclass(frozen=True)
class Wording:
    """What the public reads of the proposer's suggestion: its title and its words."""

    title: str
    text: str


def credit_of(suggestion: Suggestion) -> str:
    """How the public sees the proposer: the name they gave for credit, else 匿名."""
    return suggestion.credit_name.strip() or texts.ANONYMOUS


async def draft_wording(suggestion: Suggestion) -> Wording:
    """The proposer's title and words with what names a person masked: the default."""
    also: list[str] = [suggestion.credit_name.strip()]  # the credit line names them, if anything
    if suggestion.contact_phone:
        also.append(suggestion.contact_phone)
    if suggestion.resident_id is not None:
        resident = await Resident.get_or_none(id=suggestion.resident_id)
        if resident is not None:
            also += [word for word in (resident.nickname, resident.phone or "") if word]
    return Wording(
        anonymised(suggestion.title, also=tuple(also))[:MAX_TITLE],
        anonymised(suggestion.text, also=tuple(also))[:MAX_TEXT],
    )


async def published_wording(suggestion_ids: list[int]) -> dict[int, Wording]:
    """The approved wording of each suggestion: its latest ``publish`` event's."""
    found: dict[int, Wording] = {}
    events = SuggestionEvent.filter(suggestion_id__in=suggestion_ids, action=PUBLISH)
    for event in await events.order_by("at", "id"):
        data = event.data or {}
        found[event.suggestion_id] = Wording(str(data.get("title", "")), str(data.get("text", "")))
    return found


def check_publishable(suggestion: Suggestion) -> None:
    """Raise :class:`NotAdopted` or :class:`NoConsent` when ``suggestion`` may not be public."""
    if suggestion.adopted_at is None or S(suggestion.status) not in PUBLISHABLE:
        label = S(suggestion.status).label
        raise NotAdopted(f"建议 {suggestion.number} 目前为「{label}」：只有已采纳的建议可以公开")
    if not suggestion.consent_publish:
        raise NoConsent(
            f"建议 {suggestion.number} 的建议人没有同意公开，不能发布；"
            "请先征得建议人同意（由建议人在小程序或回复中确认）"
        )


async def publish(
    suggestion: Suggestion,
    actor: Actor,
    now: datetime,
    *,
    wording: Wording | None = None,
    settings: Settings | None = None,
    staff: StaffActor | None = None,
) -> SuggestionEvent:
    """Publish ``suggestion`` with ``wording`` (default :func:`draft_wording`); the first time,
    thank the proposer. With ``staff``, audited (``suggestion.publish``) in the same
    transaction. Raises :class:`NoConsent` or :class:`NotAdopted`."""
    check_publishable(suggestion)
    approved = wording or await draft_wording(suggestion)
    async with in_transaction():
        first = await Suggestion.filter(id=suggestion.id, published_at__isnull=True).update(
            published_at=now, updated_at=now
        )
        if first:
            suggestion.published_at = now
        event = await record(
            suggestion,
            PUBLISH,
            actor,
            now,
            data={
                "title": approved.title,
                "text": approved.text,
                "credit": credit_of(suggestion),
                "first": bool(first),
            },
        )
        if first:
            await tell(suggestion, event, thanks(suggestion, approved), now, settings)
        if staff is not None:
            detail = {"first": bool(first), "title": approved.title}
            await audit(staff, "suggestion.publish", now, **_target(suggestion), detail=detail)
    return event


def _target(suggestion: Suggestion) -> dict[str, str]:
    return {"target_type": "suggestion", "target_id": suggestion.number}


def thanks(suggestion: Suggestion, wording: Wording) -> str:
    credit = (
        texts.CREDITED_AS.format(name=suggestion.credit_name.strip())
        if suggestion.credit_name.strip()
        else texts.PUBLISHED_ANONYMOUSLY
    )
    return texts.THANKS.format(title=wording.title, number=suggestion.number, credit=credit)


async def unpublish(
    suggestion: Suggestion,
    actor: Actor,
    now: datetime,
    *,
    reason: str = "",
    staff: StaffActor | None = None,
) -> SuggestionEvent:
    """Take ``suggestion`` down from the public page (with ``staff``, audited as
    ``suggestion.unpublish``). Raises :class:`NotPublished`."""
    async with in_transaction():
        changed = await Suggestion.filter(id=suggestion.id, published_at__isnull=False).update(
            published_at=None, updated_at=now
        )
        if not changed:
            raise NotPublished(f"建议 {suggestion.number} 没有公开，无需撤下")
        suggestion.published_at = None
        event = await record(suggestion, UNPUBLISH, actor, now, note=reason)
        if staff is not None:
            detail = {"reason": reason}
            await audit(staff, "suggestion.unpublish", now, **_target(suggestion), detail=detail)
        return event
