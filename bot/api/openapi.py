"""The OpenAPI 3 contract of every HTTP API we serve, at ``/api/openapi.json``.

Each API module declares what it serves as ``OPERATIONS``, a tuple of :class:`Operation`, next
to its handlers (the resident API's long list is in ``bot.api.resident_contract``); request bodies
are the module's own pydantic payload models, so the contract and the validation cannot drift
apart. :func:`openapi_document` gathers them from :data:`API_MODULES`. Tests keep it true:
every route served is documented (and nothing else, but the dashboard's HTML pages), and
schemathesis runs it against the app (tests/bot/api/test_openapi.py, test_schemathesis.py).

The document is OpenAPI **3.1**, whose schemas are JSON Schema 2020-12: what pydantic generates
is valid as it is. A value that may be null is ``{"type": ["string", "null"]}`` or
:func:`nullable` (3.0's ``nullable: true`` means nothing here). Response schemas say what the
handlers really answer: the keys that are always there are ``required``, with their types;
:func:`obj` builds such an object. A schema used in several places can be a :class:`Component`
(listed once under ``components/schemas``); dict schemas may hold components and pydantic
models anywhere inside them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from bot.api.security_schemes import SECURITY_SCHEMES
from handlers.case_pages import FLAG_VALUES, MAX_TIMELINE_PAGE
from models import CaseStatus

OPENAPI_VERSION = "3.1.0"


@dataclass(frozen=True)
class Component:
    """A named schema, listed once under ``components/schemas`` and referenced where used."""

    name: str
    schema: dict[str, Any]


Schema = dict[str, Any] | type[BaseModel] | Component

# The modules whose OPERATIONS make up the contract, in the order the document lists them.
API_MODULES = (
    "bot.api.openapi",
    "bot.api.resident_contract",
    "bot.api.worker_contract",
    "bot.api.media",
    "bot.api.admin",
    "bot.api.admin_cases",
    "bot.api.admin_case_links",
    "bot.api.admin_followup",
    "bot.api.admin_requests",
    "bot.api.admin_residents",
    "bot.api.admin_links",
    "bot.api.admin_district",
    "bot.api.admin_knowledge_contract",
    "bot.api.admin_case_knowledge",
    "bot.api.admin_knowledge_figures_contract",
    "bot.api.admin_suggestions_contract",
    "bot.api.suggestions_contract",
    "bot.api.admin_stations",
    "bot.api.admin_hot_items_contract",
    "bot.api.suggestion_contract",
    "bot.api.notices",
    "bot.api.figures",
    "bot.api.ranking",
    "bot.api.admin_hot_warnings",
    "bot.api.admin_board",
    "bot.api.open311",
    "bot.wechat.mini_endpoint",
    "bot.api.sandbox",
)

STAFF_AUTH = ("staffToken", "staffSession")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "problem": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

# Building blocks for response schemas.
STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def nullable(schema: Schema) -> dict[str, Any]:
    """``schema`` or null."""
    if isinstance(schema, dict) and set(schema) <= {"type", "format"}:
        kind = schema.get("type")
        if isinstance(kind, str):
            return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> dict[str, Any]:
    return {"type": "array", "items": items}


def one_of_values(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(values)}


def obj(required: Mapping[str, Any], optional: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An object whose ``required`` keys are always present; ``optional`` ones may be."""
    properties = {**required, **(optional or {})}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


@dataclass(frozen=True)
class Param:
    name: str
    where: Literal["query", "path", "header", "cookie"]
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Response:
    description: str
    schema: Schema | None = None  # None: no body described
    content_type: str = "application/json"
    headers: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    # The same body may also come with these content types (e.g. text/plain or XML replies).
    other_content_types: tuple[str, ...] = ()


def error(description: str) -> Response:
    """A response whose body is our ``{"error": {...}}``."""
    return Response(description, {"$ref": "#/components/schemas/Error"})


def unauthorized(
    description: str = "no credentials, or ones that are unknown or revoked",
) -> Response:
    """A 401 error; it always carries ``WWW-Authenticate``."""
    return Response(
        description,
        {"$ref": "#/components/schemas/Error"},
        headers={"WWW-Authenticate": STRING},
    )


def text_error(description: str) -> Response:
    """A refusal whose body is one line of plain text (the WeChat callbacks)."""
    return Response(description, STRING, "text/plain")


