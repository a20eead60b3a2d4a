"""Sandbox-only endpoints, so that a local trial can see the whole life of a case.

With ``JIESU_OUTBOUND_MODE=sandbox`` (``jiesu serve --demo`` turns it on) nothing reaches WeChat:
the outbox drainer records each message as sent and keeps it. These endpoints let the trial's
terminals see and play what WeChat and WeCom would:

- ``GET /api/sandbox/messages?openid=&after=`` - what was pushed to one resident of the official
  account (customer-service, template and subscription messages, broadcast notices) after a
  cursor: ``jiesu chat`` prints them as they go out.
- ``POST /api/sandbox/worker-token?worker=`` - a worker-API token for a worker of the demo
  district (only when ``demo`` is on too): ``jiesu work`` plays that worker.

Why this is safe:

- The routes exist only in sandbox mode (:func:`add_sandbox_routes` registers nothing when the
  service talks to WeChat, so there they are a plain 404), and only sandbox data is behind them.
- Every call proves it knows the official account's token (``bot.api.sandbox_proof``: an HMAC of
  the whole query, timestamp within ``JIESU_MP_TIMESTAMP_TOLERANCE``, constant-time compare).
  Whoever holds that token can already write as any resident and read the passive replies, so
  reading what was pushed to an openid, or acting as a demo worker in a trial, gives them
  nothing new; anyone else gets 401 (no proof) or 403 (a wrong one). The openid is inside the
  signature, so a captured request cannot be turned into another resident's.
- Only the official account's channels to that very openid are listed (never WeCom messages,
  whose userids could look like an openid), plus broadcasts whose delivery names that openid or
  everybody.
- Parameters are checked before the database is asked: unknown or repeated names, over-long
  values and anything but the documented shapes are a 400.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from aiohttp import web
from tortoise.expressions import Q

from bot.api.json_api import ApiError, error_response
from bot.api.openapi import (
    BOOLEAN,
    INTEGER,
    STRING,
    Operation,
    Param,
    Response,
    array,
    error,
    nullable,
    obj,
    one_of_values,
    text_error,
    unauthorized,
)
from bot.api.sandbox_proof import (
    MAX_NONCE,
    MESSAGES_ACTION,
    MESSAGES_PATH,
    NONCE,
    PROOF_PARAMS,
    SIGNATURE,
    SIGNATURE_LENGTH,
    TIMESTAMP,
    WORKER_TOKEN_ACTION,
    WORKER_TOKEN_PATH,
    has_proof,
    proof_problem,
)
from bot.keys import CLOCK, SETTINGS
from bot.wechat.outbox_drainer import short_text
from handlers.clock import iso
from handlers.workflow.actions import issue_token
from models import Grid, NoticeDelivery, OutboxMessage, OutboxStatus, Unit, Worker

logger = logging.getLogger(__name__)

PAGE = 50
MAX_CURSOR = 10**18
OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
WORKER_NAME_MAX = 64

# The official account's channels, and what each is called in the chat.
KINDS = {
    "mp_custom": "customer",
    "mp_template": "template",
    "mp_subscribe": "subscribe",
    "mp_mass": "mass",
}
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


# Checking the query


def query_of(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query as a plain dict; 400 for a name not in ``allowed`` (the proof aside), a name
    given twice, a NUL or an over-long value."""
    names = set(allowed) | set(PROOF_PARAMS)
    params: dict[str, str] = {}
    for name, value in request.query.items():
        if name not in names:
            raise ApiError(400, "invalid_request", f"未知的参数 {name[:40]}")
        if name in params:
            raise ApiError(400, "invalid_request", f"参数 {name} 只能出现一次")
        if "\x00" in value or len(value) > 256:
            raise ApiError(400, "invalid_request", f"参数 {name} 的值不正确")
        params[name] = value
    return params


def check_proof(request: web.Request, action: str, params: dict[str, str]) -> None:
    """401 without a proof, 400 for a malformed one, 403 for a wrong or stale one."""
    if not has_proof(params):
        raise ApiError(
            401,
            "unauthorized",
            "缺少签名：请用公众号令牌签名 timestamp、nonce 和 signature（jiesu chat 会自动签名）",
        )
    if len(params[NONCE]) > MAX_NONCE or len(params[SIGNATURE]) != SIGNATURE_LENGTH:
        raise ApiError(400, "invalid_request", "nonce 或 signature 的格式不正确")
    settings = request.app[SETTINGS]
    now = time.time()  # the wall clock, as the WeChat callbacks check theirs
    problem = proof_problem(settings.mp_token, action, params, now, settings.mp_timestamp_tolerance)
    if problem == "timestamp must be Unix seconds":
        raise ApiError(400, "invalid_request", "timestamp 须为 Unix 秒数")
    if problem is not None:
        logger.warning("sandbox %s refused: %s", action, problem)
        raise ApiError(403, "forbidden", f"签名无效：{problem}")


def cursor_of(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) >= MAX_CURSOR:
        raise ApiError(400, "invalid_request", "after 须为非负整数")
    return int(raw)


