"""Numbers as an attacker writes them: ``NaN``, ``Infinity``, ``1e999``, full-width digits
(``３１.２``), Arabic-Indic digits, underscores (``3_1``), exponents. Python's ``float`` and
``int`` take most of these; a coordinate that is not finite is stored, and then every JSON answer
that shows it says ``NaN``, which is no JSON. Coordinates and page numbers from outside are plain
ASCII decimals within their range, or a 4xx with nothing stored; a bad value that is already
stored is shown as null.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import Case
from tests.bot.api.test_open311 import NOW, Client311, error_of
from tests.bot.api.test_open311 import api as api  # fixture
from tests.bot.api.test_resident import MakeMini
from tests.bot.api.test_resident import fake_mini as fake_mini  # fixtures
from tests.bot.api.test_resident import make_mini as make_mini

NOT_NUMBERS = ["nan", "NaN", "inf", "-Infinity", "1e999", "1e1", "３１.２", "٣١.٢", "3_1.2", "0x1f"]
NOT_NUMBERS += ["31.2.1", "", "+", ".", "- 31", "31,2"]


def strict_json(text: str) -> Any:
    """JSON as the standard has it: ``NaN`` and ``Infinity`` are not numbers (Python's json
    module takes them unless told)."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def finite_or_none(values: list[tuple[float | None, float | None]]) -> bool:
    return all(v is None or math.isfinite(v) for pair in values for v in pair)


# The resident API: POST cases and POST cases/{number}/info


@pytest.mark.parametrize(
    "location",
    [
        '{"lat": NaN, "lng": 121.5}',
        '{"lat": 31.2, "lng": Infinity}',
        '{"lat": -Infinity, "lng": 121.5}',
        '{"lat": 1e999, "lng": 121.5}',
        '{"lat": 90.000001, "lng": 121.5}',
        '{"lat": 31.2, "lng": -180.5}',
        '{"lat": "31.2", "lng": 121.5}',
    ],
)
async def test_a_resident_location_is_finite_and_in_range(
    make_mini: MakeMini, location: str
) -> None:
    app = await make_mini()
    headers = {**await app.sign_in("o-nowhere"), "Content-Type": "application/json"}
    body = f'{{"request_id": "req-hostile-1", "text": "路灯坏了", "location": {location}}}'
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, data=body)
    assert status == 400 and answer["error"]["code"] == "invalid_payload", answer
    assert answer["error"]["problems"][0]["field"].startswith("location.")
    assert await Case.all().count() == 0
    status, answer, _ = await app.submit(headers, location={"lat": 31.2, "lng": 121.5})
    assert status == 201, answer
    number = answer["case"]["number"]
    status, answer, _ = await app.call(
        "POST", f"/api/resident/cases/{number}/info", headers, data=f'{{"location": {location}}}'
    )
    assert status == 400 and answer["error"]["code"] == "invalid_payload", answer
    assert finite_or_none(await Case.all().values_list("lat", "lng"))


# Open311: lat and long are form fields, so text


@pytest.mark.parametrize("raw", NOT_NUMBERS)
async def test_open311_coordinates_are_plain_ascii_decimals(api: Client311, raw: str) -> None:
    for fields in ({"lat": raw, "long": "121.5"}, {"lat": "31.2", "long": raw}):
        status, body, _ = await api.post(**fields)
        if raw == "":  # an empty parameter is no parameter: lat and long go together
            assert status == 400 and "go together" in error_of(body, 400)
            continue
        assert status == 400, (fields, body)
        assert "must be a number" in error_of(body, 400)
    assert await Case.all().count() == 0


@pytest.mark.parametrize(
    ("lat", "long"), [("31.2", "121.5"), ("-90", "180"), ("+31", "-121.25"), (".5", "1.")]
)
async def test_open311_takes_plain_decimals(api: Client311, lat: str, long: str) -> None:
    status, body, _ = await api.post(lat=lat, long=long)
    assert status == 200, body
    case = await Case.get(number=body[0]["service_request_id"])
    assert (case.lat, case.lng) == (float(lat), float(long))


# What is stored already is shown as JSON still


async def staff_headers(name: str = "numbers-admin") -> dict[str, str]:
    user = await create_user(name, "admin", "correct horse battery", NOW)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
async def test_a_stored_coordinate_that_is_no_number_is_shown_as_null(
    api: Client311, bad: float
) -> None:
    case = await api.filed(lat="31.2", long="121.5")
    await Case.filter(id=case.id).update(lat=bad, lng=bad)  # a row from before the checks
    response = await api.client.get(f"/open311/v2/requests/{case.number}.json")
    body = strict_json(await response.text())
    assert response.status == 200 and body[0]["lat"] is None and body[0]["long"] is None
    response = await api.client.get("/open311/v2/requests.json")
    assert response.status == 200 and strict_json(await response.text())
    headers = await staff_headers()
    response = await api.client.get(f"/api/admin/cases/{case.number}", headers=headers)
    detail = strict_json(await response.text())
    assert response.status == 200, detail
    found = detail.get("case", detail)
    assert found["lat"] is None and found["lng"] is None


# Page numbers and limits in query strings


@pytest.mark.parametrize("raw", ["１", "1_0", "٣", "²", "+1", "1.0", "0x1", "-1"])
async def test_query_numbers_are_ascii_digits(api: Client311, raw: str) -> None:
    client: TestClient = api.client
    headers = await staff_headers()
    response = await client.get("/api/admin/notices", params={"page": raw}, headers=headers)
    assert response.status == 400, await response.text()
    response = await client.get("/api/admin/hot", params={"limit": raw}, headers=headers)
    assert response.status == 400, await response.text()
    for good in ("1", "2"):
        response = await client.get("/api/admin/notices", params={"page": good}, headers=headers)
        assert response.status == 200
