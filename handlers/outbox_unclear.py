"""What becomes of an outbox message whose send may or may not have reached WeChat.

The request left and no clear answer came back: a timeout, a connection reset, an HTTP 5xx, or
the sending process died between handing the request over and recording the answer. WeChat may
have delivered the message. Customer-service, template and subscription messages carry no key
by which WeChat would recognise a repeat, so sending again is blind. What happens instead
depends on whether a repeat is harmless, and on what the message is for (its purpose):

- :attr:`Unclear.RESEND` - the API recognises a repeat, so it reaches nobody twice: a mass send
  with its ``clientmsgid`` (WeChat answers 45065 naming the first job), a WeCom app message with
  WeCom's duplicate check (an identical message within the check's window is dropped; the
  drainer asks for the check on every app message but previews, see :func:`duplicate_checked`)
  and a card update (WeCom takes one update per response code). Retried with backoff like a
  failure that surely did not arrive, while a repeat still falls inside WeCom's window.
- :attr:`Unclear.ONCE_LATER` - harmless to get twice, bad never to get: a survey or its reminder
  (回访 is owed to every finished case), and a worker's task sent as an official-account
  template (without WeCom there is no duplicate check, and a worker who never hears of a case
  misses its sign-for deadline). The row is recorded ``unknown`` and one more row is queued
  (its dedup key ends in ``:again``, so there is never a third) to go after
  ``outbox_resend_wait_seconds``, a survey's moved out of the night. Just before it goes it is
  dropped if it is no longer wanted (:func:`still_wanted`: the round was answered or closed, so
  the first one arrived; the case was signed, returned or given to someone else).
- :attr:`Unclear.KEEP_UNKNOWN` - everything else: a reply to a resident's message, a case notice
  to a resident (accepted, first contact, finished), a message to staff over a template, a
  preview. Recorded ``unknown`` and never sent again: the resident can ask again (我的诉求),
  staff see the row, and a second copy of a reply is worse than asking.

Notices (purpose ``notice``) are not decided here: ``handlers.broadcasts.sending`` decides per
delivery, waiting for WeChat's report of template messages.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from config import broadcasts as broadcast_rules
from config.settings import Settings
from handlers.broadcasts.delivery import PREVIEW_PURPOSE
from handlers.broadcasts.rules import MASS_API_KEY
from handlers.broadcasts.sending import NOTICE_PURPOSE, RESEND_SUFFIX
from handlers.clock import local
from handlers.digits import whole_number
from handlers.followup.schedule import quiet_adjusted
from handlers.outbox import enqueue
from handlers.workflow.tasks import TASK_PURPOSE, UPDATE_CARD
from models import Case, CaseStatus, OutboxMessage, Survey, SurveyStatus, Worker

logger = logging.getLogger(__name__)

SURVEY_PURPOSES = frozenset({"survey", "survey_reminder"})
# The survey round's status while its ask (or reminder) is still unanswered.
SURVEY_STEPS = {"ask": SurveyStatus.SENT, "remind": SurveyStatus.REMINDED}
WECOM_DEFAULT_CHECK_SECONDS = 1800  # WeCom's window when a message names none

# Why a resend was dropped (staff read these on the row).
SURVEY_SETTLED = "回访已答复或已结束，说明首次发送已送达或已无需再问，不再重发"
TASK_SETTLED = "工单已不在等待该工作人员签收，不再重发任务通知"


class Unclear(StrEnum):
    RESEND = "resend"  # a repeat reaches nobody twice: retried with backoff
    ONCE_LATER = "once_later"  # unknown now; one more copy after the wait, if still wanted
    KEEP_UNKNOWN = "keep_unknown"  # unknown for good: never sent again


def is_resend(row: OutboxMessage) -> bool:
    """The one extra copy queued after an unclear send (its own unclear outcome is final)."""
    return (row.dedup_key or "").endswith(RESEND_SUFFIX)


def duplicate_checked(row: OutboxMessage) -> bool:
    """WeCom app messages go with WeCom's duplicate check, so a resend after an unclear attempt
    is dropped if the first arrived. Not previews (an author previews the same text again on
    purpose) and not card updates (no such check; one update per response code anyway)."""
    payload = row.payload or {}
    return (
        row.channel == "work_app"
        and payload.get("kind") != UPDATE_CARD
        and row.purpose != PREVIEW_PURPOSE
    )


def with_duplicate_check(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` asking WeCom to drop an identical repeat (a notice's own window is kept)."""
    if payload.get("enable_duplicate_check"):
        return payload
    return {
        **payload,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": broadcast_rules.WECOM_DUPLICATE_CHECK_SECONDS,
    }


