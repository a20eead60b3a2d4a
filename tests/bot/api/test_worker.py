"""The worker API through the app: tokens, my tasks, case detail, actions, errors, a whole life."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.workflow.actions import issue_token, revoke_tokens
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    OutboxMessage,
    OutboxStatus,
    Worker,
)
from tests.bot.conftest import Resident as WeChatResident
from tests.conftest import make_settings
from tests.handlers.workflow.test_actions import NOW, World, make_case, make_world

S = CaseStatus


@dataclass
class Api:
    client: TestClient
    clock: ManualClock
    world: World
    tokens: dict[str, str] = field(default_factory=dict)

    async def token(self, worker: Worker) -> str:
        if worker.name not in self.tokens:
            self.tokens[worker.name] = await issue_token(worker, self.clock.now(), "test")
        return self.tokens[worker.name]

    async def call(
        self,
        method: str,
        path: str,
        worker: Worker | None = None,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if worker is not None:
            sent["Authorization"] = f"Bearer {await self.token(worker)}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = await self.client.request(method, f"/api/worker{path}", data=data, headers=sent)
        text = await response.text()
        return response.status, json.loads(text) if text else None

    async def get(self, path: str, worker: Worker) -> tuple[int, Any]:
        return await self.call("GET", path, worker)

    async def post(self, path: str, worker: Worker, body: Any = None) -> tuple[int, Any]:
        return await self.call("POST", path, worker, body)


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any) -> Api:
    clock = ManualClock(NOW)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    return Api(client, clock, await make_world())


def numbers(body: dict[str, Any]) -> set[str]:
    return {task["number"] for task in body["tasks"]}


# Who you are


async def test_without_a_valid_token_nothing_is_shown(api: Api) -> None:
    case = await make_case(api.world)
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
    ):
        status, body = await api.call("GET", f"/cases/{case.number}", headers=headers)
        assert status == 401 and body["error"]["code"] == "unauthorized"
        assert case.number not in json.dumps(body)
    token = await api.token(api.world.dept_staff)
    response = await api.client.get(
        "/api/worker/tasks", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    await revoke_tokens(api.world.dept_staff, NOW)
    response = await api.client.get(
        "/api/worker/tasks", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401 and "Bearer" in response.headers["WWW-Authenticate"]


async def test_me(api: Api) -> None:
    status, body = await api.get("/me", api.world.grid_worker)
    assert status == 200
    assert body["name"] == "王芳" and body["role"] == "grid_worker"
    assert body["unit"]["code"] == "ST-A" and body["grid"]["code"] == "A-01"


# My tasks


async def test_my_tasks_and_their_filters(api: Api) -> None:
    w = api.world
    # 10:00 in Shanghai on 10 March. Sign due 13:00 today.
    waiting = await make_case(w, worker=w.dept_staff)
    # First contact was due at 09:00 today: overdue.
    late = await make_case(
        w, S.SIGNED, worker=w.dept_staff, first_contact_due_at=NOW - timedelta(hours=1)
    )
    # Contacted; completion due at 17:30 tomorrow (Shanghai), i.e. 09:30 UTC tomorrow.
    tomorrow = await make_case(
        w,
        S.IN_PROGRESS,
        worker=w.dept_staff,
        first_contact_at=NOW - timedelta(minutes=10),
        first_contact_due_at=NOW - timedelta(hours=1),
        completion_due_at=datetime(2026, 3, 11, 9, 30, tzinfo=UTC),
    )
    done = await make_case(w, S.COMPLETED, worker=w.dept_staff)
    elsewhere = await make_case(w, unit=w.other, worker=w.far_grid_worker, grid=w.g3)
    queued = await make_case(w, S.ACCEPTED, unit_id=None, worker_id=None)  # waits for dispatch

    status, body = await api.get("/tasks", w.dept_staff)
    assert status == 200 and numbers(body) == {waiting.number, late.number, tomorrow.number}
    assert body["total"] == 3 and body["page"] == 1 and body["has_more"] is False
    first = next(t for t in body["tasks"] if t["number"] == waiting.number)
    assert first["status_label"] == "已派单" and first["next_deadline"]["kind"] == "sign"
    assert first["unit"]["name"] == "乙局" and "13812345678" not in json.dumps(body)

    assert numbers((await api.get("/tasks?status=signed", w.dept_staff))[1]) == {late.number}
    assert numbers((await api.get("/tasks?status=completed", w.dept_staff))[1]) == {done.number}
    assert len(numbers((await api.get("/tasks?status=all", w.dept_staff))[1])) == 4
    status, body = await api.get("/tasks?overdue=1", w.dept_staff)
    assert numbers(body) == {late.number} and body["tasks"][0]["overdue"] is True
    due_today = numbers((await api.get("/tasks?due_today=1", w.dept_staff))[1])
    assert due_today == {waiting.number, late.number}
    both = numbers((await api.get("/tasks?due_today=1&overdue=1", w.dept_staff))[1])
    assert both == {late.number}

    # 01:00 on 11 March in Shanghai is still 10 March in UTC: "today" is Shanghai's day.
    api.clock.set(datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    # Due on the 11th: the waiting case's first contact (09:00) and the other's completion.
    due_today = numbers((await api.get("/tasks?due_today=1", w.dept_staff))[1])
    assert due_today == {waiting.number, tomorrow.number}
    overdue = numbers((await api.get("/tasks?overdue=1", w.dept_staff))[1])
    assert overdue == {waiting.number, late.number}

    # The other street's case is that street's task, and a dispatcher sees them all.
    assert numbers((await api.get("/tasks", w.far_grid_worker))[1]) == {elsewhere.number}
    assert queued.number in numbers((await api.get("/tasks", w.dispatcher))[1])
    assert len(numbers((await api.get("/tasks", w.dispatcher))[1])) == 5
    # A grid worker sees the cases of their grid; the queued one only when asked for.
    assert numbers((await api.get("/tasks", w.neighbour))[1]) == set()
    assert len(numbers((await api.get("/tasks", w.grid_worker))[1])) == 3
    assert queued.number in numbers((await api.get("/tasks?status=open", w.grid_worker))[1])

    for bad in ("status=nonsense", "page=0", "page=x", "page=99999999999999999999", "overdue=2"):
        status, body = await api.get(f"/tasks?{bad}", w.dept_staff)
        assert status == 400 and body["error"]["code"] == "invalid_request"


async def test_tasks_come_in_pages(api: Api) -> None:
    for _ in range(22):
        await make_case(api.world, worker=api.world.dept_staff)
    status, body = await api.get("/tasks", api.world.dept_staff)
    assert (
        status == 200
        and len(body["tasks"]) == 20
        and body["has_more"] is True
        and body["total"] == 22
    )
    _, body = await api.get("/tasks?page=2", api.world.dept_staff)
    assert len(body["tasks"]) == 2 and body["has_more"] is False


# Case detail


async def test_the_phone_is_shown_only_after_signing(api: Api) -> None:
    w = api.world
    case = await make_case(w, worker=w.dept_staff)
    status, body = await api.get(f"/cases/{case.number}", w.dept_staff)
    assert status == 200
    assert body["contact_phone"] == "138****5678" and body["contact_phone_masked"] is True
    assert "13812345678" not in json.dumps(body, ensure_ascii=False)
    assert "138****5678" in body["text"]
    assert set(body["actions"]) == {"sign", "return"}

    status, body = await api.post(f"/cases/{case.number}/sign", w.dept_staff)
    assert status == 200 and body["case"]["status"] == "signed"
    detail = body["case"]
    assert detail["contact_phone"] == "13812345678" and detail["contact_phone_masked"] is False
    assert "13812345678" in detail["text"]
    assert [e["action"] for e in detail["timeline"]] == ["sign"]
    assert detail["timeline"][0]["actor"] == "赵工"
    # The grid's worker sees the case but does not handle it: the phone stays masked for her.
    status, body = await api.get(f"/cases/{case.number}", w.grid_worker)
    assert status == 200 and body["contact_phone"] == "138****5678" and body["actions"] == []


async def test_another_grids_case_is_forbidden_and_tells_nothing(api: Api) -> None:
    w = api.world
    case = await make_case(w, unit=w.other, worker=w.far_grid_worker, grid=w.g3)
    status, body = await api.get(f"/cases/{case.number}", w.grid_worker)
    assert status == 403 and body["error"]["code"] == "forbidden"
    text = json.dumps(body, ensure_ascii=False)
    for secret in (case.number, case.title, "丙", "13812345678", "138****5678", "dispatched"):
        assert secret not in text
    # An unknown number is answered exactly the same, so existence does not leak either.
    assert await api.get("/cases/2603199999", w.grid_worker) == (status, body)
    for action, payload in VALID_PAYLOADS.items():
        answer = await api.post(f"/cases/{case.number}/{action}", w.grid_worker, payload)
        assert answer == (status, body), action
    await case.refresh_from_db()
    assert case.status == S.DISPATCHED
    # Dispatchers see every case, so for them an unknown number is simply not found.
    status, body = await api.get("/cases/2603199999", w.dispatcher)
    assert status == 404 and body["error"]["code"] == "not_found"


# Actions

VALID_PAYLOADS: dict[str, Any] = {
    "sign": None,
    "contact": {"method": "phone", "note": "已联系"},
    "progress": {"text": "进展"},
    "finish": {"result": "已办结"},
    "return": {"reason": "非本单位职责"},
    "extension": {"hours": 24, "reason": "等待配件"},
}


async def test_sign_contact_progress_extension_finish(api: Api) -> None:
    w = api.world
    case = await make_case(w, worker=w.dept_staff)
    path = f"/cases/{case.number}"
    assert (await api.post(f"{path}/sign", w.dept_staff))[0] == 200

    status, body = await api.post(
        f"{path}/contact", w.dept_staff, {"method": "visit", "note": "上门查看"}
    )
    assert status == 200 and body["case"]["status"] == "contacted"
    assert body["case"]["first_contact_at"] == NOW.isoformat()

    photo = {"type": "image", "media_id": "m-1"}
    status, body = await api.post(
        f"{path}/progress", w.dept_staff, {"text": "已报修", "attachments": [photo]}
    )
    assert status == 200 and body["case"]["status"] == "in_progress"
    assert body["case"]["timeline"][-1]["data"]["attachments"] == [photo]

    status, body = await api.post(
        f"{path}/extension",
        w.dept_staff,
        {"new_due_at": (NOW + timedelta(days=8)).isoformat(), "reason": "等待配件"},
    )
    assert status == 201 and body["extension"]["status"] == "pending"
    assert body["message"] == "已提交，待中心审核"
    request_id = body["extension"]["id"]
    status, again = await api.post(
        f"{path}/extension", w.dept_staff, {"hours": 8, "reason": "再等"}
    )
    assert status == 409 and again["error"]["code"] == "conflict"

    # The unit sees its own request; the centre's dispatcher decides it, the unit never does.
    status, body = await api.get("/extensions?status=pending", w.dept_supervisor)
    assert status == 200 and [e["id"] for e in body["extensions"]] == [request_id]
    assert body["extensions"][0]["case"] == case.number
    status, body = await api.get("/extensions", w.street_supervisor)
    assert body["extensions"] == []
    status, body = await api.get("/extensions", w.dispatcher)
    assert [e["id"] for e in body["extensions"]] == [request_id]
    decide = f"/extensions/{request_id}/decide"
    for unit_member in (w.dept_staff, w.dept_supervisor):
        status, body = await api.post(decide, unit_member, {"approve": True})
        assert status == 403
    for unknown in ("999999", "99999999999999999999999", "x"):
        answer = await api.post(f"/extensions/{unknown}/decide", w.dispatcher, {"approve": True})
        assert answer == (403, body)
    status, body = await api.post(decide, w.dispatcher, {"approve": True, "note": "同意"})
    assert status == 200 and body["extension"]["status"] == "approved"
    assert body["completion_due_at"] == (NOW + timedelta(days=8)).isoformat()
    status, body = await api.post(decide, w.dispatcher, {"approve": False, "note": "不"})
    assert status == 409

    status, body = await api.post(
        f"{path}/finish",
        w.dept_staff,
        {
            "result": "路灯已更换",
            "attachments": [{"type": "image", "url": "https://x.example/a.jpg"}],
        },
    )
    assert status == 200 and body["case"]["status"] == "completed"
    assert body["case"]["result"] == "路灯已更换" and len(body["case"]["result_attachments"]) == 1
    assert body["case"]["actions"] == []
    events = [e.action for e in await CaseEvent.filter(case_id=case.id).order_by("id")]
    assert events == [
        "sign",
        "contact",
        "progress",
        "annotate",
        "annotate",
        "deadline",
        "finish",
    ]


async def test_return_is_a_request_to_the_centre(api: Api) -> None:
    w = api.world
    case = await make_case(w, worker=w.dept_staff)
    status, body = await api.post(
        f"/cases/{case.number}/return",
        w.dept_staff,
        {"reason": "不属于本单位职责", "suggested_unit": w.street.code},
    )
    assert status == 201 and body["message"] == "已提交，待中心审核"
    assert body["return_request"]["status"] == "pending"
    assert body["return_request"]["suggested_unit_id"] == w.street.id
    assert body["case"]["status"] == "dispatched"  # nothing changes until the centre decides
    assert body["case"]["pending_return"]["id"] == body["return_request"]["id"]
    await case.refresh_from_db()
    assert case.status == S.DISPATCHED and case.unit_id == w.dept.id and case.returned_count == 0
    assert (await api.get(f"/cases/{case.number}", w.dept_staff))[0] == 200
    status, again = await api.post(
        f"/cases/{case.number}/return", w.dept_colleague, {"reason": "再退"}
    )
    assert status == 409 and again["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("contact", {"method": "fax"}),
        ("contact", {"note": "没有方式"}),
        ("contact", {"method": "phone", "extra": 1}),
        ("progress", {"text": "照片", "attachments": [{"type": "video", "url": "https://v"}]}),
        ("progress", {"text": "照片", "attachments": [{"type": "image"}]}),
        ("progress", {"text": "照片", "attachments": [{"type": "image", "url": "ftp://x"}]}),
        (
            "progress",
            {"text": "照片", "attachments": [{"type": "image", "media_id": "m"}] * 10},
        ),
        ("progress", {"text": "  "}),
        ("finish", {"result": "   "}),
        ("finish", {"attachments": []}),
        ("return", {}),
        ("extension", {"hours": "24", "reason": "原因"}),
        ("extension", {"hours": 0, "reason": "原因"}),
        ("extension", {"hours": 24.5, "reason": "原因"}),
        ("extension", {"hours": 24}),
        ("extension", {"reason": "没有日期"}),
        ("extension", {"hours": 24, "new_due_at": "2026-03-20T17:30:00+08:00", "reason": "两个"}),
        ("extension", {"new_due_at": "2026-03-20T17:30:00", "reason": "没有时区"}),
        ("extension", {"new_due_at": "下周", "reason": "原因"}),
        ("return", {"reason": "原因", "suggested_unit": "X" * 33}),
        ("sign", {"anything": True}),
        ("contact", ["phone"]),
    ],
)
async def test_invalid_payloads_are_400(api: Api, action: str, payload: Any) -> None:
    case = await make_case(api.world, S.SIGNED, worker=api.world.dept_staff)
    status, body = await api.post(f"/cases/{case.number}/{action}", api.world.dept_staff, payload)
    assert status == 400, body
    assert body["error"]["code"] in ("invalid_payload", "invalid_request")
    assert body["error"]["message"]
    await case.refresh_from_db()
    assert case.version == 0


async def test_broken_json_is_400(api: Api) -> None:
    case = await make_case(api.world, S.SIGNED, worker=api.world.dept_staff)
    status, body = await api.call(
        "POST", f"/cases/{case.number}/contact", api.world.dept_staff, raw=b"{method: phone"
    )
    assert status == 400 and body["error"]["code"] == "invalid_json"


async def test_illegal_transitions_are_409_with_what_is_allowed(api: Api) -> None:
    w = api.world
    case = await make_case(w, S.SIGNED, worker=w.dept_staff)
    status, body = await api.post(f"/cases/{case.number}/sign", w.dept_staff)
    assert status == 409 and body["error"]["code"] == "illegal_transition"
    assert "已签收" in body["error"]["message"] and "签收" in body["error"]["message"]
    assert "退单" in body["error"]["message"]  # what may be done from here
    assert "signed" in body["error"]["detail"]
    status, body = await api.post(f"/cases/{case.number}/finish", w.dept_staff, {"result": "好"})
    assert status == 409 and "先行联系" in body["error"]["message"]
    dispatched = await make_case(w, worker=w.dept_staff)
    status, body = await api.post(
        f"/cases/{dispatched.number}/extension", w.dept_staff, {"hours": 4, "reason": "原因"}
    )
    assert status == 409 and body["error"]["code"] == "conflict"
    # Seeing is not handling: the grid's worker may read but not act on another unit's case.
    status, body = await api.post(
        f"/cases/{case.number}/contact", w.grid_worker, {"method": "phone"}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert "承办单位" in body["error"]["message"]


# A whole life


async def test_a_whole_life(db_url: str, aiohttp_client: Any) -> None:
    clock = ManualClock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    resident = WeChatResident(client, "o-whole-life")
    answer = await resident.say(
        "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管，电话13812345678"
    )
    case = await Case.get()
    assert case.number in answer and case.status == S.DISPATCHED
    handler = await Worker.get(id=case.worker_id)  # the grid's worker the route assigned
    token = await issue_token(handler, clock.now(), "phone")
    auth = {"Authorization": f"Bearer {token}"}

    async def call(method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else None
        response = await client.request(method, f"/api/worker{path}", data=data, headers=auth)
        assert response.status == 200, await response.text()
        return await response.json()

    tasks = await call("GET", "/tasks")
    assert [t["number"] for t in tasks["tasks"]] == [case.number]
    detail = await call("GET", f"/cases/{case.number}")
    assert detail["contact_phone"] == "138****5678"
    assert [e["action"] for e in detail["timeline"]] == ["accept", "dispatch"]

    clock.advance(timedelta(minutes=20))
    await call("POST", f"/cases/{case.number}/sign")
    clock.advance(timedelta(hours=1))
    detail = await call(
        "POST", f"/cases/{case.number}/contact", {"method": "phone", "note": "已电话联系居民"}
    )
    assert detail["case"]["contact_phone"] == "13812345678"
    clock.advance(timedelta(days=1))
    await call(
        "POST",
        f"/cases/{case.number}/finish",
        {"result": "物业已清理楼道杂物", "attachments": [{"type": "image", "media_id": "done-1"}]},
    )

    told = await OutboxMessage.filter(recipient="o-whole-life").order_by("id")
    assert [row.channel for row in told] == ["mp_custom", "mp_custom"]
    assert all(row.status == OutboxStatus.PENDING for row in told)
    contacted, finished = (row.payload["text"]["content"] for row in told)
    assert case.number in contacted and "联系" in contacted
    assert case.number in finished and "物业已清理楼道杂物" in finished
    await case.refresh_from_db()
    assert case.status == S.COMPLETED and case.result == "物业已清理楼道杂物"
    actions = [e.action for e in await CaseEvent.filter(case_id=case.id).order_by("id")]
    assert actions == ["accept", "dispatch", "sign", "contact", "finish"]
    # The resident reads the same timeline in WeChat.
    timeline = await resident.say(case.number)
    assert "办结" in timeline and "签收" in timeline
    assert await ExtensionRequest.filter(status=ExtensionStatus.PENDING).count() == 0
