"""A case must not grow without limit: one message's words, and what residents add to one case.

Three settings bound it: ``JIESU_MESSAGE_MAX_CHARS`` (one message), ``JIESU_CASE_ADDED_MAX_CHARS``
(the words added to a case after it was reported, each addition with its time stamp) and
``JIESU_CASE_ATTACHMENTS_MAX`` (photos, voices, videos and locations on a case).

What happens past them, in the chat and wherever words reach a case (:func:`clip`,
:func:`note_kept_out`): the words a case keeps end with a visible mark saying how much was left
out; an addition that finds the case full is not added at all; the resident is told either way
(``config.replies``). Nothing is lost: a chat message is stored whole as its inbound row before any
of this (``handlers.intake.inbound``), and the row names the case. Staff see that more came from
one note on the case's timeline, whose counts are kept current rather than a note per message
(the rows themselves are the record; the dashboard lists them under the case). The resident API
refuses instead (``handlers.residents.additions``): its caller still holds the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from handlers.clock import format_local, iso
from handlers.context import HandlerContext
from handlers.timeline import Actor, annotate
from models import Case, CaseAction, CaseEvent

CUT_MARK = "……【以下{cut}字未录入，原文已保存】"
# Fewer characters left than this, and the case takes no more words (a stub is no addition).
MIN_ROOM = 100
# Each addition to a case's text starts on a new line with its time stamp.
_ADDITION_START = re.compile(r"\n\[[^\]\n]{1,40} 补充\] ")
KEPT_OUT_PREFIX = "居民补充已达上限"
KEPT_OUT_NOTE = (
    KEPT_OUT_PREFIX + "（每件诉求补充文字{chars_cap}字、附件{files_cap}个）："
    "此后{count}次补充（约{chars}字、{files}个附件）未并入诉求。"
    "聊天发来的原文见本诉求的“居民原始消息”，小程序提交的已告知居民未能补充。最近一次：{last}"
)


@dataclass(frozen=True)
class Clipped:
    """Words as a case keeps them, and how long they were when sent."""

    text: str
    sent: int

    @property
    def cut(self) -> bool:
        return len(self.text) < self.sent


def clip(text: str, limit: int) -> Clipped:
    """``text`` in at most ``limit`` characters: the first part and a mark saying what is left out.

    ``limit`` should leave room for the mark (a few dozen characters; settings ask for 200).
    """
    if len(text) <= limit:
        return Clipped(text, len(text))
    kept = max(0, limit - len(CUT_MARK.format(cut=len(text))))
    return Clipped(text[:kept] + CUT_MARK.format(cut=len(text) - kept), len(text))


def addition_start(now: datetime) -> str:
    """What comes before an addition's words in the case's text."""
    return f"\n[{format_local(now)} 补充] "


def added_chars(case_text: str) -> int:
    """How much of a case's text its additions are: everything from the first addition on."""
    found = _ADDITION_START.search(case_text)
    return len(case_text) - found.start() if found else 0


@dataclass(frozen=True)
class Room:
    """What a case may still take: characters of added words, and attachments."""

    chars: int
    attachments: int


def room_of(case: Case, settings: Settings) -> Room:
    return Room(
        chars=max(0, settings.case_added_max_chars - added_chars(case.text)),
        attachments=max(0, settings.case_attachments_max - len(case.attachments or [])),
    )


def words_room(room: Room, now: datetime) -> int:
    """How many characters one more addition's words may have (0: the case takes no more)."""
    left = room.chars - len(addition_start(now))
    return left if left >= MIN_ROOM else 0


async def take_case(case: Case, now: datetime) -> None:
    """Hold the case's row for this transaction and read its text and attachments afresh.

    Two additions to one case at once then follow each other instead of one overwriting the
    other's words (PostgreSQL locks the row until commit; SQLite has one writer anyway).
    """
    await Case.filter(id=case.id).update(updated_at=now)
    fresh = await Case.get(id=case.id)
    case.text, case.attachments, case.updated_at = fresh.text, fresh.attachments, now


async def note_kept_out(
    case: Case, ctx: HandlerContext, *, chars: int = 0, attachments: int = 0
) -> CaseEvent:
    """Count an addition kept out of ``case`` on its one note (made the first time).

    Call inside the transaction, after :func:`take_case`, so that counts are not lost to a
    concurrent addition.
    """
    note = await CaseEvent.filter(
        case_id=case.id,
        action=CaseAction.ANNOTATE.value,
        actor_type="system",
        note__startswith=KEPT_OUT_PREFIX,
    ).first()
    before = dict(note.data or {}) if note is not None else {}
    data = {
        "kind": "kept_out",
        "count": int(before.get("count", 0)) + 1,
        "chars": int(before.get("chars", 0)) + chars,
        "attachments": int(before.get("attachments", 0)) + attachments,
        "last_at": iso(ctx.now),
    }
    text = KEPT_OUT_NOTE.format(
        chars_cap=ctx.settings.case_added_max_chars,
        files_cap=ctx.settings.case_attachments_max,
        count=data["count"],
        chars=data["chars"],
        files=data["attachments"],
        last=format_local(ctx.now),
    )
    if note is None:
        return await annotate(case, Actor.system(), ctx.now, text, data)
    await CaseEvent.filter(id=note.id).update(note=text, data=data)
    note.note, note.data = text, data
    return note
