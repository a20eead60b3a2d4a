"""Who may call what: every route of the app, and every tenant boundary.

The walk (:func:`test_every_route_refuses_missing_and_wrong_credentials`) takes the routes from
``app.router`` itself, so a route added later is walked too. Each one is either named in
:data:`PUBLIC` (with why), a dashboard page (which sends the browser to the sign-in page), or
belongs to a realm by its path (:data:`REALMS`): worker, staff, resident or Open311. A route that
is none of these fails the test: name it, or give it credentials.

- Without credentials a realm's route answers **401** with a JSON error that says nothing else
  (``{"error": {"code": "unauthorized", "message"}}``). Open311 answers as GeoReport v2 has it:
  **403** ("invalid api_key") in GeoReport's own error format, ``[{"code", "description"}]``
  or ``<errors><error>`` for the ``.xml`` paths.
- With a credential of another kind - a worker's token on an admin route, a staff token or a
  dashboard session on a worker route, a resident's token on either, any of them on the resident
  API, or a token that does not exist - it answers **401** as well, never 403: a credential of
  another kind is no credential here, exactly like an unknown one (403 is for a known caller
  who may not do this).
- Nothing is changed by any of these requests.

The tenant boundaries: a worker asking for another grid's or unit's case gets the very 403 a case
number that does not exist gets (byte for byte); a unit's staff account the very 404; a resident
asking for another resident's case the very 404 of a made-up number.
"""

from __future__ import annotations

import fnmatch
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from bot.api.openapi import all_operations
from handlers.staff.accounts import create_user, issue_api_token, start_session
from handlers.workflow.actions import issue_token
from models import AuditEvent, Case, CaseEvent, CaseStatus, Grid, Unit, Worker
from tests.bot.api.test_openapi import NOT_AN_API, served_routes
from tests.bot.api.test_schemathesis import add_resident_session
from tests.bot.conftest import ClientFactory, Resident

NOW = datetime.now(UTC)
PASSWORD = "correct horse battery"
NO_SUCH_CASE = "2699999999"  # a well-formed number no case has

# Routes anyone may call, and why.
PUBLIC: tuple[tuple[str, str, str], ...] = (
    ("GET", "/healthz", "load balancers"),
    ("GET", "/metrics", "Prometheus (keep it off the public network)"),
    ("GET", "/api/openapi.json", "the contract itself"),
    ("*", "/wechat/*", "WeChat's callbacks, signed by WeChat instead"),
    ("GET", "/open311/v2/*", "GeoReport v2: services and requests are public"),
    ("POST", "/api/resident/session", "the mini-program's sign-in"),
    ("GET", "/api/resident/calls", "open themed calls, shown before signing in"),
    ("POST", "/api/admin/session", "staff sign in (name and password)"),
    ("GET", "/dashboard", "redirects to /dashboard/"),
    ("GET", "/dashboard/login", "the sign-in page"),
    ("POST", "/dashboard/login", "signing in (login-CSRF protected)"),
    ("GET", "/dashboard/static", "stylesheet and scripts"),
    ("GET", "/public/*", "the published suggestions' pages: public by design, no personal data"),
    ("GET", "/api/public/*", "the published suggestions as JSON, for anyone (issue 18)"),
)

# Which credential a route's path asks for.
REALMS: tuple[tuple[str, str], ...] = (
    ("/api/worker/*", "worker"),
    ("/api/admin/*", "staff"),
    ("/api/resident/*", "resident"),
    ("/open311/*", "open311"),
    ("/api/sandbox/*", "sandbox"),  # only in sandbox mode; a proof in the query, no header
    ("/media/*", "media"),  # photos: any of the three kinds, then who may see the photo
)
# The security schemes of the contract each realm's operations must name.
SCHEMES = {
    "worker": {"workerToken"},
    "staff": {"staffToken", "staffSession"},
    "resident": {"residentToken"},
    "open311": {"open311Key"},
    "sandbox": {"sandboxProof"},
    "media": {"staffToken", "staffSession", "workerToken", "residentToken"},
}


def public_because(method: str, path: str) -> str | None:
    for allowed, pattern, why in PUBLIC:
        if allowed in ("*", method) and fnmatch.fnmatchcase(path, pattern):
            return why
    return None


