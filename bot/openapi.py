"""The OpenAPI 3 contract of every HTTP API we serve, at ``/api/openapi.json``.

Each API module declares what it serves as ``OPERATIONS``, a tuple of :class:`Operation`, next
to its handlers; request bodies are the module's own pydantic payload models, so the contract and
the validation cannot drift apart. :func:`openapi_document` gathers them from
:data:`API_MODULES`. Tests keep it true: every route the app serves is documented (and nothing
else), and schemathesis runs the document against the running app.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

Schema = dict[str, Any] | type[BaseModel]

# The modules whose OPERATIONS make up the contract, in the order the document lists them.
API_MODULES = (
    "bot.openapi",
    "bot.resident_api",
    "bot.worker_api",
    "bot.admin_api",
    "bot.admin_cases_api",
    "bot.admin_residents_api",
    "bot.notices_api",
    "bot.figures_api",
    "bot.open311_api",
    "bot.mini_endpoint",
)

# How callers prove who they are (names used in Operation.auth).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "residentToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a resident's session token from POST /api/resident/session",
    },
    "workerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a worker's token from `jiesu workers token NAME`",
    },
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "a staff API token (jsa_...) from `jiesu users token NAME`",
    },
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "jiesu_session",
        "description": "a dashboard session; unsafe requests also send X-CSRF-Token",
    },
    "open311Key": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "an Open311 client's key from `jiesu open311 add NAME` (POST: a form field)",
    },
}

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


def error(description: str) -> Response:
    """A response whose body is our ``{"error": {...}}``."""
    return Response(description, {"$ref": "#/components/schemas/Error"})


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


class _Components:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def schema(self, schema: Schema) -> dict[str, Any]:
        if isinstance(schema, dict):
            return schema
        generated = schema.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in generated.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        self.schemas.setdefault(schema.__name__, generated)
        return {"$ref": f"#/components/schemas/{schema.__name__}"}


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
                "schema": p.schema,
                **({"description": p.description} if p.description else {}),
            }
            for p in operation.params
        ]
    if operation.body is not None:
        body["requestBody"] = {
            "required": operation.body_required,
            "content": {operation.body_content_type: {"schema": components.schema(operation.body)}},
        }
    for status, response in sorted(operation.responses.items()):
        entry: dict[str, Any] = {"description": response.description}
        if response.schema is not None:
            entry["content"] = {
                response.content_type: {"schema": components.schema(response.schema)}
            }
        if response.headers:
            entry["headers"] = {
                name: {"schema": schema} for name, schema in response.headers.items()
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
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, components
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "jiesu (接诉即办)",
            "version": "1",
            "description": "Every HTTP API of the service: residents (mini-program), workers, "
            "staff, broadcast notices, figures, Open311 GeoReport v2 and operations. Errors are "
            '`{"error": {"code", "message"}}` except under /open311/v2, which answers in '
            "GeoReport's own error format.",
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


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/openapi.json",
        "This document",
        "operations",
        {200: Response("the OpenAPI 3 document", {"type": "object"})},
    ),
)


def add_openapi_route(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json)
