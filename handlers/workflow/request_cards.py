"""A unit's 退单 or 延期 request reaches the centre's dispatchers as a WeCom card with buttons.

The card is a ``button_interaction`` template card like the worker's task card
(``handlers.workflow.tasks``): the case, the unit, its reason, and the buttons 同意 / 不同意
(for a 退单 with a suggested unit also 同意并改派, which sends the case straight there). A
refusal needs a reason, so the card carries a drop-down of preset reasons
(:data:`REFUSAL_REASONS`); WeCom preselects its first option, a prompt, and a 不同意 pressed
with the prompt still chosen is answered with a request to choose. Other reasons, or another
unit, are given on the dashboard (the queue of pending requests).

Every active dispatcher (``WorkerRole.DISPATCHER``) with a WeCom userid gets the card, once per
request (dedup key per request and dispatcher). Without WeCom nobody is pushed: the dashboard's
queue and the admin API are the door. The presses are :mod:`handlers.workflow.request_buttons`.
"""

from __future__ import annotations

from typing import Any

from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.outbox import enqueue
from models import Case, ExtensionRequest, ReturnRequest, Unit, Worker, WorkerRole

PURPOSE = "request_card"
KEY_PREFIX = "rq:"
APPROVE = "approve"
ROUTE = "route"  # approve a 退单 and send the case to the suggested unit (改派)
REFUSE = "refuse"
REASON_QUESTION_KEY = "refusal_reason"
NO_REASON = "choose"
REASON_PROMPT = "请选择不同意的理由"
REFUSAL_REASONS: dict[str, str] = {
    "duty": "属于本单位职责，请继续办理",
    "thin": "理由不充分，请补充说明",
    "time": "期限内可以办结，请抓紧办理",
}
TITLE_LIMIT = 36
DESC_LIMIT = 44
VALUE_LIMIT = 30

Request = ReturnRequest | ExtensionRequest


def kind_of(request: Request) -> str:
    return "return" if isinstance(request, ReturnRequest) else "extension"


def button_key(action: str, request: Request) -> str:
    """``rq:<approve|route|refuse>:<return|extension>:<id>``."""
    return f"{KEY_PREFIX}{action}:{kind_of(request)}:{request.id}"


def parse_key(event_key: str) -> tuple[str, str, int] | None:
    """(action, kind, id) of a request card's button, or None for any other key."""
    if not event_key.startswith(KEY_PREFIX):
        return None
    parts = event_key[len(KEY_PREFIX) :].split(":")
    if len(parts) != 3:
        return None
    action, kind, raw = parts
    if action not in (APPROVE, ROUTE, REFUSE) or kind not in ("return", "extension"):
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return action, kind, int(raw)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _unit_name(unit_id: int | None) -> str:
    unit = await Unit.get_or_none(id=unit_id) if unit_id is not None else None
    return unit.name if unit is not None else "承办单位"


async def request_card(case: Case, request: Request) -> dict[str, Any]:
    """The card for ``request``; the client adds ``touser`` and ``agentid``."""
    unit = await _unit_name(request.unit_id)
    facts = [("编号", case.number), ("承办单位", unit)]
    buttons = [{"text": "同意", "style": 1, "key": button_key(APPROVE, request)}]
    if isinstance(request, ReturnRequest):
        title = f"退单申请：{case.title or case.category}"
        if request.suggested_unit_id is not None:
            suggested = await _unit_name(request.suggested_unit_id)
            facts.append(("建议改派", suggested))
            buttons.append({"text": "同意并改派", "style": 1, "key": button_key(ROUTE, request)})
    else:
        title = f"延期申请：{case.title or case.category}"
        if case.completion_due_at is not None:
            facts.append(("现办结期限", format_local(case.completion_due_at)))
        if request.new_due_at is not None:
            facts.append(("申请延至", format_local(request.new_due_at)))
    buttons.append({"text": "不同意", "style": 2, "key": button_key(REFUSE, request)})
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "接诉即办·中心审核"},
        "main_title": {
            "title": _clip(title, TITLE_LIMIT),
            "desc": _clip(f"{unit}：{request.reason}", DESC_LIMIT),
        },
        "horizontal_content_list": [
            {"keyname": name, "value": _clip(value, VALUE_LIMIT)} for name, value in facts
        ],
        "task_id": f"rq-{kind_of(request)}-{request.id}",
        "button_selection": {
            "question_key": REASON_QUESTION_KEY,
            "title": "不同意理由",
            "selected_id": NO_REASON,
            "option_list": [
                {"id": NO_REASON, "text": REASON_PROMPT},
                *({"id": key, "text": text} for key, text in REFUSAL_REASONS.items()),
            ],
        },
        "button_list": buttons,
    }
    return {"msgtype": "template_card", "template_card": card}


async def send_request_card(case: Case, request: Request, ctx: HandlerContext) -> int:
    """Queue the card for every dispatcher on WeCom; how many were queued. In a transaction."""
    if not ctx.settings.wecom_enabled:
        return 0
    dispatchers = await Worker.filter(
        role=WorkerRole.DISPATCHER, active=True, wecom_userid__isnull=False
    ).order_by("id")
    payload = await request_card(case, request)
    sent = 0
    for dispatcher in dispatchers:
        if not dispatcher.wecom_userid:
            continue
        await enqueue(
            "work_app",
            dispatcher.wecom_userid,
            payload,
            ctx.now,
            purpose=PURPOSE,
            case_id=case.id,
            dedup_key=f"request:{kind_of(request)}:{request.id}:{dispatcher.id}",
        )
        sent += 1
    return sent
