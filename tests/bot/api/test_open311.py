"""Open311 GeoReport v2 through the app, as a client would use it: both formats, checked against
the published GeoReport v2 JSON schemas (``open311_schemas/``, sources named in each file) and,
for XML, the element structure the spec shows."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.api.open311 import OPERATIONS, TOKEN_HEADER
from bot.app import create_app
from bot.keys import INTAKE
from config.taxonomy import all_paths
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.open311.clients import create_client, revoke_client
from handlers.workflow.actions import add_progress, finish_case, record_contact, sign_case
from models import Case, CaseStatus, Open311Request, Resident, Unit, Worker
from models.people import ResidentApp
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
BASE = "/open311/v2"
SCHEMAS = Path(__file__).parent / "open311_schemas"
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
REQUEST_TAGS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}

# Schema checking: the published schemas name formats that jsonschema leaves unchecked without
# extra packages, so the two they use are checked here.
FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _is_w3c(value: object) -> bool:
    return not isinstance(value, str) or bool(W3C.match(value))


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT7))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def conforms(body: Any, schema_file: str) -> None:
    schema = json.loads((SCHEMAS / schema_file).read_text())
    Draft7Validator(schema, registry=REGISTRY, format_checker=FORMATS).validate(body)


def conforms_each(body: Any, schema_file: str) -> None:
    """An array of ``schema_file`` entries (the spec's answers are arrays)."""
    assert isinstance(body, list) and body
    for item in body:
        assert isinstance(item, dict)
        conforms(item, schema_file)


def xml_of(text: str, root: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(text.encode("utf-8"))
    assert element.tag == root
    return element


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    found = list(element)
    assert all(child.tag == tag for child in found), [c.tag for c in found]
    return found


@dataclass
class Client311:
    client: TestClient
    clock: ManualClock
    key: str

    async def get(self, path: str, **params: str) -> tuple[int, str, str]:
        response = await self.client.get(f"{BASE}/{path}", params=params)
        return response.status, response.headers["Content-Type"], await response.text()

    async def json(self, path: str, **params: str) -> tuple[int, Any]:
        status, content_type, text = await self.get(path, **params)
        assert content_type == "application/json; charset=utf-8"
        return status, json.loads(text)

    async def xml(self, path: str, root: str, **params: str) -> tuple[int, ET.Element]:
        status, content_type, text = await self.get(path, **params)
        assert content_type == "text/xml; charset=utf-8"
        return status, xml_of(text, root)

    async def post(
        self, fmt: str = "json", *, key: str | None = None, **fields: Any
    ) -> tuple[int, Any, dict[str, str]]:
        form: dict[str, Any] = {
            "api_key": self.key if key is None else key,
            "service_code": "cxjs-szss",
            "description": LAMP,
            "address_string": "政通路240号",
        }
        form.update(fields)
        data = [(name, value) for name, value in form.items() if value is not None]
        response = await self.client.post(f"{BASE}/requests.{fmt}", data=data)
        text = await response.text()
        body = json.loads(text) if fmt == "json" else xml_of(text, _root(response.status))
        return response.status, body, dict(response.headers)

    async def filed(self, **fields: Any) -> Case:
        status, body, _ = await self.post(**fields)
        assert status == 200, body
        return await Case.get(number=body[0]["service_request_id"])


def _root(status: int) -> str:
    return "service_requests" if status == 200 else "errors"


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any) -> Client311:
    return await make_api(db_url, aiohttp_client)


async def make_api(db_url: str, aiohttp_client: Any, **settings: Any) -> Client311:
    clock = ManualClock(NOW)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url, **settings), clock))
    await load_demo_district()
    _, key = await create_client("test-app", NOW)
    return Client311(client, clock, key)


def error_of(body: Any, status: int) -> str:
    conforms(body, "errors.json")
    assert body[0]["code"] == status
    return " ".join(item["description"] for item in body)


# Discovery and services


