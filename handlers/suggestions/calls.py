"""Themed calls (征集活动, 金点子): the suggestion office puts a question to residents for a period.

    draft ──open──▶ open ──ends_at passes, or close──▶ closed

- A call is written as a draft (title, question, period, keyword, audience, channels) and may be
  changed freely until it opens; once open only its title, question and end may change.
- Opening announces it through the broadcast machinery: a text notice for the call's audience
  (``handlers.broadcasts.notices.create_notice``, drafted in the opener's name and linked as
  ``notice_id``). It then goes the notice's normal way - a preview to its author, submitting, a
  second admin's approval, the sweep that sends it - so a call reaches nobody unapproved. A call
  without an audience is not announced (the mini-program's list of open calls still shows it).
- Replies are gathered only within ``[starts_at, ends_at)`` (``handlers.suggestions.call_replies``);
  the status is the office's view of it. A call past its end is closed lazily by
  :func:`close_expired` (every list of calls runs it first), or early by hand; closing early
  cancels its notice when that has not started sending.

Every step is audited (``suggestion_call.*``) in its own transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import suggestion_calls as texts
from handlers.broadcasts.notices import cancel_notice, create_notice
from handlers.broadcasts.rules import InvalidNotice, parse_audience
from handlers.clock import format_local, local
from handlers.staff.audit import StaffActor, audit
from handlers.suggestions.call_keywords import calls_changed
from models import CallStatus, Notice, NoticeStatus, SuggestionCall

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
_KEYWORD = re.compile(r"^[\w\u4e00-\u9fff]+$")
_SPACE = re.compile(r"\s+")
ANNOUNCED_BY = ("all", "tag", "residents")  # audiences a call may be announced to
# A notice not yet sending is cancelled with a call closed early.
UNSENT = (
    NoticeStatus.DRAFT,
    NoticeStatus.AWAITING_APPROVAL,
    NoticeStatus.APPROVED,
    NoticeStatus.REJECTED,
)


class CallProblem(ValueError):
    """What staff asked for cannot be a call; the message says what to change."""


class CallNotFound(LookupError):
    pass


class CallStateError(RuntimeError):
    """The call's status does not allow it (or another call holds the keyword)."""


@dataclass(frozen=True)
class CallIn:
    """A call as staff write it."""

    title: str
    question: str
    starts_at: datetime
    ends_at: datetime
    keyword: str = ""
    audience: dict[str, Any] = field(default_factory=dict)  # {}: not announced
    channels: tuple[str, ...] = texts.CHANNELS
    code: str = ""


def normal_keyword(keyword: str) -> str:
    """The keyword as stored: without the ``#`` residents may type before it."""
    return keyword.strip().lstrip("#＃").strip()


def check_call(given: CallIn) -> CallIn:
    """``given`` trimmed and checked; :class:`CallProblem` names every problem."""
    problems: list[str] = []
    title = _SPACE.sub(" ", given.title.strip())
    question = given.question.strip()
    if not 1 <= len(title) <= texts.TITLE_LIMIT:
        problems.append(f"标题须为1到{texts.TITLE_LIMIT}个字")
    if not 1 <= len(question) <= texts.QUESTION_LIMIT:
        problems.append(f"征集问题须为1到{texts.QUESTION_LIMIT}个字")
    if given.starts_at.tzinfo is None or given.ends_at.tzinfo is None:
        problems.append("开始和截止时间须带时区，例如 2026-03-10T09:00:00+08:00")
    elif given.ends_at <= given.starts_at:
        problems.append("截止时间须晚于开始时间")
    elif given.ends_at - given.starts_at > timedelta(days=texts.MAX_DAYS):
        problems.append(f"征集期最长{texts.MAX_DAYS}天")
    keyword = normal_keyword(given.keyword)
    if keyword and not (
        texts.KEYWORD_MIN <= len(keyword) <= texts.KEYWORD_MAX and _KEYWORD.fullmatch(keyword)
    ):
        problems.append(
            f"关键词须为{texts.KEYWORD_MIN}到{texts.KEYWORD_MAX}个汉字、字母或数字，例如 金点子"
        )
    channels = tuple(dict.fromkeys(given.channels))
    if not channels or any(c not in texts.CHANNELS for c in channels):
        problems.append(f"渠道须为 {', '.join(texts.CHANNELS)} 中的一个或几个")
    if "chat" in channels and not keyword:
        problems.append("通过聊天征集需要关键词")
    audience = dict(given.audience or {})
    if audience:
        try:
            parsed = parse_audience(audience)
        except InvalidNotice as error:
            problems.append(str(error))
        else:
            if parsed.kind not in ANNOUNCED_BY:
                problems.append("征集只能通知居民：受众须为全部关注者、微信标签或居民")
            audience = parsed.as_json()
    code = given.code.strip()
    if code and not CODE_PATTERN.fullmatch(code):
        problems.append("编号须为2到32个字母、数字、- 或 _")
    if problems:
        raise CallProblem("；".join(problems))
    return replace(
        given,
        title=title,
        question=question,
        keyword=keyword,
        audience=audience,
        channels=channels,
        code=code,
    )


