"""Telling a worker about a case: a WeCom task card with buttons, else an official-account template.

A routed case reaches its grid worker as a WeCom ``template_card`` of type
``button_interaction``: title, category and place, the number and the deadlines, and two buttons,
签收 and 退单. A 退单 needs a reason; a button card carries one ``button_selection`` (a drop-down
with preset options) whose chosen option comes back with the button press, so the reasons are
preset options there (:data:`RETURN_REASONS`). Nothing is preselected: a 退单 pressed without a
reason is answered with a request to choose one, and the case does not move.

Without WeCom the worker gets a template message on the official account, linking to the case's
worker page when ``JIESU_PUBLIC_URL`` is set. If neither channel reaches them, the message is
kept as unsent with the reason, so a dispatcher can see why nobody was told.

Every task message has a dedup key per case and dispatch (the case's ``version`` right after the
dispatch or reassignment), so a retried transaction or sweep never sends the same task twice,
while a later reassignment sends a new one.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.outbox import enqueue, record_unsent
from models import Case, OutboxMessage, Worker

logger = logging.getLogger(__name__)

TASK_PURPOSE = "task"
SOURCE_NAME = "接诉即办"
SIGN_TEXT = "签收"
RETURN_TEXT = "退单"
SIGN_KEY_PREFIX = "sign:"
RETURN_KEY_PREFIX = "return:"
RETURN_QUESTION_KEY = "return_reason"
# Option ids (WeCom: at most 16 bytes each) -> the reason recorded with the 退单.
RETURN_REASONS: dict[str, str] = {
    "not_ours": "非本单位职责",
    "out_of_area": "地址不在辖区",
    "incomplete": "信息不全无法处理",
}

# WeCom's display limits (characters); longer texts are cut with an ellipsis.
TITLE_LIMIT = 26
DESC_LIMIT = 30
VALUE_LIMIT = 26
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
) -> OutboxMessage:
    """Queue ``text`` for a worker on the best channel open to them. Call inside a transaction.

    WeCom app text when WeCom is configured and the worker has a userid; else the official
    account's worker template (JIESU_MP_TEMPLATE_WORKER_TASK) to their openid; else an unsent
    row with the reason. A ``dedup_key`` already used returns the earlier row.
    """
    if dedup_key is not None:
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
        )
    row = await record_unsent(
        "work_app" if settings.wecom_enabled else "mp_template",
        worker.wecom_userid or worker.openid or f"worker:{worker.id}",
        text_payload(text),
        ctx.now,
        unreachable_reason(worker, ctx),
        purpose=purpose,
        case_id=case_id,
    )
    logger.warning(
        "worker %s (id %s) cannot be reached: %s", worker.name, worker.id, row.last_error
    )
    if dedup_key is not None:
        # The decision is made for this key: a retry finds it instead of recording it again.
        await OutboxMessage.filter(id=row.id).update(dedup_key=dedup_key)
        row.dedup_key = dedup_key
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
    from handlers.report import place_summary  # report imports this module for its hooks

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
    from handlers.report import place_summary

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
            "option_list": [{"id": key, "text": text} for key, text in RETURN_REASONS.items()],
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


async def push_task(case: Case, ctx: HandlerContext) -> OutboxMessage | None:
    """Send the case to its worker (a task card over WeCom, else notify_worker's fallbacks).

    Call inside the transaction that dispatched or reassigned the case, after the change, so
    the case's version names this dispatch. No worker: nobody to tell, returns None.
    """
    if case.worker_id is None:
        return None
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
        )
    return await notify_worker(
        worker, task_text(case), ctx, purpose=TASK_PURPOSE, case_id=case.id, dedup_key=key
    )