def realm_of(path: str) -> str | None:
    for pattern, realm in REALMS:
        if fnmatch.fnmatchcase(path, pattern):
            return realm
    return None


def concrete(path: str, number: str) -> str:
    """A path with its variables filled in: a real case number, small ids, a made-up key."""
    path = path.replace("{number}", number)
    return re.sub(r"\{[^}]+\}", "1", path)


@dataclass
class World:
    """The demo district, a few residents' cases pinned to known places, and credentials."""

    client: TestClient
    cases: dict[str, Case] = field(default_factory=dict)
    worker_tokens: dict[str, str] = field(default_factory=dict)
    staff_tokens: dict[str, str] = field(default_factory=dict)
    resident_tokens: dict[str, str] = field(default_factory=dict)
    session: dict[str, str] = field(default_factory=dict)  # a staff session's cookie

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def worker(self, userid: str) -> dict[str, str]:
        if userid not in self.worker_tokens:
            person = await Worker.get(wecom_userid=userid)
            self.worker_tokens[userid] = await issue_token(person, NOW, "test")
        return self.bearer(self.worker_tokens[userid])

    async def staff(self, username: str, role: str, unit: str | None = None) -> dict[str, str]:
        if username not in self.staff_tokens:
            unit_id = (await Unit.get(code=unit)).id if unit else None
            user = await create_user(username, role, PASSWORD, NOW, unit_id=unit_id)
            self.staff_tokens[username] = await issue_api_token(user, NOW, "test")
        return self.bearer(self.staff_tokens[username])

    async def staff_cookie(self, username: str) -> dict[str, str]:
        """A signed-in dashboard session of a new admin (its CSRF token sent too)."""
        user = await create_user(username, "admin", PASSWORD, NOW)
        new = await start_session(user, NOW)
        return {"Cookie": f"jiesu_session={new.token}", "X-CSRF-Token": new.csrf_token}

    async def resident(self, openid: str) -> dict[str, str]:
        if openid not in self.resident_tokens:
            token = f"jsr_test-{openid}"
            await add_resident_session(openid, token, NOW)
            self.resident_tokens[openid] = token
        return self.bearer(self.resident_tokens[openid])


async def pinned_case(
    client: TestClient, openid: str, text: str, unit: str, grid: str, worker: str | None = None
) -> Case:
    """A resident's case through the chat, then placed exactly (not left to the NLU)."""
    reply = await Resident(client, openid).say(text)
    found = re.search(r"\d{10}", reply)
    assert found, reply
    case = await Case.get(number=found.group(0))
    assigned = await Worker.get(wecom_userid=worker) if worker else None
    await Case.filter(id=case.id).update(
        status=CaseStatus.DISPATCHED,
        unit_id=(await Unit.get(code=unit)).id,
        grid_id=(await Grid.get(code=grid)).id,
        worker_id=assigned.id if assigned else None,
        dispatched_at=NOW,
    )
    return await Case.get(id=case.id)


async def make_world(make_client: ClientFactory) -> World:
    client = await make_client()
    world = World(client)
    # 王芳 is the grid worker of WJC-01 (五角场街道, ST-WJC); 张敏 of YX-01 (殷行街道, ST-YX).
    world.cases["wjc"] = await pinned_case(
        client, "o-auth-1", "国权路小区楼道堆物占用消防通道", "ST-WJC", "WJC-01"
    )
    world.cases["yx"] = await pinned_case(
        client, "o-auth-2", "开鲁新村门口垃圾没人清运", "ST-YX", "YX-01", worker="zhangmin"
    )
    world.session = await world.staff_cookie("auth-dashboard")
    return world


# (a) every route


@dataclass(frozen=True)
class Attempt:
    kind: str  # what was sent
    headers: dict[str, str]


async def attempts_for(realm: str, world: World) -> list[Attempt]:
    """No credentials, an unknown token, and every credential of another kind."""
    tokens = {
        "worker": await world.worker("wangfang"),
        "staff": await world.staff("auth-admin", "admin"),
        "resident": await world.resident("o-auth-1"),
    }
    found = [
        Attempt("no credentials", {}),
        Attempt("an unknown bearer token", world.bearer("not-a-token-of-ours")),
        Attempt("an unknown session cookie", {"Cookie": "jiesu_session=not-a-session"}),
    ]
    found += [
        Attempt(f"a {kind} token", headers)
        for kind, headers in tokens.items()
        if kind != realm and realm != "media"  # every kind is a credential for photos
    ]
    return found