async def test_discovery_in_both_formats(api: Client311) -> None:
    status, body = await api.json("discovery.json")
    assert status == 200
    conforms(body, "discovery.json")
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    status, root = await api.xml("discovery.xml", "discovery")
    assert status == 200 and [c.tag for c in root] == list(body)
    endpoints = root.find("endpoints")
    assert endpoints is not None
    (element,) = children(endpoints, "endpoint")
    formats = element.find("formats")
    assert formats is not None
    assert [f.text for f in children(formats, "format")] == endpoint["formats"]


async def test_services_are_the_taxonomy_in_both_formats(api: Client311) -> None:
    status, body = await api.json("services.json")
    assert status == 200
    conforms(body, "services.json")
    assert len(body) == len(all_paths()) + 1  # and the suggestion service (人民建议)
    assert len({s["service_code"] for s in body}) == len(body)
    status, root = await api.xml("services.xml", "services")
    services = children(root, "service")
    assert status == 200 and len(services) == len(body)
    first = {child.tag: child.text for child in services[0]}
    assert first["service_code"] == body[0]["service_code"] and first["metadata"] == "false"
    assert first["type"] == "realtime" and first["group"] == "城乡建设"


async def test_a_service_definition_and_an_unknown_service(api: Client311) -> None:
    status, body = await api.json("services/cxjs-wygl.json")
    assert status == 200 and body == {"service_code": "cxjs-wygl", "attributes": []}
    conforms(body, "service-definition.json")
    status, root = await api.xml("services/cxjs-wygl.xml", "service_definition")
    assert status == 200 and [c.tag for c in root] == ["service_code", "attributes"]
    status, body = await api.json("services/nope.json")
    assert status == 404 and "nope" in error_of(body, 404)
    status, root = await api.xml("services/nope.xml", "errors")
    (error,) = children(root, "error")
    assert status == 404 and [c.tag for c in error] == ["code", "description"]
    assert error.findtext("code") == "404"


# Filing a request


async def test_a_posted_request_becomes_a_routed_case_and_reads_back(api: Client311) -> None:
    status, body, headers = await api.post(
        service_code="cxjs-wygl",  # the words say 路灯 (市政设施): the resident's choice wins
        lat="31.3001",
        long="121.5052",
        email="zhang@example.org",
        first_name="三",
        last_name="张",
        phone="13800138000",
        device_id="device-1",
        account_id="acc-42",
        media_url="https://img.example.org/lamp.jpg",
    )
    assert status == 200, body
    conforms_each(body, "request-response.json")
    (filed,) = body
    assert set(filed) == {"service_request_id", "service_notice", "account_id"}
    assert filed["account_id"] == "acc-42" and "前办结" in filed["service_notice"]

    case = await Case.get(number=filed["service_request_id"])
    assert case.category == "城乡建设/物业管理" and case.channel == "open311"
    assert case.status == CaseStatus.DISPATCHED and case.contact_phone == "13800138000"
    assert case.text == LAMP and case.lat == 31.3001 and case.lng == 121.5052
    assert case.attachments == [{"type": "image", "url": "https://img.example.org/lamp.jpg"}]
    unit = await Unit.get(id=case.unit_id)
    assert unit.name in filed["service_notice"]
    resident = await Resident.get(id=case.resident_id)
    assert resident.app == ResidentApp.OPEN311 and resident.phone == "13800138000"
    row = await Open311Request.get(case_id=case.id)
    assert row.account_id == "acc-42" and row.device_id == "device-1"
    assert headers[TOKEN_HEADER] == row.token

    status, found = await api.json(f"requests/{case.number}.json")
    assert status == 200
    conforms(found, "requests.json")
    (view,) = found
    assert view["service_request_id"] == case.number and view["status"] == "open"
    assert view["service_code"] == "cxjs-wygl" and view["service_name"] == "物业管理"
    assert view["agency_responsible"] == unit.name and view["description"] == LAMP
    assert view["requested_datetime"] == "2026-03-10T10:00:00+08:00"
    assert view["expected_datetime"] is not None and view["expected_datetime"].endswith("+08:00")
    assert view["lat"] == 31.3001 and view["long"] == 121.5052 and view["address_id"] == "WJC-01"
    assert view["media_url"] == "https://img.example.org/lamp.jpg"
    status, root = await api.xml(f"requests/{case.number}.xml", "service_requests")
    (element,) = children(root, "request")
    assert status == 200 and {c.tag for c in element} == REQUEST_TAGS
    assert element.findtext("service_request_id") == case.number
    zipcode = element.find("zipcode")
    assert zipcode is not None and zipcode.text is None  # <zipcode/>: we have none

    for fmt in ("json", "xml"):
        response = await api.client.get(f"{BASE}/tokens/{row.token}.{fmt}")
        text = await response.text()
        assert response.status == 200
        if fmt == "json":
            conforms_each(json.loads(text), "token-response.json")
            assert json.loads(text) == [{"service_request_id": case.number, "token": row.token}]
        else:
            (entry,) = children(xml_of(text, "service_requests"), "request")
            assert entry.findtext("service_request_id") == case.number
            assert entry.findtext("token") == row.token


