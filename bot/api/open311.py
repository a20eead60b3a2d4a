"""Open311 GeoReport v2 under ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2/).

Every resource comes in both formats, chosen by its extension: ``services.json`` answers
``application/json``, ``services.xml`` answers ``text/xml`` (UTF-8, with the XML declaration).
Each format is a route and a path of its own, so the OpenAPI document says exactly which body
comes with which content type. XML follows the spec's element names, JSON its Spark mapping (a
repeated element's container is a JSON array).

- ``GET discovery``: where the endpoint is, which formats, how to get a key.
- ``GET services``: the taxonomy's second levels, one service each, and ``suggestion`` (人民建议),
  whose requests are suggestions for the suggestion office, not cases
  (``handlers.open311.suggestions``); ``GET services/{code}``: its definition (no attributes).
- ``POST requests`` (form-encoded, ``api_key`` required): files a case exactly as a chat message
  would be (``handlers.open311.requests``) and answers its number (``service_request_id``), when
  and by whom it will be handled (``service_notice``) and ``account_id``. The request's token comes
  in the ``X-Open311-Token`` header (the body carries the number, as a realtime service should), for
  ``GET tokens/{token}``.
- ``GET requests`` (``service_request_id``, ``service_code``, ``start_date``, ``end_date``,
  ``status``; at most 90 days and 1000 requests) and ``GET requests/{id}``: public, so they show
  no phone, email or name.

A reporter is held to the same limits as every resident (429 when over them) and, if an admin
blocked them, their request is kept for a dispatcher instead of becoming a case: the answer
then carries only its ``token`` (GeoReport's answer for a request that is not a case yet), and
``GET tokens/{token}`` names the case once a dispatcher releases it.

Errors are GeoReport's: ``[{"code": 400, "description": "..."}]`` or ``<errors><error>`` with
400 (bad or missing input), 403 (missing, unknown or revoked ``api_key``), 404 (unknown
service, request, token or ``jurisdiction_id``) and 429 (too many requests by this reporter).
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import web
from multidict import MultiMapping
from tortoise.transactions import in_transaction

from bot.api.openapi import Operation, Param, Response
from bot.keys import CLOCK, INTAKE, SETTINGS
from config import open311 as spec
from handlers.open311.clients import client_for_key
from handlers.open311.common import Open311Error
from handlers.open311.public import parse_query, token_request
from handlers.open311.requests import file_request, filed_json, parse_submission
from handlers.open311.services import (
    check_jurisdiction,
    discovery,
    service_definition,
    service_list,
)
from handlers.open311.suggestions import find_all, one_request_or_suggestion
from models import Open311Client

logger = logging.getLogger(__name__)

PREFIX = spec.PATH_PREFIX
FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}
TOKEN_HEADER = "X-Open311-Token"
FORM_TYPE = "application/x-www-form-urlencoded"
# A repeated element and its container, as in the spec's XML.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Rendering


@dataclass(frozen=True)
class Answer:
    """What an endpoint answers, before it is rendered in the format asked for."""

    root: str  # the XML root element
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        item = ITEM_NAMES[element.tag]
        for entry in value:
            _fill(ET.SubElement(element, item), entry)
    elif isinstance(value, dict):
        for key, entry in value.items():
            _fill(ET.SubElement(element, key), entry)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def xml_document(root: str, body: Any) -> str:
    element = ET.Element(root)
    _fill(element, body)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def render(fmt: str, answer: Answer) -> web.Response:
    headers = dict(answer.headers) or None
    if fmt == "xml":
        return web.Response(
            text=xml_document(answer.root, answer.body),
            status=answer.status,
            content_type=CONTENT_TYPES["xml"],
            charset="utf-8",
            headers=headers,
        )
    return web.json_response(
        answer.body,
        status=answer.status,
        headers=headers,
        dumps=partial(json.dumps, ensure_ascii=False),
    )


def error_answer(error: Open311Error) -> Answer:
    body = [{"code": error.status, "description": text} for text in error.descriptions]
    return Answer("errors", body, status=error.status)


Handler = Callable[[web.Request], Awaitable[Answer]]


def endpoint(fmt: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Run ``handler`` and render its answer, or its refusal, in ``fmt``."""

    async def run(request: web.Request) -> web.Response:
        try:
            answer = await handler(request)
        except Open311Error as error:
            logger.debug("open311 %s %s refused: %s", request.method, request.path, error)
            answer = error_answer(error)
        return render(fmt, answer)

    return run


