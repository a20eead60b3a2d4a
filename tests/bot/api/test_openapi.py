"""The OpenAPI document: valid OpenAPI 3.1, and true to the routes the app serves.

Every route ``create_app`` registers is documented, and every documented operation is a route,
apart from :data:`NOT_AN_API` - the dashboard's HTML pages and static files, which people open in
a browser. A route added without an ``Operation`` in its module's ``OPERATIONS`` fails here,
whoever adds it. ``HEAD`` is answered by aiohttp for every ``GET`` and documented with it.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import schemathesis
from aiohttp import web
from pydantic import BaseModel
from schemathesis.core.result import Err
from schemathesis.specs.openapi.definitions import OPENAPI_31

from bot.api.openapi import (
    SECURITY_SCHEMES,
    Operation,
    Response,
    all_operations,
    error,
    openapi_document,
    schema_qualifier,
)
from bot.app import create_app
from tests.bot.conftest import ClientFactory
from tests.conftest import make_settings

# The dashboard (bot/dashboard): HTML pages behind the sign-in page, forms and static files;
# and the public HTML pages (bot/public). Not an API: no contract, no schemathesis. Name a new
# page here when it is added.
NOT_AN_API: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/dashboard"),
        ("GET", "/dashboard/"),
        ("GET", "/dashboard/static"),
        ("GET", "/dashboard/login"),
        ("POST", "/dashboard/login"),
        ("POST", "/dashboard/logout"),
        ("GET", "/dashboard/cases"),
        ("GET", "/dashboard/cases/{number}"),
        ("GET", "/dashboard/cases/{number}/messages"),
        ("POST", "/dashboard/cases/{number}/recategorise"),
        ("POST", "/dashboard/cases/{number}/reassign"),
        ("POST", "/dashboard/cases/{number}/survey-answer"),
        ("POST", "/dashboard/cases/{number}/field-visits/{visit_id}/outcome"),
        ("GET", "/dashboard/field-visits"),
        ("POST", "/dashboard/cases/{number}/supervise"),
        ("POST", "/dashboard/cases/{number}/invalidate"),
        ("POST", "/dashboard/cases/{number}/restore"),
        ("POST", "/dashboard/cases/{number}/merge"),
        ("POST", "/dashboard/cases/{number}/split"),
        ("POST", "/dashboard/cases/{number}/review"),
        ("POST", "/dashboard/cases/{number}/knowledge"),
        ("POST", "/dashboard/cases/{number}/extensions/{request_id}/decide"),
        ("GET", "/dashboard/hot"),
        # 热点事项 (governance items): the ledger, the making form, an item and its forms.
        ("GET", "/dashboard/hot/items"),
        ("POST", "/dashboard/hot/items"),
        ("GET", "/dashboard/hot/items/new"),
        ("GET", "/dashboard/hot/items/{number}"),
        ("POST", "/dashboard/hot/items/{number}/edit"),
        ("POST", "/dashboard/hot/items/{number}/notes"),
        ("POST", "/dashboard/hot/items/{number}/milestones"),
        ("POST", "/dashboard/hot/items/{number}/milestones/{id}/done"),
        ("POST", "/dashboard/hot/items/{number}/cases"),
        ("POST", "/dashboard/hot/items/{number}/cases/{case}/unlink"),
        ("POST", "/dashboard/hot/items/{number}/close"),
        ("POST", "/dashboard/hot/items/{number}/withdraw"),
        ("POST", "/dashboard/hot/items/{number}/notice"),
        ("GET", "/dashboard/ranking"),
        ("GET", "/dashboard/notices"),
        ("GET", "/dashboard/notices/new"),
        ("POST", "/dashboard/notices"),
        ("GET", "/dashboard/notices/{notice_id}"),
        ("GET", "/dashboard/notices/{notice_id}/edit"),
        ("POST", "/dashboard/notices/{notice_id}/edit"),
        ("GET", "/dashboard/notices/{notice_id}/progress"),
        ("POST", "/dashboard/notices/{notice_id}/preview"),
        ("POST", "/dashboard/notices/{notice_id}/submit"),
        ("POST", "/dashboard/notices/{notice_id}/approve"),
        ("POST", "/dashboard/notices/{notice_id}/reject"),
        ("POST", "/dashboard/notices/{notice_id}/cancel"),
        ("GET", "/dashboard/routing"),
        ("POST", "/dashboard/routing"),
        ("GET", "/dashboard/routing/new"),
        ("GET", "/dashboard/routing/{rule_id}"),
        ("POST", "/dashboard/routing/{rule_id}"),
        ("POST", "/dashboard/routing/{rule_id}/delete"),
        ("GET", "/dashboard/sla"),
        ("GET", "/dashboard/sla/edit"),
        ("POST", "/dashboard/sla"),
        ("POST", "/dashboard/sla/{rule_id}/delete"),
        ("GET", "/dashboard/held"),
        ("GET", "/dashboard/requests"),
        ("POST", "/dashboard/cases/{number}/returns/{request_id}/decide"),
        ("POST", "/dashboard/held/{held_id}/release"),
        ("POST", "/dashboard/held/{held_id}/discard"),
        ("GET", "/dashboard/accounts"),
        ("POST", "/dashboard/accounts/workers/{id}/link"),
        ("POST", "/dashboard/accounts/users/{id}/link"),
        ("GET", "/dashboard/accounts/wecom"),
        ("POST", "/dashboard/accounts/wecom"),
        ("GET", "/dashboard/district"),
        ("POST", "/dashboard/district/units"),
        ("POST", "/dashboard/district/grids"),
        ("POST", "/dashboard/district/workers"),
        ("GET", "/dashboard/district/import"),
        ("POST", "/dashboard/district/import"),
        ("GET", "/dashboard/knowledge"),
        ("POST", "/dashboard/knowledge"),
        ("GET", "/dashboard/knowledge/new"),
        ("GET", "/dashboard/knowledge/figures"),
        ("GET", "/dashboard/knowledge/import"),
        ("POST", "/dashboard/knowledge/import"),
        ("GET", "/dashboard/knowledge/{entry_id}"),
        ("POST", "/dashboard/knowledge/{entry_id}"),
        ("POST", "/dashboard/knowledge/{entry_id}/publish"),
        ("POST", "/dashboard/knowledge/{entry_id}/retire"),
        ("GET", "/dashboard/suggestions"),
        ("GET", "/dashboard/suggestions/department"),
        ("GET", "/dashboard/suggestions/{number}"),
        ("POST", "/dashboard/suggestions/{number}/ask"),
        ("POST", "/dashboard/suggestions/{number}/merge"),
        ("POST", "/dashboard/suggestions/{number}/decline"),
        ("POST", "/dashboard/suggestions/{number}/reconsider"),
        ("POST", "/dashboard/suggestions/{number}/adopt"),
        ("POST", "/dashboard/suggestions/{number}/forward"),
        ("POST", "/dashboard/suggestions/{number}/instruction"),
        ("POST", "/dashboard/suggestions/{number}/implemented"),
        ("POST", "/dashboard/suggestions/{number}/convert"),
        ("POST", "/dashboard/suggestions/{number}/publish"),
        ("POST", "/dashboard/suggestions/{number}/unpublish"),
        ("POST", "/dashboard/suggestions/{number}/adoptions/{unit_code}/answer"),
        ("POST", "/dashboard/cases/{number}/to-suggestion"),
        ("GET", "/dashboard/suggestion-calls"),
        ("POST", "/dashboard/suggestion-calls"),
        ("GET", "/dashboard/suggestion-calls/new"),
        ("GET", "/dashboard/suggestion-calls/{code}"),
        ("POST", "/dashboard/suggestion-calls/{code}"),
        ("POST", "/dashboard/suggestion-calls/{code}/open"),
        ("POST", "/dashboard/suggestion-calls/{code}/close"),
        ("GET", "/dashboard/stations"),
        ("POST", "/dashboard/stations"),
        ("POST", "/dashboard/stations/{code}/deactivate"),
        ("GET", "/dashboard/suggestions/figures"),
        # The public pages of published suggestions (bot/public): HTML for anyone, no sign-in;
        # their data is the JSON of GET /api/public/suggestions, which is documented.
        ("GET", "/public/suggestions"),
        ("GET", "/public/suggestions/credits"),
        ("GET", "/public/suggestions/{number}"),
        ("GET", "/public/static"),
    }
)


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, canonical path) of every route, HEAD left out (it goes with its GET)."""
    found = set()
    for route in app.router.routes():
        if route.resource is None or route.method == "HEAD":
            continue
        found.add((route.method, route.resource.canonical))
    return found


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }


def app_routes() -> set[tuple[str, str]]:
    # Routes are registered by create_app itself; nothing is started, nothing connects.
    return served_routes(create_app(make_settings("sqlite://:memory:")))


def test_every_route_is_documented() -> None:
    undocumented = app_routes() - NOT_AN_API - documented_operations(openapi_document())
    assert not undocumented, (
        "routes without an Operation in their module's OPERATIONS (bot/api/openapi.py):\n"
        + "\n".join(f"  {method} {path}" for method, path in sorted(undocumented))
    )


def test_every_documented_operation_is_served() -> None:
    routes = app_routes()
    missing = documented_operations(openapi_document()) - routes
    assert not missing, "documented but not served:\n" + "\n".join(
        f"  {method} {path}" for method, path in sorted(missing)
    )
    stale = NOT_AN_API - routes
    assert not stale, f"NOT_AN_API names routes that are gone: {sorted(stale)}"


def test_no_dashboard_page_is_documented_as_an_api() -> None:
    assert not NOT_AN_API & documented_operations(openapi_document())


async def test_the_served_document_is_valid_openapi_3_1(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    response = await client.get("/api/openapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    document = await response.json()
    assert document == openapi_document()
    assert document["openapi"].startswith("3.1.")
    # The OpenAPI 3.1 meta-schema as schemathesis ships it; every problem at once.
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in jsonschema.Draft202012Validator(OPENAPI_31).iter_errors(document)
    ]
    assert not problems, "\n".join(problems)
    # The meta-schema leaves schemas to JSON Schema: check each of them as one.
    for where, schema in schemas_in(document):
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as problem:
            raise AssertionError(f"{where}: {problem.message}") from None
    # Every reference points at something.
    for where, ref in refs_in(document):
        assert resolve(document, ref) is not None, f"{where}: {ref} points at nothing"
    # Schemathesis reads every operation.
    loaded = schemathesis.openapi.from_dict(document)
    broken = [str(r.err()) for r in loaded.get_all_operations() if isinstance(r, Err)]
    assert not broken, "\n".join(broken)


def schemas_in(document: dict[str, Any]) -> list[tuple[str, Any]]:
    found = [(f"components/schemas/{n}", s) for n, s in document["components"]["schemas"].items()]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                found.append((f"{where} {param['name']}", param["schema"]))
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for body in bodies:
                for content in body.get("content", {}).values():
                    found.append((where, content["schema"]))
    return found


def refs_in(value: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        found = [(where, value["$ref"])] if isinstance(value.get("$ref"), str) else []
        for key, item in value.items():
            found += refs_in(item, f"{where}/{key}")
        return found
    if isinstance(value, list):
        return [ref for i, item in enumerate(value) for ref in refs_in(item, f"{where}/{i}")]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references: {ref}"
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node


# What a missing credential gets: 401, except for Open311, where GeoReport v2 says 403.
REFUSED_WITHOUT = {"open311Key": 403}


def test_every_operation_lists_the_refusals_its_kind_of_handler_gives() -> None:
    """Credentials can be missing (401); a body can be malformed (400)."""
    seen: set[str] = set()
    for operation in all_operations():
        name = f"{operation.method} {operation.path}"
        assert set(operation.auth) <= set(SECURITY_SCHEMES), name
        assert operation.tag and operation.summary, name
        for scheme in operation.auth:
            refused = REFUSED_WITHOUT.get(scheme, 401)
            assert refused in operation.responses, f"{name} takes {scheme} but lists no {refused}"
        if operation.body is not None:
            assert 400 in operation.responses, f"{name} reads a body but lists no 400"
        for param in operation.params:
            if param.where == "path":
                assert f"{{{param.name}}}" in operation.path, f"{name}: {param.name}"
    document = openapi_document()
    for methods in document["paths"].values():
        for operation_json in methods.values():
            assert operation_json["operationId"] not in seen
            seen.add(operation_json["operationId"])


def test_models_of_the_same_name_do_not_hide_each_other() -> None:
    class DecideIn(BaseModel):
        approve: bool

    first = DecideIn

    class DecideIn(BaseModel):  # type: ignore[no-redef]
        verdict: str

    def declared(model: type[BaseModel], path: str) -> Operation:
        return Operation(
            "POST", path, "x", "x", {200: Response("ok"), 400: error("bad")}, body=model
        )

    document = openapi_document([declared(first, "/a"), declared(DecideIn, "/b")])
    schemas = document["components"]["schemas"]
    refs = [
        document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for path in ("/a", "/b")
    ]
    assert refs[0] != refs[1]
    names = [ref["$ref"].rsplit("/", 1)[-1] for ref in refs]
    assert set(schemas[names[0]]["properties"]) == {"approve"}
    assert set(schemas[names[1]]["properties"]) == {"verdict"}


def test_component_names_do_not_follow_the_modules_around() -> None:
    """Clients generate code from the component names: moving a module into a package (as
    ``bot/worker_api.py`` became ``bot/api/worker.py``) must not rename a schema."""
    assert schema_qualifier("bot.api.worker") == "worker_api"
    assert schema_qualifier("bot.worker_api") == "worker_api"
    assert schema_qualifier("bot.api.admin_cases") == "admin_cases_api"
    schemas = openapi_document()["components"]["schemas"]
    # The resident API's ContactIn came first; the worker API's, its namesake, is qualified.
    assert set(schemas["ContactIn"]["properties"]) == {"name", "phone"}
    assert "worker_api.ContactIn" in schemas
    assert not any(name.startswith(("worker.", "api.", "bot.")) for name in schemas)