def too_large() -> Response:
    """413 from aiohttp itself: the body is larger than the app's client_max_size."""
    return text_error("the body is larger than the service accepts (JIESU_MAX_BODY_BYTES)")


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the aiohttp router has it (``/api/x/{number}``)."""

    method: str
    path: str
    summary: str
    tag: str
    responses: Mapping[int, Response]
    auth: tuple[str, ...] = ()  # any one of these schemes; empty: public
    params: tuple[Param, ...] = ()
    body: Schema | None = None
    body_content_type: str = "application/json"
    body_required: bool = True
    description: str = ""
    operation_id: str = ""


def schema_qualifier(module: str) -> str:
    """What a model's name is prefixed with when another model already took the name: the API
    it belongs to (``bot.api.worker`` -> ``worker_api``), so that the document's component names
    stay as clients know them whatever package the module lives in."""
    name = module.rsplit(".", 1)[-1]
    return name if name.endswith("_api") else f"{name}_api"


class _Components:
    """``components/schemas`` as it is filled: one entry per model or component.

    Two different schemas of the same name (every module has its ``DecideIn``) are listed under
    names qualified by their module (``admin_cases_api.DecideIn``), so neither hides the other;
    the same schema reached twice is listed once.
    """

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def _taken(self, name: str, definition: Any) -> bool:
        """Whether ``name`` already holds a different schema."""
        return name in self.schemas and self.schemas[name] != definition

    def _claim(self, name: str, definition: Any) -> str:
        if self._taken(name, definition):
            raise ValueError(f"two different schemas are both called {name}")
        self.schemas[name] = definition
        return name

    def _model(self, model: type[BaseModel]) -> str:
        generated = model.model_json_schema(ref_template="#/$defs/{model}")
        qualifier = schema_qualifier(model.__module__)
        definitions: dict[str, Any] = generated.pop("$defs", {})
        renamed = {name: name for name in definitions}
        # Qualify the nested models whose names are taken; a renaming changes the references
        # of the others, so go round until nothing changes.
        for _ in range(len(definitions) + 1):
            changed = False
            for name, definition in definitions.items():
                if renamed[name] == name and self._taken(name, _rewrite(definition, renamed)):
                    renamed[name] = f"{qualifier}.{name}"
                    changed = True
            if not changed:
                break
        for name, definition in definitions.items():
            self._claim(renamed[name], _rewrite(definition, renamed))
        top = _rewrite(generated, renamed)
        name = model.__name__
        return self._claim(f"{qualifier}.{name}" if self._taken(name, top) else name, top)

    def schema(self, schema: Any) -> Any:
        """``schema`` as the document holds it: models and components become ``$ref``s."""
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return {"$ref": f"#/components/schemas/{self._model(schema)}"}
        if isinstance(schema, Component):
            name = self._claim(schema.name, self.schema(schema.schema))
            return {"$ref": f"#/components/schemas/{name}"}
        if isinstance(schema, dict):
            return {key: self.schema(value) for key, value in schema.items()}
        if isinstance(schema, list | tuple):
            return [self.schema(value) for value in schema]
        return schema


def _rewrite(schema: Any, renamed: Mapping[str, str]) -> Any:
    """Point a model's ``#/$defs/X`` references at ``#/components/schemas/<X's name>``."""
    if isinstance(schema, dict):
        out = {key: _rewrite(value, renamed) for key, value in schema.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            out["$ref"] = f"#/components/schemas/{renamed.get(name, name)}"
        return out
    if isinstance(schema, list):
        return [_rewrite(value, renamed) for value in schema]
    return schema


def _operation_id(operation: Operation) -> str:
    if operation.operation_id:
        return operation.operation_id
    words = [p.strip("{}") for p in operation.path.strip("/").split("/") if p]
    return operation.method.lower() + "_" + "_".join(w.replace(".", "_") for w in words)


def _operation(operation: Operation, components: _Components) -> dict[str, Any]:
    body: dict[str, Any] = {
        "operationId": _operation_id(operation),
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": [{name: []} for name in operation.auth] if operation.auth else [],
        "responses": {},
    }
    if operation.description:
        body["description"] = operation.description
    if operation.params:
        body["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": True if p.where == "path" else p.required,
                "schema": components.schema(p.schema),
                **({"description": p.description} if p.description else {}),
            }
            for p in operation.params
        ]
    responses = dict(operation.responses)
    if operation.body is not None:
        body["requestBody"] = {
            "required": operation.body_required,
            "content": {operation.body_content_type: {"schema": components.schema(operation.body)}},
        }
        if operation.path.startswith("/api/admin/"):  # bot.api.staff_auth.same_origin_only
            responses.setdefault(415, error("unsupported_media_type: not application/json"))
    for status, response in sorted(responses.items()):
        entry: dict[str, Any] = {"description": response.description}
        if response.schema is not None:
            schema = components.schema(response.schema)
            entry["content"] = {
                content_type: {"schema": schema}
                for content_type in (response.content_type, *response.other_content_types)
            }
        if response.headers:
            entry["headers"] = {
                name: {"schema": components.schema(schema)}
                for name, schema in response.headers.items()
            }
        body["responses"][str(status)] = entry
    return body


def all_operations(modules: Iterable[str] = API_MODULES) -> list[Operation]:
    found: list[Operation] = []
    for name in modules:
        found.extend(getattr(importlib.import_module(name), "OPERATIONS", ()))
    return found


def openapi_document(
    operations: Iterable[Operation] | None = None, *, server_url: str = "/"
) -> dict[str, Any]:
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for operation in all_operations() if operations is None else operations:
        method = operation.method.lower()
        if method in paths.get(operation.path, {}):
            raise ValueError(f"{operation.method} {operation.path} is declared twice")
        paths.setdefault(operation.path, {})[method] = _operation(operation, components)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "jiesu (接诉即办)",
            "version": "1",
            "description": "Every HTTP API of the service: residents (mini-program), workers, "
            "staff, broadcast notices, figures, Open311 GeoReport v2, the WeChat callbacks and "
            'operations. Errors are `{"error": {"code", "message"}}` except under /open311/v2, '
            "which answers in GeoReport's own error format, and on the WeChat callbacks, which "
            "refuse with one line of plain text.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": components.schemas, "securitySchemes": SECURITY_SCHEMES},
    }


@cache
def served_document() -> dict[str, Any]:
    """The document as served: built once per process, it depends on the code alone."""
    return openapi_document()


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(served_document())


# What every API shows of a case in a list (handlers.workflow.search.case_basics).
NAMED = nullable(obj({"code": STRING, "name": STRING}))
CASE_BASICS: dict[str, Any] = {
    "number": STRING,
    "title": STRING,
    "kind": STRING,
    "category": STRING,
    "urgency": STRING,
    "difficult": BOOLEAN,
    "status": one_of_values(s.value for s in CaseStatus),
    "status_label": STRING,
    "place": STRING,
    "unit": NAMED,
    "grid": NAMED,
    "worker": nullable(obj({"id": INTEGER, "name": STRING})),
    "supervised": BOOLEAN,
}
# A deadline change on a case's timeline (handlers.deadline_history, models.DeadlineChange).
DEADLINE_CHANGE = obj(
    {
        "deadline": one_of_values(("sign", "first_contact", "completion")),
        "old": nullable(DATETIME),
        "new": nullable(DATETIME),
        "at": DATETIME,
        "actor_type": STRING,
        "actor_id": STRING,
        "cause": STRING,
        "reason": STRING,
        "spell_id": nullable(INTEGER),
    }
)
NUMBER_PARAM = Param(
    "number", "path", {"type": "string", "minLength": 1}, description="case number"
)
# How much of a case its page shows (handlers.case_pages): the same on every API that shows one.
CASE_VIEW_PARAMS = (
    Param(
        "full",
        "query",
        {"type": "string", "enum": list(FLAG_VALUES)},
        description="1: the whole text and the whole notes of the page shown",
    ),
    Param(
        "timeline_page",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_TIMELINE_PAGE},
        description="1 (default): the latest 50 events; 2: the 50 before them; ...",
    ),
)


# What this module documents: itself, the health check, the metrics and the WeChat callbacks.
HEALTH = obj(
    {
        "status": one_of_values(["ok", "degraded", "error"]),
        "database": STRING,
        "scheduler": obj(
            {"status": one_of_values(["ok", "error", "off"])},
            {
                "reason": STRING,
                "running": BOOLEAN,
                "problems": array(STRING),
                "sweeps": ANY_OBJECT,
            },
        ),
        # bot/ops/health.py: how far the working calendar reaches; a warning keeps status 200
        "calendar": obj(
            {
                "status": one_of_values(["ok", "warning"]),
                "covered_until": DATE,
                "library_last_year": INTEGER,
                "file_years": array(INTEGER),
            },
            {"warning": STRING},
        ),
    },
    {"setup": obj({"status": one_of_values(["ok", "incomplete"]), "missing": array(STRING)})},
)

# The query WeChat signs its calls with (official account: signature over token, timestamp and
# nonce; safe mode and WeCom: msg_signature over the ciphertext too).
_TIMESTAMP = Param(
    "timestamp", "query", {"type": "string", "pattern": "^[0-9]+$"}, True, "Unix time"
)
_NONCE = Param("nonce", "query", {"type": "string", "minLength": 1}, True)
_SIGNATURE = Param(
    "signature", "query", STRING, False, "sha1 of the sorted token, timestamp, nonce"
)
_MSG_SIGNATURE = Param(
    "msg_signature",
    "query",
    STRING,
    False,
    "sha1 of the sorted token, timestamp, nonce, ciphertext",
)
_ECHOSTR = Param("echostr", "query", {"type": "string", "minLength": 1}, True)
_ENCRYPT_TYPE = Param("encrypt_type", "query", {"type": "string", "enum": ["raw", "aes"]})
_OPENID = Param("openid", "query", STRING, False, "the sender, as WeChat adds it")

# The XML WeChat posts: <xml> with flat fields (plaintext) or one <Encrypt> (safe mode, WeCom).
_XML_FIELDS = (
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "Encrypt",
    "AgentID",
)
WECHAT_XML = Component(
    "WeChatXml",
    {
        "type": "object",
        "xml": {"name": "xml"},
        "properties": {name: STRING for name in _XML_FIELDS},
    },
)
_MP_REFUSED = {
    400: text_error("missing or malformed timestamp, nonce or echostr, or a malformed message"),
    403: text_error("the signature does not match, or the timestamp is too far from now"),
}
_WORK_REFUSED = {
    400: text_error("missing msg_signature, timestamp, nonce or echostr, or a malformed message"),
    403: text_error("msg_signature does not match, or the message is for another corp id"),
    404: text_error("the WeCom callback is not configured on this installation"),
}
_TOO_LARGE = {413: too_large()}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/openapi.json",
        "This document",
        "operations",
        {200: Response("the OpenAPI 3.1 document", obj({"openapi": STRING, "paths": ANY_OBJECT}))},
    ),
    Operation(
        "GET",
        "/healthz",
        "Health: the database answers and the sweeps run",
        "operations",
        {
            200: Response("healthy", HEALTH),
            503: Response("something is wrong; the body says what", HEALTH),
        },
    ),
    Operation(
        "GET",
        "/metrics",
        "Prometheus metrics",
        "operations",
        {200: Response("the text exposition format", STRING, CONTENT_TYPE_LATEST)},
    ),
    Operation(
        "GET",
        "/wechat/mp",
        "The official account verifies its server URL",
        "wechat",
        {200: Response("echostr, echoed", STRING, "text/plain"), **_MP_REFUSED},
        params=(_SIGNATURE, _TIMESTAMP, _NONCE, _ECHOSTR),
        description="WeChat's 服务器配置 check: a signed GET whose echostr we answer.",
    ),
    Operation(
        "POST",
        "/wechat/mp",
        "A resident's message or event from the official account",
        "wechat",
        {
            200: Response(
                '"success" (nothing to say) or the passive reply, XML (encrypted in safe mode)',
                STRING,
                "text/plain",
                other_content_types=("application/xml",),
            ),
            **_MP_REFUSED,
            **_TOO_LARGE,
        },
        params=(_SIGNATURE, _TIMESTAMP, _NONCE, _ENCRYPT_TYPE, _MSG_SIGNATURE, _OPENID),
        body=WECHAT_XML,
        body_content_type="text/xml",
        description="Signed by the query (plaintext mode: signature; safe mode: msg_signature "
        "over the <Encrypt> ciphertext). Stored before any work, deduplicated by MsgId.",
    ),
    Operation(
        "GET",
        "/wechat/work",
        "The WeCom app verifies its callback URL",
        "wechat",
        {200: Response("the decrypted echostr", STRING, "text/plain"), **_WORK_REFUSED},
        params=(_MSG_SIGNATURE, _TIMESTAMP, _NONCE, _ECHOSTR),
    ),
    Operation(
        "POST",
        "/wechat/work",
        "A WeCom callback: a worker pressed a task card's button",
        "wechat",
        {
            200: Response("acknowledged (empty body)", STRING, "text/plain"),
            **_WORK_REFUSED,
            **_TOO_LARGE,
            503: text_error("the press could not be handled now; WeCom retries"),
        },
        params=(_MSG_SIGNATURE, _TIMESTAMP, _NONCE),
        body=WECHAT_XML,
        body_content_type="text/xml",
    ),
)


def add_openapi_route(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json)