def guarded(action: str, allowed: tuple[str, ...]) -> Any:
    """Read and check the query, then run the handler; every refusal is our JSON error."""

    def wrap(handler: Any) -> Any:
        async def run(request: web.Request) -> web.Response:
            try:
                params = query_of(request, allowed)
                check_proof(request, action, params)
                response: web.Response = await handler(request, params)
                return response
            except ApiError as refusal:
                return error_response(
                    refusal.status, refusal.code, refusal.message, **refusal.extra
                )

        return run

    return wrap


# What was pushed


def _values(data: Any, *names: str) -> list[str]:
    if not isinstance(data, dict):
        return []
    found = []
    for name in names:
        item = data.get(name)
        if isinstance(item, dict) and str(item.get("value", "")).strip():
            found.append(str(item["value"]).strip())
    return found


def pushed_text(channel: str, payload: dict[str, Any]) -> tuple[str, list[dict[str, str]] | None]:
    """What the resident would read, and a menu's options (id, words) if it has one."""
    msgtype = payload.get("msgtype")
    if msgtype == "text" and isinstance(payload.get("text"), dict):
        return str(payload["text"].get("content", "")), None
    if msgtype == "msgmenu" and isinstance(payload.get("msgmenu"), dict):
        menu = payload["msgmenu"]
        options = [
            {"id": str(item.get("id", "")), "content": str(item.get("content", ""))}
            for item in menu.get("list") or []
            if isinstance(item, dict)
        ]
        words = [str(menu.get("head_content", "")), str(menu.get("tail_content", ""))]
        return "\n".join(w for w in words if w), options
    if msgtype == "mpnews":
        return "[图文消息]", None
    data = payload.get("data")
    if channel == "mp_template":
        first = _values(data, "first")
        facts = _values(data, "keyword1", "keyword2", "keyword3")
        remark = _values(data, "remark")
        return "\n".join([*first, " · ".join(facts), *remark]).strip(), None
    if channel == "mp_subscribe":
        facts = _values(data, "character_string1", "phrase2", "time3")
        return "\n".join([*_values(data, "thing4"), " · ".join(facts)]).strip(), None
    return short_text(payload, 200), None


def message_json(row: OutboxMessage) -> dict[str, Any]:
    text, menu = pushed_text(row.channel, dict(row.payload or {}))
    status = OutboxStatus(row.status)
    return {
        "id": row.id,
        "kind": KINDS.get(row.channel, row.channel),
        "purpose": row.purpose,
        "status": status.value,
        "note": "" if status is OutboxStatus.SENT else row.last_error[:200],
        "at": iso(row.sent_at or row.created_at),
        "text": text,
        "menu": menu,
    }


async def _scope(openid: str) -> Q:
    """The rows that went to ``openid``: its own, and broadcasts naming it or everybody."""
    broadcast: list[Any] = list(
        await NoticeDelivery.filter(
            recipient__in=[openid, "all"], channel="mp_mass", outbox_id__isnull=False
        ).values_list("outbox_id", flat=True)
    )
    scope = Q(recipient=openid, channel__in=list(KINDS))
    if broadcast:
        scope |= Q(id__in=[int(i) for i in broadcast if i is not None])
    return scope


