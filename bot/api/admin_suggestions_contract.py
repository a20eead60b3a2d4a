"""The OpenAPI contract of the 人民建议征集 staff API (``bot.api.admin_suggestions``)."""

from __future__ import annotations

from bot.api.admin_suggestion_actions import ANSWER_PATH, STEPS, AnswerIn, NoteIn
from bot.api.openapi import (
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
    array,
    error,
    nullable,
    obj,
    one_of_values,
    too_large,
    unauthorized,
)
from config.suggestion_office import ACTION_LABELS, ANSWER_KINDS
from handlers.suggestions.queue import MAX_PAGE, STATUS_CHOICES
from models import AdoptionStatus, SuggestionStatus

_TAG = "suggestions"
PREFIX = "/api/admin/suggestions"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden: the role lacks the capability (or another unit's answer); csrf")
_400 = error("invalid_json, invalid_payload or invalid_request (the message says what); unchanged")
_404 = error("not_found: no such suggestion, or one the account may not see (not told apart)")
_409 = error("illegal_transition, concurrent_change, conflict, unchanged or no_proposer")
STATUS = one_of_values(s.value for s in SuggestionStatus)
NAMED = nullable(obj({"code": STRING, "name": STRING}))
SUGGESTION = Component(
    "AdminSuggestion",
    obj(
        {
            "number": STRING,
            "title": STRING,
            "status": STATUS,
            "status_label": STRING,
            "category": STRING,
            "street": STRING,
            "channel": STRING,
            "station": nullable(STRING),
            "call": nullable(STRING),
            "created_at": DATETIME,
            "screen_due_at": nullable(DATETIME),
            "screened_at": nullable(DATETIME),
            "overdue": BOOLEAN,
            "adopted_at": nullable(DATETIME),
            "forwarded_at": nullable(DATETIME),
            "forward_reference": STRING,
            "instructed_at": nullable(DATETIME),
            "implemented_at": nullable(DATETIME),
        }
    ),
)
ADOPTION = obj(
    {
        "unit": NAMED,
        "status": one_of_values(s.value for s in AdoptionStatus),
        "assigned_at": DATETIME,
        "due_at": nullable(DATETIME),
        "overdue": BOOLEAN,
        "answer_kind": {"type": "string", "enum": ["", *sorted(ANSWER_KINDS)]},
        "answer_kind_label": STRING,
        "answer": STRING,
        "answer_date": nullable(DATE),
        "attachments": array({"type": "object"}),
        "answered_at": nullable(DATETIME),
        "answered_by": STRING,
    }
)
EVENT = obj(
    {
        "at": DATETIME,
        "action": STRING,
        "action_label": STRING,
        "actor_type": STRING,
        "actor_id": STRING,
        "from_status": nullable(STRING),
        "to_status": nullable(STRING),
        "note": STRING,
        "told": BOOLEAN,
    }
)
DETAIL = Component(
    "AdminSuggestionDetail",
    {
        "allOf": [
            SUGGESTION,
            obj(
                {
                    "text": STRING,
                    "place": STRING,
                    "attachments": array({"type": "object"}),
                    "contact_phone": nullable(STRING),
                    "decision_reason": STRING,
                    "result": STRING,
                    "consent_publish": BOOLEAN,
                    "credit_name": STRING,
                    "merged_into": nullable(STRING),
                    "case": nullable(STRING),
                    "from_case": nullable(STRING),
                    "adoptions": array(ADOPTION),
                    "timeline": array(EVENT),
                }
            ),
        ]
    },
)
ANSWER_ITEM = obj({"unit": STRING, "kind": STRING, "answer": STRING, "date": nullable(STRING)})
RECORD = Component(
    "ForwardedSuggestion",
    obj(
        {
            "number": STRING,
            "title": STRING,
            "text": STRING,
            "category": STRING,
            "street": STRING,
            "place": STRING,
            "channel": STRING,
            "station": STRING,
            "call": STRING,
            "received_at": DATETIME,
            "status": STATUS,
            "status_label": STRING,
            "adopted_units": array(STRING),
            "answers": array(ANSWER_ITEM),
            "forwarded_at": nullable(DATETIME),
            "forward_reference": STRING,
            "instructed_at": nullable(DATETIME),
            "implemented_at": nullable(DATETIME),
            "result": STRING,
            "proposer": STRING,
        }
    ),
)
_NUMBER = Param(
    "number", "path", {"type": "string", "minLength": 1}, True, "the suggestion's number (JY…)"
)
_CASE_NUMBER = Param("number", "path", {"type": "string", "minLength": 1}, True, "case number")
_UNIT = Param("unit_code", "path", {"type": "string", "minLength": 1}, True, "the unit's code")
_CODE = {"type": "string", "maxLength": 32}
_FLAG = {"type": "string", "enum": ["", "0", "1", "true", "false", "yes", "no"]}
_LIST_PARAMS = (
    Param("status", "query", {"type": "string", "enum": list(STATUS_CHOICES)}),
    Param("overdue", "query", _FLAG, description="screening or an answer past its deadline"),
    Param("unit", "query", _CODE, description="adopted for this unit (code)"),
    Param("call", "query", _CODE, description="a themed call's code"),
    Param("station", "query", _CODE, description="a station's code"),
    Param("q", "query", {"type": "string", "maxLength": 100}, description="number or words"),
    Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
)
_PERIOD = (
    Param("from", "query", DATE, description="first local day (default: 1 January)"),
    Param("to", "query", DATE, description="last local day, included (default: today)"),
)
_ONE = obj({"suggestion": DETAIL})
_WRITE = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409, 413: too_large()}


