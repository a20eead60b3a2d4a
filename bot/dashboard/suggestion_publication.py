"""公开发布 on a suggestion's page, for the office (``suggestions.publish``): whether the proposer
agreed (and how they are credited), the wording the public will read (the proposer's, anonymised
by default; the office may edit it), and the forms to publish it and take it down.

The rules are ``handlers.suggestions.publication``'s: only an adopted suggestion, only with the
proposer's consent (the mini-program's form, the staff entry, or 「同意公开」 in the chat). A
refusal is the page again with the reason (409), as for the office's other forms; both steps
are audited.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from config import suggestion_office as texts
from handlers.context import HandlerContext
from handlers.staff.permissions import can
from handlers.suggestions.access import SuggestionRefused, clean_text
from handlers.suggestions.publication import (
    MAX_TEXT,
    MAX_TITLE,
    PublicationRefused,
    Wording,
    check_publishable,
    credit_of,
    draft_wording,
    publish,
    published_wording,
    unpublish,
)
from handlers.timeline import Actor
from models import StaffUser, Suggestion

PUBLISH = "suggestions.publish"
DONE = {
    "publish": "已公开发布（首次发布时已向建议人致谢）",
    "unpublish": "已从公开专栏撤下",
}


async def publication_panel(user: StaffUser, suggestion: Suggestion) -> dict[str, Any] | None:
    """What the page's 公开发布 card shows; None when the account may not publish or the
    suggestion was never adopted (nothing to decide yet)."""
    if not can(user, PUBLISH):
        return None
    if suggestion.adopted_at is None and suggestion.published_at is None:
        return None
    try:
        check_publishable(suggestion)
        refusal = ""
    except PublicationRefused as refused:
        refusal = str(refused)
    published = None
    if suggestion.published_at is not None:
        published = (await published_wording([suggestion.id])).get(suggestion.id)
    return {
        "consent": suggestion.consent_publish,
        "credit": credit_of(suggestion),
        "refusal": refusal,
        "draft": published or await draft_wording(suggestion),
        "published_at": suggestion.published_at,
        "max_title": MAX_TITLE,
        "max_text": MAX_TEXT,
    }


def _refused(error: PublicationRefused) -> SuggestionRefused:
    return SuggestionRefused(str(error), 409, "conflict")


async def publish_step(
    request: web.Request,
    staff: StaffContext,
    suggestion: Suggestion,
    form: dict[str, str],
    ctx: HandlerContext,
) -> None:
    title = clean_text(form.get("title", ""), "标题", MAX_TITLE)
    text = clean_text(form.get("text", ""), "公开内容", MAX_TEXT)
    draft = await draft_wording(suggestion)
    try:
        await publish(
            suggestion,
            Actor("staff", staff.actor.label),
            ctx.now,
            wording=Wording(title or draft.title, text or draft.text),
            settings=ctx.settings,
            staff=staff.actor,
        )
    except PublicationRefused as refused:
        raise _refused(refused) from None


async def unpublish_step(
    request: web.Request,
    staff: StaffContext,
    suggestion: Suggestion,
    form: dict[str, str],
    ctx: HandlerContext,
) -> None:
    reason = clean_text(form.get("reason", ""), "撤下原因", texts.MAX_REASON)
    try:
        await unpublish(
            suggestion, Actor("staff", staff.actor.label), ctx.now, reason=reason, staff=staff.actor
        )
    except PublicationRefused as refused:
        raise _refused(refused) from None
