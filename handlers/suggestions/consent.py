"""The proposer's consent to publication, given or withdrawn in the chat (人民建议征集).

The mini-program's form and the staff entry carry ``consent_publish`` and ``credit_name``; a
proposer in the chat says it in words, and the office may publish only with it
(``handlers.suggestions.publication``):

- 「同意公开」: published anonymised (no credit name; a name given before is dropped, since the
  words say how they want it now); 「同意公开 署名 张三」 (or 「同意公开，署名：张三」): credited as
  张三. A credit name is 1 to 20 characters with no digits: it is printed on a public page, where
  a phone or house number must never go.
- 「不同意公开」 (or 取消公开, 撤回公开): consent withdrawn; a published suggestion is taken down
  at once (``publication.unpublish``).

The words concern one of the resident's own suggestions: the one a tap names (the reply's
``bizmsgmenu`` options, ``suggestion-consent:<id>:yes|no``), else the most recent one still
open (已收到, 待补充) or adopted (已采纳, 已报送市级, 部门已答复, 已落地) - for a
withdrawal the most recent one they consented for. The answer names it. Each change is an
event on its timeline (``consent``, ``consent_withdrawn``), told at once by the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from config import replies
from config import suggestions as texts
from handlers.context import HandlerContext
from handlers.suggestions.publication import PUBLISHABLE, NotPublished, unpublish
from handlers.suggestions.records import OPEN_STATUSES, record
from handlers.timeline import Actor
from models import Resident, Suggestion, SuggestionStatus

MENU = "suggestion-consent"  # menu ids are suggestion-consent:<suggestion id>:yes|no
YES, NO = "yes", "no"
ELIGIBLE = OPEN_STATUSES | PUBLISHABLE
CONSENT_EVENT = "consent"
WITHDRAW_EVENT = "consent_withdrawn"
WITHDRAW_WORDS = frozenset({texts.WITHDRAW_WORD, "取消公开", "撤回公开", "撤回同意公开", "不公开"})
_NOISE = re.compile(r"[\s，。！？,.!?、；;：:「」『』“”\"'（）()]+")
_CONSENT = re.compile(
    r"^\s*同意公开[\s，。！!,.、；;：:]*"
    r"(?:署名(?:为|是)?[\s，,、；;：:「『“\"']*(?P<name>.*?)[」』”\"']?)?"
    r"[\s。！!.]*$",
    re.S,
)
_BAD_NAME = re.compile(r"[\d<>&\x00-\x1f\u3000-\u303f\uff10-\uff19]")


@dataclass(frozen=True)
class ConsentWords:
    """What the resident said: consent (with the credit name, empty for 匿名) or withdrawal;
    ``suggestion_id`` when they tapped an option naming one."""

    give: bool
    credit_name: str = ""
    suggestion_id: int | None = None
    bad_name: bool = False


def menu_id(suggestion: Suggestion, answer: str) -> str:
    return f"{MENU}:{suggestion.id}:{answer}"


def link(suggestion: Suggestion, answer: str) -> str:
    """The tappable option in a reply (a ``bizmsgmenu`` link carrying the suggestion)."""
    label = texts.CONSENT_WORD if answer == YES else texts.WITHDRAW_WORD
    return replies.CHOOSE_LINK.format(label=label, menu_id=menu_id(suggestion, answer))


def hint(suggestion: Suggestion) -> str:
    """The line of the 已收到 reply that offers consent, tappable."""
    return texts.CONSENT_HINT.format(consent=link(suggestion, YES))


def _tapped(menu: str | None) -> tuple[int, bool] | None:
    if not menu or not menu.startswith(f"{MENU}:"):
        return None
    raw, _, answer = menu.removeprefix(f"{MENU}:").partition(":")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or answer not in (YES, NO):
        return None
    return int(raw), answer == YES


def read(text: str, menu: str | None = None) -> ConsentWords | None:
    """The consent words in ``text`` (or the tapped option), else None. No database."""
    tapped = _tapped(menu)
    if tapped is not None:
        return ConsentWords(give=tapped[1], suggestion_id=tapped[0])
    if len(text) > 64:
        return None
    if _NOISE.sub("", text) in WITHDRAW_WORDS:
        return ConsentWords(give=False)
    found = _CONSENT.match(text)
    if found is None:
        return None
    name = (found.group("name") or "").strip()
    if found.group(0).find(texts.CREDIT_WORD) >= 0 and not name:
        return ConsentWords(give=True, bad_name=True)
    if name and (len(name) > texts.MAX_CREDIT_NAME or _BAD_NAME.search(name)):
        return ConsentWords(give=True, bad_name=True)
    return ConsentWords(give=True, credit_name=name)


async def _target(words: ConsentWords, resident: Resident) -> Suggestion | None:
    if words.suggestion_id is not None:
        return await Suggestion.get_or_none(id=words.suggestion_id, resident_id=resident.id)
    mine = Suggestion.filter(resident_id=resident.id, status__in=list(ELIGIBLE))
    if not words.give:
        consented = await mine.filter(consent_publish=True).order_by("-created_at", "-id").first()
        if consented is not None:
            return consented
    return await mine.order_by("-created_at", "-id").first()


async def answer(
    text: str, menu: str | None, resident: Resident, ctx: HandlerContext
) -> str | None:
    """The reply to consent words (recorded), or None when the message is not about consent.
    Call inside the message's transaction."""
    words = read(text, menu)
    if words is None:
        return None
    if words.bad_name:
        return texts.BAD_CREDIT_NAME
    suggestion = await _target(words, resident)
    if suggestion is None:
        return texts.NOTHING_TO_CONSENT
    who = Actor("resident", resident.openid)
    if not words.give:  # withdrawing is always possible, whatever became of it
        return await withdraw(suggestion, who, ctx)
    status = SuggestionStatus(suggestion.status)
    if status not in ELIGIBLE:
        return texts.CANNOT_CONSENT.format(number=suggestion.number, status=status.label)
    return await give(suggestion, who, words.credit_name, ctx)