def refusal_problem(realm: str, status: int, text: str, number: str) -> str | None:
    """What is wrong with a refusal of missing or wrong credentials, or None."""
    expected = 403 if realm == "open311" else 401
    if status != expected:
        return f"status {status}, not {expected}"
    if number in text:
        return "the body names the case"
    if realm == "open311" and text.startswith("<?xml"):  # <errors><error><code/><description/>
        root = ElementTree.fromstring(text)
        ok = root.tag == "errors" and all(
            e.tag == "error" and {c.tag for c in e} <= {"code", "description"} for e in root
        )
        return None if ok else f"not a GeoReport error: {text[:160]}"
    try:
        body = json.loads(text)
    except ValueError:
        return f"not JSON: {text[:80]!r}"
    if realm == "open311":  # GeoReport's errors: [{"code": 401, "description": "..."}]
        ok = isinstance(body, list) and all(set(e) <= {"code", "description"} for e in body)
        return None if ok else f"not a GeoReport error: {text[:120]}"
    error = body.get("error") if isinstance(body, dict) else None
    if set(body) != {"error"} or not isinstance(error, dict):
        return f"not our JSON error: {text[:120]}"
    if set(error) != {"code", "message"} or error["code"] != "unauthorized":
        return f"an error that says more than unauthorized: {text[:160]}"
    return None


async def test_every_route_refuses_missing_and_wrong_credentials(
    make_client: ClientFactory,
) -> None:
    world = await make_world(make_client)
    number = world.cases["yx"].number
    events, audits = await CaseEvent.all().count(), await AuditEvent.all().count()
    declared = {(o.method, o.path): set(o.auth) for o in all_operations()}
    problems: list[str] = []
    walked = 0
    for method, path in sorted(served_routes(world.client.app)):
        if public_because(method, path) or (method, path) in NOT_AN_API:
            continue
        realm = realm_of(path)
        if realm is None:
            problems.append(f"{method} {path}: neither public nor in a realm (REALMS)")
            continue
        schemes = declared.get((method, path))
        if schemes is not None and schemes != SCHEMES[realm]:
            problems.append(f"{method} {path}: documented as {sorted(schemes)}, realm {realm}")
        url = concrete(path, number)
        for attempt in await attempts_for(realm, world):
            # What the route reads, so that credentials are the only thing missing.
            body = None if method == "GET" else b"" if realm == "open311" else b"{}"
            headers = dict(attempt.headers)
            if body is not None:
                headers["Content-Type"] = (
                    "application/x-www-form-urlencoded"
                    if realm == "open311"
                    else "application/json"
                )
            response = await world.client.request(method, url, data=body, headers=headers)
            text = await response.text()
            problem = refusal_problem(realm, response.status, text, number)
            if problem:
                problems.append(f"{method} {path} with {attempt.kind}: {problem}")
        walked += 1
    assert not problems, "\n".join(problems)
    assert walked >= 30, f"only {walked} routes walked"
    assert await CaseEvent.all().count() == events, "a refused request changed a case"
    assert await AuditEvent.all().count() == audits, "a refused request was audited as done"


async def test_dashboard_pages_send_strangers_to_the_sign_in_page(
    make_client: ClientFactory,
) -> None:
    world = await make_world(make_client)
    number = world.cases["yx"].number
    strangers = [
        Attempt("no credentials", {}),
        Attempt("a worker token", await world.worker("wangfang")),
        Attempt("a resident token", await world.resident("o-auth-1")),
    ]
    problems = []
    for method, path in sorted(NOT_AN_API):
        if public_because(method, path):
            continue
        for attempt in strangers:
            response = await world.client.request(
                method, concrete(path, number), headers=attempt.headers, allow_redirects=False
            )
            location = response.headers.get("Location", "")
            if response.status != 303 or not location.startswith("/dashboard/login"):
                problems.append(
                    f"{method} {path} with {attempt.kind}: {response.status} {location}"
                )
    assert not problems, "\n".join(problems)


