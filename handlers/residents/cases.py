"""A resident reports through the mini-program: a structured submission becomes a case.

The words are understood exactly as in the chat (:func:`handlers.intake.report.report_case`); what
the form adds on top: a category the resident picked (it overrides the understood one before
routing), a point on the map with its address, photos uploaded beforehand (their media keys),
a contact, and the choice to stay anonymous.

Exactly once, nothing lost (:func:`submit`):

1. The submission is stored first, as an ``InboundMessage`` (channel ``resident_api``, dedup key
   ``api:<openid>:<request_id>``, the JSON as body), before any other work.
2. A blocked resident's submission is held (``models.HeldMessage``, reason ``blocked``); too many
   cases lately is :class:`RateLimited` (the stored row is marked failed, so the same request_id
   is tried afresh later; the app keeps the draft), unless the words read as urgent; the
   content check may hold it (``handlers.intake.content_check``).
3. Otherwise the case is made and the row answered in one transaction; the answer (status and
   JSON body) is kept in the row. A retry with the same request_id gets that answer again and
   never a second case; a stored submission whose processing failed (or died) is run again.

Anonymous (``anonymous: true``): the case keeps its resident, so it is in their 我的诉求 and
they are told about it and surveyed, but it carries no contact phone (neither the one given nor
the resident's own), its title starts with 【匿名】 and its timeline says so, which is what
workers see. The resident's words stay as written.

The suggestion form (我有建议) is taken the same way (``kind="suggestion"``: stored with that
``msg_type``, held, limited and checked alike) and then made a suggestion by
``handlers.suggestions.submissions``.

Nearby: the photos it names (``handlers.residents.photos``), adding to a case afterwards
(``handlers.residents.additions``), and what the resident reads of it (``handlers.residents.view``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config.replies import HELD_RECEIVED
from config.resident_api import ANONYMOUS_NOTE, CONTACT_NOTE
from handlers.context import HandlerContext
from handlers.intake import inbound
from handlers.intake.content_check import CheckOutcome, TextChecker, check_words, words_of
from handlers.intake.detail import set_place
from handlers.intake.rate_limits import Limited, case_limit
from handlers.intake.report import report_case
from handlers.notify import CaseUpdate, notify_resident
from handlers.places import has_place
from handlers.residents.photos import PhotoProblem, attach_photos, owned_photos, photo_attachments
from handlers.residents.records import remember_phone
from handlers.residents.view import case_summary
from handlers.suggestions import submissions as suggestion_form
from handlers.suggestions.resident_view import suggestion_summary
from handlers.timeline import Actor, annotate
from models import (
    Case,
    CaseStatus,
    HeldMessage,
    HeldReason,
    InboundMessage,
    InboundStatus,
    Resident,
)
from nlu import find_phones

logger = logging.getLogger(__name__)

CHANNEL = "miniprogram"  # Case.channel and HeldMessage.channel
CASE = "case"  # what a stored submission makes (InboundMessage.msg_type), else a suggestion
INBOUND_CHANNEL = "resident_api"  # InboundMessage.channel (re-run by recover_submissions)
# The error of a stored submission the resident was refused (limits, someone else's photo): it
# failed for the resident to fix, so recovery leaves it alone.
REFUSED = "refused: "
RECOVERY_ATTEMPTS = 5
WAIT_STEP = 0.05


class RateLimited(Exception):
    def __init__(self, limited: Limited) -> None:
        super().__init__(f"{limited.window} limit of {limited.limit} reached")
        self.limited = limited


class SubmissionBusy(Exception):
    """The same request_id is being processed right now (a double tap): try again shortly."""


@dataclass(frozen=True)
class Submission:
    """A new case as the form sends it (the API's body, without its request_id)."""

    text: str
    category: str | None = None
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    photos: tuple[str, ...] = ()
    contact_name: str | None = None
    contact_phone: str | None = None
    anonymous: bool = False

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Submission:
        location = body.get("location") or {}
        contact = body.get("contact") or {}
        return cls(
            text=str(body.get("text") or ""),
            category=body.get("category") or None,
            lng=location.get("lng"),
            lat=location.get("lat"),
            address=location.get("address") or None,
            photos=tuple(dict.fromkeys(body.get("photos") or ())),
            contact_name=contact.get("name") or None,
            contact_phone=contact.get("phone") or None,
            anonymous=bool(body.get("anonymous", False)),
        )

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lng, self.lat) if self.lng is not None and self.lat is not None else None

    @property
    def words(self) -> str:
        """What the content check reads: everything the resident typed."""
        return words_of(self.text, self.address, self.contact_name)