async def test_a_post_answers_in_xml_too(api: Client311) -> None:
    status, root, headers = await api.post("xml")
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=utf-8"
    (entry,) = children(root, "request")
    assert [c.tag for c in entry] == ["service_request_id", "service_notice"]
    assert await Case.exists(number=entry.findtext("service_request_id"))


async def test_a_place_in_words_only_is_routed_like_the_chat_would(api: Client311) -> None:
    case = await api.filed(description="路灯坏了，晚上一片漆黑", address_string="政通路240号")
    assert case.status == CaseStatus.DISPATCHED and case.category == "城乡建设/市政设施"
    by_grid = await api.filed(description="楼道灯坏了", address_string=None, address_id="YX-01")
    assert by_grid.status == CaseStatus.DISPATCHED


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_keys_are_required_and_checked(api: Client311, fmt: str) -> None:
    for key, words in (("", "api_key is required"), ("o311_wrong", "invalid api_key")):
        status, body, _ = await api.post(fmt, key=key)
        assert status == 403
        text = error_of(body, 403) if fmt == "json" else body.findtext("error/description")
        assert text is not None and words in text
    await revoke_client("test-app")
    status, _, _ = await api.post(fmt)
    assert status == 403
    assert await Case.all().count() == 0


async def test_the_key_may_come_in_the_query(api: Client311) -> None:
    response = await api.client.post(
        f"{BASE}/requests.json",
        params={"api_key": api.key},
        data={"service_code": "cxjs-szss", "description": LAMP, "address_string": "政通路"},
    )
    assert response.status == 200


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"service_code": "no-such"}, 404, "service_code 'no-such' not found"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"address_string": None}, 400, "a location is required"),
        ({"address_string": None, "lat": "31.3"}, 400, "lat and long go together"),
        ({"description": None}, 400, "description is required"),
        ({"description": "灯" * 4001}, 400, "longer than 4000"),
        ({"media_url": "javascript:alert(1)"}, 400, "http:// or https://"),
        ({"media_url": "file:///etc/passwd"}, 400, "http:// or https://"),
        ({"attribute[WHISPAWN]": "1"}, 400, "takes no attributes"),
        ({"lat": "1e999", "long": "121.5"}, 400, "lat must be a number"),
        ({"media_url": "http://[::1/a.jpg"}, 400, "http:// or https://"),
        ({"address_string": None, "address_id": "NOWHERE"}, 400, "grid codes"),
    ],
)
async def test_bad_requests_say_what_is_wrong(
    api: Client311, fields: dict[str, Any], status: int, words: str
) -> None:
    got, body, _ = await api.post(**fields)
    assert got == status and words in error_of(body, status)
    got, root, _ = await api.post("xml", **fields)
    assert got == status and words in " ".join(e.findtext("description") or "" for e in root)
    assert await Case.all().count() == 0


