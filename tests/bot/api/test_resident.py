"""The mini-program's resident API, used as the mini-program uses it: sign in with a wx.login code
(through the fake WeChat), upload photos, report, read back, add, withdraw, rate; idempotent
submissions; sessions; the content check; limits."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from bot.app import create_app
from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.residents import cases as resident_cases
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    HeldMessage,
    HeldReason,
    InboundMessage,
    InboundStatus,
    MediaFile,
    OutboxMessage,
    Resident,
    ResidentApp,
    ResidentSession,
    Survey,
    SurveyAnswer,
    Worker,
)
from tests.conftest import make_settings
from tests.fake_wechat import MSG_SEC_CHECK, FakeMiniProgram
from tests.handlers.residents.test_sessions import encrypt_user_data, phone_data

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"
WATER = "市光一村停水了，已经两天"


# Real, small images, made here


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """An 8x8 grey baseline JPEG: one component, all coefficients zero, one-code tables."""
    soi, eoi = b"\xff\xd8", b"\xff\xd9"

    def segment(marker: int, data: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    app0 = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = segment(0xDB, b"\x00" + bytes([1] * 64))
    sof = segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    one_code = bytes([1] + [0] * 15)  # a single code of length 1 ...
    dht = segment(0xC4, b"\x00" + one_code + b"\x00" + b"\x10" + one_code + b"\x00")
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    scan = b"\x3f"  # DC difference 0 ("0"), end of block ("0"), padded with ones
    return soi + app0 + dqt + sof + dht + sos + scan + eoi


def webp_bytes() -> bytes:
    """A 2x2 lossless WebP (made with Pillow: uploads are decoded, so it must be a real one)."""
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (255, 0, 0)).save(out, "WEBP", lossless=True)
    return out.getvalue()


# The app, the fake WeChat, and a resident holding the mini-program


@dataclass
class MiniApp:
    client: TestClient
    fake: FakeMiniProgram
    clock: ManualClock
    upload_dir: Path
    seen: list[str] = field(default_factory=list)  # every response body, for leak checks

    async def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        response = await self.client.request(method, path, headers=headers, **kw)
        text = await response.text()
        self.seen.append(text)
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        return response.status, body, response

    async def sign_in(
        self, openid: str, *, unionid: str | None = None, session_key: str | None = None
    ) -> dict[str, str]:
        code = f"code-{secrets.token_hex(4)}"
        self.fake.login(code, openid, session_key=session_key, unionid=unionid)
        status, body, _ = await self.call("POST", "/api/resident/session", json={"code": code})
        assert status == 201, body
        return {"Authorization": f"Bearer {body['token']}"}

    async def upload(
        self, headers: dict[str, str], data: bytes, declared: str = "image/png"
    ) -> tuple[int, Any]:
        form = aiohttp.FormData()
        form.add_field("file", data, filename="photo.png", content_type=declared)
        status, body, _ = await self.call("POST", "/api/resident/uploads", headers, data=form)
        return status, body

    async def submit(
        self, headers: dict[str, str], text: str = LAMP, **fields: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        body = {"request_id": str(uuid.uuid4()), "text": text, **fields}
        return await self.call("POST", "/api/resident/cases", headers, json=body)


MakeMini = Callable[..., Awaitable[MiniApp]]


@pytest.fixture
async def fake_mini() -> AsyncIterator[tuple[FakeMiniProgram, str]]:
    fake = FakeMiniProgram()
    async with fake.running() as url:
        yield fake, url


@pytest.fixture
def make_mini(
    db_url: str, aiohttp_client: Any, fake_mini: tuple[FakeMiniProgram, str], tmp_path: Path
) -> MakeMini:
    async def factory(**overrides: Any) -> MiniApp:
        fake, url = fake_mini
        clock = ManualClock(START)
        upload_dir = tmp_path / "uploads"
        settings = make_settings(
            db_url,
            mini_appid=fake.appid,
            mini_secret=fake.secret,
            mini_api_base=url,
            outbound_mode="wechat",
            upload_dir=upload_dir,
            **overrides,
        )
        client: TestClient = await aiohttp_client(create_app(settings, clock))
        await load_demo_district()
        return MiniApp(client, fake, clock, upload_dir)

    return factory


# Signing in


async def test_sign_in_issues_our_token_and_keeps_the_session_key(make_mini: MakeMini) -> None:
    app = await make_mini()
    login = app.fake.login("wxcode-1", "o-mini-1", unionid="u-mini-1")
    status, body, _ = await app.call("POST", "/api/resident/session", json={"code": "wxcode-1"})
    assert status == 201
    token = body["token"]
    assert body["resident"]["phone"] is None and body["resident"]["blocked"] is False
    session = await ResidentSession.get()
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert session.session_key == login.session_key
    resident = await Resident.get(id=session.resident_id)
    assert resident.openid == "o-mini-1" and resident.app == ResidentApp.MINIPROGRAM
    assert resident.unionid == "u-mini-1"
    # WeChat refuses a used code and an unknown one.
    for code in ("wxcode-1", "wxcode-unknown"):
        status, body, _ = await app.call("POST", "/api/resident/session", json={"code": code})
        assert status == 401 and body["error"]["code"] == "invalid_code"
    status, body, _ = await app.call("POST", "/api/resident/session", json={})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    assert all(login.session_key not in seen for seen in app.seen)


async def test_sign_in_without_a_mini_program(make_client: Any, tmp_path: Path) -> None:
    client = await make_client(upload_dir=tmp_path / "u")
    response = await client.post("/api/resident/session", json={"code": "demo-alice"})
    body = await response.json()
    assert response.status == 503 and body["error"]["code"] == "mini_not_configured"
    assert "JIESU_MINI_APPID" in body["error"]["message"]


async def test_demo_mode_signs_in_demo_residents(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    settings = make_settings(db_url, demo=True, upload_dir=tmp_path / "u")
    client: TestClient = await aiohttp_client(create_app(settings))
    await load_demo_district()
    response = await client.post("/api/resident/session", json={"code": "demo-alice"})
    assert response.status == 201, await response.text()
    headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
    again = await client.post("/api/resident/session", json={"code": "demo-alice"})
    assert again.status == 201
    assert await Resident.filter(openid="demo-alice", app=ResidentApp.MINIPROGRAM).count() == 1
    refused = await client.post("/api/resident/session", json={"code": "wx-real-code"})
    assert refused.status == 401 and "demo-" in (await refused.json())["error"]["message"]
    response = await client.post(
        "/api/resident/cases",
        json={"request_id": str(uuid.uuid4()), "text": LAMP},
        headers=headers,
    )
    assert response.status == 201 and (await Case.get()).channel == "miniprogram"


async def test_tokens_that_do_not_work(make_mini: MakeMini) -> None:
    app = await make_mini(resident_session_days=30)
    headers = await app.sign_in("o-mini-2")
    assert (await app.call("GET", "/api/resident/me", headers))[0] == 200
    for bad in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer jsr_nope"}):
        status, body, response = await app.call("GET", "/api/resident/me", bad)
        assert status == 401 and body["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # Unused for 31 days: expired.
    app.clock.advance(timedelta(days=31))
    assert (await app.call("GET", "/api/resident/me", headers))[0] == 401
    # Signed out: revoked at once.
    headers = await app.sign_in("o-mini-2")
    status, body, _ = await app.call("DELETE", "/api/resident/session", headers)
    assert status == 200 and body["signed_out"] is True
    assert (await app.call("GET", "/api/resident/me", headers))[0] == 401
    assert (await ResidentSession.filter(revoked_at__isnull=False).count()) == 1


async def test_the_phone_number_from_wechat(make_mini: MakeMini) -> None:
    app = await make_mini()
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    headers = await app.sign_in("o-mini-3", session_key=key)
    sealed, iv = encrypt_user_data(key, phone_data(app.fake.appid, "13912345678"))
    status, body, _ = await app.call(
        "POST", "/api/resident/phone", headers, json={"encrypted_data": sealed, "iv": iv}
    )
    assert status == 200 and body == {"phone": "139****5678"}
    assert (await Resident.get(openid="o-mini-3")).phone == "13912345678"
    assert (await app.call("GET", "/api/resident/me", headers))[1]["phone"] == "139****5678"
    # Watermarked for another mini-program, or sealed with another key: refused.
    for sealed, iv in (
        encrypt_user_data(key, phone_data("wxsomeoneelse")),
        encrypt_user_data(base64.b64encode(b"k" * 16).decode(), phone_data(app.fake.appid)),
    ):
        status, body, _ = await app.call(
            "POST", "/api/resident/phone", headers, json={"encrypted_data": sealed, "iv": iv}
        )
        assert status == 400 and body["error"]["code"] == "invalid_request"
    assert all(key not in seen for seen in app.seen)


# Reporting and reading back


async def test_report_with_photos_and_read_it_back(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-mini-4")
    status, png = await app.upload(headers, png_bytes())
    assert status == 201 and png["content_type"] == "image/png"
    status, jpeg = await app.upload(headers, jpeg_bytes(), "image/jpeg")
    assert status == 201 and jpeg["content_type"] == "image/jpeg"
    request_id = str(uuid.uuid4())
    body = {
        "request_id": request_id,
        "text": "门口的灯坏了好几天，晚上很黑",
        "category": "城乡建设/市政设施",
        "location": {"lat": 31.2833, "lng": 121.5252, "address": "政通路240号"},
        "photos": [png["key"], jpeg["key"]],
        "contact": {"name": "王先生", "phone": "13812345678"},
        "anonymous": False,
    }
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 201, answer
    number = answer["case"]["number"]
    assert number in answer["reply"] and answer["held"] is False
    assert answer["case"]["category"] == "城乡建设/市政设施"
    assert answer["case"]["kind_label"] and answer["case"]["deadlines"]["completion"]
    case = await Case.get(number=number)
    assert case.channel == "miniprogram" and case.category == "城乡建设/市政设施"
    assert case.contact_phone == "13812345678"
    assert [a["media_key"] for a in case.attachments] == [png["key"], jpeg["key"]]
    assert all(
        a["type"] == "image" and a["url"] == f"/media/{a['media_key']}" for a in case.attachments
    )
    assert await MediaFile.filter(case_id=case.id).count() == 2
    stored = await InboundMessage.get(channel="resident_api")
    assert stored.status == InboundStatus.ANSWERED and stored.case_id == case.id
    assert json.loads(stored.body)["request_id"] == request_id
    # The same request_id again: the first answer, no second case.
    status, again, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 201 and again == answer
    assert await Case.all().count() == 1
    # In 我的诉求, and in detail with its timeline.
    status, page, _ = await app.call("GET", "/api/resident/cases", headers)
    assert status == 200 and [c["number"] for c in page["cases"]] == [number]
    assert page["total"] == 1 and page["has_more"] is False
    status, detail, _ = await app.call("GET", f"/api/resident/cases/{number}", headers)
    assert status == 200 and detail["anonymous"] is False
    assert detail["contact_phone"] == "138****5678" and len(detail["attachments"]) == 2
    assert [e["action"] for e in detail["timeline"]][:2] == ["accept", "dispatch"]
    assert any(e["note"] == "联系人：王先生" for e in detail["timeline"])
    # A worker's name never shows: the dispatch says which unit.
    worker = await Worker.get(id=case.worker_id) if case.worker_id else None
    if worker is not None:
        assert worker.name not in json.dumps(detail, ensure_ascii=False)


async def test_another_residents_case_is_not_there(make_mini: MakeMini) -> None:
    app = await make_mini()
    alice = await app.sign_in("o-alice")
    bob = await app.sign_in("o-bob")
    _, answer, _ = await app.submit(alice)
    number = answer["case"]["number"]
    theirs = await app.call("GET", f"/api/resident/cases/{number}", bob)
    nobody = await app.call("GET", "/api/resident/cases/2699999999", bob)
    assert theirs[0] == nobody[0] == 404 and theirs[1] == nobody[1]
    assert theirs[1]["error"]["code"] == "not_found"
    for action in ("info", "cancel", "survey"):
        theirs = await app.call("POST", f"/api/resident/cases/{number}/{action}", bob, json={})
        assert theirs[0] in (400, 404)
    assert (await app.call("GET", "/api/resident/cases", bob))[1]["total"] == 0


async def test_anonymous_keeps_the_case_but_not_the_phone(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-anon")
    await Resident.filter(openid="o-anon").update(phone="13700001111")
    status, answer, _ = await app.submit(
        headers, contact={"name": "王先生", "phone": "13812345678"}, anonymous=True
    )
    assert status == 201
    case = await Case.get(number=answer["case"]["number"])
    assert case.contact_phone is None and case.title.startswith("【匿名】")
    note = await CaseEvent.get(case_id=case.id, action="annotate")
    assert "匿名" in note.note and note.data == {"kind": "anonymous"}
    assert not await CaseEvent.filter(case_id=case.id, note__contains="王先生").exists()
    status, detail, _ = await app.call("GET", f"/api/resident/cases/{case.number}", headers)
    assert detail["anonymous"] is True and detail["contact_phone"] is None
    assert (await app.call("GET", "/api/resident/cases", headers))[1]["total"] == 1
    # The worker's task is marked from the first notice on, and carries no phone.
    tasks = await OutboxMessage.filter(purpose="task", case_id=case.id)
    assert tasks and all("【匿名】" in json.dumps(t.payload, ensure_ascii=False) for t in tasks)
    assert not any("1381234" in json.dumps(t.payload) for t in tasks)


async def test_bad_submissions(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-bad")
    other = await app.sign_in("o-other")
    _, photo = await app.upload(other, png_bytes())
    cases = [
        {"text": LAMP},  # no request_id
        {"request_id": "x", "text": LAMP},
        {"request_id": str(uuid.uuid4()), "text": "   "},
        {"request_id": str(uuid.uuid4()), "text": LAMP, "category": "城乡建设/没有这类"},
        {"request_id": str(uuid.uuid4()), "text": LAMP, "photos": ["a" * 32] * 10},
        {"request_id": str(uuid.uuid4()), "text": LAMP, "location": {"lat": 99, "lng": 1}},
        {"request_id": str(uuid.uuid4()), "text": "a\x00b"},
        {"request_id": str(uuid.uuid4()), "text": LAMP, "extra": 1},
    ]
    for body in cases:
        status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
        assert status == 400 and answer["error"]["code"] == "invalid_payload", body
    status, answer, _ = await app.submit(headers, photos=[photo["key"]])
    assert status == 400 and answer["error"]["code"] == "invalid_request"
    assert await Case.all().count() == 0 and await InboundMessage.all().count() == 0


def fail_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next case the API makes fails (the database went away), later ones work."""
    real = resident_cases.report_case
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(resident_cases, "report_case", flaky)