# (b) tenant boundaries


async def same_refusal(
    client: TestClient, method: str, paths: tuple[str, str], headers: dict[str, str], body: Any
) -> tuple[int, bytes]:
    """The answers for a hidden resource and a made-up one: they must be the same bytes."""
    answers = []
    for path in paths:
        response = await client.request(method, path, json=body, headers=headers)
        answers.append((response.status, await response.read()))
    assert answers[0] == answers[1], f"{method} {paths}: {answers}"
    return answers[0]


WORKER_ACTIONS: tuple[tuple[str, str, Any], ...] = (
    ("GET", "", None),
    ("POST", "/sign", {}),
    ("POST", "/contact", {"method": "phone", "note": "已电话联系"}),
    ("POST", "/progress", {"text": "正在协调物业"}),
    ("POST", "/finish", {"result": "已清理完毕"}),
    ("POST", "/return", {"reason": "不属本网格"}),
    ("POST", "/extension", {"hours": 24, "reason": "等待物业配合"}),
)


async def test_a_worker_cannot_tell_another_grids_case_from_no_case(
    make_client: ClientFactory,
) -> None:
    world = await make_world(make_client)
    client = world.client
    mine, other = world.cases["wjc"].number, world.cases["yx"].number
    wangfang = await world.worker("wangfang")
    # She sees her grid's case: the refusals below are not for everything.
    response = await client.get(f"/api/worker/cases/{mine}", headers=wangfang)
    assert response.status == 200, await response.text()
    before = await CaseEvent.filter(case_id=world.cases["yx"].id).count()
    for method, action, body in WORKER_ACTIONS:
        paths = (f"/api/worker/cases/{other}{action}", f"/api/worker/cases/{NO_SUCH_CASE}{action}")
        status, text = await same_refusal(client, method, paths, wangfang, body)
        assert status == 403 and json.loads(text)["error"]["code"] == "forbidden", text
        assert other.encode() not in text
    assert await CaseEvent.filter(case_id=world.cases["yx"].id).count() == before
    # Nor another grid's case in her task list.
    response = await client.get("/api/worker/tasks", params={"status": "all"}, headers=wangfang)
    listed = {task["number"] for task in (await response.json())["tasks"]}
    assert mine in listed and other not in listed


async def test_a_unit_cannot_decide_its_own_extension(
    make_client: ClientFactory,
) -> None:
    """Extensions are the centre's to decide: a unit's supervisor gets the same 403 for its own
    unit's request, another unit's and one that does not exist; a dispatcher decides."""
    world = await make_world(make_client)
    client = world.client
    asked: dict[str, int] = {}
    for key, userid in (("wjc", "wangfang"), ("yx", "zhangmin")):
        number, headers = world.cases[key].number, await world.worker(userid)
        signed = await client.post(f"/api/worker/cases/{number}/sign", headers=headers)
        assert signed.status == 200, await signed.text()
        response = await client.post(
            f"/api/worker/cases/{number}/extension",
            json={"hours": 24, "reason": "等待物业配合"},
            headers=headers,
        )
        assert response.status == 201, await response.text()
        asked[key] = (await response.json())["extension"]["id"]
    zhoutao = await world.worker("zhoutao")  # supervisor of ST-WJC
    paths = (
        f"/api/worker/extensions/{asked['wjc']}/decide",
        f"/api/worker/extensions/{asked['yx']}/decide",
        "/api/worker/extensions/999999/decide",
    )
    for path in paths[1:]:
        status, text = await same_refusal(
            client, "POST", (paths[0], path), zhoutao, {"approve": True}
        )
        assert status == 403, text
    listed = await client.get("/api/worker/extensions", headers=zhoutao)
    assert [x["id"] for x in (await listed.json())["extensions"]] == [asked["wjc"]]
    zhuting = await world.worker("zhuting")  # the centre's dispatcher
    decided = await client.post(paths[0], json={"approve": True}, headers=zhuting)
    assert decided.status == 200, await decided.text()


