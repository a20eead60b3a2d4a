"""Open311's suggestion service (``service_code=suggestion``): listed among the services, its
requests filed as suggestions for the office (not cases), read back with their status mapped
to GeoReport's open and closed, in both formats and against the published schemas."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from config import open311 as spec
from config.taxonomy import all_paths
from models import Case, Open311Request, Resident, ResidentApp, Suggestion, SuggestionStatus
from tests.bot.api.test_open311 import (  # noqa: F401 (fixtures)
    BASE,
    Client311,
    api,
    children,
    conforms,
    conforms_each,
    make_api,
    xml_of,
)

IDEA = "建议在控江路增设一个公交站，附近居民出行太不方便了"


async def test_the_suggestion_service_is_listed_and_defined(api: Client311) -> None:  # noqa: F811
    status, body = await api.json("services.json")
    assert status == 200 and len(body) == len(all_paths()) + 1
    conforms(body, "services.json")
    service = next(s for s in body if s["service_code"] == spec.SUGGESTION_SERVICE_CODE)
    assert service["service_name"] == "人民建议" and service["group"] == "人民建议征集"
    status, definition = await api.json("services/suggestion.json")
    assert status == 200 and definition == {"service_code": "suggestion", "attributes": []}
    status, root = await api.xml("services.xml", "services")
    codes = [s.findtext("service_code") for s in children(root, "service")]
    assert "suggestion" in codes


async def test_a_suggestion_request_is_a_suggestion_and_reads_back(api: Client311) -> None:  # noqa: F811
    status, body, headers = await api.post(
        service_code="suggestion",
        description=IDEA,
        address_string="控江路",
        email="li@example.org",
        phone="13800138000",
        media_url="https://img.example.org/stop.jpg",
    )
    assert status == 200, body
    conforms_each(body, "request-response.json")
    (filed,) = body
    number = filed["service_request_id"]
    assert number.startswith("JY") and "人民建议征集办公室" in filed["service_notice"]
    assert await Case.all().count() == 0
    suggestion = await Suggestion.get(number=number)
    assert suggestion.channel == "open311" and suggestion.text == IDEA
    assert suggestion.contact_phone == "13800138000"
    resident = await Resident.get(id=suggestion.resident_id)
    assert resident.app == ResidentApp.OPEN311
    token = headers["X-Open311-Token"]
    row = await Open311Request.get(token=token)
    assert row.case_id is None and row.service_code == "suggestion"

    status, found = await api.json(f"requests/{number}.json")
    assert status == 200
    conforms(found, "requests.json")
    (view,) = found
    assert view["status"] == "open" and view["service_code"] == "suggestion"
    assert view["status_notes"] == "已收到" and view["description"] == IDEA
    assert view["agency_responsible"] == spec.SUGGESTION_AGENCY
    assert view["expected_datetime"] and view["media_url"] == "https://img.example.org/stop.jpg"
    assert "13800138000" not in json.dumps(found) and "li@example.org" not in json.dumps(found)
    status, root = await api.xml(f"requests/{number}.xml", "service_requests")
    (element,) = children(root, "request")
    assert status == 200 and element.findtext("service_request_id") == number
    status, answer = await api.json(f"tokens/{token}.json")
    assert status == 200 and answer == [{"service_request_id": number, "token": token}]
    conforms_each(answer, "token-response.json")


async def test_statuses_map_to_open_and_closed_and_filter(api: Client311) -> None:  # noqa: F811
    numbers = []
    for n in range(3):
        _, body, _ = await api.post(
            service_code="suggestion", description=f"{IDEA}（{n}）", email=f"r{n}@example.org"
        )
        numbers.append(body[0]["service_request_id"])
    case = await api.filed(email="lamp@example.org")
    await Suggestion.filter(number=numbers[1]).update(
        status=SuggestionStatus.IMPLEMENTED, result="已在控江路新设公交站"
    )
    await Suggestion.filter(number=numbers[2]).update(status=SuggestionStatus.ADOPTED)
    api.clock.advance(timedelta(minutes=1))
    status, found = await api.json("requests.json")
    assert status == 200
    conforms(found, "requests.json")
    by_number = {r["service_request_id"]: r for r in found}
    assert set(by_number) == {*numbers, case.number}
    assert by_number[numbers[1]]["status"] == "closed"
    assert by_number[numbers[1]]["status_notes"] == "已在控江路新设公交站"
    assert by_number[numbers[2]]["status"] == "open"
    assert by_number[numbers[2]]["status_notes"] == "已采纳"
    assert by_number[numbers[2]]["expected_datetime"] is None  # screened: no screening deadline
    status, only = await api.json("requests.json", service_code="suggestion")
    assert {r["service_request_id"] for r in only} == set(numbers)
    status, closed = await api.json("requests.json", service_code="suggestion", status="closed")
    assert [r["service_request_id"] for r in closed] == [numbers[1]]
    status, cases = await api.json("requests.json", service_code="cxjs-szss")
    assert [r["service_request_id"] for r in cases] == [case.number]
    status, both = await api.json(
        "requests.json", service_request_id=f"{numbers[0]},{case.number},JY0,JY2699999999"
    )
    assert {r["service_request_id"] for r in both} == {numbers[0], case.number}
    status, body = await api.json("requests/JY2699999999.json")
    assert status == 404


async def test_a_suggestion_request_is_held_to_the_reporters_limits(
    db_url: str, aiohttp_client: Any
) -> None:
    busy = await make_api(db_url, aiohttp_client, resident_cases_per_hour=1)
    await busy.filed(email="busy@example.org")
    status, _, _ = await busy.post(
        service_code="suggestion", description=IDEA, email="busy@example.org"
    )
    assert status == 429 and await Suggestion.all().count() == 0
    status, _, _ = await busy.post(service_code="suggestion", description="", email="x@e.org")
    assert status == 400
    root = xml_of(
        await (
            await busy.client.post(
                f"{BASE}/requests.xml",
                data={"api_key": "wrong", "service_code": "suggestion", "description": IDEA},
            )
        ).text(),
        "errors",
    )
    assert root.find("error") is not None