# Reading requests


def as_lists(values: MultiMapping[Any]) -> dict[str, list[str]]:
    """Query or form as name -> every value sent; anything but text is refused."""
    out: dict[str, list[str]] = {}
    for name, value in values.items():
        if not isinstance(value, str):
            raise Open311Error(400, f"{name[:64]} must be text, not a file")
        out.setdefault(name, []).append(value)
    return out


async def read_form(request: web.Request) -> dict[str, list[str]]:
    if request.content_type not in ("", FORM_TYPE):
        raise Open311Error(400, f"send the request as {FORM_TYPE}")
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].max_body_bytes
        raise Open311Error(400, f"the request is too large (at most {limit} bytes)") from None
    except (web.HTTPException, ValueError, UnicodeDecodeError):
        raise Open311Error(400, "the form could not be read; send it UTF-8 encoded") from None
    return as_lists(form)


def _first(values: Mapping[str, list[str]], name: str) -> str:
    return next((v.strip() for v in values.get(name, ()) if v.strip()), "")


def jurisdiction(request: web.Request, form: Mapping[str, list[str]] | None = None) -> None:
    given = _first(form or {}, "jurisdiction_id") or _first(
        as_lists(request.query), "jurisdiction_id"
    )
    check_jurisdiction(request.app[SETTINGS], given)


async def authenticate(request: web.Request, form: Mapping[str, list[str]]) -> Open311Client:
    key = _first(form, "api_key") or _first(as_lists(request.query), "api_key")
    if not key:
        raise Open311Error(403, "api_key is required to create a request; ask us for one")
    client = None
    if len(key) <= spec.MAX_SHORT_FIELD:
        client = await client_for_key(key, request.app[CLOCK].now())
    if client is None:
        raise Open311Error(403, "invalid api_key: it is unknown or has been revoked")
    return client


def base_url(request: web.Request) -> str:
    configured = request.app[SETTINGS].public_url.strip().rstrip("/")
    return configured or f"{request.scheme}://{request.host}"


# Endpoints


async def get_discovery(request: web.Request) -> Answer:
    return Answer("discovery", discovery(base_url(request), request.app[SETTINGS]))


async def get_services(request: web.Request) -> Answer:
    jurisdiction(request)
    return Answer("services", service_list())


async def get_service(request: web.Request) -> Answer:
    jurisdiction(request)
    return Answer("service_definition", service_definition(request.match_info["service_code"]))


async def post_request(request: web.Request) -> Answer:
    form = await read_form(request)
    jurisdiction(request, form)
    client = await authenticate(request, form)
    submission = parse_submission(form)
    # The context (cached tables) is read before the transaction: see RefreshingCache.
    ctx = await request.app[INTAKE].context()
    async with in_transaction():
        filed = await file_request(client, submission, ctx)
    return Answer("service_requests", [filed_json(filed)], {TOKEN_HEADER: filed.token})


async def get_requests(request: web.Request) -> Answer:
    jurisdiction(request)
    query = parse_query(as_lists(request.query), request.app[CLOCK].now())
    return Answer("service_requests", await find_all(query))


async def get_request(request: web.Request) -> Answer:
    jurisdiction(request)
    number = request.match_info["service_request_id"]
    return Answer("service_requests", await one_request_or_suggestion(number))


async def get_token(request: web.Request) -> Answer:
    jurisdiction(request)
    return Answer("service_requests", await token_request(request.match_info["token_id"]))


# The contract (OpenAPI 3.1: schemas are JSON Schema; "xml" names the spec's elements)