async def test_hostile_bodies_are_a_400_not_a_500(api: Client311) -> None:
    url = f"{BASE}/requests.json"
    cases: list[tuple[bytes, dict[str, str]]] = [
        (b'{"service_code": "cxjs-szss"}', {"Content-Type": "application/json"}),
        (b"api_key=" + api.key.encode() + b"&description=%FF%FE", {}),
        (b"description=" + b"a" * 70_000, {}),
        (
            b"--x\r\nContent-Disposition: form-data; name=f; filename=a.txt\r\n\r\nhi\r\n--x--\r\n",
            {"Content-Type": "multipart/form-data; boundary=x"},
        ),
    ]
    for raw, headers in cases:
        sent = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        response = await api.client.post(url, data=raw, headers=sent)
        body = json.loads(await response.text())
        assert response.status in (400, 403), (raw[:40], response.status)
        conforms(body, "errors.json")
    # Invalid UTF-8 decodes to replacement characters; a NUL never reaches the database.
    status, body, _ = await api.post(description="路灯\x00坏了")
    assert status == 400 and "control characters" in error_of(body, 400)


async def test_a_foreign_jurisdiction_is_a_404(db_url: str, aiohttp_client: Any) -> None:
    api = await make_api(db_url, aiohttp_client, open311_jurisdiction="yangpu.gov.cn")
    status, body = await api.json("services.json", jurisdiction_id="elsewhere.gov")
    assert status == 404 and "jurisdiction_id" in error_of(body, 404)
    status, body = await api.json("services.json", jurisdiction_id="yangpu.gov.cn")
    assert status == 200
    status, body = await api.json("services.json")  # optional: we serve one jurisdiction
    assert status == 200
    status, body, _ = await api.post(jurisdiction_id="elsewhere.gov")
    assert status == 404
    status, root = await api.xml("requests.xml", "errors", jurisdiction_id="elsewhere.gov")
    assert status == 404 and root.findtext("error/code") == "404"
    status, body, _ = await api.post(jurisdiction_id="yangpu.gov.cn")
    assert status == 200


# Querying requests


async def three_cases(api: Client311) -> tuple[Case, Case, Case]:
    lamp = await api.filed()
    api.clock.advance(timedelta(hours=1))
    noise = await api.filed(
        service_code="hjbh-zswr", description="开鲁新村门口的菜市场晚上噪音很大，吵得睡不着"
    )
    api.clock.advance(timedelta(hours=1))
    rubbish = await api.filed(
        service_code="cxjs-hjws", description="长白二村垃圾箱房没人清运，臭气熏天"
    )
    return lamp, noise, rubbish


async def finish(api: Client311, case: Case, result: str) -> None:
    ctx = await api.client.app[INTAKE].context()
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, ctx)
    await record_contact(case, worker, "phone", "已电话联系居民 13912345678", ctx)
    await add_progress(case, worker, "已安排维修，联系电话13912345678", [], ctx)
    await finish_case(case, worker, result, [], ctx)


async def numbers(api: Client311, **params: str) -> list[str]:
    status, body = await api.json("requests.json", **params)
    assert status == 200, body
    if body:
        conforms(body, "requests.json")
    return [item["service_request_id"] for item in body]


