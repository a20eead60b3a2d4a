"""The 人民建议征集 staff API: the office's queue and steps, a department's answer, conversion
both ways, the city export; and the hostile side: wrong roles, another unit, twice, at once,
oversized and unknown input - refused, nothing changed."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.clock import local
from handlers.staff.accounts import issue_api_token
from models import (
    AuditEvent,
    Case,
    CaseStatus,
    StaffUser,
    Suggestion,
    SuggestionAdoption,
    SuggestionEvent,
    SuggestionStatus,
    Unit,
)
from tests.bot.conftest import ClientFactory, Resident

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
BUS_STOP = "建议在控江路增设一个公交站，附近居民出行太不方便了"
PREFIX = "/api/admin/suggestions"


async def bearer(name: str, role: str, unit: str | None = None) -> dict[str, str]:
    unit_id = (await Unit.get(code=unit)).id if unit else None
    user = await StaffUser.create(username=name, role=role, unit_id=unit_id, created_at=START)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, headers=headers, json=body)
    return response.status, await response.json()


async def suggested(client: TestClient, openid: str, text: str = BUS_STOP) -> str:
    reply = await Resident(client, openid).say(text)
    found = re.search(r"JY\d+", reply)
    assert found, reply
    return found.group(0)


async def changes() -> tuple[int, int, int]:
    return (
        await SuggestionEvent.all().count(),
        await SuggestionAdoption.all().count(),
        await AuditEvent.all().count(),
    )


async def test_the_office_screens_and_a_department_answers(make_client: ClientFactory) -> None:
    client = await make_client()
    number = await suggested(client, "o-api-1")
    office = await bearer("jianyi", "suggestions")
    traffic = await bearer("jtw", "unit", "TRAFFIC")

    status, body = await call(client, "GET", f"{PREFIX}?status=screening", office)
    assert status == 200 and [s["number"] for s in body["suggestions"]] == [number]
    assert body["suggestions"][0]["status"] == "received" and not body["suggestions"][0]["overdue"]
    status, body = await call(client, "GET", f"{PREFIX}/{number}", office)
    assert status == 200 and body["suggestion"]["timeline"][0]["action"] == "receive"
    # A department sees nothing before adoption: the same 404 as no such number.
    status, body = await call(client, "GET", f"{PREFIX}/{number}", traffic)
    assert status == 404 and body == (await call(client, "GET", f"{PREFIX}/JY1", traffic))[1]
    status, body = await call(client, "GET", PREFIX, traffic)
    assert status == 200 and body["total"] == 0

    status, body = await call(
        client, "POST", f"{PREFIX}/{number}/adopt", office, {"units": ["TRAFFIC"], "note": "请研究"}
    )
    assert status == 200, body
    detail = body["suggestion"]
    assert detail["status"] == "adopted" and detail["adoptions"][0]["unit"]["code"] == "TRAFFIC"
    assert detail["adoptions"][0]["status"] == "pending" and detail["adoptions"][0]["due_at"]
    status, body = await call(client, "GET", f"{PREFIX}?status=answering", traffic)
    assert [s["number"] for s in body["suggestions"]] == [number]

    answer = {
        "kind": "project",
        "answer": "已纳入2026年公交站点优化项目",
        "date": "2026-06-01",
        "attachments": [{"url": "https://jtw.example.gov.cn/a", "title": "公示"}],
    }
    path = f"{PREFIX}/{number}/adoptions/TRAFFIC/answer"
    status, body = await call(client, "POST", path, traffic, answer)
    assert status == 200, body
    assert body["suggestion"]["status"] == "answered"
    assert body["suggestion"]["adoptions"][0]["answer_kind_label"] == "纳入项目"
    status, body = await call(client, "POST", path, traffic, answer)
    assert status == 409 and body["error"]["code"] == "unchanged"

    status, body = await call(
        client, "POST", f"{PREFIX}/{number}/instruction", office, {"text": "请抓紧落实"}
    )
    assert status == 200 and body["suggestion"]["instructed_at"]
    status, body = await call(
        client, "POST", f"{PREFIX}/{number}/implemented", office, {"result": "新站已启用"}
    )
    assert status == 200 and body["suggestion"]["status"] == "implemented"
    actions = [e["action"] for e in body["suggestion"]["timeline"]]
    assert actions == ["receive", "adopt", "answer", "answered", "instruct", "implement"]


async def test_wrong_roles_other_units_and_bad_input_change_nothing(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    number = await suggested(client, "o-api-2")
    office = await bearer("jianyi", "suggestions")
    dispatcher = await bearer("disp", "dispatcher")
    traffic = await bearer("jtw", "unit", "TRAFFIC")
    housing = await bearer("fgj", "unit", "HOUSING")
    worker_like = await bearer("w", "worker")
    before = await changes()
    refusals: list[tuple[dict[str, str], str, Any, int]] = [
        (dispatcher, "decline", {"reason": "不合适"}, 403),  # reads, converts, never screens
        (traffic, "adopt", {"units": ["TRAFFIC"]}, 403),
        (worker_like, "ask", {"question": "?"}, 403),
        (office, "decline", {"reason": "长" * 501}, 400),
        (office, "decline", {}, 400),
        (office, "decline", {"reason": "x", "extra": 1}, 400),
        (office, "adopt", {"units": ["TRAFFIC", "NO-SUCH"]}, 400),
        (office, "adopt", {"units": []}, 400),
        (office, "adopt", {"units": ["U"] * 11}, 400),
        (office, "merge", {"target": number}, 400),
        (office, "merge", {"target": "JY2699999999"}, 400),
        (office, "forward", {"reference": "号" * 65}, 400),
        (office, "implemented", {"result": "早了"}, 409),
        (office, "instruction", {"text": "早了"}, 409),
    ]
    for headers, action, payload, expected in refusals:
        status, body = await call(client, "POST", f"{PREFIX}/{number}/{action}", headers, payload)
        assert status == expected, (action, payload, body)
        assert set(body) == {"error"}
    status, _ = await call(
        client, "POST", f"{PREFIX}/JY2699999999/decline", office, {"reason": "x"}
    )
    assert status == 404
    assert await changes() == before
    assert (await Suggestion.get(number=number)).status == SuggestionStatus.RECEIVED

    # Adopted for the housing bureau: the traffic committee may neither see nor answer it.
    status, _ = await call(
        client, "POST", f"{PREFIX}/{number}/adopt", office, {"units": ["HOUSING"]}
    )
    assert status == 200
    answer = {"kind": "fix", "answer": "已整改"}
    status, _ = await call(
        client, "POST", f"{PREFIX}/{number}/adoptions/HOUSING/answer", traffic, answer
    )
    assert status == 404
    for unit, headers, expected in (("TRAFFIC", housing, 404), ("NOPE", housing, 404)):
        status, body = await call(
            client, "POST", f"{PREFIX}/{number}/adoptions/{unit}/answer", headers, answer
        )
        assert status == expected, body
    bad_answers = [
        {"kind": "maybe", "answer": "x"},
        {"kind": "fix", "answer": "长" * 2001},
        {"kind": "fix", "answer": "x", "date": "2026-13-01"},
        {"kind": "fix", "answer": "x", "attachments": [{"url": "javascript:alert(1)"}]},
        {"kind": "fix", "answer": "x", "attachments": [{"media_key": "a" * 40}]},
    ]
    for payload in bad_answers:
        status, body = await call(
            client, "POST", f"{PREFIX}/{number}/adoptions/HOUSING/answer", housing, payload
        )
        assert status == 400, (payload, body)
    assert await SuggestionAdoption.filter(status="answered").count() == 0


async def test_two_at_once_one_wins(make_client: ClientFactory) -> None:
    client = await make_client()
    number = await suggested(client, "o-api-3")
    first = await bearer("jianyi", "suggestions")
    second = await bearer("jianyi2", "suggestions")
    results = await asyncio.gather(
        call(client, "POST", f"{PREFIX}/{number}/decline", first, {"reason": "已有规划"}),
        call(client, "POST", f"{PREFIX}/{number}/adopt", second, {"units": ["TRAFFIC"]}),
        call(client, "POST", f"{PREFIX}/{number}/decline", second, {"reason": "重复"}),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409, 409], results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] in ("concurrent_change", "illegal_transition"), body
    suggestion = await Suggestion.get(number=number)
    steps = await SuggestionEvent.filter(suggestion_id=suggestion.id).count()
    assert steps == 2  # received, and the one decision


async def test_conversion_both_ways(make_client: ClientFactory) -> None:
    client = await make_client()
    number = await suggested(client, "o-api-4", "建议把国权路上坏了的路灯修一修，晚上太黑了")
    dispatcher = await bearer("disp", "dispatcher")
    unit = await bearer("wjc", "unit", "ST-WJC")
    status, _ = await call(client, "POST", f"{PREFIX}/{number}/convert", unit, {})
    assert status == 403
    status, body = await call(client, "POST", f"{PREFIX}/{number}/convert", dispatcher, {})
    assert status == 200, body
    case_number = body["case"]
    assert body["suggestion"]["status"] == "converted" and body["suggestion"]["case"] == case_number
    status, body = await call(client, "POST", f"{PREFIX}/{number}/convert", dispatcher, {})
    assert status == 409

    # And back: the case becomes a new suggestion, the case closed as 转为人民建议.
    office = await bearer("jianyi", "suggestions")
    path = f"/api/admin/cases/{case_number}/to-suggestion"
    status, body = await call(client, "POST", path, unit, {})
    assert status == 403
    status, body = await call(client, "POST", path, office, {"note": "属于建议"})
    assert status == 201, body
    assert body["suggestion"]["from_case"] == case_number
    case = await Case.get(number=case_number)
    assert case.status == CaseStatus.INVALID and case.invalid_reason == "to_suggestion"
    status, body = await call(client, "POST", path, office, {})
    assert status == 409
    status, body = await call(client, "POST", "/api/admin/cases/2699999999/to-suggestion", office)
    assert status == 404


async def test_the_city_export(make_client: ClientFactory) -> None:
    client = await make_client()
    number = await suggested(client, "o-api-5")
    office = await bearer("jianyi", "suggestions")
    status, body = await call(
        client, "POST", f"{PREFIX}/{number}/forward", office, {"reference": "=沪建〔2026〕1号"}
    )
    assert status == 200 and body["suggestion"]["status"] == "forwarded"
    status, body = await call(client, "POST", f"{PREFIX}/{number}/forward", office, {})
    assert status == 409
    now = local(datetime.now(UTC)).date().isoformat()
    status, body = await call(client, "GET", f"{PREFIX}/forwarded.json?from={now}&to={now}", office)
    assert status == 200 and body["count"] == 1
    (record,) = body["suggestions"]
    assert record["number"] == number and record["forward_reference"] == "=沪建〔2026〕1号"
    assert record["proposer"] == "匿名" and "控江路" in record["text"]
    response = await client.get(f"{PREFIX}/forwarded.csv?from={now}&to={now}", headers=office)
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0]["number"] == number and rows[0]["forward_reference"].startswith("'=")
    for query in (
        "from=2026-13-01",
        "from=2026-03-02&to=2026-03-01",
        "from=2020-01-01&to=2026-01-01",
    ):
        status, _ = await call(client, "GET", f"{PREFIX}/forwarded.json?{query}", office)
        assert status == 400, query
    unit = await bearer("jtw", "unit", "TRAFFIC")
    status, _ = await call(client, "GET", f"{PREFIX}/forwarded.json", unit)
    assert status == 403
    assert await AuditEvent.filter(action="suggestion.export").count() == 2
