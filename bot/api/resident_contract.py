"""The resident API's part of the OpenAPI contract (``bot.api.openapi``): its operations, their
request payloads (the API's own pydantic models) and the shapes of its answers."""

from __future__ import annotations

from bot.api.json_api import Payload
from bot.api.openapi import (
    BOOLEAN,
    CASE_VIEW_PARAMS,
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    NUMBER_PARAM,
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
from bot.api.resident import (
    PREFIX,
    CaseIn,
    EmptyIn,
    FeedbackIn,
    InfoIn,
    PhoneIn,
    QuestionIn,
    SessionIn,
    SubscriptionsIn,
    SurveyIn,
)
from config import resident_api as texts
from models import CaseStatus, SurveyStatus

_TAG = "resident"
_AUTH = ("residentToken",)
_401 = unauthorized("no token, an unknown or expired one, or one signed out")
_404 = error("not_found: no case of this resident has this number (another's is answered alike)")
_429 = Response(
    "rate_limited: too many calls or cases; the message says when to try again",
    {"$ref": "#/components/schemas/Error"},
    headers={"Retry-After": INTEGER},
)
_BAD_BODY = error("invalid_json, invalid_payload (with problems) or invalid_request")
_UNIT = nullable(obj({"code": STRING, "name": STRING}))
RESIDENT_CASE = Component(
    "ResidentCase",
    obj(
        {
            "number": STRING,
            "title": STRING,
            "status": one_of_values(s.value for s in CaseStatus),
            "status_label": STRING,
            "kind": STRING,
            "kind_label": STRING,
            "category": STRING,
            "urgency": STRING,
            "place": STRING,
            "unit": _UNIT,
            "merged_into": nullable(STRING),
            "created_at": nullable(DATETIME),
            "deadlines": obj(
                {"first_contact": nullable(DATETIME), "completion": nullable(DATETIME)}
            ),
            "completed_at": nullable(DATETIME),
        }
    ),
)
RESIDENT_EVENT = obj(
    {
        "at": DATETIME,
        "action": STRING,
        "action_label": STRING,
        "status": nullable(STRING),
        "status_label": nullable(STRING),
        "note": STRING,
        "note_folded": BOOLEAN,
        "by": one_of_values(["resident", "staff", "system"]),
    }
)
RESIDENT_CASE_DETAIL = Component(
    "ResidentCaseDetail",
    {
        "allOf": [
            RESIDENT_CASE,
            obj(
                {
                    "text": STRING,
                    "text_length": INTEGER,
                    "text_folded": BOOLEAN,
                    "attachments": array({"type": "object"}),
                    "attachments_total": INTEGER,
                    "contact_phone": nullable(STRING),
                    "anonymous": BOOLEAN,
                    "location": nullable(obj({"lng": NUMBER, "lat": NUMBER})),
                    "result": STRING,
                    # Links, and /media/<key> photos fetched with the resident's token.
                    "result_photos": array(
                        obj({"type": STRING, "url": STRING}, {"media_key": STRING})
                    ),
                    "survey": nullable(
                        obj(
                            {
                                "round": INTEGER,
                                "status": one_of_values(s.value for s in SurveyStatus),
                                "answer": nullable(STRING),
                                "answered_at": nullable(DATETIME),
                                "can_answer": BOOLEAN,
                            }
                        )
                    ),
                    "timeline": array(RESIDENT_EVENT),
                    "timeline_total": INTEGER,
                    "timeline_page": INTEGER,
                    "timeline_pages": INTEGER,
                }
            ),
        ]
    },
)
ME = Component(
    "ResidentMe",
    obj(
        {
            "id": INTEGER,
            "nickname": STRING,
            "phone": nullable(STRING),
            "consents": {"type": "object", "additionalProperties": STRING},
            "survey_opt_out": BOOLEAN,
            "blocked": BOOLEAN,
            "created_at": nullable(DATETIME),
        }
    ),
)
SUBMITTED = obj(
    {
        "case": nullable(RESIDENT_CASE),
        "reply": STRING,
        "needs_place": BOOLEAN,
        "held": BOOLEAN,
    }
)
_ENTRY = obj({"id": INTEGER, "code": STRING, "question": STRING, "score": NUMBER})
QUESTION_ANSWERED = Component(
    "ResidentQuestionAnswer",
    obj(
        {"answered": BOOLEAN, "ask": nullable(INTEGER)},
        {
            "answer": obj(
                {
                    "code": STRING,
                    "question": STRING,
                    "answer": STRING,
                    "links": array(obj({"title": STRING, "url": STRING})),
                    "mini_page": STRING,
                    "source": STRING,
                    "as_of": DATE,
                }
            ),
            "offered": array(_ENTRY),
        },
    ),
)
_ASK_PARAM = Param(
    "ask", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"}, description="the ask's id"
)
ACTED = obj({"reply": STRING, "case": RESIDENT_CASE_DETAIL})
_ACTION_RESPONSES: dict[int, Response] = {
    200: Response("done; the reply as the chat would say it, and the case now", ACTED),
    400: _BAD_BODY,
    401: _401,
    404: _404,
    409: error("illegal_transition, concurrent_change, conflict or no_survey"),
    413: too_large(),
    429: _429,
}


def _case_action(
    name: str, summary: str, body: type[Payload], extra: dict[int, Response] | None = None
) -> Operation:
    responses = {**_ACTION_RESPONSES, **(extra or {})}
    return Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/{name}",
        summary,
        _TAG,
        responses,
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=body,
        body_required=body is not EmptyIn,
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        f"{PREFIX}/session",
        "Sign in with wx.login's code",
        _TAG,
        {
            201: Response(
                "our session token (WeChat's session_key never leaves the server)",
                obj({"token": STRING, "expires_at": DATETIME, "resident": ME}),
            ),
            400: _BAD_BODY,
            401: unauthorized("invalid_code: WeChat refused the code (unknown or used)"),
            413: too_large(),
            503: error("mini_not_configured, or wechat_unavailable"),
        },
        body=SessionIn,
        description="Under `jiesu serve --demo` without a mini-program, `demo-<name>` signs in "
        "the demo resident of that name.",
    ),
    Operation(
        "DELETE",
        f"{PREFIX}/session",
        "Sign out: the token stops working",
        _TAG,
        {
            200: Response("signed out", obj({"signed_out": BOOLEAN, "message": STRING})),
            401: _401,
            429: _429,
        },
        auth=_AUTH,
    ),
    Operation(
        "GET",
        f"{PREFIX}/me",
        "The signed-in resident: masked phone, consents, survey opt-out, blocked or not",
        _TAG,
        {200: Response("the resident", ME), 401: _401, 429: _429},
        auth=_AUTH,
    ),
    Operation(
        "POST",
        f"{PREFIX}/phone",
        "Verify the phone number from wx.getPhoneNumber's encrypted data",
        _TAG,
        {
            200: Response("the number, masked", obj({"phone": STRING})),
            400: error("the data does not decrypt with this session or is for another appid"),
            401: _401,
            413: too_large(),
            429: _429,
        },
        auth=_AUTH,
        body=PhoneIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/subscriptions",
        "Record what wx.requestSubscribeMessage answered, per template",
        _TAG,
        {
            200: Response(
                "the consents now",
                obj({"consents": {"type": "object", "additionalProperties": STRING}}),
            ),
            400: _BAD_BODY,
            401: _401,
            413: too_large(),
            429: _429,
        },
        auth=_AUTH,
        body=SubscriptionsIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/uploads",
        "Upload one photo (JPEG, PNG or WebP, checked by its bytes) for a case or an addition",
        _TAG,
        {
            201: Response(
                "stored; send its key with the case",
                obj({"key": STRING, "url": STRING, "content_type": STRING, "size": INTEGER}),
            ),
            400: error(
                "invalid_upload: not multipart/form-data, a broken or cut-off body, no field "
                "named file or two, an empty file, or a photo that does not decode"
            ),
            401: _401,
            413: error(
                "too_large: the photo is larger than JIESU_UPLOAD_MAX_BYTES, or has more "
                "pixels than JIESU_UPLOAD_MAX_PIXELS"
            ),
            415: error("unsupported_type: the bytes are no JPEG, PNG or WebP"),
            429: _429,
        },
        auth=_AUTH,
        body=obj({"file": {"type": "string", "format": "binary"}}),
        body_content_type="multipart/form-data",
    ),
    Operation(
        "POST",
        f"{PREFIX}/cases",
        "Report a case; the same request_id again answers the first result",
        _TAG,
        {
            201: Response("the case, understood as the chat would, and its reply", SUBMITTED),
            202: Response("received and held for a person to look at (held: true)", SUBMITTED),
            400: _BAD_BODY,
            401: _401,
            409: error("in_progress: the same request_id is being processed right now"),
            413: too_large(),
            429: _429,
            500: error("failed: kept, and run again on a retry with the same request_id"),
        },
        auth=_AUTH,
        body=CaseIn,
    ),
    Operation(
        "GET",
        f"{PREFIX}/cases",
        "The resident's cases, newest first, 20 a page",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "cases": array(RESIDENT_CASE),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: an unknown status or a bad page"),
            401: _401,
            429: _429,
        },
        auth=_AUTH,
        params=(
            Param("status", "query", STRING, description="all, open, closed or a comma list"),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": texts.MAX_PAGE}),
        ),
    ),
    Operation(
        "GET",
        f"{PREFIX}/cases/{{number}}",
        "One of the resident's cases with its timeline (50 events a page, the latest first; "
        "long words folded), the result and its photos",
        _TAG,
        {
            200: Response("the case", RESIDENT_CASE_DETAIL),
            400: error("invalid_request: full or timeline_page cannot be used"),
            401: _401,
            404: _404,
            429: _429,
        },
        auth=_AUTH,
        params=(NUMBER_PARAM, *CASE_VIEW_PARAMS),
    ),
    Operation(
        "POST",
        f"{PREFIX}/questions",
        "Ask the knowledge base; not answered, submit a case naming the ask",
        _TAG,
        {
            200: Response(
                "answered (with the answer and the entries offered), or not (the ask to name "
                "in POST cases; null when the words were no question for the knowledge base, "
                "or urgent)",
                QUESTION_ANSWERED,
            ),
            400: _BAD_BODY,
            401: _401,
            413: too_large(),
            429: _429,
        },
        auth=_AUTH,
        body=QuestionIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/questions/{{ask}}/feedback",
        "解决了, or 没解决: a case of the question carrying the entries offered",
        _TAG,
        {
            200: Response(
                "solved: nothing is made",
                obj({"outcome": one_of_values(["solved"]), "reply": STRING}),
            ),
            201: Response(
                "not solved: the case, as a submission answers it",
                {"allOf": [SUBMITTED, obj({"outcome": one_of_values(["unsolved"])})]},
            ),
            202: Response(
                "not solved: received and held for a person to look at (held: true)",
                {"allOf": [SUBMITTED, obj({"outcome": one_of_values(["unsolved"])})]},
            ),
            400: _BAD_BODY,
            401: _401,
            404: error("not_found: no ask of this resident has this id"),
            409: error(
                "already_settled: the resident said so before (nothing changes); "
                "not_answered: no entry answered the question"
            ),
            413: too_large(),
            429: _429,
        },
        auth=_AUTH,
        params=(_ASK_PARAM,),
        body=FeedbackIn,
    ),
    _case_action(
        "info",
        "Add words, photos or the missing place to the case",
        InfoIn,
        {
            202: Response(
                "received and held for a person to look at",
                obj({"reply": STRING, "held": BOOLEAN, "case": RESIDENT_CASE_DETAIL}),
            ),
            200: Response(
                "added",
                obj({"reply": STRING, "held": BOOLEAN, "case": RESIDENT_CASE_DETAIL}),
            ),
        },
    ),
    _case_action("cancel", "撤销: withdraw the case before anyone signed for it", EmptyIn),
    _case_action("survey", "满意度评价: answer the case's survey", SurveyIn),
)
