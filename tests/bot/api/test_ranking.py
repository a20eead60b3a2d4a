"""Closed months and the monthly unit ranking in the admin API (issue 16, points 3 and 9).

The clock moves across the end of March 2026, the month is closed by the sweep on the first
working day of April, then a case of March gets an extension and another is reopened: March's
figures stay as they were closed, April shows the change.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.app import create_app
from handlers.clock import LOCAL_TZ, ManualClock
from handlers.followup.month_close import first_working_day, sweep_month_close
from handlers.staff.accounts import create_user, issue_api_token
from models import (
    AuditEvent,
    Case,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    FigureSnapshot,
    OutboxMessage,
    ReturnRequest,
    Unit,
    UnitSpell,
    Worker,
    WorkerRole,
)
from tests.conftest import make_settings
from tests.handlers.workflow.test_actions import context

PASSWORD = "correct horse battery"
MARCH = {"from": "2026-03-01", "to": "2026-04-01"}
APRIL = {"from": "2026-04-01", "to": "2026-05-01"}


def at(month: int, day: int, hour: float) -> datetime:
    local = datetime(2026, month, day, int(hour), round((hour % 1) * 60), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC)


END_OF_MARCH = at(3, 31, 20)
APRIL_FIRST = at(4, 1, 9)  # a Wednesday, a working day


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(END_OF_MARCH)


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any, clock: ManualClock) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    return client


async def token(role: str, unit_id: int | None = None, name: str | None = None) -> dict[str, str]:
    user = await create_user(name or role, role, PASSWORD, END_OF_MARCH, unit_id=unit_id)
    return {"Authorization": f"Bearer {await issue_api_token(user, END_OF_MARCH, 'test')}"}


async def march() -> dict[str, Any]:
    """Two units' March, every number counted by hand below."""
    a = await Unit.create(code="U-A", name="甲街道", kind="street")
    b = await Unit.create(code="U-B", name="乙局", kind="department")
    centre = await Unit.create(code="CENTER", name="区中心", kind="center")
    await Worker.create(name="马主任", role=WorkerRole.UNIT_HEAD, unit=centre)
    await Worker.create(name="甲负责人", role=WorkerRole.UNIT_HEAD, unit=a)  # not a district head
    # c1 with A: contacted in time, completion due 3/31 09:00 and not done by the close: a miss.
    c1 = await Case.create(
        number="c1", unit=a, status=CaseStatus.IN_PROGRESS, created_at=at(3, 20, 9),
        first_contact_due_at=at(3, 20, 11), first_contact_at=at(3, 20, 10),
        completion_due_at=at(3, 31, 9),
    )  # fmt: skip
    spell = await UnitSpell.create(
        case=c1, unit=a, started_at=at(3, 20, 9), first_contact_due_at=at(3, 20, 11),
        first_contact_at=at(3, 20, 10), completion_due_at=at(3, 31, 9),
    )  # fmt: skip
    # c2 with B (history without spells): contacted and finished in time.
    c2 = await Case.create(
        number="c2", unit=b, status=CaseStatus.COMPLETED, created_at=at(3, 5, 9),
        first_contact_due_at=at(3, 5, 11), first_contact_at=at(3, 5, 10),
        completion_due_at=at(3, 12, 9), completed_at=at(3, 10, 9),
    )  # fmt: skip
    # A's 退单 refused by the centre in March: a 不合理退单; a late 延期 request of B.
    await ReturnRequest.create(
        case=c1, unit=a, status=ExtensionStatus.REFUSED, decided_at=at(3, 21, 9),
        created_at=at(3, 20, 12),
    )  # fmt: skip
    worker = await Worker.create(name="乙承办", role=WorkerRole.UNIT_STAFF, unit=b)
    await ExtensionRequest.create(
        case=c2, worker=worker, unit=b, hours=24, late=True, created_at=at(3, 13, 9),
        status=ExtensionStatus.REFUSED,
    )  # fmt: skip
    return {"a": a, "b": b, "c1": c1, "c2": c2, "spell": spell}


def pair(body: dict[str, Any], key: str) -> tuple[float, int]:
    return body["rates"][key]["numerator"], body["rates"][key]["denominator"]


