"""The worker API's part of the OpenAPI contract (``bot.api.openapi``): its operations, their
request payloads (``bot.api.worker``'s pydantic models) and the shapes of its answers."""

from __future__ import annotations

from bot.api.json_api import Payload
from bot.api.openapi import (
    BOOLEAN,
    CASE_BASICS,
    CASE_VIEW_PARAMS,
    DATETIME,
    INTEGER,
    NAMED,
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
from bot.api.worker import (
    MAX_PAGE,
    PREFIX,
    ContactIn,
    DecideIn,
    EmptyIn,
    ExtensionIn,
    FinishIn,
    ProgressIn,
    ReturnIn,
)
from bot.api.worker_views import WORKER_ACTIONS
from models import ExtensionStatus, WorkerRole

WORKER_CASE = Component(
    "WorkerCase",
    obj(
        {
            **CASE_BASICS,
            "returned_count": INTEGER,
            "created_at": DATETIME,
            "sign_due_at": nullable(DATETIME),
            "first_contact_due_at": nullable(DATETIME),
            "completion_due_at": nullable(DATETIME),
            "next_deadline": nullable(
                obj(
                    {"kind": one_of_values(["sign", "first_contact", "completion"]), "at": DATETIME}
                )
            ),
            "overdue": BOOLEAN,
        }
    ),
)
EXTENSION = Component(
    "WorkerExtension",
    obj(
        {
            "id": INTEGER,
            "hours": INTEGER,
            "reason": STRING,
            "status": one_of_values(s.value for s in ExtensionStatus),
            "worker_id": INTEGER,
            "created_at": DATETIME,
            "decided_by": nullable(INTEGER),
            "decided_at": nullable(DATETIME),
            "note": STRING,
            "new_due_at": nullable(DATETIME),
            "late": BOOLEAN,
        },
        {"case": STRING},
    ),
)
RETURN_REQUEST = Component(
    "WorkerReturnRequest",
    obj(
        {
            "id": INTEGER,
            "reason": STRING,
            "status": one_of_values(s.value for s in ExtensionStatus),
            "worker_id": nullable(INTEGER),
            "suggested_unit_id": nullable(INTEGER),
            "created_at": DATETIME,
            "decided_at": nullable(DATETIME),
            "note": STRING,
        },
        {"case": STRING},
    ),
)
TIMELINE_EVENT = obj(
    {
        "id": INTEGER,
        "at": DATETIME,
        "action": STRING,
        "action_label": STRING,
        "actor_type": STRING,
        "actor": STRING,
        "from_status": nullable(STRING),
        "to_status": nullable(STRING),
        "note": STRING,
        "note_folded": BOOLEAN,
        "data": {"type": "object"},
    }
)
WORKER_CASE_DETAIL = Component(
    "WorkerCaseDetail",
    {
        "allOf": [
            WORKER_CASE,
            obj(
                {
                    "text": STRING,
                    "text_length": INTEGER,
                    "text_folded": BOOLEAN,
                    "attachments": array({"type": "object"}),
                    "attachments_total": INTEGER,
                    "contact_phone": nullable(STRING),
                    "contact_phone_masked": BOOLEAN,
                    "address": nullable(STRING),
                    "street": nullable(STRING),
                    "compound": nullable(STRING),
                    "lng": nullable(NUMBER),
                    "lat": nullable(NUMBER),
                    "dispatched_at": nullable(DATETIME),
                    "signed_at": nullable(DATETIME),
                    "first_contact_at": nullable(DATETIME),
                    "completed_at": nullable(DATETIME),
                    "result": STRING,
                    "result_attachments": array({"type": "object"}),
                    "pending_extension": nullable(EXTENSION),
                    "pending_return": nullable(RETURN_REQUEST),
                    "actions": array(
                        one_of_values([*(a.value for a in WORKER_ACTIONS), "extension"])
                    ),
                    "timeline": array(TIMELINE_EVENT),
                    "timeline_total": INTEGER,
                    "timeline_page": INTEGER,
                    "timeline_pages": INTEGER,
                }
            ),
        ]
    },
)
ACTED = obj(
    {
        "event": obj({"id": INTEGER, "action": STRING}),
        "case": nullable(WORKER_CASE_DETAIL),
    }
)
_AUTH = ("workerToken",)
_TAG = "worker"
_401 = unauthorized("no token, an unknown or revoked one, or an inactive worker")
_403 = error("the worker may not see or do this; an unknown case number gets the same answer")
_404 = error("dispatchers only: no case has this number")
_BAD_BODY = error("invalid_json, invalid_payload (with problems) or invalid_request")
_409 = error(
    "illegal_transition (the message says what is possible now), concurrent_change, conflict"
)
_ACTION_RESPONSES = {
    200: Response(
        "the event recorded, and the case as the worker now sees it (null: no more)", ACTED
    ),
    400: _BAD_BODY,
    401: _401,
    403: _403,
    404: _404,
    409: _409,
    413: too_large(),
}


def _action(name: str, summary: str, body: type[Payload], required: bool = True) -> Operation:
    return Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/{name}",
        summary,
        _TAG,
        _ACTION_RESPONSES,
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=body,
        body_required=required,
    )


