"""/wechat/work: WeCom's documented test vectors, refusals that write nothing, and card presses.

The vectors are the example of WeCom's 加解密方案说明 (developer.work.weixin.qq.com/document/
path/90968) as shipped in the official WXBizMsgCrypt samples (callback/Sample.php and the
other languages): corp id wx5823bf96d3bd56c7, Token QDG6eK, EncodingAESKey
jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C; a URL verification GET and an encrypted POST
(a text message "hello" from user "mycreate" to agent 218).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.wechat import wecom_endpoint
from handlers.intake.report import report_case
from handlers.workflow.tasks import NO_REASON, RETURN_QUESTION_KEY, PressOutcome
from models import (
    Case,
    CaseStatus,
    ExtensionStatus,
    InboundMessage,
    OutboxMessage,
    Resident,
    ReturnRequest,
)
from tests.bot.conftest import ClientFactory
from tests.fake_wecom import callback_request, card_event_xml

# WeCom's sample (加解密方案说明 / WXBizMsgCrypt Sample)
DOC_CORP_ID = "wx5823bf96d3bd56c7"
DOC_TOKEN = "QDG6eK"
DOC_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
DOC_VERIFY_QUERY = (
    "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589"
    "&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp"
    "%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
)
DOC_ECHO_PLAIN = "1616140317555161061"
DOC_POST_QUERY = {
    "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
    "timestamp": "1409659813",
    "nonce": "1372623149",
}
DOC_POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdC"
    "Upj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4X"
    "gpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+K"
    "qCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XX"
    "ZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHB"
    "ZZIs2pDBS8R07+qN+E7Q==]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>"
)

# Our own app for the press tests
CORP_ID = "wwfakecorp"
TOKEN = "worktoken123"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"  # routed to grid worker 王芳 (wangfang)

DOC_SETTINGS = {"work_corp_id": DOC_CORP_ID, "work_token": DOC_TOKEN, "work_aes_key": DOC_AES_KEY}
WORK_SETTINGS = {
    "work_corp_id": CORP_ID,
    "work_agent_id": "1000002",
    "work_secret": "fakeworksecret",
    "work_token": TOKEN,
    "work_aes_key": AES_KEY,
}


async def written() -> tuple[int, int]:
    return await InboundMessage.all().count(), await OutboxMessage.all().count()


# The documented vectors


async def test_documented_url_verification(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, **DOC_SETTINGS)
    response = await client.get(f"/wechat/work?{DOC_VERIFY_QUERY}")
    assert response.status == 200
    assert await response.text() == DOC_ECHO_PLAIN


async def test_documented_encrypted_post(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(demo=False, **DOC_SETTINGS)
    with caplog.at_level(logging.INFO, logger="bot.wechat.wecom_endpoint"):
        response = await client.post(
            "/wechat/work", params=DOC_POST_QUERY, data=DOC_POST_BODY.encode()
        )
    assert response.status == 200 and await response.text() == ""
    # Decrypted and read: a text message from "mycreate", acknowledged and not acted on.
    assert "text" in caplog.text and "mycreate" in caplog.text
    assert await written() == (0, 0)


# Refusals


async def test_bad_signatures_are_refused(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, **DOC_SETTINGS)
    bad_get = DOC_VERIFY_QUERY.replace("5c45ff5e", "00000000")
    assert (await client.get(f"/wechat/work?{bad_get}")).status == 403
    bad_post = {**DOC_POST_QUERY, "msg_signature": "0" * 40}
    response = await client.post("/wechat/work", params=bad_post, data=DOC_POST_BODY.encode())
    assert response.status == 403 and "msg_signature" in await response.text()
    other_nonce = {**DOC_POST_QUERY, "nonce": "1"}
    response = await client.post("/wechat/work", params=other_nonce, data=DOC_POST_BODY.encode())
    assert response.status == 403
    assert await written() == (0, 0)


async def test_another_corp_or_token_is_refused(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, **{**DOC_SETTINGS, "work_corp_id": "wwsomeoneelse"})
    assert (await client.get(f"/wechat/work?{DOC_VERIFY_QUERY}")).status == 403
    client = await make_client(demo=False, **{**DOC_SETTINGS, "work_token": "othertoken"})
    assert (await client.get(f"/wechat/work?{DOC_VERIFY_QUERY}")).status == 403


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("msg_signature=x&timestamp=1", 400),
        ("msg_signature=x&timestamp=1&nonce=2", 400),  # no echostr
    ],
)
async def test_incomplete_requests_are_refused(
    make_client: ClientFactory, query: str, status: int
) -> None:
    client = await make_client(demo=False, **DOC_SETTINGS)
    assert (await client.get(f"/wechat/work?{query}")).status == status


async def test_not_configured_says_what_to_set(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    response = await client.get(f"/wechat/work?{DOC_VERIFY_QUERY}")
    assert response.status == 404 and "JIESU_WORK_TOKEN" in await response.text()


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>&x;</FromUserName><MsgType>event</MsgType>"
    "<Event>template_card_event</Event><EventKey>sign:1</EventKey></xml>"
)


async def test_xxe_is_refused_inside_and_outside_the_envelope(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, **WORK_SETTINGS)
    query, body = callback_request(TOKEN, AES_KEY, CORP_ID, XXE)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    assert response.status == 400 and "DOCTYPE" in await response.text()

    hostile_envelope = '<!DOCTYPE xml [<!ENTITY a "aaaa">]>' + body
    response = await client.post("/wechat/work", params=query, data=hostile_envelope.encode())
    assert response.status == 400
    assert await written() == (0, 0)


async def test_malformed_and_oversized_bodies_are_refused(make_client: ClientFactory) -> None:
    client = await make_client(demo=False, max_body_bytes=2048, **WORK_SETTINGS)
    query, body = callback_request(TOKEN, AES_KEY, CORP_ID, "<xml><MsgType>text</MsgType></xml>")
    for bad in (b"", b"<xml><Encrypt>", b"<xml><ToUserName>x</ToUserName></xml>", b"\xff\xfe"):
        assert (await client.post("/wechat/work", params=query, data=bad)).status == 400
    huge = body.replace("</xml>", "<Pad>" + "x" * 4096 + "</Pad></xml>")
    assert (await client.post("/wechat/work", params=query, data=huge.encode())).status == 413
    assert await written() == (0, 0)


# Card presses


async def dispatched_case(client: TestClient) -> Case:
    from bot.keys import INTAKE

    intake = client.server.app[INTAKE]
    ctx = await intake.context()
    report = await report_case(await Resident.create(openid="o-resident"), LAMP, ctx)
    assert report.case.status == CaseStatus.DISPATCHED
    return report.case


async def press(
    client: TestClient, userid: str, key: str, *, create_time: int = 1_773_108_000, **kw: Any
) -> int:
    xml = card_event_xml(userid, key, corp_id=CORP_ID, create_time=create_time, **kw)
    query, body = callback_request(TOKEN, AES_KEY, CORP_ID, xml)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    assert await response.text() == "" or response.status != 200
    return response.status


async def test_sign_press_signs_the_case_and_queues_the_card_update(
    make_client: ClientFactory,
) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)

    assert await press(client, "wangfang", f"sign:{case.number}", response_code="rc-1") == 200

    await case.refresh_from_db()
    assert case.status == CaseStatus.SIGNED and case.signed_at is not None
    row = await InboundMessage.get(channel="work")
    assert row.openid == "wangfang" and row.event == "template_card_event"
    assert row.case_id == case.id and row.reply.startswith("已签收·王芳")
    update = await OutboxMessage.get(purpose="task_card")
    assert update.channel == "work_app" and update.recipient == "wangfang"
    assert update.payload["kind"] == "update_card" and update.payload["response_code"] == "rc-1"
    assert update.payload["button"]["replace_name"].startswith("已签收·王芳")


async def test_return_press_with_a_reason_asks_the_centre(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)

    status = await press(
        client,
        "wangfang",
        f"return:{case.number}",
        response_code="rc-2",
        selected={RETURN_QUESTION_KEY: ["not_ours"]},
    )

    assert status == 200
    # 退单 is a request to the centre: the case stays with the unit until a dispatcher decides.
    unit_id = case.unit_id
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.unit_id == unit_id
    asked = await ReturnRequest.get(case_id=case.id)
    assert asked.status == ExtensionStatus.PENDING and asked.unit_id == unit_id
    update = await OutboxMessage.get(purpose="task_card")
    assert update.payload["button"] == {"replace_name": "退单已提交，待中心审核：非本单位职责"}


async def test_return_press_without_a_reason_asks_for_one(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)
    key = f"return:{case.number}"
    selected = {RETURN_QUESTION_KEY: [NO_REASON]}
    assert await press(client, "wangfang", key, response_code="rc-3", selected=selected) == 200
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED
    assert await OutboxMessage.filter(purpose="task_hint", recipient="wangfang").count() == 1


async def test_a_retried_callback_acts_once(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)
    key = f"sign:{case.number}"

    # WeCom retries the same event (same sender, CreateTime and key).
    assert await press(client, "wangfang", key, response_code="rc-1") == 200
    assert await press(client, "wangfang", key, response_code="rc-1") == 200
    assert await InboundMessage.filter(channel="work").count() == 1
    assert await OutboxMessage.filter(purpose="task_card").count() == 1
    assert await Case.filter(id=case.id, version=case.version + 1).exists()


async def test_deliveries_at_once_act_once(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    case2 = await dispatched_case(client)
    statuses = await asyncio.gather(
        *(press(client, "wangfang", f"sign:{case2.number}", response_code="rc-9") for _ in range(3))
    )
    assert statuses == [200, 200, 200]
    await case2.refresh_from_db()
    assert case2.status == CaseStatus.SIGNED and case2.version == 1
    signs = await InboundMessage.filter(channel="work", case_id=case2.id).count()
    assert signs == 1
    assert await OutboxMessage.filter(purpose="task_card", case_id=case2.id).count() == 1


async def test_a_second_press_later_says_the_case_is_signed(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)
    key = f"sign:{case.number}"
    assert await press(client, "wangfang", key, response_code="rc-1") == 200
    assert await press(client, "wangfang", key, response_code="rc-2", create_time=1_773_108_099)
    updates = await OutboxMessage.filter(purpose="task_card").order_by("id")
    assert [u.payload["button"]["replace_name"] for u in updates][1] == "工单已签收"


async def test_unknown_worker_and_not_allowed_are_polite_no_ops(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)
    key = f"sign:{case.number}"

    with caplog.at_level(logging.INFO):
        assert await press(client, "stranger", key, response_code="rc-s") == 200
        assert await press(client, "zhaoli", key, response_code="rc-z") == 200

    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED
    assert "stranger" in caplog.text and "no worker here" in caplog.text
    assert "refused" in caplog.text
    rows = {r.openid: r for r in await InboundMessage.filter(channel="work")}
    assert rows["stranger"].error == "unknown_worker"
    assert rows["zhaoli"].error == "refused"
    (update,) = await OutboxMessage.filter(purpose="task_card")
    assert update.recipient == "zhaoli"
    assert update.payload["button"] == {"replace_name": "已不由您办理"}


async def test_a_failure_writes_nothing_and_the_retry_succeeds(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await make_client(**WORK_SETTINGS)
    case = await dispatched_case(client)
    real = wecom_endpoint.press_any
    calls = []

    async def failing_once(*args: Any) -> PressOutcome:
        calls.append(1)
        if len(calls) == 1:
            await Case.filter(id=case.id).update(result="half done")
            raise RuntimeError("database hiccup")
        return await real(*args)

    monkeypatch.setattr(wecom_endpoint, "press_any", failing_once)
    key = f"sign:{case.number}"
    assert await press(client, "wangfang", key, response_code="rc-1") == 503
    assert await InboundMessage.filter(channel="work").count() == 0
    assert (await Case.get(id=case.id)).result == ""  # rolled back

    assert await press(client, "wangfang", key, response_code="rc-1") == 200
    assert (await Case.get(id=case.id)).status == CaseStatus.SIGNED


async def test_other_events_are_acknowledged_and_not_stored(make_client: ClientFactory) -> None:
    client = await make_client(**WORK_SETTINGS)
    xml = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        "<FromUserName><![CDATA[wangfang]]></FromUserName><CreateTime>1</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event>"
        "<AgentID>1000002</AgentID></xml>"
    )
    query, body = callback_request(TOKEN, AES_KEY, CORP_ID, xml)
    response = await client.post("/wechat/work", params=query, data=body.encode())
    assert response.status == 200 and await response.text() == ""
    assert await written() == (0, 0)


# Settings


def test_half_a_wecom_configuration_is_named_at_start() -> None:
    from config.settings import Settings, wecom_problems

    def problems(**values: str) -> list[str]:
        return wecom_problems(Settings(_env_file=None, **values))  # type: ignore[call-arg]

    assert problems() == []
    assert problems(**WORK_SETTINGS) == []
    (half,) = problems(work_corp_id="ww1", work_secret="s")
    assert "JIESU_WORK_AGENT_ID" in half
    assert any("a number" in p for p in problems(**{**WORK_SETTINGS, "work_agent_id": "abc"}))
    (callback,) = problems(work_token="t", work_aes_key=AES_KEY)
    assert "JIESU_WORK_CORP_ID" in callback
    assert any("43-character" in p for p in problems(**{**WORK_SETTINGS, "work_aes_key": "x"}))


def test_a_broken_aes_key_stops_the_start() -> None:
    with pytest.raises(ValueError, match="JIESU_WORK_AES_KEY"):
        wecom_endpoint.aes_key("not-a-key")
    assert len(wecom_endpoint.aes_key(AES_KEY)) == 32
