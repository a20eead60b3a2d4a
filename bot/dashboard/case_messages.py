"""The resident's own messages behind a case (居民原始消息), as they were received.

Every chat message and mini-program submission is stored whole before anything else
(``models.InboundMessage``) and names the case it made or joined. The caps of
``handlers.intake.case_limits`` keep long words and extra files out of the case itself; here
staff read them whole: 20 messages a page, newest first, each folded to a preview, and one
message in full behind ``?message=<id>``. Only the case's own resident's messages, only for an
account that may see the case; phones are masked as everywhere in the dashboard.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, page, refuse, render
from bot.intake import CHANNEL_PARSERS
from bot.wechat.parsing import BadMessage
from config.replies import ATTACHMENT_WORDS
from handlers.case_pages import fold
from handlers.digits import whole_number
from handlers.intake.incoming import IncomingMessage
from handlers.workflow.staff_actions import CaseHidden, visible_case
from models import Case, InboundMessage, Resident
from nlu import mask_phones_in_text

PAGE_SIZE = 20
MAX_PAGE = 10_000
PREVIEW_CHARS = 300
NOT_FOUND = "没有找到这条诉求：编号不存在，或不在您的账号可查看的范围内"
NO_MESSAGE = "这条诉求下没有这条消息"
CHANNEL_LABELS = {"mp": "公众号", "mini": "小程序客服", "resident_api": "小程序提交"}


def messages_link(case: Case) -> str:
    return f"{PREFIX}/cases/{case.number}/messages"


def _words_of_chat(message: IncomingMessage) -> str:
    if message.msg_type == "text":
        return message.content
    if message.msg_type == "link":
        return "\n".join(p for p in (message.content, message.url or "") if p)
    if message.msg_type == "location":
        return f"［位置］{message.label or ''} {message.lat}, {message.lng}"
    what = ATTACHMENT_WORDS.get(message.msg_type, message.msg_type)
    heard = f"：{message.recognition}" if message.recognition else ""
    return f"［{what}］{message.media_id or ''}{heard}"


def words_of(row: InboundMessage) -> str:
    """What the resident sent in ``row``, as words (attachments named, not shown)."""
    parse = CHANNEL_PARSERS.get(row.channel)
    if parse is not None:
        try:
            return _words_of_chat(parse(row.body))
        except BadMessage:
            return "（消息无法解析，原始内容已保存）"
    try:
        body = json.loads(row.body)
    except ValueError:
        return row.body
    if not isinstance(body, dict):
        return row.body
    return str(body.get("text") or "") or json.dumps(body, ensure_ascii=False)


def message_row(row: InboundMessage, full: bool) -> dict[str, Any]:
    words = fold(words_of(row), PREVIEW_CHARS, full, mask=True)
    return {
        "id": row.id,
        "received_at": row.received_at,
        "channel": CHANNEL_LABELS.get(row.channel, row.channel),
        "type": ATTACHMENT_WORDS.get(row.msg_type, "文字" if row.msg_type == "text" else ""),
        "words": words.text,
        "length": words.length,
        "folded": words.folded,
        "reply": mask_phones_in_text(row.reply or ""),
    }


@page("cases.read")
async def case_messages(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    try:
        case = await visible_case(staff.user, request.match_info["number"])
    except CaseHidden:
        return refuse(request, staff, 404, NOT_FOUND)
    resident = await Resident.get_or_none(id=case.resident_id) if case.resident_id else None
    rows = InboundMessage.filter(openid=resident.openid if resident else "", case_id=case.id)
    path = messages_link(case)
    context: dict[str, Any] = {"title": f"诉求 {case.number} 居民原始消息", "case": case}
    raw_id = request.query.get("message", "").strip()
    if raw_id:
        message_id = whole_number(raw_id)
        row = await rows.filter(id=message_id).first() if message_id is not None else None
        if row is None:
            return refuse(request, staff, 404, NO_MESSAGE)
        context.update(messages=[message_row(row, True)], one=True, back=path)
        return render(request, staff, "case_messages.html", context)
    number = whole_number(request.query.get("page", "").strip() or "1", 6)
    if number is None or not 1 <= number <= MAX_PAGE:
        return refuse(request, staff, 400, f"page 须为 1 到 {MAX_PAGE} 的整数")
    total = await rows.count()
    pages = max(1, -(-total // PAGE_SIZE))
    found = (
        await rows.order_by("-received_at", "-id").offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )

    def link(to: int) -> str:
        return path + (f"?{urlencode({'page': to})}" if to > 1 else "")

    context.update(
        messages=[message_row(row, False) for row in found],
        one=False,
        total=total,
        page=number,
        pages=pages,
        path=path,
        newer_link=link(number - 1) if number > 1 else "",
        older_link=link(number + 1) if number < pages else "",
    )
    return render(request, staff, "case_messages.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/cases/{{number}}/messages", case_messages)
