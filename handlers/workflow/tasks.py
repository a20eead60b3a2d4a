"""Telling a worker about a case: a WeCom task card with buttons, else an official-account template.

A routed case reaches its grid worker as a WeCom ``template_card`` of type
``button_interaction``: title, category and place, the number and the deadlines, and two buttons,
签收 and 退单. A 退单 needs a reason. A button card has no text input, but it carries one
``button_selection`` (a drop-down) whose chosen option comes back with every button press, so the
reasons are preset options there (:data:`RETURN_REASONS`); a reason of their own the worker
gives on the worker pages. WeCom always preselects an option, so the first one is a prompt
(请选择退单理由): a 退单 pressed with it is answered with a request to choose, and the case does
not move.

A press comes back through the WeCom callback as a ``template_card_event``;
:func:`press_button` makes the transition and queues the card's update (its buttons replaced by
"已签收·王芳 03-01 16:05" or "退单已提交，待中心审核：非本单位职责"), with the response code of
that press. A 退单 is a request to the centre (``handlers.workflow.centre_requests``): the case
stays with the unit until a dispatcher approves.

Without WeCom the worker gets a template message on the official account, linking to the case's
worker page when ``JIESU_PUBLIC_URL`` is set. If neither channel reaches them, the message is
kept as unsent with the reason, so a dispatcher can see why nobody was told.

Every task message has a dedup key per case and dispatch (the case's ``version`` right after the
dispatch or reassignment), so a retried transaction or sweep never sends the same task twice,
while a later reassignment sends a new one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from handlers.clock import format_local, local
from handlers.context import HandlerContext
from handlers.outbox import enqueue, record_unsent
from handlers.places import place_summary
from handlers.timeline import ConcurrentChange
from handlers.workflow import actions as workflow
from models import Case, CaseStatus, IllegalTransition, OutboxMessage, Worker

logger = logging.getLogger(__name__)

TASK_PURPOSE = "task"
SOURCE_NAME = "接诉即办"
SIGN_TEXT = "签收"
RETURN_TEXT = "退单"
SIGN_KEY_PREFIX = "sign:"
RETURN_KEY_PREFIX = "return:"
RETURN_QUESTION_KEY = "return_reason"
# WeCom preselects the first option of a button_selection, so the first one is a prompt: a 退单
# pressed while it is still selected has no reason, and the worker is asked to choose one.
NO_REASON = "choose"
RETURN_PROMPT = "请选择退单理由"
# Option ids -> the reason recorded with the 退单.
RETURN_REASONS: dict[str, str] = {
    "not_ours": "非本单位职责",
    "out_of_area": "地址不在辖区",
    "incomplete": "信息不全无法处理",
}

# WeCom's recommended lengths (characters); longer texts are cut with an ellipsis.
TITLE_LIMIT = 36
DESC_LIMIT = 44
VALUE_LIMIT = 30
TEMPLATE_VALUE_LIMIT = 200


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def task_id(case: Case) -> str:
    """Unique per card, as WeCom requires: the number and the dispatch (the case's version)."""
    return f"{case.number}-{case.version}"


def task_dedup_key(case: Case) -> str:
    return f"task:{case.number}:{case.version}"


def sign_key(number: str) -> str:
    return f"{SIGN_KEY_PREFIX}{number}"


def return_key(number: str) -> str:
    return f"{RETURN_KEY_PREFIX}{number}"


def worker_link(ctx: HandlerContext, number: str | None) -> str:
    base = ctx.settings.public_url.strip().rstrip("/")
    if not base or not number:
        return ""
    return f"{base}/worker/cases/{number}"


def text_payload(text: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}


def template_payload(template_id: str, text: str, number: str | None, link: str) -> dict[str, Any]:
    """The worker template: first = the opening line, keyword1 = number, keyword2 = the rest."""
    lines = [line for line in text.splitlines() if line.strip()] or [text]
    first, rest = lines[0], "\n".join(lines[1:]) or lines[0]
    payload: dict[str, Any] = {
        "template_id": template_id,
        "data": {
            "first": {"value": clip(first, TEMPLATE_VALUE_LIMIT)},
            "keyword1": {"value": number or "-"},
            "keyword2": {"value": clip(rest, TEMPLATE_VALUE_LIMIT)},
            "remark": {"value": "点击查看并处理" if link else "请登录系统查看并处理"},
        },
    }
    if link:
        payload["url"] = link
    return payload


async def _case_number(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    numbers = await Case.filter(id=case_id).values_list("number", flat=True)
    return str(numbers[0]) if numbers else None


async def notify_worker(
    worker: Worker,
    text: str,
    ctx: HandlerContext,
    *,
    purpose: str,
    case_id: int | None = None,
    dedup_key: str | None = None,
    key_is_new: bool = False,
) -> OutboxMessage:
    """Queue ``text`` for a worker on the best channel open to them. Call inside a transaction.

    WeCom app text when WeCom is configured and the worker has a userid; else the official
    account's worker template (JIESU_MP_TEMPLATE_WORKER_TASK) to their openid; else an unsent
    row with the reason. A ``dedup_key`` already used returns the earlier row (``key_is_new``:
    the caller knows it cannot be, as its case was made in this transaction).
    """
    if dedup_key is not None and not key_is_new:
        existing = await OutboxMessage.get_or_none(dedup_key=dedup_key)
        if existing is not None:
            return existing
    settings = ctx.settings
    if settings.wecom_enabled and worker.wecom_userid:
        return await enqueue(
            "work_app",
            worker.wecom_userid,
            text_payload(text),
            ctx.now,
            purpose=purpose,
            case_id=case_id,
            dedup_key=dedup_key,
            key_checked=True,
        )
    template_id = settings.mp_template_worker_task.strip()
    if worker.openid and template_id:
        number = await _case_number(case_id)
        return await enqueue(
            "mp_template",
            worker.openid,
            template_payload(template_id, text, number, worker_link(ctx, number)),
            ctx.now,
            purpose=purpose,
            case_id=case_id,
            dedup_key=dedup_key,
            key_checked=True,
        )
    row = await record_unsent(
        "work_app" if settings.wecom_enabled else "mp_template",
        worker.wecom_userid or worker.openid or f"worker:{worker.id}",
        text_payload(text),
        ctx.now,
        unreachable_reason(worker, ctx),
        purpose=purpose,
        case_id=case_id,
        # The decision is made for this key: a retry finds it instead of recording it again.
        dedup_key=dedup_key,
    )
    logger.warning(
        "worker %s (id %s) cannot be reached: %s", worker.name, worker.id, row.last_error
    )
    return row


def unreachable_reason(worker: Worker, ctx: HandlerContext) -> str:
    settings = ctx.settings
    if settings.wecom_enabled:
        wecom = "该工作人员没有企业微信账号(userid)"
    else:
        wecom = "企业微信未配置(JIESU_WORK_CORP_ID/AGENT_ID/SECRET)"
    if not worker.openid:
        mp = "也没有绑定公众号(openid)"
    else:
        mp = "公众号工作人员模板消息未配置(JIESU_MP_TEMPLATE_WORKER_TASK)"
    return f"{wecom}，{mp}，无法通知"


def task_facts(case: Case) -> list[tuple[str, str]]:
    """What the worker needs to decide: number, place and the two deadlines, in local time."""

    facts = [("编号", case.number), ("地点", place_summary(case))]
    if case.sign_due_at is not None:
        facts.append(("签收期限", format_local(case.sign_due_at)))
    if case.completion_due_at is not None:
        facts.append(("办结期限", format_local(case.completion_due_at)))
    return facts


def task_text(case: Case) -> str:
    """The same facts as the card, as text (template message, WeCom text fallback)."""
    urgent = "【急】" if case.urgency == "急" else ""
    lines = [f"新工单{urgent}：{case.title or case.category}", f"类别：{case.category}"]
    lines += [f"{name}：{value}" for name, value in task_facts(case)]
    lines.append("请及时签收；不属于本单位的请退单并说明理由。")
    return "\n".join(lines)


def task_card(case: Case, ctx: HandlerContext) -> dict[str, Any]:
    """The ``button_interaction`` card; the client adds ``touser`` and ``agentid``."""

    urgent = "【急】" if case.urgency == "急" else ""
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": SOURCE_NAME},
        "main_title": {
            "title": clip(urgent + (case.title or case.category or "新工单"), TITLE_LIMIT),
            "desc": clip(f"{case.category} · {place_summary(case)}", DESC_LIMIT),
        },
        "horizontal_content_list": [
            {"keyname": name, "value": clip(value, VALUE_LIMIT)} for name, value in task_facts(case)
        ],
        "task_id": task_id(case),
        "button_selection": {
            "question_key": RETURN_QUESTION_KEY,
            "title": "退单理由",
            "selected_id": NO_REASON,
            "option_list": [
                {"id": NO_REASON, "text": RETURN_PROMPT},
                *({"id": key, "text": text} for key, text in RETURN_REASONS.items()),
            ],
        },
        "button_list": [
            {"text": SIGN_TEXT, "style": 1, "key": sign_key(case.number)},
            {"text": RETURN_TEXT, "style": 2, "key": return_key(case.number)},
        ],
    }
    link = worker_link(ctx, case.number)
    if link:
        card["card_action"] = {"type": 1, "url": link}
    return {"msgtype": "template_card", "template_card": card}


async def push_task(
    case: Case, ctx: HandlerContext, *, worker: Worker | None = None, new_case: bool = False
) -> OutboxMessage | None:
    """Send the case to its worker (a task card over WeCom, else notify_worker's fallbacks).

    Call inside the transaction that dispatched or reassigned the case, after the change, so
    the case's version names this dispatch. No worker: nobody to tell, returns None.
    ``worker``: the case's worker as the caller has it (the routing table), not read again.
    ``new_case``: the case was made in this transaction, so its task key cannot be queued yet.
    """
    if case.worker_id is None:
        return None
    if worker is None or worker.id != case.worker_id:
        worker = await Worker.get_or_none(id=case.worker_id)
    if worker is None:
        return None
    key = task_dedup_key(case)
    if ctx.settings.wecom_enabled and worker.wecom_userid:
        return await enqueue(
            "work_app",
            worker.wecom_userid,
            task_card(case, ctx),
            ctx.now,
            purpose=TASK_PURPOSE,
            case_id=case.id,
            dedup_key=key,
            key_checked=new_case,
        )
    return await notify_worker(
        worker,
        task_text(case),
        ctx,
        purpose=TASK_PURPOSE,
        case_id=case.id,
        dedup_key=key,
        key_is_new=new_case,
    )


# Button presses (the WeCom callback's template_card_event)

UPDATE_CARD = "update_card"  # outbox payload kind the drainer sends to update_template_card
CARD_UPDATE_PURPOSE = "task_card"


@dataclass(frozen=True)
class ButtonPress:
    userid: str  # FromUserName: the worker's WeCom userid
    event_key: str  # the button's key: sign:<number> | return:<number>
    response_code: str = ""  # lets us update the card once (72 h)
    selected: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question -> option ids


@dataclass(frozen=True)
class PressOutcome:
    # signed | return_requested | refused | no_reason | unknown_worker | unknown_key | no_case
    result: str
    case_id: int | None = None
    card_text: str = ""  # what the card's buttons now say ("" = card left as it is)


def parse_key(event_key: str) -> tuple[str, str] | None:
    for action, prefix in (("sign", SIGN_KEY_PREFIX), ("return", RETURN_KEY_PREFIX)):
        if event_key.startswith(prefix) and len(event_key) > len(prefix):
            return action, event_key[len(prefix) :]
    return None


def card_update_key(response_code: str) -> str:
    """One update per response code (WeCom accepts one), however often the press is retried."""
    code = (
        response_code
        if len(response_code) <= 100
        else hashlib.sha1(response_code.encode("utf-8")).hexdigest()
    )
    return f"card:{code}"


async def update_card(
    userid: str, response_code: str, text: str, ctx: HandlerContext, case_id: int | None
) -> OutboxMessage | None:
    """Queue the card update: its buttons become one greyed-out label saying what happened."""
    if not response_code:
        return None
    return await enqueue(
        "work_app",
        userid,
        {"kind": UPDATE_CARD, "response_code": response_code, "button": {"replace_name": text}},
        ctx.now,
        purpose=CARD_UPDATE_PURPOSE,
        case_id=case_id,
        dedup_key=card_update_key(response_code),
    )


def refused_text(case: Case, exc: Exception) -> str:
    """Why nothing happened, short enough for a button."""
    if isinstance(exc, workflow.NotAllowed):
        return "已不由您办理"
    if isinstance(exc, workflow.WorkflowConflict):
        return "已申请退单，待中心审核"
    status = CaseStatus(case.status)
    if status is CaseStatus.ACCEPTED:
        return "工单已退回派单"
    return f"工单{status.label}"


async def _apply(action: str, case: Case, worker: Worker, reason: str, ctx: HandlerContext) -> None:
    """Sign or return; a case changed meanwhile is read again and tried once more."""
    for attempt in range(2):
        try:
            if action == "sign":
                await workflow.sign_case(case, worker, ctx)
            else:
                await workflow.return_case(case, worker, reason, ctx)
            return
        except ConcurrentChange:
            if attempt:
                raise
            await case.refresh_from_db()


async def press_button(press: ButtonPress, ctx: HandlerContext) -> PressOutcome:
    """A worker pressed 签收 or 退单 on a task card. Call inside a transaction.

    Anything that cannot be done (someone else's case, a case already signed, returned or
    cancelled) changes nothing and says so on the card; an unknown worker or key is only logged.
    """
    parsed = parse_key(press.event_key)
    if parsed is None:
        logger.warning(
            "card button with unknown key %r from %s ignored", press.event_key, press.userid
        )
        return PressOutcome("unknown_key")
    action, number = parsed
    worker = await Worker.get_or_none(wecom_userid=press.userid)
    if worker is None:
        logger.warning(
            "card button %s pressed by WeCom user %r, who is no worker here; nothing done",
            press.event_key,
            press.userid,
        )
        return PressOutcome("unknown_worker")
    case = await Case.get_or_none(number=number)
    if case is None:
        logger.warning("card button %s: no case %s; nothing done", press.event_key, number)
        await update_card(press.userid, press.response_code, "工单不存在", ctx, None)
        return PressOutcome("no_case", card_text="工单不存在")
    reason = ""
    if action == "return":
        chosen = press.selected.get(RETURN_QUESTION_KEY, ())
        reason = next((RETURN_REASONS[o] for o in chosen if o in RETURN_REASONS), "")
        if not reason:
            await notify_worker(
                worker,
                f"工单{case.number}：请先在「退单理由」中选择理由，再点「退单」。"
                "其他理由请在工作台填写。",
                ctx,
                purpose="task_hint",
                case_id=case.id,
                dedup_key=f"hint:{card_update_key(press.response_code)}"
                if press.response_code
                else None,
            )
            return PressOutcome("no_reason", case.id)
    try:
        await _apply(action, case, worker, reason, ctx)
    except (workflow.WorkflowError, IllegalTransition) as exc:
        text = refused_text(case, exc)
        logger.info("card button %s by worker %s refused: %s", press.event_key, worker.id, exc)
        await update_card(press.userid, press.response_code, text, ctx, case.id)
        return PressOutcome("refused", case.id, text)
    if action == "sign":
        text = f"已签收·{worker.name} {local(ctx.now).strftime('%m-%d %H:%M')}"
        result = "signed"
    else:
        text = f"退单已提交，待中心审核：{reason}"
        result = "return_requested"
    await update_card(press.userid, press.response_code, text, ctx, case.id)
    return PressOutcome(result, case.id, text)
