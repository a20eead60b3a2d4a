"""The OpenAPI contract of the governance items' API (未诉先办 / 每月一题, the 台账):
``bot.api.admin_hot_items``."""

from __future__ import annotations

from bot.api.admin_hot_items import (
    BASE,
    CloseBody,
    DoneBody,
    EditBody,
    ItemBody,
    LinkBody,
    MilestonesBody,
    NoteBody,
    NoticeBody,
    WithdrawBody,
)
from bot.api.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    DATE,
    DATETIME,
    INTEGER,
    STAFF_AUTH,
    STRING,
    Component,
    Operation,
    Param,
    Response,
    Schema,
    array,
    error,
    nullable,
    obj,
    one_of_values,
    too_large,
    unauthorized,
)
from config import hot_items as texts
from handlers.hot.ledger import XLSX

_TAG = "hot items"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden: the role lacks the capability, or may not take this step on the item")
_404 = error("not_found: no such item, or one the caller's unit has nothing to do with")
_409 = error("illegal_state: the item's status does not allow it, or it changed meanwhile")
_400 = error("invalid_json, invalid_payload (problems) or rejected; nothing changed")
_NUMBER = Param("number", "path", {"type": "string", "pattern": r"^RD\d{8}$"}, True)

ROW = {
    "number": STRING,
    "kind": one_of_values(texts.KIND_LABELS),
    "kind_label": STRING,
    "status": one_of_values(texts.STATUS_LABELS),
    "status_label": STRING,
    "title": STRING,
    "place_label": STRING,
    "month": nullable(STRING),
    "owner_unit": STRING,
    "co_units": array(STRING),
    "created_at": nullable(DATETIME),
    "deadline": DATE,
    "overdue": BOOLEAN,
    "milestones_done": INTEGER,
    "milestones": INTEGER,
    "cases": INTEGER,
    "outcome": nullable(STRING),
    "result": STRING,
    "version": INTEGER,
}
LEDGER_ROW = Component("HotItemRow", obj(ROW))
ITEM = Component(
    "HotItem",
    obj(
        {
            **ROW,
            "problem": STRING,
            "plan": STRING,
            "topic_words": array(STRING),
            "place_key": STRING,
            "category": STRING,
            "heat": ANY_OBJECT,
            "owner_unit_code": STRING,
            "co_unit_codes": array(STRING),
            "updated_at": nullable(DATETIME),
            "closed_at": nullable(DATETIME),
            "result_text": STRING,
            "role": one_of_values(("manage", "owner", "co", "read")),
            "may": {"type": "object", "additionalProperties": BOOLEAN},
            "notice": nullable(obj({"id": INTEGER, "status": STRING})),
            "milestone_list": array(
                obj(
                    {
                        "id": INTEGER,
                        "title": STRING,
                        "due": DATE,
                        "done_at": nullable(DATETIME),
                        "note": STRING,
                        "overdue": BOOLEAN,
                    }
                )
            ),
            "case_list": array(
                obj(
                    {
                        "number": STRING,
                        "title": STRING,
                        "status": STRING,
                        "how": one_of_values(("hot", "auto", "staff")),
                        "how_label": STRING,
                        "linked_at": nullable(DATETIME),
                    }
                )
            ),
            "timeline": array(
                obj(
                    {
                        "at": nullable(DATETIME),
                        "action": STRING,
                        "action_label": STRING,
                        "actor": STRING,
                        "text": STRING,
                    }
                )
            ),
        }
    ),
)
ONE = obj({"item": ITEM})
FILTERS = (
    Param("status", "query", one_of_values(texts.STATUS_LABELS)),
    Param("kind", "query", one_of_values(texts.KIND_LABELS)),
    Param("owner", "query", {"type": "string", "maxLength": 32}, description="owner unit code"),
    Param("co_unit", "query", {"type": "string", "maxLength": 32}, description="co-unit code"),
    Param("month", "query", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}),
    Param("overdue", "query", {"type": "string", "enum": ["1", "true"]}),
    Param("q", "query", {"type": "string", "maxLength": 64}),
)
_WRITE = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409, 413: too_large()}