def in_period(call: SuggestionCall, now: datetime) -> bool:
    """Whether a reply now is gathered under the call."""
    return call.status == CallStatus.OPEN and call.starts_at <= now < call.ends_at


def announcement(call: SuggestionCall) -> str:
    """The text of the notice that announces the call."""
    how: list[str] = []
    if "chat" in call.channels and call.keyword:
        how.append(texts.HOW_KEYWORD.format(keyword=call.keyword))
    if "menu" in call.channels:
        link = texts.MENU_LINK.format(label=texts.MENU_LABEL, menu_id=menu_id(call))
        how.append(texts.HOW_MENU.format(link=link))
    if "mini" in call.channels:
        how.append(texts.HOW_MINI)
    return texts.ANNOUNCEMENT.format(
        title=call.title,
        question=call.question,
        starts=format_local(call.starts_at),
        ends=format_local(call.ends_at),
        how=texts.HOW_JOIN.join(how) + "。",
    )


def menu_id(call: SuggestionCall) -> str:
    return f"{texts.MENU_PREFIX}{call.code}"


def _summary(call: SuggestionCall) -> dict[str, Any]:
    return {
        "title": call.title,
        "keyword": call.keyword,
        "starts_at": call.starts_at.isoformat(),
        "ends_at": call.ends_at.isoformat(),
        "audience": call.audience,
        "channels": list(call.channels),
    }


def _refused(call: SuggestionCall, action: str) -> CallStateError:
    status = texts.STATUS_LABELS.get(str(call.status), str(call.status))
    return CallStateError(texts.STATE_REFUSED.format(status=status, action=action))


async def get_call(code: str) -> SuggestionCall:
    call = await SuggestionCall.get_or_none(code=code) if CODE_PATTERN.fullmatch(code) else None
    if call is None:
        raise CallNotFound(texts.NOT_FOUND)
    return call


async def _new_code(now: datetime) -> str:
    while True:
        code = f"ZJ{local(now):%Y%m}-{secrets.token_hex(2)}"
        if not await SuggestionCall.exists(code=code):
            return code


async def create_call(given: CallIn, actor: StaffActor, now: datetime) -> SuggestionCall:
    checked = check_call(given)
    code = checked.code or await _new_code(now)
    if await SuggestionCall.exists(code=code):
        raise CallStateError(f"编号 {code} 已被使用")
    async with in_transaction():
        call = await SuggestionCall.create(
            code=code,
            title=checked.title,
            question=checked.question,
            keyword=checked.keyword,
            starts_at=checked.starts_at,
            ends_at=checked.ends_at,
            audience=checked.audience,
            channels=list(checked.channels),
            status=CallStatus.DRAFT,
            created_by=actor.username,
            created_at=now,
        )
        await audit(
            actor,
            "suggestion_call.create",
            now,
            target_type="suggestion_call",
            target_id=call.code,
            detail=_summary(call),
        )
    return call


async def update_call(code: str, given: CallIn, actor: StaffActor, now: datetime) -> SuggestionCall:
    """Change a draft; of an open call only the title, question and end (not into the past)."""
    call = await get_call(code)
    checked = check_call(replace(given, code=""))
    status = CallStatus(call.status)
    if status is CallStatus.CLOSED:
        raise _refused(call, "修改")
    changes: dict[str, Any] = {
        "title": checked.title,
        "question": checked.question,
        "ends_at": checked.ends_at,
    }
    if status is CallStatus.DRAFT:
        changes.update(
            keyword=checked.keyword,
            starts_at=checked.starts_at,
            audience=checked.audience,
            channels=list(checked.channels),
        )
    else:
        fixed = (
            checked.keyword != call.keyword
            or checked.starts_at != call.starts_at
            or checked.audience != call.audience
            or list(checked.channels) != list(call.channels)
        )
        if fixed:
            raise CallStateError(texts.OPEN_ONLY_CHANGES)
        if checked.ends_at <= now:
            raise CallProblem("截止时间须晚于现在；要提前结束请用「结束征集」")
    async with in_transaction():
        won = await SuggestionCall.filter(id=call.id, status=status).update(**changes)
        if not won:
            raise CallStateError("征集活动刚被他人修改，请刷新后重试")
        calls_changed()  # the chat's keywords (call_keywords) read it again
        for name, value in changes.items():
            setattr(call, name, value)
        await audit(
            actor,
            "suggestion_call.update",
            now,
            target_type="suggestion_call",
            target_id=call.code,
            detail=_summary(call),
        )
    return call


