"""A case must not grow without limit, and what staff and residents read of it stays bounded.

The attack: hundreds of long messages or additions to one case made its text millions of
characters and its pages and JSON tens of megabytes. Here: the resident API refuses over-long
words and additions past the case's caps in plain Chinese, and the admin JSON, the worker's case
detail and the resident's own view of a case swollen before the caps existed are paged and folded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user, issue_api_token
from handlers.workflow.actions import issue_token
from models import Case, CaseEvent, Worker, WorkerRole
from tests.bot.api.test_resident import png_bytes
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"
ADDITIONS = 300
ADDITION = "楼" * 5000


async def swell(case: Case, additions: int = ADDITIONS) -> None:
    """What the attack left before the caps existed: many long additions, written directly."""
    at = case.created_at
    await CaseEvent.bulk_create(
        [
            CaseEvent(
                case_id=case.id,
                at=at + timedelta(seconds=i + 1),
                actor_type="resident",
                actor_id="o-attacker",
                action="annotate",
                note=f"第{i:03d}条" + ADDITION,
                data={"kind": "detail"},
            )
            for i in range(additions)
        ]
    )
    text = case.text + "".join(
        f"\n[03月10日 10:00 补充] 第{i:03d}条" + ADDITION for i in range(additions)
    )
    await Case.filter(id=case.id).update(text=text)


async def app_client(db_url: str, aiohttp_client: Any, tmp_path: Path, **overrides: Any) -> Any:
    settings = make_settings(db_url, demo=True, upload_dir=tmp_path / "uploads", **overrides)
    client: TestClient = await aiohttp_client(create_app(settings, ManualClock(NOW)))
    await load_demo_district()
    return client


async def resident_headers(client: TestClient, name: str = "alice") -> dict[str, str]:
    response = await client.post("/api/resident/session", json={"code": f"demo-{name}"})
    assert response.status == 201, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def reported(client: TestClient, headers: dict[str, str], text: str = LAMP) -> Case:
    body = {"request_id": str(uuid.uuid4()), "text": text}
    response = await client.post("/api/resident/cases", json=body, headers=headers)
    assert response.status == 201, await response.text()
    return await Case.get(number=(await response.json())["case"]["number"])


async def staff_headers() -> dict[str, str]:
    user = await create_user("dispatcher1", "dispatcher", "correct horse battery", NOW)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def worker_headers() -> dict[str, str]:
    worker = await Worker.create(name="调度员", role=WorkerRole.DISPATCHER)
    return {"Authorization": f"Bearer {await issue_token(worker, NOW, 'test')}"}


# Words too long, and additions past the case's caps


async def test_an_over_long_info_is_refused_in_plain_words(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path)
    headers = await resident_headers(client)
    case = await reported(client, headers)
    path = f"/api/resident/cases/{case.number}/info"
    response = await client.post(path, json={"text": "灯" * 2001}, headers=headers)
    body = await response.json()
    assert response.status == 400 and body["error"]["code"] == "invalid_payload"
    assert "2000字" in body["error"]["message"], body
    await case.refresh_from_db()
    assert "灯灯灯" not in case.text


async def test_an_over_long_submission_is_refused_in_plain_words(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path)
    headers = await resident_headers(client)
    body = {"request_id": str(uuid.uuid4()), "text": LAMP + "灯" * 2000}
    response = await client.post("/api/resident/cases", json=body, headers=headers)
    answer = await response.json()
    assert response.status == 400 and "2000字" in answer["error"]["message"], answer
    assert await Case.all().count() == 0


async def test_infos_past_the_case_cap_are_refused_and_staff_see_it(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path, case_added_max_chars=3000)
    headers = await resident_headers(client)
    case = await reported(client, headers)
    first = len(case.text)
    path = f"/api/resident/cases/{case.number}/info"
    statuses, messages = [], []
    for i in range(6):
        response = await client.post(path, json={"text": f"{i}" + "补" * 999}, headers=headers)
        statuses.append(response.status)
        body = await response.json()
        messages.append(body.get("reply") or body.get("error", {}).get("message", ""))
    assert statuses[:2] == [200, 200] and set(statuses[2:]) == {409}, statuses
    assert "还能补充" in messages[2] and case.number in messages[2], messages[2]
    await case.refresh_from_db()
    assert len(case.text) <= first + 3000
    note = await CaseEvent.get(case_id=case.id, actor_type="system", note__contains="未并入")
    assert note.data["count"] == 4


async def test_photos_past_the_case_cap_are_refused(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path, case_attachments_max=2)
    headers = await resident_headers(client)
    case = await reported(client, headers)
    keys = []
    for _ in range(3):
        form = aiohttp.FormData()
        form.add_field("file", png_bytes(), filename="p.png", content_type="image/png")
        response = await client.post("/api/resident/uploads", data=form, headers=headers)
        assert response.status == 201, await response.text()
        keys.append((await response.json())["key"])
    path = f"/api/resident/cases/{case.number}/info"
    response = await client.post(path, json={"photos": keys}, headers=headers)
    body = await response.json()
    assert response.status == 409 and "照片" in body["error"]["message"], body
    response = await client.post(path, json={"photos": keys[:2]}, headers=headers)
    assert response.status == 200
    await case.refresh_from_db()
    assert len(case.attachments) == 2


# What staff and residents read of a swollen case


async def test_the_admin_json_of_a_swollen_case_stays_small(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path)
    case = await reported(client, await resident_headers(client))
    await swell(case)
    headers = await staff_headers()
    path = f"/api/admin/cases/{case.number}"
    response = await client.get(path, headers=headers)
    raw = await response.read()
    assert response.status == 200 and len(raw) < 200_000, len(raw)
    detail = (await response.json())["case"]
    assert detail["text_folded"] and detail["text_length"] > 1_000_000
    timeline = detail["timeline"]
    assert len(timeline) == 50 and detail["timeline_total"] >= ADDITIONS
    assert timeline[-1]["note"].startswith(f"第{ADDITIONS - 1:03d}条")  # the latest come first
    assert all(e["note_folded"] for e in timeline)
    older = await (await client.get(path, params={"timeline_page": "2"}, headers=headers)).json()
    assert older["case"]["timeline"][-1]["note"].startswith(f"第{ADDITIONS - 51:03d}条")
    full = await client.get(path, params={"full": "1"}, headers=headers)
    full_detail = (await full.json())["case"]
    assert ADDITION in full_detail["timeline"][-1]["note"] and not full_detail["text_folded"]
    bad = await client.get(path, params={"timeline_page": "0"}, headers=headers)
    assert bad.status == 400


async def test_the_worker_case_detail_of_a_swollen_case_stays_small(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path)
    case = await reported(client, await resident_headers(client))
    await swell(case)
    headers = await worker_headers()
    path = f"/api/worker/cases/{case.number}"
    response = await client.get(path, headers=headers)
    raw = await response.read()
    assert response.status == 200 and len(raw) < 200_000, len(raw)
    detail = await response.json()
    assert detail["text_folded"] and len(detail["timeline"]) == 50
    assert detail["timeline_pages"] >= ADDITIONS // 50
    full = await (await client.get(path, params={"full": "1"}, headers=headers)).json()
    assert ADDITION in full["timeline"][-1]["note"]
    bad = await client.get(path, params={"full": "maybe"}, headers=headers)
    assert bad.status == 400


async def test_the_residents_view_of_a_swollen_case_stays_small(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await app_client(db_url, aiohttp_client, tmp_path)
    headers = await resident_headers(client)
    case = await reported(client, headers)
    await swell(case)
    path = f"/api/resident/cases/{case.number}"
    response = await client.get(path, headers=headers)
    raw = await response.read()
    assert response.status == 200 and len(raw) < 200_000, len(raw)
    detail = await response.json()
    assert detail["text_folded"] and len(detail["timeline"]) <= 50
    assert detail["timeline_total"] >= ADDITIONS