@dataclass(frozen=True)
class Answer:
    """What the API answers (status and JSON body), kept to answer a retry the same."""

    status: int
    body: dict[str, Any]
    case_id: int | None = None
    created_case: bool = False


@dataclass(frozen=True)
class CaseMade:
    case: Case
    reply: str
    needs_place: bool


# Making the case


async def make_case(
    resident: Resident,
    submission: Submission,
    ctx: HandlerContext,
    *,
    channel: str = CHANNEL,
    attachments: list[dict[str, Any]] | None = None,
    check: CheckOutcome | None = None,
) -> CaseMade:
    """Report the case as the chat would, then add what the form says. Call in a transaction.

    ``attachments`` are given as they are (a chat message's media); the submission's photos
    must be the resident's uploads. ``check`` is the content check's outcome, noted on the
    timeline when the check was on but gave no answer.
    """
    photos = await owned_photos(resident, submission.photos)
    report = await report_case(
        resident,
        submission.text,
        ctx,
        attachments=[*(attachments or []), *photo_attachments(photos, ctx)],
        location=submission.point,
        channel=channel,
        category=submission.category,
        anonymous=submission.anonymous,
    )
    case = report.case
    await attach_photos(photos, case)
    reply, needs_place = report.reply, report.needs_place
    if submission.address:
        if needs_place:
            placed = await set_place(
                case,
                resident,
                ctx,
                text=submission.address,
                location=submission.point,
                label=submission.address,
            )
            reply = f"{report.reply.splitlines()[0]}\n{placed}"
            needs_place = not has_place(case)
        elif not case.place_text:
            case.place_text = submission.address[:128]
            await Case.filter(id=case.id).update(place_text=case.place_text)
    actor = Actor("resident", resident.openid)
    if submission.anonymous:  # report_case left the phone off and marked the title
        await annotate(case, actor, ctx.now, ANONYMOUS_NOTE, {"kind": "anonymous"})
    else:
        if submission.contact_phone:
            phones = find_phones(submission.contact_phone)
            phone = (phones[0] if phones else submission.contact_phone)[:32]
            case.contact_phone = phone
            await Case.filter(id=case.id).update(contact_phone=phone)
            await remember_phone(resident, phone)
        if submission.contact_name:
            note = CONTACT_NOTE.format(name=submission.contact_name)
            await annotate(case, actor, ctx.now, note, {"kind": "contact"})
    if check is not None and ctx.settings.content_check and not check.checked:
        await annotate(
            case,
            Actor.system(),
            ctx.now,
            "内容安全检查未能完成，已直接受理",
            {"kind": "content_unchecked", "reason": str(check.result.get("unchecked", ""))},
        )
    return CaseMade(case, reply, needs_place)


async def case_answer(made: CaseMade) -> Answer:
    body = {
        "case": await case_summary(made.case),
        "reply": made.reply,
        "needs_place": made.needs_place,
        "held": False,
    }
    return Answer(201, body, case_id=made.case.id, created_case=True)


def held_answer(reply: str, kind: str = CASE) -> Answer:
    body: dict[str, Any] = {"case": None, "reply": reply, "needs_place": False, "held": True}
    if kind == suggestion_form.KIND:
        body["suggestion"] = None
    return Answer(202, body)


async def suggestion_answer(
    resident: Resident,
    submission: Submission,
    body: dict[str, Any],
    ctx: HandlerContext,
    check: CheckOutcome,
) -> Answer:
    """The suggestion form's answer: its suggestion, or the case its urgent words make."""
    made = await suggestion_form.make(resident, body, ctx)
    if made is None:
        case = await case_answer(await make_case(resident, submission, ctx, check=check))
        return replace(case, body={**case.body, "suggestion": None})
    suggestion = await suggestion_summary(made.suggestion)
    answer = {
        "suggestion": suggestion,
        "case": None,
        "reply": made.reply,
        "needs_place": False,
        "held": False,
    }
    return Answer(201, answer)


async def keep_held(
    resident: Resident,
    *,
    channel: str,
    reason: HeldReason,
    text: str,
    payload: dict[str, Any],
    ctx: HandlerContext,
    check_result: dict[str, Any] | None = None,
) -> HeldMessage:
    held = await HeldMessage.create(
        resident_id=resident.id,
        channel=channel,
        reason=reason,
        text=text,
        payload=payload,
        check_result=check_result or {},
        created_at=ctx.now,
    )
    logger.info("held message %s from resident %s (%s)", held.id, resident.id, reason.value)
    return held