def duplicate_window(row: OutboxMessage) -> timedelta:
    payload = with_duplicate_check(dict(row.payload or {}))
    seconds = whole_number(str(payload.get("duplicate_check_interval", "")))
    return timedelta(seconds=seconds or WECOM_DEFAULT_CHECK_SECONDS)


def after_unclear(
    row: OutboxMessage, first_unclear_at: datetime, now: datetime, margin: timedelta
) -> Unclear:
    """What to do with ``row`` now that a send of it may have arrived.

    ``first_unclear_at`` is when the first such attempt was handed over, ``margin`` how long a
    send may take: a WeCom repeat must reach WeCom inside the window counted from the first.
    """
    if row.purpose == NOTICE_PURPOSE:
        raise ValueError("notices are decided by handlers.broadcasts.sending")
    payload = row.payload or {}
    if is_resend(row):
        return Unclear.KEEP_UNKNOWN
    if row.channel == "mp_mass":
        keyed = bool(payload.get("clientmsgid")) and payload.get(MASS_API_KEY) != "preview"
        return Unclear.RESEND if keyed else Unclear.KEEP_UNKNOWN
    if row.channel == "work_app":
        if payload.get("kind") == UPDATE_CARD:
            return Unclear.RESEND
        if duplicate_checked(row) and now + margin < first_unclear_at + duplicate_window(row):
            return Unclear.RESEND
        return Unclear.KEEP_UNKNOWN
    if row.purpose in SURVEY_PURPOSES:
        return Unclear.ONCE_LATER
    if row.purpose == TASK_PURPOSE and row.channel == "mp_template":
        return Unclear.ONCE_LATER
    return Unclear.KEEP_UNKNOWN


def why_harmless(row: OutboxMessage) -> str:
    """For the row's last_error: why sending it again cannot double it."""
    if row.channel == "mp_mass":
        return "WeChat recognises the repeat by its clientmsgid"
    if (row.payload or {}).get("kind") == UPDATE_CARD:
        return "WeCom takes one update per response code"
    return "WeCom's duplicate check drops the repeat if the first arrived"


def resend_at(row: OutboxMessage, now: datetime, settings: Settings) -> datetime:
    """When the one extra copy goes: after the wait, a survey's never at night."""
    when = now + timedelta(seconds=settings.outbox_resend_wait_seconds)
    return quiet_adjusted(when, settings) if row.purpose in SURVEY_PURPOSES else when


def resend_key(row: OutboxMessage) -> str:
    base = row.dedup_key or f"outbox:{row.id}"
    return base[: 160 - len(RESEND_SUFFIX)] + RESEND_SUFFIX


async def queue_once_more(row: OutboxMessage, when: datetime) -> OutboxMessage:
    """Queue the one extra copy of ``row`` for ``when``. Call in the transaction that records
    ``row`` as unknown; a copy queued before is returned instead (never a second)."""
    return await enqueue(
        row.channel,
        row.recipient,
        dict(row.payload or {}),
        when,
        purpose=row.purpose,
        case_id=row.case_id,
        dedup_key=resend_key(row),
    )


async def still_wanted(row: OutboxMessage, now: datetime) -> str | None:
    """None if the extra copy ``row`` should go now; else why not (kept on the row)."""
    if row.purpose in SURVEY_PURPOSES:
        return await _survey_settled(row, now)
    if row.purpose == TASK_PURPOSE:
        return await _task_settled(row)
    return None


async def _survey_settled(row: OutboxMessage, now: datetime) -> str | None:
    # survey:<id>:ask:again or survey:<id>:remind:again (handlers.followup.surveys)
    parts = (row.dedup_key or "").split(":")
    survey_id = whole_number(parts[1]) if len(parts) >= 3 and parts[0] == "survey" else None
    if survey_id is None:
        return None
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        return SURVEY_SETTLED
    waiting = SURVEY_STEPS.get(parts[2], SurveyStatus.SENT)
    if survey.status != waiting or (survey.closes_at is not None and survey.closes_at <= now):
        return SURVEY_SETTLED
    return None


async def _task_settled(row: OutboxMessage) -> str | None:
    case = await Case.get_or_none(id=row.case_id) if row.case_id is not None else None
    if case is None or case.status != CaseStatus.DISPATCHED or case.worker_id is None:
        return TASK_SETTLED
    worker = await Worker.get_or_none(id=case.worker_id)
    if worker is None or row.recipient not in (worker.openid, worker.wecom_userid):
        return TASK_SETTLED
    return None


def unknown_note(decision: Unclear, resend: datetime | None) -> str:
    """What the row's last_error adds to what happened: what we do about it."""
    if decision is Unclear.ONCE_LATER and resend is not None:
        return (
            "it may have arrived; not repeated now, one more copy goes at "
            f"{local(resend):%Y-%m-%d %H:%M} (Beijing time) unless no longer needed"
        )
    return "it may have arrived, so it is not sent again"