async def messages(request: web.Request, params: dict[str, str]) -> web.Response:
    """Settled rows after ``after``, oldest first. The cursor returned never passes a row that
    is still pending, so a message sent late is still listed; the caller skips ids it has shown.
    Without ``after``: no messages, the cursor of now (a chat shows what comes from now on)."""
    openid = params.get("openid", "")
    if not OPENID.match(openid):
        raise ApiError(400, "invalid_request", "openid 须为 1 到 64 位字母、数字、- 或 _")
    after = cursor_of(params.get("after"))
    scope = await _scope(openid)
    if after is None:
        waiting = await OutboxMessage.filter(scope, status__in=UNSETTLED).order_by("id").first()
        latest = await OutboxMessage.filter(scope).order_by("-id").first()
        cursor = waiting.id - 1 if waiting else (latest.id if latest else 0)
        return web.json_response({"messages": [], "cursor": cursor, "has_more": False})
    rows = await OutboxMessage.filter(scope, id__gt=after).order_by("id").limit(PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    cursor = after
    held = False
    shown = []
    for row in rows:
        if row.status in UNSETTLED:
            held = True
            continue
        if not held:
            cursor = row.id
        shown.append(message_json(row))
    return web.json_response({"messages": shown, "cursor": cursor, "has_more": more})


# Playing a worker


def worker_json(worker: Worker, units: dict[int, Unit], grids: dict[int, Grid]) -> dict[str, Any]:
    unit = units.get(worker.unit_id) if worker.unit_id else None
    grid = grids.get(worker.grid_id) if worker.grid_id else None
    return {
        "id": worker.id,
        "name": worker.name,
        "userid": worker.wecom_userid,
        "role": worker.role.value,
        "unit": unit.name if unit else None,
        "grid": grid.name if grid else None,
    }


async def worker_token(request: web.Request, params: dict[str, str]) -> web.Response:
    """A token for the worker named by name, WeCom userid or id; demo district only."""
    if not request.app[SETTINGS].demo:
        raise ApiError(404, "not_found", "只有演示模式（jiesu serve --demo）可以领取演示令牌")
    who = params.get("worker", "").strip()
    if not who or len(who) > WORKER_NAME_MAX:
        raise ApiError(400, "invalid_request", "worker 须为工作人员的姓名、企业微信账号或编号")
    active = await Worker.filter(active=True).order_by("id")
    units = {u.id: u for u in await Unit.all()}
    grids = {g.id: g for g in await Grid.all()}
    chosen = [w for w in active if who in (w.name, w.wecom_userid, str(w.id))]
    everyone = [worker_json(w, units, grids) for w in active]
    if len(chosen) != 1:
        known = "、".join(f"{w.name}（{w.wecom_userid}）" for w in active[:40])
        problem = "有多位同名工作人员，请用企业微信账号" if chosen else "没有这位工作人员"
        raise ApiError(404, "unknown_worker", f"{problem}：{who}。可选：{known}")
    worker = chosen[0]
    token = await issue_token(worker, request.app[CLOCK].now(), "jiesu work (sandbox)")
    body = {"token": token, "worker": worker_json(worker, units, grids), "workers": everyone}
    return web.json_response(body, status=201)


def add_sandbox_routes(app: web.Application) -> None:
    """Only in sandbox mode: talking to WeChat, these paths do not exist (404)."""
    if app[SETTINGS].outbound_mode != "sandbox":
        return
    app.router.add_get(MESSAGES_PATH, guarded(MESSAGES_ACTION, ("openid", "after"))(messages))
    app.router.add_post(WORKER_TOKEN_PATH, guarded(WORKER_TOKEN_ACTION, ("worker",))(worker_token))


# The contract (bot.api.openapi)

_PROOF = (
    Param(TIMESTAMP, "query", {"type": "string", "pattern": "^[0-9]+$"}, True, "Unix seconds"),
    Param(NONCE, "query", {"type": "string", "minLength": 1, "maxLength": MAX_NONCE}, True),
    Param(
        SIGNATURE,
        "query",
        {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        True,
        "hex HMAC-SHA256, keyed with the official account's token, of the action and the "
        "sorted query (bot/api/sandbox_proof.py)",
    ),
)
_REFUSED = {
    400: error("a parameter is unknown, repeated, too long or malformed"),
    401: unauthorized("no timestamp, nonce or signature"),
    403: error("the signature does not match, or the timestamp is too far from now"),
    404: text_error("not in sandbox mode (JIESU_OUTBOUND_MODE=wechat): the path does not exist"),
}
PUSHED = obj(
    {
        "id": INTEGER,
        "kind": one_of_values(KINDS.values()),
        "purpose": STRING,
        "status": one_of_values(s.value for s in OutboxStatus if s not in UNSETTLED),
        "note": STRING,
        "at": STRING,
        "text": STRING,
        "menu": nullable(array(obj({"id": STRING, "content": STRING}))),
    }
)
DEMO_WORKER = obj(
    {
        "id": INTEGER,
        "name": STRING,
        "userid": nullable(STRING),
        "role": STRING,
        "unit": nullable(STRING),
        "grid": nullable(STRING),
    }
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        MESSAGES_PATH,
        "Sandbox: what the service pushed to one resident, after a cursor",
        "sandbox",
        {
            200: Response(
                "settled messages, oldest first, and the cursor to ask after next",
                obj({"messages": array(PUSHED), "cursor": INTEGER, "has_more": BOOLEAN}),
            ),
            **_REFUSED,
        },
        params=(
            Param(
                "openid",
                "query",
                {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                True,
                "the resident",
            ),
            Param(
                "after",
                "query",
                {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR - 1},
                False,
                "the cursor of the previous answer; none: the cursor of now, no messages",
            ),
            *_PROOF,
        ),
        description="Only with JIESU_OUTBOUND_MODE=sandbox (jiesu serve --demo), for "
        "`jiesu chat`; signed with the official account's token.",
        auth=("sandboxProof",),
    ),
    Operation(
        "POST",
        WORKER_TOKEN_PATH,
        "Sandbox, demo district: a worker-API token for one of its workers",
        "sandbox",
        {
            201: Response(
                "the token (shown once), the worker, and every active worker to choose from",
                obj({"token": STRING, "worker": DEMO_WORKER, "workers": array(DEMO_WORKER)}),
            ),
            **_REFUSED,
            404: error(
                "not demo mode, or no such worker (the message lists them); "
                "outside sandbox mode the path does not exist"
            ),
        },
        params=(
            Param(
                "worker",
                "query",
                {"type": "string", "minLength": 1, "maxLength": WORKER_NAME_MAX},
                True,
                "name, WeCom userid or id",
            ),
            *_PROOF,
        ),
        description="Only with JIESU_OUTBOUND_MODE=sandbox and the demo on (jiesu serve "
        "--demo), for `jiesu work`; signed with the official account's token.",
        auth=("sandboxProof",),
    ),
)
