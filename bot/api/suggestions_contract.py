"""The OpenAPI contract of the suggestion channels and themed calls (人民建议征集, issue 18):
the mini-program's suggestion form, its suggestions and the open calls
(``bot.api.resident_suggestions``), and the staff API for calls and entered suggestions
(``bot.api.admin_suggestion_calls``)."""

from __future__ import annotations

from bot.api.admin_suggestion_calls import BASE, CallBody, EmptyBody, EntryBody
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
from bot.api.resident import SuggestionIn
from bot.api.resident_contract import RESIDENT_CASE
from bot.api.resident_suggestions import PREFIX
from config import resident_api as resident_texts
from config import suggestion_calls as texts
from models import SuggestionStatus

# The mini-program

_RESIDENT = "resident"
_RESIDENT_AUTH = ("residentToken",)
_R401 = unauthorized("no token, an unknown or expired one, or one signed out")
_R429 = Response(
    "rate_limited: too many calls or submissions; the message says when to try again",
    {"$ref": "#/components/schemas/Error"},
    headers={"Retry-After": INTEGER},
)
_CALL_REF = nullable(obj({"code": STRING, "title": STRING}))
RESIDENT_SUGGESTION = Component(
    "ResidentSuggestion",
    obj(
        {
            "number": STRING,
            "title": STRING,
            "status": one_of_values(s.value for s in SuggestionStatus),
            "status_label": STRING,
            "category": STRING,
            "call": _CALL_REF,
            "created_at": nullable(DATETIME),
            "updated_at": nullable(DATETIME),
        }
    ),
)
RESIDENT_SUGGESTION_DETAIL = Component(
    "ResidentSuggestionDetail",
    {
        "allOf": [
            RESIDENT_SUGGESTION,
            obj(
                {
                    "text": STRING,
                    "photos": array(obj({"media_key": STRING, "url": STRING})),
                    "consent_publish": BOOLEAN,
                    "credit_name": STRING,
                    "result": STRING,
                    "timeline": array(
                        obj(
                            {
                                "at": nullable(DATETIME),
                                "action": STRING,
                                "action_label": STRING,
                                "status": nullable(STRING),
                                "status_label": nullable(STRING),
                                "note": STRING,
                            }
                        )
                    ),
                }
            ),
        ]
    },
)
SUGGESTED = obj(
    {
        "suggestion": nullable(RESIDENT_SUGGESTION),
        "case": nullable(RESIDENT_CASE),
        "reply": STRING,
        "needs_place": BOOLEAN,
        "held": BOOLEAN,
    }
)
PUBLIC_CALL = obj(
    {
        "code": STRING,
        "title": STRING,
        "question": STRING,
        "keyword": STRING,
        "starts_at": nullable(DATETIME),
        "ends_at": nullable(DATETIME),
        "channels": array(one_of_values(texts.CHANNELS)),
    }
)

RESIDENT_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        f"{PREFIX}/suggestions",
        "Send a suggestion (我有建议), to a themed call if it names one; the same request_id "
        "again answers the first result",
        _RESIDENT,
        {
            201: Response(
                "the suggestion and its reply; urgent or dangerous words make a case instead",
                SUGGESTED,
            ),
            202: Response("received and held for a person to look at (held: true)", SUGGESTED),
            400: error("invalid_json, invalid_payload (problems) or invalid_request (call)"),
            401: _R401,
            409: error("in_progress: the same request_id is being processed right now"),
            413: too_large(),
            429: _R429,
            500: error("failed: kept, and run again on a retry with the same request_id"),
        },
        auth=_RESIDENT_AUTH,
        body=SuggestionIn,
    ),
    Operation(
        "GET",
        f"{PREFIX}/suggestions",
        "The resident's suggestions, newest first, 20 a page",
        _RESIDENT,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "suggestions": array(RESIDENT_SUGGESTION),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: a bad page"),
            401: _R401,
            429: _R429,
        },
        auth=_RESIDENT_AUTH,
        params=(
            Param(
                "page",
                "query",
                {"type": "integer", "minimum": 1, "maximum": resident_texts.MAX_PAGE},
            ),
        ),
    ),
    Operation(
        "GET",
        f"{PREFIX}/suggestions/{{number}}",
        "One of the resident's suggestions, with the steps they were told of",
        _RESIDENT,
        {
            200: Response("the suggestion", RESIDENT_SUGGESTION_DETAIL),
            401: _R401,
            404: error("not_found: no suggestion of this resident has this number"),
            429: _R429,
        },
        auth=_RESIDENT_AUTH,
        params=(Param("number", "path", {"type": "string", "minLength": 1}, True),),
    ),
    Operation(
        "GET",
        f"{PREFIX}/calls",
        "The themed calls (征集活动) taking replies through the mini-program now; public",
        _RESIDENT,
        {200: Response("the open calls", obj({"calls": array(PUBLIC_CALL)}))},
    ),
)

