"""A photo a worker sends the WeCom app while handling a case: fetched through WeCom's media API
(the fake), kept without EXIF as the worker's upload, recorded as progress of that case, and the
worker told where it went. WeCom's retry attaches nothing twice; a worker with no case in hand,
or a media id WeCom no longer has, is told so and nothing is attached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.keys import DRAINER
from handlers.workflow.actions import issue_token
from models import Case, CaseEvent, InboundMessage, MediaFile, Worker
from tests.bot.api.test_authorization import pinned_case
from tests.bot.api.test_upload_attacks import photo_with_gps
from tests.bot.conftest import ClientFactory
from tests.fake_wecom import FakeWeCom, callback_request, image_message_xml

TOKEN = "worktoken123"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
NOW = datetime.now(UTC)


@pytest.fixture
async def wecom() -> AsyncIterator[tuple[FakeWeCom, str]]:
    fake = FakeWeCom()
    async with fake.running() as url:
        yield fake, url


async def wecom_client(
    make_client: ClientFactory, tmp_path: Path, fake: FakeWeCom, url: str
) -> TestClient:
    return await make_client(
        outbound_mode="wechat",
        work_api_base=url,
        work_corp_id=fake.corp_id,
        work_agent_id=str(fake.agent_id),
        work_secret=fake.secret,
        work_token=TOKEN,
        work_aes_key=AES_KEY,
        upload_dir=tmp_path / "uploads",
    )


async def send_image(
    client: TestClient, fake: FakeWeCom, userid: str, media_id: str, msg: str
) -> int:
    xml = image_message_xml(userid, media_id, msg, corp_id=fake.corp_id)
    query, body = callback_request(TOKEN, AES_KEY, fake.corp_id, xml)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    return response.status


async def signed_case(client: TestClient) -> Case:
    case = await pinned_case(
        client, "o-wecom-photo", "国权路小区楼道堆物占用消防通道", "ST-WJC", "WJC-01", "wangfang"
    )
    token = await issue_token(await Worker.get(wecom_userid="wangfang"), NOW, "t")
    response = await client.post(
        f"/api/worker/cases/{case.number}/sign",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    return await Case.get(id=case.id)


def texts_to(fake: FakeWeCom, userid: str) -> list[str]:
    return [m["text"]["content"] for m in fake.messages_to(userid) if m["msgtype"] == "text"]


async def test_a_photo_sent_to_the_app_goes_with_the_case_in_hand(
    make_client: ClientFactory, tmp_path: Path, wecom: tuple[FakeWeCom, str]
) -> None:
    fake, url = wecom
    client = await wecom_client(make_client, tmp_path, fake, url)
    case = await signed_case(client)
    media_id = fake.add_media(photo_with_gps("JPEG"))
    assert await send_image(client, fake, "wangfang", media_id, "880001") == 200
    # WeCom retries a callback it had no answer to: nothing happens twice.
    assert await send_image(client, fake, "wangfang", media_id, "880001") == 200

    event = await CaseEvent.get(case_id=case.id, action="progress")
    (photo,) = event.data["attachments"]
    row = await MediaFile.get(key=photo["media_key"])
    worker = await Worker.get(wecom_userid="wangfang")
    assert (row.owner_type, row.owner_id, row.case_id) == ("worker", worker.id, case.id)
    stored = (tmp_path / "uploads" / row.path).read_bytes()
    assert b"GPS" not in stored and b"PhoneMaker" not in stored
    assert fake.media_requests == 1
    inbound = await InboundMessage.get(channel="work", msg_type="image")
    assert inbound.case_id == case.id and inbound.error == ""
    await client.app[DRAINER].drain_once()
    assert any(case.number in text for text in texts_to(fake, "wangfang"))


async def test_a_photo_without_a_case_or_media_is_told_and_not_kept(
    make_client: ClientFactory, tmp_path: Path, wecom: tuple[FakeWeCom, str]
) -> None:
    fake, url = wecom
    client = await wecom_client(make_client, tmp_path, fake, url)
    media_id = fake.add_media(photo_with_gps("JPEG"))
    # 王芳 has signed nothing yet.
    assert await send_image(client, fake, "wangfang", media_id, "880002") == 200
    case = await signed_case(client)
    # A media id WeCom does not have (temporary media lives three days).
    assert await send_image(client, fake, "wangfang", "wm-gone", "880003") == 200
    # Bytes that are no photo.
    html = fake.add_media(b"<html><script>alert(1)</script></html>", "image/jpeg")
    assert await send_image(client, fake, "wangfang", html, "880004") == 200
    assert not await CaseEvent.filter(case_id=case.id, action="progress").exists()
    assert await MediaFile.all().count() == 0
    errors: list[Any] = (
        await InboundMessage.filter(channel="work").order_by("id").values_list("error", flat=True)
    )
    assert errors == ["no_case", "not_fetched", "not_a_photo"]
    await client.app[DRAINER].drain_once()
    told = texts_to(fake, "wangfang")
    assert any("签收" in t for t in told) and any("重新发送" in t for t in told)
