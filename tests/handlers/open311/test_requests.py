"""Filing an Open311 request without HTTP: checking what clients send, the reporter, the case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.open311.clients import create_client
from handlers.open311.common import Open311Error
from handlers.open311.public import one_request, token_request
from handlers.open311.requests import Filed, Submission, file_request, parse_submission
from handlers.workflow.routing import load_routing_table
from models import Case, CaseEvent, CaseStatus, Open311Client, Open311Request, Resident, Unit
from models.people import ResidentApp
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"


async def context(now: datetime = NOW) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=make_settings("sqlite://:memory:"),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


def form(**fields: str | list[str]) -> dict[str, list[str]]:
    values = {"service_code": "cxjs-szss", "description": LAMP, "address_string": "政通路240号"}
    values.update({k: v for k, v in fields.items() if isinstance(v, str)})
    out = {k: [v] for k, v in values.items() if v is not None}
    out.update({k: v for k, v in fields.items() if isinstance(v, list)})
    return out


def refusal(call: Any, *args: Any) -> Open311Error:
    with pytest.raises(Open311Error) as caught:
        call(*args)
    return caught.value


async def filed(client: Open311Client, **fields: str | list[str]) -> Filed:
    return await file_request(client, parse_submission(form(**fields)), await context())


# What a client sends


def test_a_complete_form_is_read_as_it_was_meant() -> None:
    submission = parse_submission(
        form(
            lat="31.3",
            long="121.505",
            email="Li@Example.org",
            phone="138 0013 8000",
            first_name="三",
            last_name="张",
            media_url="https://img.example.org/1.jpg",
            account_id="acc-1",
            device_id="dev-1",
            jurisdiction_id="ignored-here",
        )
    )
    assert submission.path == "城乡建设/市政设施" and submission.description == LAMP
    assert submission.location == (121.505, 31.3)
    assert submission.address_string == "政通路240号" and submission.email == "Li@Example.org"
    assert submission.media_url == "https://img.example.org/1.jpg"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"service_code": ""}, "service_code is required"),
        ({"description": "  "}, "description is required"),
        ({"description": "x" * 4001}, "longer than 4000"),
        ({"description": "路灯\x00坏了"}, "control characters"),
        ({"address_string": "", "lat": "31.3"}, "lat and long go together"),
        ({"address_string": ""}, "a location is required"),
        ({"lat": "north", "long": "121.5"}, "lat must be a number"),
        ({"lat": "nan", "long": "121.5"}, "lat must be a number"),
        ({"lat": "91", "long": "121.5"}, "lat must be a number"),
        ({"media_url": "javascript:alert(1)"}, "http:// or https://"),
        ({"media_url": "ftp://example.org/a.jpg"}, "http:// or https://"),
        ({"email": "not an email"}, "not an email address"),
        ({"phone": "call me"}, "not a phone number"),
        ({"first_name": "名" * 65}, "longer than 64"),
        ({"attribute[WHISPAWN]": "123"}, "takes no attributes"),
        ({"service_code": ["cxjs-szss", "cxjs-wygl"]}, "sent 2 times"),
    ],
)
def test_what_is_missing_or_wrong_is_a_400_that_says_what(
    fields: dict[str, Any], words: str
) -> None:
    error = refusal(parse_submission, form(**fields))
    assert error.status == 400
    assert any(words in text for text in error.descriptions), error.descriptions


def test_every_problem_is_named_at_once_and_an_unknown_service_is_a_404() -> None:
    error = refusal(parse_submission, {"description": [""], "email": ["x"]})
    assert error.status == 400 and len(error.descriptions) >= 3
    error = refusal(parse_submission, form(service_code="no-such"))
    assert error.status == 404 and "services.json" in error.descriptions[0]


def test_address_id_or_coordinates_alone_are_a_location() -> None:
    assert parse_submission(form(address_string="", address_id="WJC-01")).address_id == "WJC-01"
    assert parse_submission(form(address_string="", lat="31.3", long="121.5")).lat == 31.3


def test_a_submission_without_coordinates_has_no_location() -> None:
    assert Submission("c", "p", "d").location is None


# Filing


async def test_a_request_becomes_a_routed_case_with_the_chosen_category(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("app", NOW)
    # The words say 路灯 (市政设施); the client chose 物业管理: the resident's choice wins.
    result = await filed(client, service_code="cxjs-wygl", phone="13800138000", email="a@b.cn")
    case = await Case.get(id=result.case.id)
    assert case.category == "城乡建设/物业管理" and case.channel == "open311"
    assert case.status == CaseStatus.DISPATCHED and case.contact_phone == "13800138000"
    unit = await Unit.get(id=case.unit_id)
    assert result.service_notice is not None and unit.name in result.service_notice
    accept = await CaseEvent.get(case_id=case.id, action="accept")
    assert accept.data["category"] == "城乡建设/物业管理"
    assert accept.data["category_runner_up"] == "城乡建设/市政设施"
    resident = await Resident.get(id=case.resident_id)
    assert resident.app == ResidentApp.OPEN311 and resident.openid.startswith("o311:")
    row = await Open311Request.get(token=result.token)
    assert row.case_id == case.id and row.client_id == client.id and row.service_code == "cxjs-wygl"
    assert (await token_request(result.token)) == [
        {"service_request_id": case.number, "token": result.token}
    ]


async def test_the_same_reporter_is_one_resident_and_nobody_is_one_per_request(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("app", NOW)
    other, _ = await create_client("other", NOW)
    first = await filed(client, email="Li@Example.org", first_name="三", last_name="张")
    again = await filed(
        client,
        email="li@example.org",
        description="国权路小区门口垃圾没人清运",
        address_string="国权路",
    )
    elsewhere = await filed(other, email="li@example.org")
    anonymous = [await filed(client, description=f"开鲁新村{n}号楼楼道灯坏了") for n in (1, 2)]
    assert first.case.resident_id == again.case.resident_id
    assert elsewhere.case.resident_id != first.case.resident_id
    assert anonymous[0].case.resident_id != anonymous[1].case.resident_id
    resident = await Resident.get(id=first.case.resident_id)
    assert resident.nickname == "张三"


async def test_a_place_given_apart_is_the_answer_to_where(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("app", NOW)
    words_only = await filed(
        client, description="路灯坏了，晚上一片漆黑", address_string="政通路240号"
    )
    case = await Case.get(id=words_only.case.id)
    assert case.status == CaseStatus.DISPATCHED and case.grid_id is not None
    assert "政通路" in (case.address or case.place_text or "")
    by_grid = await filed(
        client, description="楼道灯坏了，晚上一片漆黑", address_string="", address_id="YX-01"
    )
    case = await Case.get(id=by_grid.case.id)
    assert case.status == CaseStatus.DISPATCHED and case.place_text is not None
    with pytest.raises(Open311Error) as caught:
        await filed(client, address_string="", address_id="NOWHERE")
    assert caught.value.status == 400 and "grid" in caught.value.descriptions[0]


async def test_a_repeat_is_merged_and_says_so(db: str) -> None:
    await load_demo_district()
    client, _ = await create_client("app", NOW)
    first = await filed(client, email="a@b.cn")
    again = await filed(client, email="a@b.cn")
    assert again.case.status == CaseStatus.MERGED
    assert again.service_notice is not None and first.case.number in again.service_notice
    (view,) = await one_request(again.case.number)
    assert view["status"] == "closed" and first.case.number in view["status_notes"]


async def test_report_case_keeps_the_understood_category_without_a_choice(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    resident = await Resident.create(openid="o-1")
    plain = await report_case(resident, LAMP, ctx)
    assert plain.case.category == "城乡建设/市政设施"
    with pytest.raises(ValueError):
        await report_case(resident, LAMP, ctx, category="不存在/的类")
