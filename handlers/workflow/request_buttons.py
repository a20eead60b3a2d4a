"""A dispatcher of the centre pressed a button on a request card (``request_cards``).

The presser must be a worker whose role holds ``requests.decide`` (``handlers.staff.permissions``
``worker_can``); anyone else, a request already decided (by another dispatcher, on the
dashboard), or a case that moved on changes nothing, and the card says why. The decision itself
is :mod:`handlers.workflow.centre_requests`; the card's buttons become one label saying what
was decided. :func:`press_any` sends a press to the worker's task card or to here by its key.
"""

from __future__ import annotations

import logging

from handlers.clock import local
from handlers.context import HandlerContext
from handlers.staff.permissions import worker_can
from handlers.timeline import Actor, ConcurrentChange
from handlers.workflow.actions import WorkflowError
from handlers.workflow.centre_requests import Decider, decide_extension, decide_return
from handlers.workflow.request_cards import (
    APPROVE,
    REASON_QUESTION_KEY,
    REFUSAL_REASONS,
    REFUSE,
    ROUTE,
    parse_key,
)
from handlers.workflow.tasks import (
    ButtonPress,
    PressOutcome,
    card_update_key,
    notify_worker,
    press_button,
    update_card,
)
from models import (
    ExtensionRequest,
    IllegalTransition,
    ReturnRequest,
    Unit,
    Worker,
)

logger = logging.getLogger(__name__)

CARD_TEXT_LIMIT = 30


async def press_any(press: ButtonPress, ctx: HandlerContext) -> PressOutcome:
    """A card button of either kind. Call inside a transaction."""
    if parse_key(press.event_key) is not None:
        return await press_request_button(press, ctx)
    return await press_button(press, ctx)


def _refusal(press: ButtonPress) -> str:
    chosen = press.selected.get(REASON_QUESTION_KEY, ())
    return next((REFUSAL_REASONS[o] for o in chosen if o in REFUSAL_REASONS), "")


async def _done(
    press: ButtonPress, ctx: HandlerContext, result: str, text: str, case_id: int | None
) -> PressOutcome:
    text = text if len(text) <= CARD_TEXT_LIMIT else text[: CARD_TEXT_LIMIT - 1] + "…"
    await update_card(press.userid, press.response_code, text, ctx, case_id)
    return PressOutcome(result, case_id, text)


async def press_request_button(press: ButtonPress, ctx: HandlerContext) -> PressOutcome:
    parsed = parse_key(press.event_key)
    if parsed is None:
        return PressOutcome("unknown_key")
    action, kind, request_id = parsed
    worker = await Worker.get_or_none(wecom_userid=press.userid)
    if worker is None:
        logger.warning("request card %s pressed by unknown %r", press.event_key, press.userid)
        return PressOutcome("unknown_worker")
    request: ReturnRequest | ExtensionRequest | None
    if kind == "return":
        request = await ReturnRequest.get_or_none(id=request_id)
    else:
        request = await ExtensionRequest.get_or_none(id=request_id)
    if request is None:
        return await _done(press, ctx, "no_case", "申请不存在", None)
    if not worker_can(worker, "requests.decide"):
        logger.warning("worker %s may not decide requests; card press ignored", worker.id)
        return await _done(press, ctx, "refused", "您无权审核", request.case_id)
    note = ""
    if action == REFUSE:
        note = _refusal(press)
        if not note:
            await notify_worker(
                worker,
                "请先在「不同意理由」中选择理由，再点「不同意」。其他理由请在工作台填写。",
                ctx,
                purpose="task_hint",
                case_id=request.case_id,
                dedup_key=f"hint:{card_update_key(press.response_code)}"
                if press.response_code
                else None,
            )
            return PressOutcome("no_reason", request.case_id)
    decider = Decider(Actor("worker", str(worker.id)), f"worker:{worker.id}")
    stamp = f"{worker.name} {local(ctx.now).strftime('%m-%d %H:%M')}"
    try:
        if isinstance(request, ReturnRequest):
            unit = None
            if action == ROUTE:
                sid = request.suggested_unit_id
                unit = await Unit.get_or_none(id=sid, active=True) if sid else None
                if unit is None:
                    return await _done(
                        press, ctx, "refused", "建议单位已停用，请在工作台改派", request.case_id
                    )
            await decide_return(request, action != REFUSE, note, decider, ctx, new_unit=unit)
            what = "退单" + (f"并改派{unit.name}" if unit else "")
        else:
            await decide_extension(
                request, action == APPROVE, note, decider, ctx, decided_by=worker
            )
            what = "延期"
    except (WorkflowError, IllegalTransition, ConcurrentChange) as exc:
        logger.info("request card %s by worker %s refused: %s", press.event_key, worker.id, exc)
        return await _done(press, ctx, "refused", str(exc), request.case_id)
    if action == REFUSE:
        return await _done(press, ctx, "refused_request", f"不同意{what}·{stamp}", request.case_id)
    return await _done(press, ctx, "approved", f"已同意{what}·{stamp}", request.case_id)
