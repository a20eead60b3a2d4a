"""A resident's personal data through the admin API: export, erase (cases stay, anonymised),
who may, bad input, a repeated erasure, and a fresh identity afterwards."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.keys import MEDIA_STORE, SETTINGS
from handlers.residents.media_store import store_photo
from handlers.staff.accounts import create_user, issue_api_token
from models import (
    AuditEvent,
    Case,
    CaseStatus,
    InboundMessage,
    KnowledgeAsk,
    MediaFile,
    Resident,
    ResidentSession,
)
from tests.bot.api.test_resident import png_bytes
from tests.bot.conftest import ClientFactory
from tests.bot.conftest import Resident as Chat

PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
EXPORT = "/api/admin/residents/personal-data/export"
ERASE = "/api/admin/residents/personal-data/erase"
WORDS = "政通路240号门口路灯坏了，晚上一片漆黑，我的电话13812345678"


async def token_for(name: str, role: str) -> dict[str, str]:
    user = await create_user(name, role, PASSWORD, NOW)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def reported(client: TestClient, openid: str) -> tuple[Case, MediaFile]:
    chat = Chat(client, openid)
    assert "已受理" in await chat.say(WORDS)
    await chat.say("谢谢")
    case = await Case.get()
    resident = await Resident.get(openid=openid)
    app = client.server.app
    photo = await store_photo(
        app[MEDIA_STORE],
        png_bytes(),
        owner_type="resident",
        owner_id=resident.id,
        now=NOW,
        settings=app[SETTINGS],
    )
    await MediaFile.filter(id=photo.id).update(case_id=case.id)
    await ResidentSession.create(
        token_hash="h" * 64, resident=resident, session_key="k", created_at=NOW,
        last_seen_at=NOW, expires_at=NOW,
    )  # fmt: skip
    await KnowledgeAsk.create(
        at=NOW, channel="chat", resident=resident, text="请问高龄津贴怎么申请，我叫张三",
        gap_key="高龄·津贴·张三", outcome="unanswered",
    )  # fmt: skip
    return case, photo


async def test_export_then_erase(make_client: ClientFactory, tmp_path: Path) -> None:
    client = await make_client(upload_dir=tmp_path)
    case, photo = await reported(client, "o-pipl-1")
    stored = tmp_path / photo.path
    assert stored.exists()
    admin = await token_for("adm", "admin")
    response = await client.post(EXPORT, json={"openid": "o-pipl-1"}, headers=admin)
    assert response.status == 200, await response.text()
    data = await response.json()
    assert data["resident"]["openid"] == "o-pipl-1"
    assert [c["number"] for c in data["cases"]] == [case.number]
    assert "13812345678" in data["cases"][0]["text"] and data["cases"][0]["timeline"]
    assert len(data["messages_received"]) == 2 and data["messages_sent"] is not None
    assert [m["key"] for m in data["media"]] == [photo.key]
    assert len(data["sessions"]) == 1 and "token_hash" not in json.dumps(data)
    assert data["notices"] == []
    assert [q["text"] for q in data["knowledge_questions"]] == ["请问高龄津贴怎么申请，我叫张三"]
    assert await AuditEvent.filter(action="resident.export").count() == 1

    response = await client.post(
        ERASE, json={"openid": "o-pipl-1", "reason": "居民来电要求删除 2026-03-10"}, headers=admin
    )
    assert response.status == 200, await response.text()
    done = await response.json()
    assert done["found"] and done["cases"] == 1 and done["photos"] == 1
    resident = await Resident.get(id=done["resident_id"])
    assert resident.openid.startswith("erased:") and resident.erased_at is not None
    kept = await Case.get(id=case.id)
    assert kept.status == case.status and kept.category == case.category
    assert kept.unit_id == case.unit_id and kept.anonymised_at is not None
    assert "13812345678" not in kept.text and "5678" not in kept.text
    assert "政通路240号" not in kept.text and "路灯" in kept.text
    assert kept.contact_phone is None and kept.address is None and kept.attachments == []
    assert not stored.exists() and await MediaFile.filter(id=photo.id).count() == 0
    assert await InboundMessage.filter(openid="o-pipl-1").count() == 0
    assert await ResidentSession.filter(resident_id=resident.id).count() == 0
    (ask,) = await KnowledgeAsk.all()  # counted in the figures, nothing of the resident kept
    assert ask.text == "" and ask.gap_key == "" and ask.resident_id is None
    entry = await AuditEvent.get(action="resident.erase")
    assert entry.target_id == str(resident.id) and "o-pipl-1" not in json.dumps(entry.detail)
    # Again: nothing is stored, nothing changes.
    again = await client.post(ERASE, json={"openid": "o-pipl-1", "reason": "x"}, headers=admin)
    assert again.status == 200 and (await again.json())["found"] is False
    assert await AuditEvent.filter(action="resident.erase").count() == 1
    gone = await client.post(EXPORT, json={"openid": "o-pipl-1"}, headers=admin)
    assert gone.status == 404
    # The same openid writing again is a fresh identity.
    await Chat(client, "o-pipl-1").say("你好")
    fresh = await Resident.get(openid="o-pipl-1")
    assert fresh.id != resident.id and fresh.erased_at is None
    assert await Case.filter(resident_id=fresh.id).count() == 0


async def test_who_may_and_bad_input(make_client: ClientFactory, tmp_path: Path) -> None:
    client = await make_client(upload_dir=tmp_path)
    case, _ = await reported(client, "o-pipl-2")
    dispatcher = await token_for("disp", "dispatcher")
    admin = await token_for("adm", "admin")
    body: dict[str, Any] = {"openid": "o-pipl-2", "reason": "x"}
    for path in (EXPORT, ERASE):
        assert (await client.post(path, json=body)).status == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.post(path, json=body, headers=wrong)).status == 401
        assert (await client.post(path, json=body, headers=dispatcher)).status == 403
    for bad in (
        {"openid": "o pipl"},
        {"openid": "x" * 65},
        {"openid": ""},
        {"openid": "erased:abc"},
        {"openid": "o-pipl-2", "extra": 1},
        {"openid": 12},
    ):
        response = await client.post(EXPORT, json=bad, headers=admin)
        assert response.status == 400, bad
    no_reason = await client.post(ERASE, json={"openid": "o-pipl-2"}, headers=admin)
    assert no_reason.status == 400
    assert (await Resident.get(openid="o-pipl-2")).erased_at is None
    assert (await Case.get(id=case.id)).anonymised_at is None
    assert await AuditEvent.filter(action__startswith="resident.").count() == 0
    # Two erasures at once: one does it, the other finds nothing.
    answers = await asyncio.gather(
        *(client.post(ERASE, json=body, headers=admin) for _ in range(2))
    )
    found = sorted([(await a.json())["found"] for a in answers])
    assert found == [False, True]
    assert await AuditEvent.filter(action="resident.erase").count() == 1
    assert (await Case.get(id=case.id)).status != CaseStatus.INVALID