# Staff

_TAG = "suggestions"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability) or csrf")
_400 = error("invalid_json, invalid_payload (problems) or rejected; nothing changed")
_404 = error("not_found: no such call")
_409 = error("illegal_state: the call's status does not allow it, or its keyword is taken")
_CODE = Param("code", "path", {"type": "string", "pattern": "^[A-Za-z0-9_-]{2,32}$"}, True)
CALL = Component(
    "SuggestionCall",
    obj(
        {
            "code": STRING,
            "title": STRING,
            "question": STRING,
            "keyword": STRING,
            "starts_at": nullable(DATETIME),
            "ends_at": nullable(DATETIME),
            "audience": {"type": "object"},
            "channels": array(STRING),
            "status": one_of_values(texts.STATUS_LABELS),
            "status_label": STRING,
            "announcement": STRING,
            "notice": nullable(obj({"id": INTEGER, "status": STRING, "status_label": STRING})),
            "replies": INTEGER,
            "created_by": STRING,
            "created_at": nullable(DATETIME),
        }
    ),
)
ONE_CALL = obj({"call": CALL})
GROUP = obj(
    {
        "size": INTEGER,
        "residents": INTEGER,
        "key_words": array(STRING),
        "samples": array(obj({"number": STRING, "title": STRING, "text": STRING})),
        "numbers": array(STRING),
    }
)
RESULTS = obj(
    {
        "call": CALL,
        "replies": INTEGER,
        "residents": INTEGER,
        "by_day": array(obj({"day": DATE, "count": INTEGER})),
        "by_street": array(obj({"street": STRING, "count": INTEGER})),
        "by_channel": {"type": "object", "additionalProperties": INTEGER},
        "by_status": {"type": "object", "additionalProperties": INTEGER},
        "grouped": INTEGER,
        "groups": array(GROUP),
    }
)
_WRITE = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409, 413: too_large()}

STAFF_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/api/admin/suggestions",
        "Enter a suggestion received by phone, letter or at a station (no resident account)",
        _TAG,
        {
            201: Response(
                "recorded for the suggestion office",
                obj(
                    {
                        "suggestion": obj(
                            {
                                "number": STRING,
                                "title": STRING,
                                "status": STRING,
                                "channel": STRING,
                                "via": STRING,
                                "screen_due_at": nullable(DATETIME),
                                "created_at": nullable(DATETIME),
                            }
                        )
                    }
                ),
            ),
            400: error("invalid_json, invalid_payload or rejected (an unknown station or call)"),
            401: _401,
            403: _403,
            413: too_large(),
        },
        auth=STAFF_AUTH,
        body=EntryBody,
    ),
    Operation(
        "GET",
        BASE,
        "Themed calls (征集活动), newest first, with their replies counted",
        _TAG,
        {
            200: Response("the calls", obj({"calls": array(CALL)})),
            400: error("invalid_request: an unknown status"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(Param("status", "query", one_of_values(texts.STATUS_LABELS)),),
    ),
    Operation(
        "POST",
        BASE,
        "Write a themed call (a draft)",
        _TAG,
        {201: Response("written", ONE_CALL), **{k: v for k, v in _WRITE.items() if k != 404}},
        auth=STAFF_AUTH,
        body=CallBody,
    ),
    Operation(
        "GET",
        f"{BASE}/{{code}}",
        "A themed call",
        _TAG,
        {200: Response("the call", ONE_CALL), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_CODE,),
    ),
    Operation(
        "PUT",
        f"{BASE}/{{code}}",
        "Change a call: a draft freely, an open call's title, question and end only",
        _TAG,
        {200: Response("saved", ONE_CALL), **_WRITE},
        auth=STAFF_AUTH,
        params=(_CODE,),
        body=CallBody,
    ),
    Operation(
        "POST",
        f"{BASE}/{{code}}/open",
        "Open a call; its announcement is drafted as a broadcast notice for its audience",
        _TAG,
        {
            200: Response("open (notice: the announcement to preview and submit)", ONE_CALL),
            **_WRITE,
        },
        auth=STAFF_AUTH,
        params=(_CODE,),
        body=EmptyBody,
        body_required=False,
    ),
    Operation(
        "POST",
        f"{BASE}/{{code}}/close",
        "End a call now (an announcement not yet sending is cancelled)",
        _TAG,
        {200: Response("closed", ONE_CALL), **_WRITE},
        auth=STAFF_AUTH,
        params=(_CODE,),
        body=EmptyBody,
        body_required=False,
    ),
    Operation(
        "GET",
        f"{BASE}/{{code}}/results",
        "What a call gathered: counts by day, street, channel and status, and similar ideas "
        "grouped with their key words and sample replies",
        _TAG,
        {200: Response("the results", RESULTS), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_CODE,),
    ),
)

OPERATIONS: tuple[Operation, ...] = (*RESIDENT_OPERATIONS, *STAFF_OPERATIONS)
