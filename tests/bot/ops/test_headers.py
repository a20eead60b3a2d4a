"""Every answer says ``X-Content-Type-Options: nosniff``; answers that may hold people's data say
``Cache-Control: no-store``, errors included.

What may be cached, and why (``bot/ops/headers.py``): the OpenAPI document (the contract, the
same for everyone), Open311's public GET answers (GeoReport v2's services and requests, public
by design) and the published suggestions when they succeed; a token's lookup and every Open311
error are not. Routes that decide their own caching keep it (the dashboard's and the public
pages' static files, photos by their random key).
"""

from __future__ import annotations

import fnmatch

from aiohttp import ClientResponse

from tests.bot.api.test_authorization import World, concrete, make_world
from tests.bot.api.test_openapi import NOT_AN_API, served_routes
from tests.bot.conftest import ClientFactory

# (method, path pattern, Cache-Control) for 200 answers that may be cached; else no-store.
CACHEABLE = (
    ("GET", "/api/openapi.json", "public, max-age=300"),
    ("GET", "/open311/v2/discovery.*", "public, max-age=60"),
    ("GET", "/open311/v2/services*", "public, max-age=60"),
    ("GET", "/open311/v2/requests*", "public, max-age=60"),
    ("GET", "/api/public/suggestions*", "public, max-age=60"),  # published suggestions
)
# Routes with a caching rule of their own (not JSON, no personal data, or a random key).
OWN_RULES = ("/media/*", "/dashboard/static*", "/public/static*")


def expected_cache_control(method: str, path: str, status: int) -> str | None:
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in OWN_RULES):
        return None
    for allowed, pattern, value in CACHEABLE:
        if method in (allowed, "HEAD") and status == 200 and fnmatch.fnmatchcase(path, pattern):
            return value
    return "no-store"


def header_problem(method: str, path: str, response: ClientResponse) -> str | None:
    where = f"{method} {path} -> {response.status} {response.content_type}"
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        return (
            f"{where}: X-Content-Type-Options is {response.headers.get('X-Content-Type-Options')}"
        )
    wanted = expected_cache_control(method, path, response.status)
    got = response.headers.get("Cache-Control")
    if wanted is not None and got != wanted:
        return f"{where}: Cache-Control is {got!r}, not {wanted!r}"
    return None


async def test_every_route_answers_nosniff_and_no_store_even_when_refusing(
    make_client: ClientFactory,
) -> None:
    """Every route of the app, walked from ``app.router``, called without credentials."""
    world = await make_world(make_client)
    number = world.cases["yx"].number
    problems = []
    walked = 0
    for method, path in sorted(served_routes(world.client.app)):
        if (method, path) in NOT_AN_API:
            continue
        body = None if method in ("GET", "DELETE") else b"{}"
        headers = {"Content-Type": "application/json"} if body is not None else {}
        url = concrete(path, number)
        response = await world.client.request(method, url, data=body, headers=headers)
        await response.read()
        problem = header_problem(method, path, response)
        if problem:
            problems.append(problem)
        walked += 1
    assert not problems, "\n".join(problems)
    assert walked >= 60, f"only {walked} routes walked"


async def successes(world: World) -> list[tuple[str, str, dict[str, str]]]:
    number = world.cases["wjc"].number
    resident = await world.resident("o-auth-1")
    worker = await world.worker("wangfang")
    admin = await world.staff("headers-admin", "admin")
    return [
        ("GET", "/api/resident/me", resident),
        ("GET", "/api/resident/cases", resident),
        ("GET", f"/api/resident/cases/{number}", resident),
        ("GET", "/api/worker/me", worker),
        ("GET", "/api/worker/tasks", worker),
        ("GET", f"/api/worker/cases/{number}", worker),
        ("GET", "/api/admin/me", admin),
        ("GET", "/api/admin/cases", admin),
        ("GET", f"/api/admin/cases/{number}", admin),
        ("GET", "/api/admin/notices", admin),
        ("GET", "/api/admin/figures", admin),
        ("GET", "/api/admin/figures.csv", admin),
        ("GET", "/api/admin/held", admin),
        ("GET", "/api/openapi.json", {}),
        ("GET", "/open311/v2/services.json", {}),
        ("GET", "/open311/v2/services.xml", {}),
        ("GET", "/open311/v2/requests.json", {}),
        ("GET", "/open311/v2/discovery.json", {}),
        ("GET", "/api/public/suggestions", {}),
        ("GET", "/healthz", {}),
    ]


async def test_answers_with_personal_data_are_not_stored_and_public_ones_may_be(
    make_client: ClientFactory,
) -> None:
    world = await make_world(make_client)
    problems = []
    for method, url, headers in await successes(world):
        response = await world.client.request(method, url, headers=headers)
        await response.read()
        if response.status != 200:
            problems.append(f"{method} {url}: {response.status}, expected 200")
            continue
        problem = header_problem(method, url, response)
        if problem:
            problems.append(problem)
    assert not problems, "\n".join(problems)


async def test_errors_aiohttp_raises_carry_the_headers_too(make_client: ClientFactory) -> None:
    """A path no route serves (404), a method a route does not take (405), a body past the
    app's limit (413), a body that is not JSON (400), and Open311's own errors."""
    world = await make_world(make_client)
    admin = await world.staff("headers-admin", "admin")
    json_type = {"Content-Type": "application/json"}
    attempts = [
        ("GET", "/api/admin/no-such-thing", admin, None, 404),
        ("PUT", "/api/admin/cases", admin, None, 405),
        ("POST", "/api/admin/notices", {**admin, **json_type}, b"{" * 10, 400),
        ("POST", "/api/admin/notices", {**admin, **json_type}, b" " * 2_000_000, 413),
        ("GET", "/open311/v2/requests/999999.json", {}, None, 404),
        ("GET", "/open311/v2/services.json?jurisdiction_id=elsewhere", {}, None, None),
    ]
    problems = []
    for method, url, headers, body, status in attempts:
        response = await world.client.request(method, url, headers=headers, data=body)
        await response.read()
        if status is not None and response.status != status:
            problems.append(f"{method} {url}: {response.status}, expected {status}")
        path = url.split("?")[0]
        problem = header_problem(method, path, response)
        if problem:
            problems.append(problem)
        if response.status >= 400 and response.headers.get("Cache-Control") != "no-store":
            problems.append(f"{method} {url}: an error that may be cached")
    assert not problems, "\n".join(problems)