async def give(suggestion: Suggestion, who: Actor, credit_name: str, ctx: HandlerContext) -> str:
    """Record the proposer's consent (with the name to credit, empty: 匿名); the reply."""
    credit = (
        texts.CONSENT_CREDITED.format(name=credit_name) if credit_name else texts.CONSENT_ANONYMOUS
    )
    async with in_transaction():
        await Suggestion.filter(id=suggestion.id).update(
            consent_publish=True, credit_name=credit_name, updated_at=ctx.now
        )
        suggestion.consent_publish, suggestion.credit_name = True, credit_name
        await record(
            suggestion,
            CONSENT_EVENT,
            who,
            ctx.now,
            note=f"{texts.CONSENT_WORD}（{credit}）",
            data={"credit_name": credit_name, "via": "chat"},
            told=True,
        )
    adopted = SuggestionStatus(suggestion.status) in PUBLISHABLE
    return texts.CONSENTED.format(
        number=suggestion.number,
        title=suggestion.title,
        credit=credit,
        when=texts.CONSENT_WHEN_ADOPTED if adopted else texts.CONSENT_WHEN_OPEN,
        withdraw=link(suggestion, NO),
    )


async def withdraw(suggestion: Suggestion, who: Actor, ctx: HandlerContext) -> str:
    """Withdraw the proposer's consent and take the suggestion down if published; the reply."""
    async with in_transaction():
        was_published = False
        if suggestion.published_at is not None:
            try:
                await unpublish(suggestion, who, ctx.now, reason=texts.WITHDRAW_REASON)
                was_published = True
            except NotPublished:  # taken down by the office in the same moment
                pass
        if suggestion.consent_publish or was_published:
            await Suggestion.filter(id=suggestion.id).update(
                consent_publish=False, updated_at=ctx.now
            )
            suggestion.consent_publish = False
            await record(
                suggestion,
                WITHDRAW_EVENT,
                who,
                ctx.now,
                note=texts.WITHDRAW_REASON,
                data={"via": "chat", "was_published": was_published},
                told=True,
            )
    done = texts.WITHDRAWN_UNPUBLISHED if was_published else texts.WITHDRAWN
    return done.format(number=suggestion.number, title=suggestion.title)