async def test_a_closed_month_keeps_its_figures_and_the_new_month_shows_the_change(
    api: TestClient, clock: ManualClock
) -> None:
    world = await march()
    admin = await token("admin")
    live = await (await api.get("/api/admin/figures", params=MARCH, headers=admin)).json()
    assert live["source"] == "live" and live["snapshot"] is None
    assert pair(live, "on_time") == (1, 2) and pair(live, "first_contact") == (2, 2)

    # Across the month's end: the sweep closes March on April's first working day.
    assert first_working_day(APRIL_FIRST.date()) == APRIL_FIRST.astimezone(LOCAL_TZ).date()
    # On March 31 the sweep would close February, not March; with no case before March there
    # is nothing to close and no empty ranking to send.
    assert await sweep_month_close(await context(END_OF_MARCH)) is None
    assert not await FigureSnapshot.exists()
    clock.set(APRIL_FIRST)
    assert await sweep_month_close(await context(APRIL_FIRST)) == "2026-03"
    assert await sweep_month_close(await context(APRIL_FIRST)) is None  # once
    assert await FigureSnapshot.filter(period="2026-03", unit_id=None).count() == 1
    heads = await OutboxMessage.filter(purpose="ranking", dedup_key__startswith="ranking:202603:")
    sent = str(heads[0].payload) if heads else ""
    assert len(heads) == 1 and "月度考核排名" in sent and "甲街道" in sent and "2026-03" in sent
    assert await AuditEvent.filter(action="figures.close_month", target_id="2026-03").count() == 1

    # After the close: c1 gets an extension to 4/10 and is finished 4/2; c2 is reopened with a
    # fresh deadline 4/8 that passes.
    new_due = at(4, 10, 9)
    await Case.filter(id=world["c1"].id).update(
        completion_due_at=new_due, completed_at=at(4, 2, 9), status=CaseStatus.COMPLETED
    )
    await UnitSpell.filter(id=world["spell"].id).update(
        completion_due_at=new_due, completed_at=at(4, 2, 9)
    )
    await Case.filter(id=world["c2"].id).update(
        status=CaseStatus.IN_PROGRESS, completed_at=None, reopened_count=1,
        completion_due_at=at(4, 8, 9),
    )  # fmt: skip
    clock.set(at(4, 10, 12))

    closed = await (await api.get("/api/admin/figures", params=MARCH, headers=admin)).json()
    assert closed["source"] == "snapshot"
    assert closed["snapshot"]["period"] == "2026-03"
    assert closed["snapshot"]["computed_by"] == "sweep"
    assert closed["definitions_version"] == closed["snapshot"]["definitions_version"]
    assert pair(closed, "on_time") == (1, 2)  # unchanged: the miss of c1 and c2 in time
    assert closed["rates"]["on_time"]["parts"] == {"met": 1, "late": 0, "overdue": 1}
    sheet = await api.get("/api/admin/figures.csv", params=MARCH, headers=admin)
    total = list(csv.reader(io.StringIO((await sheet.read()).decode("utf-8-sig"))))[-1]
    assert total[1] == "合计" and total[6:9] == ["50.0%", "1", "2"]  # 按时办结 as closed
    unit_b = await token("unit", world["b"].id, "unit-b")
    own = await (await api.get("/api/admin/figures", params=MARCH, headers=unit_b)).json()
    assert own["source"] == "snapshot" and [u["code"] for u in own["units"]] == ["U-B"]
    assert pair(own, "on_time") == (1, 1)
    # A period that is not a whole closed month is live: March 1-15 shows c2 as reopened.
    part = await api.get(
        "/api/admin/figures", params={"from": "2026-03-01", "to": "2026-03-16"}, headers=admin
    )
    assert (await part.json())["source"] == "live"

    april = await (await api.get("/api/admin/figures", params=APRIL, headers=admin)).json()
    assert april["source"] == "live"
    assert april["rates"]["on_time"]["parts"] == {"met": 1, "late": 0, "overdue": 1}

    # The ranking of the closed month, from the snapshot.
    body = await (
        await api.get("/api/admin/ranking", params={"month": "2026-03"}, headers=admin)
    ).json()
    assert body["source"] == "snapshot" and body["period"] == "2026-03"
    rows = {row["code"]: row for row in body["rows"]}
    # U-A: 先行联系 1/1, 按时办结 0/1, 重复 0/1, 满意 none, reopen none, one refused return.
    assert rows["U-A"]["refused_returns"] == 1 and rows["U-A"]["late_extensions"] == 0
    assert rows["U-A"]["score"] == 25 + 0 + 30 + 20 - 2
    # U-B: everything in time, one late extension request, reopen 0 of 1 at the close.
    assert rows["U-B"]["late_extensions"] == 1
    assert rows["U-B"]["score"] == 25 + 25 + 30 + 20 - 1
    assert (rows["U-B"]["rank"], rows["U-A"]["rank"]) == (1, 2)
    assert rows["CENTER"]["score"] is None and rows["CENTER"]["rank"] is None
    assert "score" in body["formula"]["text"]