def _step(path: str, summary: str, body: type, *, with_case: bool = False) -> Operation:
    answer = obj({"suggestion": DETAIL, "case": STRING}) if with_case else _ONE
    return Operation(
        "POST",
        f"{PREFIX}/{{number}}/{path}",
        summary,
        _TAG,
        {200: Response("the suggestion after the step", answer), **_WRITE},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
        body=body,
        body_required=body is not NoteIn,
        description="Steps: " + ", ".join(f"{k} {v}" for k, v in ACTION_LABELS.items()),
    )


def _export(kind: str) -> Operation:
    if kind == "csv":
        ok = Response(
            "the forwarded suggestions (CSV, UTF-8 with BOM)",
            STRING,
            "text/csv",
            headers={"Content-Disposition": STRING},
        )
    else:
        body = obj(
            {
                "source": STRING,
                "from": DATE,
                "to": DATE,
                "generated_at": DATETIME,
                "count": INTEGER,
                "suggestions": array(RECORD),
            }
        )
        ok = Response("the forwarded suggestions", body, headers={"Content-Disposition": STRING})
    return Operation(
        "GET",
        f"{PREFIX}/forwarded.{kind}",
        f"The city export: suggestions forwarded in the period ({kind.upper()})",
        _TAG,
        {200: ok, 400: _400, 401: _401, 403: _403},
        auth=STAFF_AUTH,
        params=_PERIOD,
        description="Fields: README, 人民建议征集. Each export is an audit event.",
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        PREFIX,
        "Suggestions the account may see, 20 a page (screening: deadline first)",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "suggestions": array(SUGGESTION),
                        "total": INTEGER,
                        "page": INTEGER,
                        "pages": INTEGER,
                        "page_size": INTEGER,
                    }
                ),
            ),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=_LIST_PARAMS,
    ),
    _export("json"),
    _export("csv"),
    Operation(
        "GET",
        f"{PREFIX}/{{number}}",
        "A suggestion with its adoptions and timeline (phones masked)",
        _TAG,
        {200: Response("the suggestion", _ONE), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_NUMBER,),
    ),
    *(
        _step(path, summary, body, with_case=path == "convert")
        for path, _, _, body, summary in STEPS
    ),
    Operation(
        "POST",
        f"{PREFIX}/{{number}}/{ANSWER_PATH}",
        "部门答复: a department answers what was adopted for it (its own unit only, once)",
        _TAG,
        {200: Response("the suggestion after the answer", _ONE), **_WRITE},
        auth=STAFF_AUTH,
        params=(_NUMBER, _UNIT),
        body=AnswerIn,
        description="kind: " + ", ".join(f"{k} ({v})" for k, v in ANSWER_KINDS.items()),
    ),
    Operation(
        "POST",
        "/api/admin/cases/{number}/to-suggestion",
        "转为人民建议: an open case becomes a suggestion, closed as 不予受理 (转为人民建议)",
        _TAG,
        {
            201: Response("the new suggestion", _ONE),
            **{k: v for k, v in _WRITE.items()},
        },
        auth=STAFF_AUTH,
        params=(_CASE_NUMBER,),
        body=NoteIn,
        body_required=False,
    ),
)
