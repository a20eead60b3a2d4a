"""A resident's suggestion from the mini-program's form (我有建议), once the submission is taken.

The exactly-once handling of the submission (stored first, keyed by ``request_id``; blocked
senders, the per-resident limits and the content check) is the cases' own
(``handlers.residents.cases.submit`` with ``kind="suggestion"``); this is what happens to the
words when they pass: a suggestion, under the call the form names while that call takes
replies through the mini-program, or an ordinary suggestion after its period (the reply says
the call is over). Words naming something urgent or a danger to life are a case instead
(:func:`make` answers None and the caller makes the case, as for the case form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config import suggestion_calls as call_texts
from handlers.context import HandlerContext
from handlers.intake.content_check import words_of
from handlers.residents.photos import owned_photos, photo_attachments
from handlers.suggestions import call_replies
from handlers.suggestions.calls import in_period
from handlers.suggestions.intake import take
from models import CallStatus, Resident, Suggestion, SuggestionCall
from nlu.understanding import understand

KIND = "suggestion"  # the stored submission's msg_type and a held one's payload kind
CHANNEL = "miniprogram"  # Suggestion.channel, as the cases of the mini-program


@dataclass(frozen=True)
class SuggestionForm:
    """The form's body, without its request_id."""

    text: str
    photos: tuple[str, ...] = ()
    call: str | None = None
    consent_publish: bool = False
    credit_name: str = ""

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> SuggestionForm:
        return cls(
            text=str(body.get("text") or ""),
            photos=tuple(dict.fromkeys(body.get("photos") or ())),
            call=body.get("call") or None,
            consent_publish=bool(body.get("consent_publish", False)),
            credit_name=str(body.get("credit_name") or ""),
        )

    @property
    def words(self) -> str:
        """What the content check reads: the words, and the name to be published."""
        return words_of(self.text, self.credit_name or None)


@dataclass(frozen=True)
class Made:
    suggestion: Suggestion
    reply: str


async def known_call(code: str) -> SuggestionCall | None:
    """A call a resident may name: one that was ever opened."""
    call = await SuggestionCall.get_or_none(code=code[:32])
    return call if call is not None and call.status != CallStatus.DRAFT else None


async def make(resident: Resident, body: dict[str, Any], ctx: HandlerContext) -> Made | None:
    """The suggestion the form makes (call in a transaction); None: urgent words, a case."""
    form = SuggestionForm.from_body(body)
    reading = understand(form.text, gazetteer=ctx.gazetteer, model=ctx.model)
    if call_replies.is_urgent(reading):
        return None
    photos = await owned_photos(resident, form.photos)
    attachments = photo_attachments(photos, ctx)
    columns = {"consent_publish": form.consent_publish, "credit_name": form.credit_name[:64]}
    call = await known_call(form.call) if form.call else None
    note = ""
    if call is not None and in_period(call, ctx.now):
        if "mini" in call.channels:
            gathered = await call_replies.gather(
                call,
                resident,
                form.text,
                ctx,
                channel=CHANNEL,
                attachments=attachments,
                columns=columns,
                reading=reading,
            )
            assert gathered is not None  # urgent words were a case above
            return Made(gathered.suggestion, gathered.reply)
    elif call is not None:
        note = call_replies.closed_text(call, ctx.now) + "\n" + call_texts.CLOSED_AS_SUGGESTION
    made = await take(
        resident,
        form.text,
        reading,
        ctx,
        channel=CHANNEL,
        attachments=attachments,
        columns=columns,
    )
    return Made(made.suggestion, note + made.reply)
