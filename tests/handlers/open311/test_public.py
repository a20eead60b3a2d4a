"""What GET requests answer, without HTTP: its query parameters, and nothing private shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.district.setup import load_demo_district
from handlers.open311.clients import create_client
from handlers.open311.common import Open311Error
from handlers.open311.public import one_request, parse_query
from tests.handlers.open311.test_requests import NOW, filed, refusal

# Query parameters


def query(**params: str) -> dict[str, list[str]]:
    return {name: [value] for name, value in params.items()}


def test_the_default_range_is_the_latest_90_days_and_ids_override_everything() -> None:
    found = parse_query({}, NOW)
    assert found.end == NOW and found.start == NOW - timedelta(days=90) and not found.statuses
    start = parse_query(query(start_date="2026-01-01T00:00:00+08:00"), NOW)
    assert start.start == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert start.end == start.start + timedelta(days=90)
    end = parse_query(query(end_date="2026-02-01T00:00:00Z"), NOW)
    assert end.start == datetime(2026, 2, 1, tzinfo=UTC) - timedelta(days=90)
    ids = parse_query(query(service_request_id="2603100001, 2603100002", status="bogus"), NOW)
    assert ids.numbers == ("2603100001", "2603100002")
    both = parse_query({"status": ["open", "closed"], "service_code": ["cxjs-wygl,cxjs-szss"]}, NOW)
    assert both.statuses == {"open", "closed"}
    assert both.paths == ("城乡建设/物业管理", "城乡建设/市政设施")


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01"},
        {"start_date": "2026-01-01T00:00:00"},  # no time zone
        {"start_date": "yesterday"},
        {"start_date": "2026-13-01T00:00:00Z"},
        {"end_date": "0001-01-01T00:00:00Z"},
        {"end_date": "9999-12-31T23:59:59-12:00"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"status": "pending"},
        {"service_code": "nope"},
    ],
)
def test_bad_query_parameters_are_a_400(params: dict[str, str]) -> None:
    assert refusal(parse_query, query(**params), NOW).status == 400


# What a GET shows


async def test_what_a_get_shows_is_public(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("app", NOW)
    result = await filed(
        client,
        description="政通路240号门口路灯坏了，请联系我 13912345678",
        phone="13800138000",
        email="li@example.org",
        first_name="三",
        last_name="张",
    )
    (view,) = await one_request(result.case.number)
    shown = repr(view)
    for secret in ("13912345678", "13800138000", "li@example.org", "张三", "张"):
        assert secret not in shown
    assert "139****5678" in view["description"]
    assert view["requested_datetime"].endswith("+08:00") and view["status"] == "open"
    assert view["expected_datetime"].endswith("+08:00") and view["agency_responsible"]
    with pytest.raises(Open311Error):
        await one_request("2603109999")
