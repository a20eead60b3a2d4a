"""The OpenAPI contract of the knowledge base's staff API (``bot.api.admin_knowledge``)."""

from __future__ import annotations

from bot.api.admin_knowledge import MAX_PAGE, EntryBody, ImportBody, StatusBody
from bot.api.openapi import (
    BOOLEAN,
    DATETIME,
    INTEGER,
    NUMBER,
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
from handlers.knowledge.files import XLSX
from handlers.knowledge.records import SCOPE_LABELS, STATUS_LABELS

_TAG = "knowledge"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability, or another unit's entry) or csrf")
_400 = error(
    "invalid_json, invalid_payload, invalid_request or rejected (problems); nothing changed"
)
_404 = error("not_found: no such entry")
_409 = error("conflict: the entry changed since that version (or the import file since preview)")
LINK = obj({"title": STRING, "url": STRING})
ENTRY = Component(
    "KnowledgeEntry",
    obj(
        {
            "id": INTEGER,
            "code": STRING,
            "question": STRING,
            "variants": array(STRING),
            "answer": STRING,
            "links": array(LINK),
            "mini_page": STRING,
            "unit": STRING,
            "policy": STRING,
            "valid_from": nullable({"type": "string", "format": "date"}),
            "valid_until": nullable({"type": "string", "format": "date"}),
            "category": STRING,
            "scope": one_of_values(SCOPE_LABELS),
            "street": STRING,
            "compound": STRING,
            "status": one_of_values(STATUS_LABELS),
            "version": INTEGER,
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "updated_by": STRING,
            "published_at": nullable(DATETIME),
            "published_by": STRING,
        }
    ),
)
VERSION = obj(
    {
        "version": INTEGER,
        "action": STRING,
        "at": DATETIME,
        "by": STRING,
        "changes": {"type": "object"},
        "snapshot": {"type": "object"},
    }
)
WITH_VERSIONS = obj({"entry": ENTRY, "versions": array(VERSION)})
COUNTS = obj({"add": INTEGER, "change": INTEGER, "same": INTEGER})
_ID = Param("id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"})
_LIST_PARAMS = (
    Param("q", "query", {"type": "string", "maxLength": 100}, description="code, question, answer"),
    Param("status", "query", {"type": "string", "enum": sorted(STATUS_LABELS)}),
    Param("unit", "query", {"type": "string", "maxLength": 32}, description="a unit code"),
    Param("category", "query", {"type": "string", "maxLength": 128}, description="a prefix"),
    Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
)
_MATCH_PARAMS = (
    Param("q", "query", {"type": "string", "minLength": 1, "maxLength": 500}, True),
    Param("street", "query", {"type": "string", "maxLength": 64}),
    Param("compound", "query", {"type": "string", "maxLength": 64}),
)
_WRITE = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409, 413: too_large()}


def _file(kind: str, media: str) -> Operation:
    return Operation(
        "GET",
        f"/api/admin/knowledge.{kind}",
        f"Every knowledge entry as {kind.upper()}, in the import's columns",
        _TAG,
        {
            200: Response(
                f"the entries ({kind})", STRING, media, headers={"Content-Disposition": STRING}
            ),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        description="Each export is an audit event (knowledge.export).",
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/knowledge",
        "Knowledge entries, newest change first, 50 a page",
        _TAG,
        {
            200: Response(
                "a page", obj({"entries": array(ENTRY), "total": INTEGER, "page": INTEGER})
            ),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=_LIST_PARAMS,
    ),
    Operation(
        "POST",
        "/api/admin/knowledge",
        "Add a knowledge entry (a draft)",
        _TAG,
        {201: Response("added", WITH_VERSIONS), **{k: v for k, v in _WRITE.items() if k != 404}},
        auth=STAFF_AUTH,
        body=EntryBody,
    ),
    Operation(
        "GET",
        "/api/admin/knowledge/{id}",
        "A knowledge entry with every version",
        _TAG,
        {200: Response("the entry", WITH_VERSIONS), 401: _401, 403: _403, 404: _404},
        auth=STAFF_AUTH,
        params=(_ID,),
    ),
    Operation(
        "PUT",
        "/api/admin/knowledge/{id}",
        "Change a knowledge entry (a unit's change of a published entry goes back to review)",
        _TAG,
        {200: Response("saved (unchanged when nothing differs)", WITH_VERSIONS), **_WRITE},
        auth=STAFF_AUTH,
        params=(_ID,),
        body=EntryBody,
    ),
    *(
        Operation(
            "POST",
            f"/api/admin/knowledge/{{id}}/{name}",
            summary,
            _TAG,
            {200: Response("done (or already so)", WITH_VERSIONS), **_WRITE},
            auth=STAFF_AUTH,
            params=(_ID,),
            body=StatusBody,
            body_required=False,
        )
        for name, summary in (
            ("publish", "Publish an entry: it answers residents while valid and in scope"),
            ("retire", "Retire an entry: it no longer answers"),
        )
    ),
    Operation(
        "POST",
        "/api/admin/knowledge/import",
        "Import entries from CSV or XLSX: preview, then apply with the preview's digest",
        _TAG,
        {
            200: Response(
                "the preview, or what was applied",
                obj(
                    {"applied": BOOLEAN, "counts": COUNTS, "digest": STRING},
                    {"rows": array({"type": "object"})},
                ),
            ),
            **{k: v for k, v in _WRITE.items() if k != 404},
        },
        auth=STAFF_AUTH,
        body=ImportBody,
    ),
    _file("csv", "text/csv"),
    _file("xlsx", XLSX),
    Operation(
        "GET",
        "/api/admin/knowledge/match",
        "What a resident's question would be answered with (published entries in scope)",
        _TAG,
        {
            200: Response(
                "the best entry, whether it is confident, and the entries offered",
                obj(
                    {
                        "confident": BOOLEAN,
                        "entry": nullable(ENTRY),
                        "score": NUMBER,
                        "offered": array(
                            obj(
                                {"id": INTEGER, "code": STRING, "question": STRING, "score": NUMBER}
                            )
                        ),
                    }
                ),
            ),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=_MATCH_PARAMS,
    ),
)