_FLAG = {"type": "string", "enum": ["0", "1", "true", "false", "yes", "no"]}
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        f"{PREFIX}/me",
        "Who the token belongs to",
        _TAG,
        {
            200: Response(
                "the worker",
                obj(
                    {
                        "id": INTEGER,
                        "name": STRING,
                        "role": one_of_values(r.value for r in WorkerRole),
                        "unit": NAMED,
                        "grid": NAMED,
                    }
                ),
            ),
            401: _401,
        },
        auth=_AUTH,
    ),
    Operation(
        "POST",
        f"{PREFIX}/uploads",
        "Upload one photo of progress or result (JPEG, PNG or WebP, checked by its bytes)",
        _TAG,
        {
            201: Response(
                "stored; name it in progress or finish by media_key or its /media/ url",
                obj({"key": STRING, "url": STRING, "content_type": STRING, "size": INTEGER}),
            ),
            400: error(
                "invalid_upload: a broken or cut-off body, no field named file or two, an empty "
                "file, or a photo that does not decode"
            ),
            401: _401,
            413: error(
                "too_large: the photo is larger than JIESU_UPLOAD_MAX_BYTES, or has more "
                "pixels than JIESU_UPLOAD_MAX_PIXELS"
            ),
            415: error(
                "unsupported_type: the bytes are no JPEG, PNG or WebP, or the body is neither "
                "multipart/form-data nor image/jpeg, image/png, image/webp"
            ),
            429: error("rate_limited: too many photos this hour"),
        },
        auth=_AUTH,
        body=obj({"file": {"type": "string", "format": "binary"}}),
        body_content_type="multipart/form-data",
        description="The photo's bytes may also be the whole body, sent as image/jpeg, "
        "image/png or image/webp.",
    ),
    Operation(
        "GET",
        f"{PREFIX}/tasks",
        "The cases the worker may see, by completion deadline, 20 a page",
        _TAG,
        {
            200: Response(
                "one page of tasks",
                obj(
                    {
                        "tasks": array(WORKER_CASE),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: an unknown status, a bad flag or page"),
            401: _401,
        },
        auth=_AUTH,
        params=(
            Param(
                "status",
                "query",
                STRING,
                description="comma list of statuses, `open` or `all`; default: theirs to work on",
            ),
            Param(
                "overdue", "query", _FLAG, description="only cases with an unmet deadline passed"
            ),
            Param("due_today", "query", _FLAG, description="only cases with a deadline today"),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
    Operation(
        "GET",
        f"{PREFIX}/cases/{{number}}",
        "A case with its timeline (50 events a page, the latest first; long words folded) and "
        "the actions the worker may take now",
        _TAG,
        {
            200: Response("the case", WORKER_CASE_DETAIL),
            400: error("invalid_request: full or timeline_page cannot be used"),
            401: _401,
            403: _403,
            404: _404,
        },
        auth=_AUTH,
        params=(NUMBER_PARAM, *CASE_VIEW_PARAMS),
    ),
    _action("sign", "签收: take the case on", EmptyIn, required=False),
    _action("contact", "先行联系: the first contact with the resident", ContactIn),
    _action("progress", "A progress note, with photos", ProgressIn),
    _action("finish", "办结: the result, with photos", FinishIn),
    Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/return",
        "退单申请: ask the centre to take the case back (nothing changes until it approves)",
        _TAG,
        {
            201: Response(
                "the request, pending",
                obj(
                    {
                        "message": STRING,
                        "return_request": RETURN_REQUEST,
                        "case": WORKER_CASE_DETAIL,
                    }
                ),
            ),
            400: _BAD_BODY,
            401: _401,
            403: _403,
            404: _404,
            409: _409,
            413: too_large(),
        },
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=ReturnIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/extension",
        "延期申请: ask the centre for a new completion date, before the deadline",
        _TAG,
        {
            201: Response("the request, pending", obj({"message": STRING, "extension": EXTENSION})),
            400: _BAD_BODY,
            401: _401,
            403: _403,
            404: _404,
            409: error(
                "late_request: asked after the completion deadline, refused and kept; "
                "illegal_transition, concurrent_change or conflict (one pending at a time)"
            ),
            413: too_large(),
        },
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=ExtensionIn,
    ),
    Operation(
        "GET",
        f"{PREFIX}/extensions",
        "Extension requests: a unit's for its deciders, one's own for the others",
        _TAG,
        {
            200: Response("at most 200, oldest first", obj({"extensions": array(EXTENSION)})),
            400: error("invalid_request: an unknown status"),
            401: _401,
        },
        auth=_AUTH,
        params=(
            Param(
                "status",
                "query",
                {"type": "string", "enum": [*(s.value for s in ExtensionStatus), "all"]},
                description="default: pending",
            ),
        ),
    ),
    Operation(
        "POST",
        f"{PREFIX}/extensions/{{id}}/decide",
        "Approve or refuse an extension request (the centre's dispatchers: requests.decide)",
        _TAG,
        {
            200: Response(
                "the decision and the case's completion deadline now",
                obj(
                    {
                        "event": obj({"id": INTEGER, "action": STRING}),
                        "extension": EXTENSION,
                        "completion_due_at": nullable(DATETIME),
                    }
                ),
            ),
            400: _BAD_BODY,
            401: _401,
            403: error("not the worker's to decide; an unknown id gets the same answer"),
            409: _409,
            413: too_large(),
        },
        auth=_AUTH,
        params=(Param("id", "path", {"type": "integer", "minimum": 1}),),
        body=DecideIn,
    ),
)