async def test_a_failed_submission_runs_again_on_retry(
    make_mini: MakeMini, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-retry")
    fail_once(monkeypatch)
    body = {"request_id": str(uuid.uuid4()), "text": LAMP}
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 500 and answer["error"]["code"] == "failed"
    row = await InboundMessage.get()
    assert row.status == InboundStatus.FAILED and "database went away" in row.error
    assert await Case.all().count() == 0
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 201 and await Case.all().count() == 1
    row = await InboundMessage.get()
    assert row.status == InboundStatus.ANSWERED and row.attempts == 2


async def test_a_place_picked_on_the_map_completes_a_case(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-place")
    status, answer, _ = await app.submit(headers, text="路灯坏了，晚上很黑")
    assert status == 201 and answer["needs_place"] is True
    number = answer["case"]["number"]
    status, added, _ = await app.call(
        "POST",
        f"/api/resident/cases/{number}/info",
        headers,
        json={"location": {"lat": 31.28, "lng": 121.52, "address": "政通路240号"}},
    )
    assert status == 200, added
    assert added["case"]["place"] != "地点待补充" and "政通路" in added["reply"]


async def test_add_info_and_cancel(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-info")
    _, answer, _ = await app.submit(headers)
    number = answer["case"]["number"]
    _, photo = await app.upload(headers, png_bytes())
    status, added, _ = await app.call(
        "POST",
        f"/api/resident/cases/{number}/info",
        headers,
        json={"text": "灯杆也歪了", "photos": [photo["key"]]},
    )
    assert status == 200 and number in added["reply"] and added["held"] is False
    case = await Case.get(number=number)
    assert "灯杆也歪了" in case.text and case.attachments[-1]["media_key"] == photo["key"]
    assert (await MediaFile.get(key=photo["key"])).case_id == case.id
    empty = await app.call("POST", f"/api/resident/cases/{number}/info", headers, json={})
    assert empty[0] == 400
    status, done, _ = await app.call("POST", f"/api/resident/cases/{number}/cancel", headers)
    assert status == 200 and done["case"]["status"] == "cancelled"
    assert (await Case.get(number=number)).status == CaseStatus.CANCELLED
    status, closed, _ = await app.call(
        "POST", f"/api/resident/cases/{number}/info", headers, json={"text": "还有"}
    )
    assert status == 409 and closed["error"]["code"] == "conflict"


async def test_cannot_cancel_after_sign_then_rate_it(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-rate")
    _, answer, _ = await app.submit(headers)
    number = answer["case"]["number"]
    status, refused, _ = await app.call(
        "POST", f"/api/resident/cases/{number}/survey", headers, json={"answer": "satisfied"}
    )
    assert status == 409 and refused["error"]["code"] == "no_survey"
    case = await Case.get(number=number)
    intake = app.client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    status, refused, _ = await app.call("POST", f"/api/resident/cases/{number}/cancel", headers)
    assert status == 409 and refused["error"]["code"] == "illegal_transition"
    await record_contact(case, worker, "phone", "", await intake.context())
    app.clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "路灯已修复，请致电13500001111", [], await intake.context())
    status, detail, _ = await app.call("GET", f"/api/resident/cases/{number}", headers)
    assert detail["status"] == "completed" and detail["result"] == "路灯已修复，请致电135****1111"
    assert detail["survey"]["can_answer"] is True
    assert worker.name not in json.dumps(detail, ensure_ascii=False)
    assert "13500001111" not in json.dumps(detail)
    status, rated, _ = await app.call(
        "POST",
        f"/api/resident/cases/{number}/survey",
        headers,
        json={"answer": "basic", "comment": "修得挺快"},
    )
    assert status == 200 and "基本满意" in rated["reply"]
    survey = await Survey.get(case_id=case.id)
    assert survey.answer == SurveyAnswer.BASICALLY and survey.answer_source == "miniprogram"
    assert rated["case"]["status"] == "visited"


async def test_subscription_consents_and_me(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-subs")
    status, body, _ = await app.call(
        "POST",
        "/api/resident/subscriptions",
        headers,
        json={
            "choices": {
                "errMsg": "requestSubscribeMessage:ok",
                "tmpl-case-update": "accept",
                "tmpl-survey": "reject",
                "tmpl-banned": "ban",
            }
        },
    )
    assert status == 200
    assert body["consents"] == {"tmpl-case-update": "accept", "tmpl-survey": "reject"}
    status, me, _ = await app.call("GET", "/api/resident/me", headers)
    assert me["consents"] == body["consents"] and me["survey_opt_out"] is False
    assert me["blocked"] is False and me["phone"] is None


# Content check


async def test_risky_words_are_held_not_routed(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    app.fake.review_words = {"可疑"}
    headers = await app.sign_in("o-check")
    for text in (f"{LAMP}，违禁词", f"{WATER}，可疑"):
        status, answer, _ = await app.submit(headers, text)
        assert status == 202 and answer["held"] is True and answer["case"] is None
        assert "核实" in answer["reply"] and "违禁" not in answer["reply"]
    assert await Case.all().count() == 0
    held = await HeldMessage.all().order_by("id")
    assert [h.reason for h in held] == [HeldReason.CONTENT_CHECK] * 2
    assert [h.check_result["suggest"] for h in held] == ["risky", "review"]
    assert held[0].payload["submission"]["text"].endswith("违禁词")
    assert {c["openid"] for c in app.fake.checked} == {"o-check"}
    # Clean words pass.
    status, answer, _ = await app.submit(headers, LAMP)
    assert status == 201 and await Case.all().count() == 1


async def test_a_failed_check_lets_the_case_through_and_notes_it(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    headers = await app.sign_in("o-check-down")
    app.fake.fail_next(MSG_SEC_CHECK, -1, "system error")
    status, answer, _ = await app.submit(headers)
    assert status == 201
    case = await Case.get(number=answer["case"]["number"])
    events = await CaseEvent.filter(case_id=case.id, action="annotate")
    (note,) = [e for e in events if e.data.get("kind") == "content_unchecked"]
    assert "未能完成" in note.note and "errcode -1" in note.data["reason"]
    status, detail, _ = await app.call("GET", f"/api/resident/cases/{case.number}", headers)
    assert all("安全检查" not in e["note"] for e in detail["timeline"])


# Limits


async def test_a_failed_submission_nobody_retried_is_finished_by_the_sweep(
    make_mini: MakeMini, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app gave up after the error: the recovery sweep makes the case and tells them."""
    app = await make_mini()
    headers = await app.sign_in("o-gave-up")
    fail_once(monkeypatch)
    body = {"request_id": str(uuid.uuid4()), "text": LAMP}
    status, _, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 500
    intake = app.client.app[INTAKE]
    assert await intake.recover() == 0  # too fresh: the app may still retry
    app.clock.advance(timedelta(minutes=1))
    assert await intake.recover() == 1
    case = await Case.get()
    assert case.channel == "miniprogram"
    row = await InboundMessage.get()
    assert row.status == InboundStatus.ANSWERED and row.case_id == case.id
    (told,) = await OutboxMessage.filter(purpose="reply", case_id=case.id)
    assert told.recipient == "o-gave-up" and told.dedup_key == f"reply:{row.dedup_key}"
    # A late retry gets the same case; the next sweep finds nothing to do.
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 201 and answer["case"]["number"] == case.number
    app.clock.advance(timedelta(minutes=1))
    assert await intake.recover() == 0 and await Case.all().count() == 1


async def test_a_refused_submission_is_not_run_by_the_sweep(make_mini: MakeMini) -> None:
    app = await make_mini(resident_cases_per_hour=1)
    headers = await app.sign_in("o-refused")
    assert (await app.submit(headers, LAMP))[0] == 201
    # Not urgent (a water outage would pass the limit): refused and kept by the app.
    assert (await app.submit(headers, "控江路1500号门口垃圾没人清"))[0] == 429
    app.clock.advance(timedelta(hours=2))
    assert await app.client.app[INTAKE].recover() == 0
    assert await Case.all().count() == 1


async def test_cases_per_hour_answer_429_with_retry_after(make_mini: MakeMini) -> None:
    app = await make_mini(resident_cases_per_hour=2)
    headers = await app.sign_in("o-busy")
    for text in (LAMP, WATER):
        assert (await app.submit(headers, text))[0] == 201
        app.clock.advance(timedelta(minutes=5))
    body = {"request_id": str(uuid.uuid4()), "text": "控江路1500号门口垃圾没人清"}
    status, answer, response = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 429 and answer["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) == 50 * 60
    assert "10:30" in answer["error"]["message"] and "1小时" in answer["error"]["message"]
    assert await Case.all().count() == 2
    # Kept, and tried afresh with the same request_id once the hour has passed.
    app.clock.advance(timedelta(minutes=50))
    status, answer, _ = await app.call("POST", "/api/resident/cases", headers, json=body)
    assert status == 201 and await Case.all().count() == 3


async def test_calls_per_minute(make_mini: MakeMini) -> None:
    app = await make_mini(resident_requests_per_minute=3)
    headers = await app.sign_in("o-loop")
    for _ in range(3):
        assert (await app.call("GET", "/api/resident/me", headers))[0] == 200
    status, body, response = await app.call("GET", "/api/resident/me", headers)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"] == "60"
    app.clock.advance(timedelta(seconds=61))
    assert (await app.call("GET", "/api/resident/me", headers))[0] == 200


async def test_the_session_key_never_leaves(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    headers = await app.sign_in("o-leak", session_key=key)
    _, photo = await app.upload(headers, png_bytes())
    _, answer, _ = await app.submit(headers, photos=[photo["key"]])
    number = answer["case"]["number"]
    for path in ("/api/resident/me", "/api/resident/cases", f"/api/resident/cases/{number}"):
        await app.call("GET", path, headers)
    await app.call("GET", "/api/openapi.json")
    assert app.seen and all(key not in seen for seen in app.seen)


async def test_risky_words_added_later_are_held_too(make_mini: MakeMini) -> None:
    app = await make_mini(content_check=True)
    headers = await app.sign_in("o-check-info")
    _, answer, _ = await app.submit(headers)
    number = answer["case"]["number"]
    status, held, _ = await app.call(
        "POST", f"/api/resident/cases/{number}/info", headers, json={"text": "还有违禁词"}
    )
    assert status == 202 and held["held"] is True
    assert "违禁词" not in (await Case.get(number=number)).text
    row = await HeldMessage.get()
    assert row.payload["kind"] == "info" and row.payload["case"] == number


async def test_a_repeat_shows_the_case_it_joined(make_mini: MakeMini) -> None:
    app = await make_mini()
    first = await app.sign_in("o-first")
    second = await app.sign_in("o-second")
    _, original, _ = await app.submit(first)
    status, repeat, _ = await app.submit(second, "政通路240号门口的路灯坏了，晚上很黑")
    assert status == 201 and repeat["case"]["status"] == "merged"
    assert repeat["case"]["merged_into"] == original["case"]["number"]
    assert original["case"]["number"] in repeat["reply"]
    _, page, _ = await app.call("GET", "/api/resident/cases", second, params={"status": "closed"})
    assert [c["merged_into"] for c in page["cases"]] == [original["case"]["number"]]
    _, page, _ = await app.call("GET", "/api/resident/cases", second, params={"status": "open"})
    assert page["total"] == 0
    status, _, _ = await app.call("GET", "/api/resident/cases", second, params={"status": "x"})
    assert status == 400