# Exactly once


def dedup_key(openid: str, request_id: str) -> str:
    return f"api:{openid}:{request_id}"


def _answer_of(row: InboundMessage) -> Answer:
    stored = json.loads(row.reply or "{}")
    return Answer(int(stored["status"]), dict(stored["body"]), case_id=row.case_id)


async def _finish(row: InboundMessage, answer: Answer, ctx: HandlerContext) -> None:
    kept = json.dumps({"status": answer.status, "body": answer.body}, ensure_ascii=False)
    await inbound.finish(row, kept, ctx.now, answer.case_id, push=False)


async def _store(
    resident: Resident, key: str, body: dict[str, Any], ctx: HandlerContext, kind: str
) -> tuple[InboundMessage, bool]:
    try:
        row = await InboundMessage.create(
            dedup_key=key,
            channel=INBOUND_CHANNEL,
            openid=resident.openid,
            msg_type=kind,
            body=json.dumps(body, ensure_ascii=False),
            status=InboundStatus.PROCESSING,
            received_at=ctx.now,
            claimed_at=ctx.now,
        )
        return row, True
    except IntegrityError:
        return await InboundMessage.get(dedup_key=key), False


async def _earlier(row: InboundMessage, ctx: HandlerContext) -> Answer | None:
    """The first delivery's answer; None when this call took the stored submission up again.

    A submission still being processed is waited for a moment (a double tap), then
    :class:`SubmissionBusy`. One that failed, or whose process died (not answered within
    ``inbound_recovery_seconds``), is claimed by a conditional update and run again.
    """
    stale = timedelta(seconds=ctx.settings.inbound_recovery_seconds)
    waited = 0.0
    while True:
        if row.status == InboundStatus.ANSWERED:
            return _answer_of(row)
        if row.status == InboundStatus.FAILED or ctx.now - row.claimed_at >= stale:
            won = await InboundMessage.filter(
                id=row.id, status=row.status, attempts=row.attempts
            ).update(
                status=InboundStatus.PROCESSING,
                attempts=row.attempts + 1,
                claimed_at=ctx.now,
                error="",
            )
            if won:
                row.status, row.attempts, row.claimed_at = (
                    InboundStatus.PROCESSING,
                    row.attempts + 1,
                    ctx.now,
                )
                return None
        elif waited >= ctx.settings.reply_budget_seconds:
            raise SubmissionBusy(row.dedup_key)
        else:
            await asyncio.sleep(WAIT_STEP)
            waited += WAIT_STEP
        row = await InboundMessage.get(id=row.id)


async def submit(
    resident: Resident,
    request_id: str,
    body: dict[str, Any],
    ctx: HandlerContext,
    checker: TextChecker | None,
    *,
    held_reply: str,
    kind: str = CASE,
) -> Answer:
    """Take one submission from the API exactly once (see the module docstring).

    ``kind``: ``case``, or ``suggestion`` for the suggestion form's body
    (``handlers.suggestions.submissions``), taken the same way and answered with its
    suggestion."""
    submission = Submission.from_body(body)
    key = dedup_key(resident.openid, request_id)
    row = await InboundMessage.get_or_none(dedup_key=key)
    if row is None:
        await owned_photos(resident, submission.photos)  # a wrong key is the client's to fix
        row, created = await _store(resident, key, {"request_id": request_id, **body}, ctx, kind)
        if not created:
            earlier = await _earlier(row, ctx)
            if earlier is not None:
                return earlier
    else:
        earlier = await _earlier(row, ctx)
        if earlier is not None:
            return earlier
    return await _process(
        row, resident, submission, request_id, body, ctx, checker, held_reply, kind
    )