async def test_a_unit_account_cannot_tell_another_units_case_from_no_case(
    make_client: ClientFactory,
) -> None:
    world = await make_world(make_client)
    client = world.client
    mine, other = world.cases["wjc"].number, world.cases["yx"].number
    unit = await world.staff("wjc-unit", "unit", "ST-WJC")
    supervisor = await world.staff("wjc-supervisor", "supervisor", "ST-WJC")
    response = await client.get(f"/api/admin/cases/{mine}", headers=unit)
    assert response.status == 200, await response.text()
    listed = await (await client.get("/api/admin/cases", headers=unit)).json()
    assert [c["number"] for c in listed["cases"]] == [mine] and listed["total"] == 1
    paths = (f"/api/admin/cases/{other}", f"/api/admin/cases/{NO_SUCH_CASE}")
    status, text = await same_refusal(client, "GET", paths, unit, None)
    assert status == 404 and json.loads(text)["error"]["code"] == "not_found", text
    # A supervisor of the unit may act on its cases, and on no other: the same 404 again.
    for action, body in (
        ("supervise", {"reason": "督办"}),
        ("invalidate", {"reason": "duplicate"}),
        ("knowledge", {}),  # 转为知识条目: its own unit's 咨询 cases only
    ):
        paths = (f"/api/admin/cases/{other}/{action}", f"/api/admin/cases/{NO_SUCH_CASE}/{action}")
        status, text = await same_refusal(client, "POST", paths, supervisor, body)
        assert status == 404, text
    supervised = await client.post(
        f"/api/admin/cases/{mine}/supervise", json={"reason": "督办"}, headers=supervisor
    )
    assert supervised.status == 200, await supervised.text()
    assert not (await Case.get(number=other)).supervised
    # Requests are the centre's to decide: not even its own unit's, for any case at all.
    for action in ("extensions/1/decide", "returns/1/decide"):
        for number in (mine, other, NO_SUCH_CASE):
            refused = await client.post(
                f"/api/admin/cases/{number}/{action}", json={"approve": True}, headers=supervisor
            )
            assert refused.status == 403, await refused.text()
    # Figures: its own unit only.
    response = await client.get("/api/admin/figures", params={"unit": "ST-YX"}, headers=unit)
    assert response.status == 403
    response = await client.get("/api/admin/figures", headers=unit)
    assert response.status == 200 and (await response.json())["scope"] == "unit"


async def test_a_resident_cannot_tell_another_residents_case_from_no_case(
    make_client: ClientFactory,
) -> None:
    """GET /api/resident/cases/{number}: 404 not_found for someone else's case, as for none."""
    world = await make_world(make_client)
    client = world.client
    mine, theirs = world.cases["wjc"].number, world.cases["yx"].number
    first = await world.resident("o-auth-1")  # wrote the WJC case
    response = await client.get(f"/api/resident/cases/{mine}", headers=first)
    assert response.status == 200, f"{response.status} {await response.text()}"
    paths = (f"/api/resident/cases/{theirs}", f"/api/resident/cases/{NO_SUCH_CASE}")
    status, text = await same_refusal(client, "GET", paths, first, None)
    assert status == 404 and json.loads(text)["error"]["code"] == "not_found", text
    assert theirs.encode() not in text


async def test_a_resident_cannot_tell_another_residents_suggestion_from_none(
    make_client: ClientFactory,
) -> None:
    """GET /api/resident/suggestions/{number}: 404 for someone else's suggestion, as for none."""
    world = await make_world(make_client)
    client = world.client
    reply = await Resident(client, "o-auth-3").say(
        "建议在控江路增设一个公交站，附近居民出行太不方便了"
    )
    found = re.search(r"JY\d{10,}", reply)
    assert found, reply
    number = found.group(0)
    owner = await world.resident("o-auth-3")
    response = await client.get(f"/api/resident/suggestions/{number}", headers=owner)
    assert response.status == 200, await response.text()
    other = await world.resident("o-auth-1")
    paths = (f"/api/resident/suggestions/{number}", "/api/resident/suggestions/JY2699999999")
    status, text = await same_refusal(client, "GET", paths, other, None)
    assert status == 404 and json.loads(text)["error"]["code"] == "not_found", text
    assert number.encode() not in text