async def _keyword_holder(call: SuggestionCall, now: datetime) -> SuggestionCall | None:
    if not call.keyword:
        return None
    return (
        await SuggestionCall.filter(status=CallStatus.OPEN, keyword=call.keyword, ends_at__gt=now)
        .exclude(id=call.id)
        .first()
    )


async def open_call(code: str, actor: StaffActor, now: datetime) -> SuggestionCall:
    """Open the call and draft its announcement (a notice for its audience, in the opener's
    name: they preview and submit it, a second admin approves it)."""
    call = await get_call(code)
    if call.status != CallStatus.DRAFT:
        raise _refused(call, "开始征集")
    if call.ends_at <= now:
        raise CallProblem("截止时间已过，请先修改截止时间")
    holder = await _keyword_holder(call, now)
    if holder is not None:
        raise CallStateError(texts.KEYWORD_TAKEN.format(keyword=call.keyword, code=holder.code))
    async with in_transaction():
        notice: Notice | None = None
        if call.audience:
            notice = await create_notice(
                actor,
                now,
                title=texts.NOTICE_TITLE.format(title=call.title)[:128],
                kind="text",
                channel="mp_mass",
                audience=call.audience,
                content={"text": announcement(call)},
                scheduled_at=call.starts_at if call.starts_at > now else None,
            )
        won = await SuggestionCall.filter(id=call.id, status=CallStatus.DRAFT).update(
            status=CallStatus.OPEN, notice_id=notice.id if notice else None
        )
        if not won:
            raise CallStateError("征集活动刚被他人修改，请刷新后重试")
        calls_changed()  # the chat's keywords (call_keywords) read it again
        call.status = CallStatus.OPEN
        call.notice_id = notice.id if notice else None
        await audit(
            actor,
            "suggestion_call.open",
            now,
            target_type="suggestion_call",
            target_id=call.code,
            detail={"notice": call.notice_id},
        )
    return call


async def close_call(code: str, actor: StaffActor, now: datetime) -> SuggestionCall:
    """End the call now; an announcement not yet sending is cancelled."""
    call = await get_call(code)
    if call.status != CallStatus.OPEN:
        raise _refused(call, "结束征集")
    async with in_transaction():
        won = await SuggestionCall.filter(id=call.id, status=CallStatus.OPEN).update(
            status=CallStatus.CLOSED, ends_at=min(call.ends_at, now)
        )
        if not won:
            raise CallStateError("征集活动刚被他人修改，请刷新后重试")
        calls_changed()  # the chat's keywords (call_keywords) read it again
        call.status, call.ends_at = CallStatus.CLOSED, min(call.ends_at, now)
        cancelled = False
        if call.notice_id is not None:
            notice = await Notice.get_or_none(id=call.notice_id)
            if notice is not None and notice.status in UNSENT:
                await cancel_notice(notice.id, actor, now)
                cancelled = True
        await audit(
            actor,
            "suggestion_call.close",
            now,
            target_type="suggestion_call",
            target_id=call.code,
            detail={"notice_cancelled": cancelled},
        )
    return call


async def close_expired(now: datetime) -> int:
    """Close every open call past its end (one conditional update; any process may run it)."""
    closed = await SuggestionCall.filter(status=CallStatus.OPEN, ends_at__lte=now).update(
        status=CallStatus.CLOSED
    )
    if closed:
        calls_changed()
    return closed


async def open_calls(now: datetime, channel: str | None = None) -> list[SuggestionCall]:
    """The calls taking replies now, the soonest to end first (read only: public lists call it)."""
    calls = await SuggestionCall.filter(
        status=CallStatus.OPEN, starts_at__lte=now, ends_at__gt=now
    ).order_by("ends_at", "id")
    return [c for c in calls if channel is None or channel in c.channels]