STRING: dict[str, Any] = {"type": "string"}
MAYBE_STRING: dict[str, Any] = {"type": ["string", "null"]}
MAYBE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
MAYBE_DATETIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def _object(name: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> Any:
    schema: dict[str, Any] = {
        "type": "object",
        "xml": {"name": name},
        "properties": {**required, **(optional or {})},
    }
    if required:
        schema["required"] = list(required)
    return schema


def _list_of(container: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "xml": {"name": container, "wrapped": True}, "items": item}


SERVICE = _object(
    "service",
    {
        "service_code": STRING,
        "service_name": STRING,
        "description": STRING,
        "metadata": {"type": "boolean"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": STRING,
        "group": STRING,
    },
)
DEFINITION = _object(
    "service_definition",
    {"service_code": STRING, "attributes": _list_of("attributes", _object("attribute", {}))},
)
REQUEST = _object(
    "request",
    {
        "service_request_id": STRING,
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": MAYBE_STRING,
        "service_name": STRING,
        "service_code": STRING,
        "description": {"type": ["string", "null"], "maxLength": spec.MAX_DESCRIPTION},
        "agency_responsible": MAYBE_STRING,
        "service_notice": MAYBE_STRING,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": MAYBE_DATETIME,
        "expected_datetime": MAYBE_DATETIME,
        "address": MAYBE_STRING,
        "address_id": {**MAYBE_STRING, "description": "our grid code (网格编码)"},
        "zipcode": MAYBE_STRING,
        "lat": MAYBE_NUMBER,
        "long": MAYBE_NUMBER,
        "media_url": {"type": ["string", "null"], "format": "uri"},
    },
)
# A case number, or, for a request held for a dispatcher (a blocked reporter), its token only.
FILED = {
    "type": "object",
    "xml": {"name": "request"},
    "properties": {
        "service_request_id": STRING,
        "token": STRING,
        "service_notice": STRING,
        "account_id": STRING,
    },
    "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
}
TOKEN = _object("request", {"token": STRING}, {"service_request_id": STRING})
DISCOVERY = _object(
    "discovery",
    {
        "changeset": STRING,
        "contact": STRING,
        "key_service": STRING,
        "endpoints": _list_of(
            "endpoints",
            _object(
                "endpoint",
                {
                    "specification": STRING,
                    "url": STRING,
                    "changeset": STRING,
                    "type": {"type": "string", "enum": ["production", "test"]},
                    "formats": _list_of("formats", {**STRING, "xml": {"name": "format"}}),
                },
            ),
        ),
    },
)
ERRORS = _list_of("errors", _object("error", {"code": {"type": "integer"}, "description": STRING}))
# A form field is text: a coordinate is written as a plain ASCII decimal ("31.2", "-121.5").
COORDINATE: dict[str, Any] = {
    "type": "number",
    "description": "WGS84 degrees in ASCII digits with an optional sign and decimal point; "
    "no exponent, no NaN or Infinity, at most 32 characters",
}
FORM = {
    "type": "object",
    "required": ["service_code", "description"],
    "description": "A location is required: lat and long, address_string or address_id. "
    "attribute[...] is refused: no service has attributes.",
    "properties": {
        "api_key": {
            **STRING,
            "maxLength": spec.MAX_SHORT_FIELD,
            "description": "the client's key (or the api_key query parameter)",
        },
        "jurisdiction_id": {**STRING, "maxLength": spec.MAX_SHORT_FIELD},
        "service_code": {**STRING, "maxLength": spec.MAX_SHORT_FIELD},
        "description": {**STRING, "maxLength": spec.MAX_DESCRIPTION},
        "lat": {**COORDINATE, "minimum": -90, "maximum": 90},
        "long": {**COORDINATE, "minimum": -180, "maximum": 180},
        "address_string": {**STRING, "maxLength": spec.MAX_ADDRESS},
        "address_id": {
            **STRING,
            "maxLength": spec.MAX_ADDRESS_ID,
            "description": "one of our grid codes (网格编码)",
        },
        "email": {**STRING, "maxLength": spec.MAX_EMAIL},
        "device_id": {**STRING, "maxLength": spec.MAX_IDENTIFIER},
        "account_id": {**STRING, "maxLength": spec.MAX_IDENTIFIER},
        "first_name": {**STRING, "maxLength": spec.MAX_NAME},
        "last_name": {**STRING, "maxLength": spec.MAX_NAME},
        "phone": {**STRING, "maxLength": spec.MAX_PHONE},
        "media_url": {
            **STRING,
            "maxLength": spec.MAX_MEDIA_URL,
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
        },
    },
}

JURISDICTION = Param(
    "jurisdiction_id",
    "query",
    STRING,
    description="optional: this endpoint serves one jurisdiction; another one is a 404",
)
LIST_PARAM = {"type": "string", "description": "comma delimited"}
QUERY_PARAMS = (
    JURISDICTION,
    Param(
        "service_request_id", "query", LIST_PARAM, description="case numbers; overrides the rest"
    ),
    Param("service_code", "query", LIST_PARAM),
    Param("start_date", "query", {"type": "string", "format": "date-time"}),
    Param("end_date", "query", {"type": "string", "format": "date-time"}),
    Param("status", "query", {"type": "string", "description": "open, closed or open,closed"}),
)


@dataclass(frozen=True)
class Resource:
    """One GeoReport resource, served in both formats."""

    method: str
    path: str  # without the extension
    summary: str
    handler: Handler
    answer: dict[str, Any]
    refusals: Mapping[int, str]
    params: tuple[Param, ...] = ()
    auth: tuple[str, ...] = ()
    body: dict[str, Any] | None = None
    headers: Mapping[str, dict[str, Any]] = field(default_factory=dict)


NOT_FOUND_JURISDICTION = "unknown jurisdiction_id"
RESOURCES = (
    Resource(
        "GET",
        "/discovery",
        "Service discovery: this endpoint, its formats and how to get a key",
        get_discovery,
        DISCOVERY,
        {},
    ),
    Resource(
        "GET",
        "/services",
        "The services: one per category of the taxonomy",
        get_services,
        _list_of("services", SERVICE),
        {404: NOT_FOUND_JURISDICTION},
        (JURISDICTION,),
    ),
    Resource(
        "GET",
        "/services/{service_code}",
        "A service's definition (no service asks for attributes)",
        get_service,
        DEFINITION,
        {404: "unknown service_code or jurisdiction_id"},
        (Param("service_code", "path", STRING), JURISDICTION),
    ),
    Resource(
        "POST",
        "/requests",
        "File a request: it becomes a case, routed like a chat message",
        post_request,
        _list_of("service_requests", FILED),
        {
            400: "a field is missing or wrong (the errors say which)",
            403: "api_key missing, unknown or revoked",
            404: "unknown service_code or jurisdiction_id",
            429: "this reporter filed too many requests lately (the error says until when)",
        },
        auth=("open311Key",),
        body=FORM,
        headers={TOKEN_HEADER: STRING},
    ),
    Resource(
        "GET",
        "/requests",
        "Requests: by number, or by time (at most 90 days, 1000 requests), code and status",
        get_requests,
        _list_of("service_requests", REQUEST),
        {400: "a parameter is wrong (the errors say which)", 404: NOT_FOUND_JURISDICTION},
        QUERY_PARAMS,
    ),
    Resource(
        "GET",
        "/requests/{service_request_id}",
        "One request (a list of one, as the spec has it)",
        get_request,
        _list_of("service_requests", REQUEST),
        {404: "unknown service_request_id or jurisdiction_id"},
        (Param("service_request_id", "path", STRING, description="the case number"), JURISDICTION),
    ),
    Resource(
        "GET",
        "/tokens/{token_id}",
        "The request a token (from POST requests' X-Open311-Token) stands for",
        get_token,
        _list_of("service_requests", TOKEN),
        {404: "unknown token or jurisdiction_id"},
        (Param("token_id", "path", STRING), JURISDICTION),
    ),
)


def route_path(resource: Resource, fmt: str) -> str:
    return f"{PREFIX}{resource.path}.{fmt}"


def operation(resource: Resource, fmt: str) -> Operation:
    content_type = CONTENT_TYPES[fmt]
    responses = {
        200: Response("the answer", resource.answer, content_type, resource.headers),
        **{
            status: Response(why, ERRORS, content_type) for status, why in resource.refusals.items()
        },
    }
    return Operation(
        resource.method,
        route_path(resource, fmt),
        f"{resource.summary} ({fmt.upper()})",
        "open311",
        responses,
        auth=resource.auth,
        params=resource.params,
        body=resource.body,
        body_content_type=FORM_TYPE,
    )


OPERATIONS: tuple[Operation, ...] = tuple(
    operation(resource, fmt) for resource in RESOURCES for fmt in FORMATS
)


def add_open311_routes(app: web.Application) -> None:
    for resource in RESOURCES:
        for fmt in FORMATS:
            path, handler = route_path(resource, fmt), endpoint(fmt, resource.handler)
            if resource.method == "GET":
                app.router.add_get(path, handler)
            else:
                app.router.add_post(path, handler)