async def _process(
    row: InboundMessage,
    resident: Resident,
    submission: Submission,
    request_id: str,
    body: dict[str, Any],
    ctx: HandlerContext,
    checker: TextChecker | None,
    held_reply: str,
    kind: str = CASE,
) -> Answer:
    payload = {"kind": kind, "request_id": request_id, "submission": body}
    words = submission.words
    if kind != CASE:
        words = suggestion_form.SuggestionForm.from_body(body).words
    try:
        current = await Resident.get(id=resident.id)  # blocked a moment ago counts
        if current.blocked:
            async with in_transaction():
                await keep_held(
                    current,
                    channel=CHANNEL,
                    reason=HeldReason.BLOCKED,
                    text=submission.text,
                    payload=payload,
                    ctx=ctx,
                )
                answer = held_answer(held_reply, kind)
                await _finish(row, answer, ctx)
            return answer
        limited = await case_limit(current.id, ctx.now, ctx.settings, text=submission.text)
        if limited is not None:
            await inbound.fail(
                row, f"{REFUSED}rate_limited: {limited.window} limit of {limited.limit}"
            )
            raise RateLimited(limited)
        # The check calls WeChat: before the transaction, which it must not hold open.
        check = await check_words(checker, ctx.settings, current.openid, words)
        async with in_transaction():
            if check.hold:
                await keep_held(
                    current,
                    channel=CHANNEL,
                    reason=HeldReason.CONTENT_CHECK,
                    text=submission.text,
                    payload=payload,
                    ctx=ctx,
                    check_result=check.result,
                )
                answer = held_answer(held_reply, kind)
            elif kind != CASE:
                answer = await suggestion_answer(current, submission, body, ctx, check)
            else:
                answer = await case_answer(await make_case(current, submission, ctx, check=check))
            await _finish(row, answer, ctx)
        return answer
    except RateLimited:
        raise
    except inbound.AlreadyAnswered:
        logger.info("submission %s was answered by another process", row.dedup_key)
        return _answer_of(await InboundMessage.get(id=row.id))
    except PhotoProblem as exc:
        await inbound.fail(row, f"{REFUSED}photo {exc.key} is not the resident's")
        raise
    except Exception as exc:
        logger.exception("processing submission %s failed", row.dedup_key)
        await inbound.fail(row, f"{type(exc).__name__}: {exc}")
        raise


async def recover_submissions(ctx: HandlerContext, older_than: timedelta, limit: int = 50) -> int:
    """Finish stored submissions that failed, or whose process died, and that nobody retried.

    The resident's app gave up on them (an error, or no answer), so the answer goes out as a
    message (``notify_resident``); a later retry with the same request_id is answered from the
    row as usual. The content check is not repeated here (the case notes it was unchecked).
    Submissions refused for the resident to fix are left alone. Returns how many were taken up.
    """
    cutoff = ctx.now - older_than
    candidates = (
        await InboundMessage.filter(
            channel=INBOUND_CHANNEL,
            status__in=[InboundStatus.PROCESSING, InboundStatus.DEFERRED, InboundStatus.FAILED],
            claimed_at__lt=cutoff,
            attempts__lt=RECOVERY_ATTEMPTS,
        )
        .exclude(error__startswith=REFUSED)
        .order_by("received_at")
        .limit(limit)
    )
    taken = 0
    for row in candidates:
        won = await InboundMessage.filter(
            id=row.id, status=row.status, attempts=row.attempts
        ).update(status=InboundStatus.DEFERRED, attempts=row.attempts + 1, claimed_at=ctx.now)
        if not won:
            continue  # another process took it up
        taken += 1
        row.status, row.attempts, row.claimed_at = (
            InboundStatus.DEFERRED,
            row.attempts + 1,
            ctx.now,
        )
        await _recover(row, ctx)
    return taken


async def _recover(row: InboundMessage, ctx: HandlerContext) -> None:
    resident = await Resident.get_or_none(openid=row.openid)
    try:
        body = json.loads(row.body)
        request_id = str(body.pop("request_id"))
    except (ValueError, KeyError, AttributeError):
        await inbound.fail(row, f"{REFUSED}stored submission does not parse")
        return
    if resident is None:
        await inbound.fail(row, f"{REFUSED}the resident is gone")
        return
    try:
        answer = await _process(
            row,
            resident,
            Submission.from_body(body),
            request_id,
            body,
            ctx,
            None,
            HELD_RECEIVED,
            row.msg_type if row.msg_type == suggestion_form.KIND else CASE,
        )
    except Exception:
        return  # logged and marked by _process; tried again on a later sweep
    reply = str(answer.body.get("reply") or "")
    case = await Case.get_or_none(id=answer.case_id) if answer.case_id else None
    update = CaseUpdate(case.number, CaseStatus(case.status).label, ctx.now) if case else None
    if reply:
        await notify_resident(
            resident,
            reply,
            ctx.now,
            purpose="reply",
            case_id=case.id if case else None,
            dedup_key=f"reply:{row.dedup_key}",
            settings=ctx.settings,
            update=update,
        )
    logger.info("stored submission %s finished by the recovery sweep", row.dedup_key)