async def test_ranking_exports_and_who_may_see_them(api: TestClient) -> None:
    world = await march()
    admin = await token("admin")
    params = {"month": "2026-03"}
    live = await (await api.get("/api/admin/ranking", params=params, headers=admin)).json()
    assert live["source"] == "live" and live["scope"] == "district"

    response = await api.get("/api/admin/ranking.csv", params=params, headers=admin)
    assert (
        response.status == 200 and "ranking-2026-03.csv" in response.headers["Content-Disposition"]
    )
    text = (await response.read()).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["排名", "单位代码", "单位名称", "诉求量"]
    assert table[1][:3] == ["1", "U-B", "乙局"] and table[1][-1] == "99.0"

    response = await api.get("/api/admin/ranking.xlsx", params=params, headers=admin)
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == (1, "U-B", "乙局") and values[1][-1] == 99.0
    assert await AuditEvent.filter(action="figures.export").count() == 2

    # A unit's account sees its own row only, with its rank.
    unit_a = await token("unit", world["a"].id, "unit-a")
    own = await (await api.get("/api/admin/ranking", params=params, headers=unit_a)).json()
    assert own["scope"] == "unit" and [row["code"] for row in own["rows"]] == ["U-A"]
    assert own["rows"][0]["rank"] == 2
    sheet_a = await api.get("/api/admin/ranking.csv", params=params, headers=unit_a)
    assert "乙局" not in (await sheet_a.read()).decode("utf-8-sig")

    for path in ("/api/admin/ranking", "/api/admin/ranking.xlsx", "/api/admin/figures/definitions"):
        assert (await api.get(path)).status == 401
    person = await Worker.create(name="网格员", role=WorkerRole.GRID_WORKER)
    user = await create_user("w1", "worker", PASSWORD, END_OF_MARCH, worker_id=person.id)
    worker = {"Authorization": f"Bearer {await issue_api_token(user, END_OF_MARCH, 'test')}"}
    assert (await api.get("/api/admin/ranking", headers=worker)).status == 403
    for bad in ("2026-13", "2026-3", "x" * 5000, "0000-01", "2026-03-01"):
        response = await api.get("/api/admin/ranking", params={"month": bad}, headers=admin)
        assert response.status == 400, bad
    assert (await response.json())["error"]["code"] == "invalid_parameter"

    definitions = await (await api.get("/api/admin/figures/definitions", headers=admin)).json()
    assert definitions["version"] and set(definitions["definitions"]) >= {
        "first_contact", "on_time", "repeat", "satisfaction", "reopen", "frozen",
    }  # fmt: skip
    assert definitions["ranking"]["weights"]["satisfaction"] == 30


async def test_an_admin_closes_a_month_through_the_api(api: TestClient, clock: ManualClock) -> None:
    await march()
    admin = await token("admin")
    path = "/api/admin/figures/close-month"
    march_body = {"month": "2026-03"}
    response = await api.post(path, json=march_body, headers=admin)
    assert response.status == 409 and "尚未结束" in (await response.json())["error"]["message"]
    clock.set(APRIL_FIRST)

    assert (await api.post(path, json=march_body)).status == 401
    dispatcher = await token("dispatcher")
    assert (await api.post(path, json=march_body, headers=dispatcher)).status == 403
    for bad in (
        {"month": "2026-3"}, {"month": "2026-13"}, {"month": "2026-03", "x": 1},
        {"month": 202603}, {"month": "2026-03", "recompute": "yes"}, {}, [],
        {"month": "٢٠٢٦-٠٣"},
    ):  # fmt: skip
        response = await api.post(path, json=bad, headers=admin)
        assert response.status == 400, (bad, await response.text())
    as_json = {**admin, "Content-Type": "application/json"}
    garbage = await api.post(path, data=b"{not json", headers=as_json)
    assert garbage.status == 400
    assert not await FigureSnapshot.exists()

    # The same request twice at once: one closes, the other is told it is closed.
    first, second = await asyncio.gather(
        api.post(path, json=march_body, headers=admin),
        api.post(path, json=march_body, headers=admin),
    )
    assert sorted([first.status, second.status]) == [200, 409]
    assert await FigureSnapshot.filter(period="2026-03").count() == 4  # district, 3 units
    again = await api.post(path, json={**march_body, "recompute": True}, headers=admin)
    assert again.status == 200 and (await again.json())["recomputed"] is True
    actions = await AuditEvent.filter(target_id="2026-03").values_list("action", flat=True)
    assert sorted(actions) == ["figures.close_month", "figures.recompute_month"]
    body = await (await api.get("/api/admin/figures", params=MARCH, headers=admin)).json()
    assert body["source"] == "snapshot" and body["snapshot"]["computed_by"] == "admin"