async def test_get_requests_filters_by_status_code_date_and_number(api: Client311) -> None:
    lamp, noise, rubbish = await three_cases(api)
    await finish(api, lamp, "路灯已修复，请致电 13912345678 反馈")
    assert await numbers(api) == [rubbish.number, noise.number, lamp.number]
    assert await numbers(api, status="closed") == [lamp.number]
    assert await numbers(api, status="open") == [rubbish.number, noise.number]
    assert await numbers(api, status="open,closed") == [rubbish.number, noise.number, lamp.number]
    assert await numbers(api, service_code="hjbh-zswr,cxjs-hjws") == [rubbish.number, noise.number]
    assert await numbers(api, start_date="2026-03-10T10:30:00+08:00") == [
        rubbish.number,
        noise.number,
    ]
    assert await numbers(api, end_date="2026-03-10T03:30:00Z") == [noise.number, lamp.number]
    ids = f"{lamp.number},{rubbish.number},2601019999"
    # service_request_id overrides every other argument.
    assert await numbers(api, service_request_id=ids, status="open") == [
        rubbish.number,
        lamp.number,
    ]

    status, body = await api.json(f"requests/{lamp.number}.json")
    (closed,) = body
    assert closed["status"] == "closed" and "139****5678" in closed["status_notes"]
    assert closed["updated_datetime"] is not None and closed["service_notice"] is None
    status, body = await api.json(f"requests/{noise.number}.json")
    assert body[0]["status_notes"] == "已派单"

    status, root = await api.xml("requests.xml", "service_requests", status="closed")
    (element,) = children(root, "request")
    assert status == 200
    assert element.findtext("service_request_id") == lamp.number
    assert element.findtext("status") == "closed"


async def test_the_default_is_the_latest_90_days(api: Client311) -> None:
    old = await api.filed()
    api.clock.advance(timedelta(days=91))
    new = await api.filed(description="国权路小区门口垃圾没人清运", service_code="cxjs-hjws")
    assert await numbers(api) == [new.number]
    assert await numbers(api, start_date="2026-03-01T00:00:00+08:00") == [old.number]
    assert await numbers(api, service_request_id=old.number) == [old.number]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "last week"},
        {"start_date": "2026-03-01T00:00:00"},
        {"end_date": "2026-02-30T00:00:00Z"},
        {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
        {"status": "pending"},
        {"service_code": "nope"},
    ],
)
async def test_bad_query_parameters_are_a_400_in_both_formats(
    api: Client311, params: dict[str, str]
) -> None:
    status, body = await api.json("requests.json", **params)
    assert status == 400 and error_of(body, 400)
    status, root = await api.xml("requests.xml", "errors", **params)
    assert status == 400 and root.findtext("error/code") == "400"


async def test_unknown_requests_and_tokens_are_a_404(api: Client311) -> None:
    for path, root in (("requests/2601019999", "errors"), ("tokens/nope", "errors")):
        status, body = await api.json(f"{path}.json")
        assert status == 404 and error_of(body, 404)
        status, element = await api.xml(f"{path}.xml", root)
        assert status == 404 and element.findtext("error/code") == "404"
    # Nothing that cannot be a number or a token reaches the database (no NUL for PostgreSQL).
    for path in ("requests/" + "9" * 200, "requests/26%00", "tokens/a%00b", "tokens/" + "t" * 65):
        status, body = await api.json(f"{path}.json")
        assert status == 404, path
    weird = "6\U00050000" * 20 + ",\x00," + "9" * 17
    assert await numbers(api, service_request_id=weird) == []


async def test_no_personal_data_in_any_get(api: Client311) -> None:
    secrets = ("13912345678", "13800138000", "zhang@example.org", "张三丰", "acc-42", "device-1")
    case = await api.filed(
        description="政通路240号门口路灯坏了，请打 13912345678 找我",
        phone="13800138000",
        email="zhang@example.org",
        first_name="三丰",
        last_name="张",
        account_id="acc-42",
        device_id="device-1",
    )
    await finish(api, case, "已修复，已电话告知居民 13912345678")
    token = (await Open311Request.get(case_id=case.id)).token
    for path in ("requests", f"requests/{case.number}", f"tokens/{token}"):
        for fmt in ("json", "xml"):
            status, _, text = await api.get(f"{path}.{fmt}")
            assert status == 200
            for secret in secrets:
                assert secret not in text, (path, fmt, secret)
    # Nor for a resident who wrote in the chat: their words and their photo stay inside.
    chat = await Case.create(
        number="2603100099",
        channel="mp",
        category="城乡建设/市政设施",
        text="我是李四，电话13700001111，路灯坏了",
        attachments=[{"type": "image", "url": "https://mmbiz.example/photo.jpg"}],
        contact_phone="13700001111",
        created_at=api.clock.now(),
    )
    status, body = await api.json(f"requests/{chat.number}.json")
    shown = json.dumps(body, ensure_ascii=False)
    assert "13700001111" not in shown and "李四" not in shown
    assert body[0]["description"] is None and body[0]["media_url"] is None


