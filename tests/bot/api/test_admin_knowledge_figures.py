"""The knowledge base's figures and gaps in the staff API: the figures of a period with their
definitions, the gaps with the cases a reader may open, the general figures' knowledge section,
refusals of bad input (400, nothing read or changed) and of callers (401, 403)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import LOCAL_TZ, ManualClock
from handlers.knowledge.figures import DEFINITIONS
from models import (
    AskOutcome,
    AuditEvent,
    Case,
    EntryStatus,
    KnowledgeAsk,
    KnowledgeEntry,
    Resident,
    Unit,
)
from tests.bot.api.test_admin_knowledge import bearer
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
WEEK = {"from": "2026-03-01", "to": "2026-03-08"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), ManualClock(NOW)))
    return client


async def world() -> dict[str, Any]:
    """Two entries (one expiring), five questions in the first week of March, two cases."""
    civil = await Unit.create(code="CIVIL", name="区民政局")
    housing = await Unit.create(code="HOUSING", name="区房屋管理局")
    common: dict[str, Any] = {"answer": "答复", "created_at": NOW, "updated_at": NOW}
    e1 = await KnowledgeEntry.create(
        code="K1", question="高龄津贴怎么申请", unit=civil, status=EntryStatus.PUBLISHED, **common
    )
    e2 = await KnowledgeEntry.create(
        code="K2",
        question="加装电梯需要哪些材料",
        unit=housing,
        status=EntryStatus.PUBLISHED,
        valid_until=date(2026, 3, 20),
        **common,
    )
    mine = await Case.create(number="2603000001", unit_id=civil.id)
    theirs = await Case.create(number="2603000002", unit_id=housing.id)
    r1, r2 = [await Resident.create(openid=f"o-kf-{n}") for n in (1, 2)]

    async def ask(when: datetime, outcome: AskOutcome, **fields: Any) -> None:
        fields.setdefault("channel", "chat")
        fields.setdefault("text", "问题")
        await KnowledgeAsk.create(at=when, outcome=outcome, score=0.5, **fields)

    await ask(at(1), AskOutcome.SOLVED, resident_id=r1.id, entry_id=e1.id)
    await ask(at(2), AskOutcome.UNSOLVED, resident_id=r2.id, entry_id=e1.id, case_id=mine.id)
    await ask(at(3), AskOutcome.ANSWERED, resident_id=r2.id, entry_id=e2.id, channel="mini")
    boat = {"gap_key": "游船·营业", "text": "公园游船几点营业"}
    await ask(at(4), AskOutcome.UNANSWERED, resident_id=r1.id, case_id=mine.id, **boat)
    await ask(at(5), AskOutcome.UNANSWERED, resident_id=r2.id, case_id=theirs.id, **boat)
    return {"e1": e1, "e2": e2, "mine": mine, "theirs": theirs}


async def get(api: TestClient, path: str, headers: dict[str, str], **query: str) -> Any:
    response = await api.get(path, params=query, headers=headers)
    return response.status, await response.json()


async def test_the_figures_of_a_week(api: TestClient) -> None:
    made = await world()
    disp = await bearer("disp", "dispatcher")
    status, body = await get(api, "/api/admin/knowledge/figures", disp, **WEEK)
    assert status == 200, body
    assert body["period"] == {**WEEK, "timezone": "Asia/Shanghai"}
    assert body["counts"] == {
        "asked": 5,
        "answered": 3,
        "solved": 1,
        "unsolved": 1,
        "no_feedback": 1,
        "unanswered": 2,
    }
    shares = body["shares"]
    assert shares["answered_share"] == {
        "label": "直接答复率",
        "numerator": 3,
        "denominator": 5,
        "rate": 0.6,
    }
    assert shares["satisfaction"]["rate"] == 0.5
    assert shares["unsolved_share"]["rate"] == pytest.approx(1 / 3)
    assert body["by_channel"]["mini"]["counts"]["no_feedback"] == 1
    assert body["by_channel"]["mini"]["shares"]["satisfaction"]["rate"] is None
    assert body["entries_used"] == 2
    top = body["top_entries"][0]
    assert top["entry"]["code"] == "K1" and top["entry"]["unit"] == "CIVIL"
    assert (top["answered"], top["solved"], top["unsolved"], top["no_feedback"]) == (2, 1, 1, 0)
    assert body["stale_total"] == 1
    (stale,) = body["stale"]
    assert stale["entry"]["id"] == made["e2"].id and stale["reasons"] == ["expiring"]
    assert stale["entry"]["unit_name"] == "区房屋管理局" and stale["valid_until"] == "2026-03-20"
    assert [d["key"] for d in body["definitions"]] == [d.key for d in DEFINITIONS]

    # The next week: nothing asked, every share empty, not divided by zero.
    status, empty = await get(
        api, "/api/admin/knowledge/figures", disp, **{"from": "2026-03-08", "to": "2026-03-15"}
    )
    assert status == 200 and empty["counts"]["asked"] == 0
    assert all(share["rate"] is None for share in empty["shares"].values())
    # Without a period: the last 30 days, today included.
    status, recent = await get(api, "/api/admin/knowledge/figures", disp)
    assert status == 200 and recent["counts"]["asked"] == 5
    assert recent["period"]["to"] == "2026-03-11"

    # The general figures carry the counts for their period.
    status, general = await get(api, "/api/admin/figures", disp, **WEEK)
    assert status == 200 and general["knowledge"]["counts"] == body["counts"]
    assert general["knowledge"]["shares"] == body["shares"]


async def test_the_gaps_and_the_cases_a_reader_may_open(api: TestClient) -> None:
    made = await world()
    disp = await bearer("disp", "dispatcher")
    status, body = await get(api, "/api/admin/knowledge/gaps", disp, **WEEK)
    assert status == 200, body
    (gap,) = body["gaps"]
    assert (gap["key"], gap["questions"], gap["residents"], gap["cases"]) == ("游船·营业", 2, 2, 2)
    assert gap["samples"] == ["公园游船几点营业"]
    assert gap["case_numbers"] == [made["theirs"].number, made["mine"].number]
    (entry,) = body["unsolved"]
    assert entry["entry"]["code"] == "K1" and entry["case_numbers"] == [made["mine"].number]
    # A unit's account sees the numbers of its own unit's cases only.
    civil = await bearer("civil", "unit", "CIVIL")
    status, own = await get(api, "/api/admin/knowledge/gaps", civil, **WEEK)
    assert status == 200 and own["gaps"][0]["case_numbers"] == [made["mine"].number]
    assert own["gaps"][0]["cases"] == 2
    status, one = await get(api, "/api/admin/knowledge/gaps", disp, limit="1", **WEEK)
    assert status == 200 and len(one["gaps"]) == 1


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("figures", {"from": "2026-3-1"}, "invalid_date"),
        ("figures", {"to": "tomorrow"}, "invalid_date"),
        ("figures", {"from": "0001-01-01"}, "invalid_date"),
        ("figures", {"from": "2026-03-08", "to": "2026-03-01"}, "invalid_period"),
        ("figures", {"from": "2026-03-01", "to": "2026-03-01"}, "invalid_period"),
        ("figures", {"from": "2020-01-01", "to": "2026-01-01"}, "invalid_period"),
        ("gaps", {"from": "2026-02-30"}, "invalid_date"),
        ("gaps", {"limit": "0"}, "invalid_parameter"),
        ("gaps", {"limit": "101"}, "invalid_parameter"),
        ("gaps", {"limit": "１"}, "invalid_parameter"),
        ("gaps", {"limit": "ten"}, "invalid_parameter"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    api: TestClient, path: str, query: dict[str, str], code: str
) -> None:
    disp = await bearer("disp", "dispatcher")
    audits = await AuditEvent.all().count()
    status, body = await get(api, f"/api/admin/knowledge/{path}", disp, **query)
    assert status == 400 and body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert await AuditEvent.all().count() == audits


async def test_who_may_read(api: TestClient) -> None:
    await Unit.create(code="CIVIL", name="区民政局")
    for path in ("/api/admin/knowledge/figures", "/api/admin/knowledge/gaps"):
        response = await api.get(path)
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthorized"
        worker = await bearer(f"w-{path[-4:]}", "worker")
        response = await api.get(path, headers=worker)
        assert response.status == 403
        for n, (role, unit) in enumerate(
            (("admin", None), ("dispatcher", None), ("supervisor", None), ("unit", "CIVIL"))
        ):
            allowed = await bearer(f"{role}-{n}-{path[-4:]}", role, unit)
            response = await api.get(path, headers=allowed)
            assert response.status == 200, (role, await response.text())
