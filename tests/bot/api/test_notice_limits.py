"""Every string and list in a notice is bounded, so that what is accepted can always be stored,
read back and shown: over-long audience codes and names, too many places, tag ids no WeChat
tag has, template data without end are a 400; every notice at the limits has a working page,
audience preview and dashboard page."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from models import Notice
from tests.bot.api.test_notices import TEMPLATE, as_staff, draft
from tests.bot.api.test_notices import api as api  # fixture
from tests.bot.dashboard.test_pages import sign_in
from tests.bot.wechat.test_client import fake, wechat_base  # noqa: F401 (fixtures)
from tests.handlers.broadcasts.test_notices import Town

# The limits, as handlers.broadcasts.rules has them (the columns the codes are looked up in).
PLACE_NAME_LIMIT = 64  # models.Case.street and .compound
CODE_LIMIT = 32  # models.Grid.code, models.Unit.code
MAX_PLACES = 200
MAX_TAG_ID = 2**31 - 1
TAG_NAME_LIMIT = 64
MAX_TEMPLATE_FIELDS = 20
TEMPLATE_NAME_LIMIT = 32

PLACE = "甲" * PLACE_NAME_LIMIT
CODE = "A" * CODE_LIMIT
RESIDENTS = "mp_mass"
WORKERS = "work_app"

# (channel, audience) the API must refuse: each would be stored and then break a page.
REFUSED: dict[str, tuple[str, dict[str, Any]]] = {
    "a street too long": (RESIDENTS, {"kind": "residents", "streets": [PLACE + "甲"]}),
    "a compound too long": (RESIDENTS, {"kind": "residents", "compounds": ["x" * 5000]}),
    "a grid code too long": (RESIDENTS, {"kind": "residents", "grids": [CODE + "A"]}),
    "a unit code too long": (WORKERS, {"kind": "workers", "units": ["U" * 5000]}),
    "a worker grid too long": (WORKERS, {"kind": "workers", "grids": ["G" * 33]}),
    "too many streets": (
        RESIDENTS,
        {"kind": "residents", "streets": [f"街道{i}" for i in range(MAX_PLACES + 1)]},
    ),
    "a tag id past int32": (RESIDENTS, {"kind": "tag", "tag_id": MAX_TAG_ID + 1}),
    "a tag id past BIGINT": (RESIDENTS, {"kind": "tag", "tag_id": 10**30}),
    "a tag name too long": (
        RESIDENTS,
        {"kind": "tag", "tag_id": 100, "tag_name": "签" * (TAG_NAME_LIMIT + 1)},
    ),
    "a tag name that is no text": (
        RESIDENTS,
        {"kind": "tag", "tag_id": 100, "tag_name": {"a": 1}},
    ),
    "a street that is no text": (RESIDENTS, {"kind": "residents", "streets": [1]}),
    "streets that are no list": (RESIDENTS, {"kind": "residents", "streets": "甲街道"}),
}

# At the limits: accepted, and every page about it works.
ACCEPTED: dict[str, tuple[str, dict[str, Any]]] = {
    "places at the limits": (
        RESIDENTS,
        {
            "kind": "residents",
            # ASCII, so that 200 of them fit the body limit (JSON escapes each 汉字 in 6 bytes)
            "streets": ["S" * (PLACE_NAME_LIMIT - 3) + f"{i:03d}" for i in range(MAX_PLACES)],
            "compounds": [PLACE],
            "grids": [CODE],
        },
    ),
    "codes at the limits": (WORKERS, {"kind": "workers", "units": [CODE], "grids": [CODE]}),
    "a tag at the limits": (
        RESIDENTS,
        {"kind": "tag", "tag_id": MAX_TAG_ID, "tag_name": "签" * TAG_NAME_LIMIT},
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_an_unbounded_audience_is_refused(api: tuple[TestClient, Town], name: str) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    channel, audience = REFUSED[name]
    body = draft(channel=channel, audience=audience)
    status, answer = await author.post("", body)
    assert status == 400, answer
    assert answer["error"]["code"] in ("invalid_notice", "invalid_payload")
    status, answer = await author.post(
        "/audience", {k: body[k] for k in ("kind", "channel", "audience")}
    )
    assert status == 400, answer
    status, answer = await author.post("", draft())
    assert status == 201
    status, answer = await author.call(
        "PATCH", f"/{answer['notice']['id']}", {"channel": channel, "audience": audience}
    )
    assert status == 400, answer
    assert await Notice.all().count() == 1


@pytest.mark.parametrize("name", sorted(ACCEPTED))
async def test_every_accepted_notice_can_be_shown(api: tuple[TestClient, Town], name: str) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    channel, audience = ACCEPTED[name]
    status, answer = await author.post("", draft(channel=channel, audience=audience))
    assert status == 201, answer
    nid = answer["notice"]["id"]
    status, shown = await author.get(f"/{nid}")
    assert status == 200 and shown["notice"]["audience"] == answer["notice"]["audience"]
    status, preview = await author.get(f"/{nid}/audience")
    assert status == 200 and "audience" in preview, preview
    status, preview = await author.post(
        "/audience", {"kind": "text", "channel": channel, "audience": audience}
    )
    assert status == 200, preview
    browser = await sign_in(client, "author")
    status, page = await browser.get(f"/dashboard/notices/{nid}")
    assert status == 200 and "停水通知" in page


async def test_template_data_is_bounded(api: tuple[TestClient, Town]) -> None:
    client, _ = api
    author = await as_staff(client, "author")
    places = {"kind": "residents", "streets": ["甲街道"]}

    def template(data: dict[str, str]) -> dict[str, Any]:
        return draft(
            kind="template",
            channel="mp_template",
            audience=places,
            content={**TEMPLATE, "data": data},
        )

    too_many = {f"keyword{i}": "x" for i in range(MAX_TEMPLATE_FIELDS + 1)}
    long_name = {"k" * (TEMPLATE_NAME_LIMIT + 1): "x"}
    for data in (too_many, long_name):
        status, answer = await author.post("", template(data))
        assert status == 400, answer
    most = {f"k{i:0{TEMPLATE_NAME_LIMIT - 1}d}": "x" for i in range(MAX_TEMPLATE_FIELDS)}
    status, answer = await author.post("", template(most))
    assert status == 201, answer
    status, _ = await author.get(f"/{answer['notice']['id']}/audience")
    assert status == 200


async def test_a_dashboard_tag_id_in_other_digits_is_refused_not_crashed_on(
    api: tuple[TestClient, Town],
) -> None:
    client, _ = api
    browser = await sign_in(client, "author")
    await browser.get("/dashboard/notices/new")
    form = {
        "title": "标签通知",
        "kind": "text",
        "channel": "mp_mass",
        "audience_kind": "tag",
        "tag_id": "²",
        "text": "明日停水",
    }
    status, _, page = await browser.post("/dashboard/notices", form)
    assert status == 400, page[:300]
    assert await Notice.all().count() == 0


async def test_a_notice_stored_before_the_limits_is_shown_not_crashed_on(
    api: tuple[TestClient, Town],
) -> None:
    """A draft saved with a code no grid can have (before the limits): its audience is a 400
    that says what to change, its page and its dashboard page still open."""
    client, _ = api
    author = await as_staff(client, "author")
    status, answer = await author.post("", draft())
    assert status == 201
    nid = answer["notice"]["id"]
    await Notice.filter(id=nid).update(audience={"kind": "residents", "grids": ["G" * 5000]})
    status, preview = await author.get(f"/{nid}/audience")
    assert status == 400 and preview["error"]["code"] == "invalid_notice", preview
    assert (await author.get(f"/{nid}"))[0] == 200
    browser = await sign_in(client, "author")
    status, page = await browser.get(f"/dashboard/notices/{nid}")
    assert status == 200 and "最多32个字" in page