async def test_xml_stays_well_formed_whatever_the_words(api: Client311) -> None:
    filed = await api.filed(description="政通路240号路灯坏了 <b>&amp;</b> ]]> \ufffe")
    # Stored words may hold what XML cannot carry at all (a bell, an escape).
    stored = await Case.create(
        number="2603100098",
        channel="open311",
        category="城乡建设/市政设施",
        text="路灯\x07坏了\x1b",
        created_at=NOW,
    )
    for case in (filed, stored):
        status, _, text = await api.get(f"requests/{case.number}.xml")
        assert status == 200
        description = xml_of(text, "service_requests").findtext("request/description") or ""
        assert "\x07" not in description and "\ufffe" not in description and "路灯" in description
    status, _, text = await api.get(f"requests/{filed.number}.xml")
    shown = xml_of(text, "service_requests").findtext("request/description") or ""
    assert "<b>&amp;</b> ]]>" in shown  # escaped on the way out, read back as it was sent


async def test_every_route_is_documented_once_per_format(api: Client311) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in api.client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(BASE)
        and route.method != "HEAD"
    }
    documented = {(op.method, op.path) for op in OPERATIONS}
    assert served == documented and len(documented) == 14
    for op in OPERATIONS:
        for response in op.responses.values():
            expected = "text/xml" if op.path.endswith(".xml") else "application/json"
            assert response.content_type == expected
    post = [op for op in OPERATIONS if op.method == "POST"]
    assert all(op.auth == ("open311Key",) for op in post)
    assert all(not op.auth for op in OPERATIONS if op.method == "GET")


# Limits and blocked reporters, as for every resident


async def test_a_reporter_over_the_hourly_limit_gets_a_429(
    db_url: str, aiohttp_client: Any
) -> None:
    api = await make_api(db_url, aiohttp_client, resident_cases_per_hour=2)
    for n in range(2):
        await api.filed(email="busy@example.org", description=f"{LAMP}，第{n + 1}次")
    status, body, _ = await api.post(email="busy@example.org", description="又一盏路灯坏了")
    assert status == 429
    assert "try again after" in error_of(body, 429)
    assert await Case.all().count() == 2
    # Another reporter through the same client is not held back.
    await api.filed(email="other@example.org")


async def test_a_blocked_reporter_is_kept_for_a_dispatcher_and_answered_a_token(
    api: Client311,
) -> None:
    from handlers.intake.held_messages import release
    from handlers.staff.audit import StaffActor
    from models import HeldMessage, HeldStatus

    first = await api.filed(email="loud@example.org")
    await Resident.filter(id=first.resident_id).update(blocked=True, blocked_reason="滥用")
    status, body, headers = await api.post(email="loud@example.org", description="又是路灯的事")
    assert status == 200, body
    conforms_each(body, "request-response.json")
    assert "service_request_id" not in body[0]
    token = body[0]["token"]
    assert headers[TOKEN_HEADER] == token
    assert await Case.all().count() == 1  # not routed
    held = await HeldMessage.get()
    assert held.channel == "open311" and held.status == HeldStatus.HELD
    status, answer = await api.json(f"tokens/{token}.json")
    assert status == 200 and answer == [{"token": token}]

    ctx = await api.client.app[INTAKE].context()
    dispatcher = StaffActor(user_id=None, username="d1", role="dispatcher", via="api")
    released = await release(held, dispatcher, ctx)
    assert released.case is not None
    assert released.case.channel == "open311" and released.case.text == "又是路灯的事"
    status, answer = await api.json(f"tokens/{token}.json")
    assert answer == [{"service_request_id": released.case.number, "token": token}]
