"""What the official account's events do (subscribe, scan, menu clicks, WeChat's job reports):
one handler per event, each answering with an :class:`Outcome`, the router's answer type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from config import replies
from handlers.accounts import links
from handlers.broadcasts import sending
from handlers.context import HandlerContext
from handlers.intake import conversations
from handlers.intake.incoming import IncomingMessage
from handlers.residents import follow, queries
from handlers.suggestions import call_replies
from models import Resident

CALL_CLICK = "CALL:"  # a custom menu's CLICK key CALL:<code> opens the call's reply


@dataclass(frozen=True)
class Outcome:
    reply: str | None  # None: answer WeChat with "success" (nothing shown to the resident)
    case_id: int | None = None
    created_case: bool = False  # this message made the case (not detail added to one)


# --- events -----------------------------------------------------------------------------------

EventHandler = Callable[[IncomingMessage, Resident, HandlerContext], Awaitable[Outcome]]


async def on_subscribe(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    scene = message.event_key if message.event == "subscribe_scan" else None
    if message.event_key and message.event_key.startswith("qrscene_"):
        scene = message.event_key.removeprefix("qrscene_")
    if links.is_link_scene(scene):  # a worker or staff member's link QR (handlers.accounts)
        await follow.subscribe(resident, ctx.now)
        return Outcome(await links.claim(resident.openid, ctx.now, scene=str(scene)))
    return Outcome(await follow.subscribe(resident, ctx.now, scene))


async def on_scan(message: IncomingMessage, resident: Resident, ctx: HandlerContext) -> Outcome:
    if links.is_link_scene(message.event_key):
        return Outcome(await links.claim(resident.openid, ctx.now, scene=str(message.event_key)))
    return Outcome(replies.HELP)


async def on_unsubscribe(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    await follow.unsubscribe(resident, ctx.now)
    return Outcome(None)


async def on_location_report(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    if message.lng is not None and message.lat is not None:
        await follow.remember_location(resident, message.lng, message.lat)
    return Outcome(None)


async def on_click(message: IncomingMessage, resident: Resident, ctx: HandlerContext) -> Outcome:
    raw = message.event_key or ""
    if raw.upper().startswith(CALL_CLICK):  # a themed call's button in the custom menu
        conversation = await conversations.current(resident, ctx.now)
        heard = await call_replies.tap(raw[len(CALL_CLICK) :], resident, conversation, ctx)
        if heard is not None and heard.reply is not None:
            return Outcome(heard.reply)
    key = raw.upper()
    if key == replies.MENU_MY_CASES:
        return Outcome(await queries.my_cases(resident))
    if key == replies.MENU_REPORT:
        return Outcome(replies.MENU_REPORT_TEXT)
    return Outcome(replies.HELP)


async def on_popup(message: IncomingMessage, resident: Resident, ctx: HandlerContext) -> Outcome:
    choices = {k: v for k, v in message.extra if v in ("accept", "reject")}
    if choices:
        await follow.record_subscribe_consent(resident, choices)
    return Outcome(None)


async def on_silent_event(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    """VIEW and the like: stored as received, nothing to say."""
    return Outcome(None)


async def on_mass_job_finish(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    """WeChat's counts for a mass send complete the broadcast notice's record."""
    if message.msg_id:
        await sending.record_mass_job_finish(message.msg_id, dict(message.extra), ctx.now)
    return Outcome(None)


async def on_template_job_finish(
    message: IncomingMessage, resident: Resident, ctx: HandlerContext
) -> Outcome:
    """Whether a template message reached (or was blocked by) the resident it was sent to."""
    if message.msg_id:
        status = dict(message.extra).get("Status", "")
        await sending.record_template_job_finish(message.openid, message.msg_id, status, ctx.now)
    return Outcome(None)


EVENT_HANDLERS: dict[str, EventHandler] = {
    "subscribe": on_subscribe,
    "subscribe_scan": on_subscribe,
    "scan": on_scan,
    "unsubscribe": on_unsubscribe,
    "location": on_location_report,
    "click": on_click,
    "view": on_silent_event,
    "view_miniprogram": on_silent_event,
    "templatesendjobfinish": on_template_job_finish,
    "masssendjobfinish": on_mass_job_finish,
    "subscribe_msg_popup_event": on_popup,
    # A resident turning a template off (or on) in settings: the same choices as the popup's.
    "subscribe_msg_change_event": on_popup,
    "subscribe_msg_sent_event": on_silent_event,
}