def _step(path: str, summary: str, body: Schema, ok: int = 200) -> Operation:
    return Operation(
        "POST",
        f"{BASE}/{{number}}{path}",
        summary,
        _TAG,
        {ok: Response("done: the item as it is now", ONE), **_WRITE},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=body,
    )


def _export(kind: str, content_type: str) -> Operation:
    return Operation(
        "GET",
        f"{BASE}.{kind}",
        f"The ledger (台账) as {kind.upper()}: 编号 类型 标题 地点 牵头单位 协办单位 立项时间 "
        "期限 状态 进度 关联诉求数 结果 (audited)",
        _TAG,
        {
            200: Response("the file", {"type": "string"}, content_type=content_type),
            400: error("invalid_request: a bad filter"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=FILTERS,
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        BASE,
        "The ledger (台账) of governance items (未诉先办, 每月一题), newest first; a unit "
        "sees the items it owns or helps with",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "items": array(LEDGER_ROW),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: a bad filter or page"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(
            *FILTERS,
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": 10_000}),
            Param(
                "page_size",
                "query",
                {"type": "integer", "minimum": 1, "maximum": texts.MAX_PAGE_SIZE},
            ),
        ),
    ),
    Operation(
        "POST",
        BASE,
        "Take a hot issue up as an item (or make one by hand): owner unit, co-units, plan, "
        "milestones, deadline; its cases are linked",
        _TAG,
        {
            201: Response("made", ONE),
            **{k: v for k, v in _WRITE.items() if k != 404},
        },
        auth=STAFF_AUTH,
        body=ItemBody,
    ),
    _export("csv", "text/csv"),
    _export("xlsx", XLSX),
    Operation(
        "GET",
        f"{BASE}/{{number}}",
        "An item: plan, co-units, milestones, cases, timeline, and what the caller may do",
        _TAG,
        {200: Response("the item", ONE), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
    ),
    Operation(
        "PATCH",
        f"{BASE}/{{number}}",
        "Change an open item's title, problem, plan, deadline (with the reason) or co-units",
        _TAG,
        {200: Response("changed", ONE), **_WRITE},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=EditBody,
    ),
    _step("/notes", "A progress note (the owner unit, a co-unit or the centre)", NoteBody, 201),
    _step("/milestones", "Add milestones to an open item", MilestonesBody, 201),
    Operation(
        "POST",
        f"{BASE}/{{number}}/milestones/{{id}}/done",
        "Tick a milestone done (the owner unit or the centre)",
        _TAG,
        {200: Response("ticked", ONE), **_WRITE},
        auth=STAFF_AUTH,
        params=(_NUMBER, Param("id", "path", {"type": "integer", "minimum": 1}, True)),
        body=DoneBody,
        body_required=False,
    ),
    _step(
        "/cases",
        "Link a case to the item by hand (with the duplicates merged into it)",
        LinkBody,
        201,
    ),
    Operation(
        "DELETE",
        f"{BASE}/{{number}}/cases/{{case}}",
        "Unlink a case from the item",
        _TAG,
        {200: Response("unlinked", ONE), **_WRITE},
        auth=STAFF_AUTH,
        params=(
            _NUMBER,
            Param("case", "path", {"type": "string", "minLength": 1, "maxLength": 32}, True),
            Param("version", "query", {"type": "integer", "minimum": 0}),
        ),
    ),
    _step(
        "/close",
        "Close the item with its outcome and result (the owner unit or the centre)",
        CloseBody,
    ),
    _step("/withdraw", "Withdraw an item taken up by mistake, with the reason", WithdrawBody),
    Operation(
        "POST",
        f"{BASE}/{{number}}/notice",
        "告知居民: draft one broadcast notice of the result to exactly the residents of the "
        "item's cases (then preview, submit and a second admin's approval, /api/admin/notices)",
        _TAG,
        {
            201: Response(
                "drafted",
                obj(
                    {
                        "item": ITEM,
                        "notice": obj({"id": INTEGER, "status": STRING, "title": STRING}),
                    }
                ),
            ),
            **_WRITE,
        },
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=NoticeBody,
        body_required=False,
    ),
)
