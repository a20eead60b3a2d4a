"""/wechat/mini as WeChat uses it: signed JSON and XML pushes, answers through the outbox.

The mini-program cannot reply passively, so every answer is a customer-service message at the
fake mini-program server, sent with the mini-program's own token; the official account's fake
must see nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from aiohttp.test_utils import TestClient

import bot.intake
from bot.conversation_router import Outcome
from bot.keys import DRAINER, INTAKE
from bot.wechat.parsing import mini_dedup_key, parse_mini_message
from bot.wechat.signing import message_xml, signature, signed_query
from config import replies
from handlers.context import HandlerContext
from handlers.intake.incoming import IncomingMessage
from models import (
    AccessToken,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    ResidentApp,
)
from tests.bot.conftest import ClientFactory
from tests.bot.wechat.test_mp_security import HOSTILE as HOSTILE_XML
from tests.fake_wechat import CUSTOM_SEND, FakeMiniProgram, FakeWeChat

MINI_TOKEN = "minitoken123"
ACCOUNT = "gh_mini0000001"
MSG_IDS = iter(range(24_000_000_000_000_000, 25_000_000_000_000_000))
Format = Literal["json", "xml"]


def mini_body(
    fmt: Format,
    openid: str,
    msg_type: str,
    fields: dict[str, Any],
    *,
    create_time: int | None = None,
) -> str:
    """A push as the mini-program's servers post it, in the configured data format."""
    when = create_time if create_time is not None else int(time.time())
    if fmt == "xml":
        return message_xml(openid, msg_type, fields, account=ACCOUNT, create_time=when)
    return json.dumps(
        {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": when,
            "MsgType": msg_type,
            **fields,
        },
        ensure_ascii=False,
    )


@dataclass
class MiniResident:
    """Plays one resident writing to the mini-program's customer service."""

    client: TestClient
    openid: str
    fmt: Format = "json"
    token: str = MINI_TOKEN

    async def post(self, body: str | bytes, query: dict[str, str] | None = None) -> tuple[int, str]:
        data = body.encode("utf-8") if isinstance(body, str) else body
        kind = "application/json" if self.fmt == "json" else "text/xml"
        response = await self.client.post(
            "/wechat/mini",
            params=query or signed_query(self.token),
            data=data,
            headers={"Content-Type": kind},
        )
        return response.status, await response.text()

    def body(self, msg_type: str, fields: dict[str, Any], **kw: Any) -> str:
        return mini_body(self.fmt, self.openid, msg_type, fields, **kw)

    async def send(self, msg_type: str, fields: dict[str, Any], **kw: Any) -> tuple[int, str]:
        return await self.post(self.body(msg_type, fields, **kw))

    async def say(self, text: str, msg_id: int | None = None) -> None:
        status, answer = await self.send(
            "text", {"Content": text, "MsgId": msg_id or next(MSG_IDS)}
        )
        assert (status, answer) == (200, "success")


@dataclass
class MiniWorld:
    client: TestClient
    mini: FakeMiniProgram
    mp: FakeWeChat

    async def drain(self) -> int:
        return await self.client.app[DRAINER].drain_once()

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.mini.custom_messages_to(openid)]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeWeChat, str, FakeMiniProgram, str]]:
    mp = FakeWeChat(appid="wxfake", secret="fakesecret")
    mini = FakeMiniProgram()
    async with mp.running() as mp_url, mini.running() as mini_url:
        yield mp, mp_url, mini, mini_url


def mini_settings(fakes: tuple[FakeWeChat, str, FakeMiniProgram, str]) -> dict[str, Any]:
    mp, mp_url, mini, mini_url = fakes
    return {
        "outbound_mode": "wechat",
        "wechat_api_base": mp_url,
        "mp_appid": mp.appid,
        "mp_secret": mp.secret,
        "mini_appid": mini.appid,
        "mini_secret": mini.secret,
        "mini_api_base": mini_url,
        "mini_token": MINI_TOKEN,
    }


@pytest.fixture
async def world(
    make_client: ClientFactory, fakes: tuple[FakeWeChat, str, FakeMiniProgram, str]
) -> MiniWorld:
    client = await make_client(**mini_settings(fakes))
    return MiniWorld(client, fakes[2], fakes[0])


async def assert_nothing_stored() -> None:
    assert await InboundMessage.all().count() == 0
    assert await Case.all().count() == 0
    assert await Resident.all().count() == 0
    assert await OutboxMessage.all().count() == 0


# Verification


async def test_get_verification_with_the_documentation_sample(make_client: ClientFactory) -> None:
    """The sample of the mini-program's 消息推送 documentation (Token "AAAAA")."""
    client = await make_client(mini_token="AAAAA", mp_timestamp_tolerance=0)
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "echostr": "4375120948345356249",
        "timestamp": "1714036504",
        "nonce": "1514711492",
    }
    response = await client.get("/wechat/mini", params=query)
    assert response.status == 200
    assert await response.text() == "4375120948345356249"


async def test_get_verification_refuses_a_wrong_signature(world: MiniWorld) -> None:
    query = signed_query("not-the-token") | {"echostr": "x"}
    response = await world.client.get("/wechat/mini", params=query)
    assert response.status == 403 and "signature" in await response.text()


async def test_without_a_token_nothing_is_accepted(make_client: ClientFactory) -> None:
    """An empty token would make every signature computable by anyone."""
    client = await make_client(mini_token="")
    response = await client.get("/wechat/mini", params=signed_query("") | {"echostr": "x"})
    assert response.status == 403 and "JIESU_MINI_TOKEN" in await response.text()
    resident = MiniResident(client, "o-mini-x", token="")
    status, body = await resident.send("text", {"Content": "路灯坏了", "MsgId": 1})
    assert status == 403 and "JIESU_MINI_TOKEN" in body
    await assert_nothing_stored()


async def test_plaintext_json_documentation_sample(make_client: ClientFactory) -> None:
    """The JSON push of the documentation, signed with Token "AAAAA": an unknown event, stored
    and answered "success"."""
    client = await make_client(mini_token="AAAAA", mp_timestamp_tolerance=0)
    body = {
        "ToUserName": "gh_97417a04a28d",
        "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
        "CreateTime": 1714037059,
        "MsgType": "event",
        "Event": "debug_demo",
        "debug_str": "hello world",
    }
    query = {
        "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78",
        "timestamp": "1714037059",
        "nonce": "486452656",
    }
    response = await client.post(
        "/wechat/mini", params=query, json=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 200 and await response.text() == "success"
    row = await InboundMessage.get()
    assert row.channel == "mini" and row.status == InboundStatus.ANSWERED
    assert row.dedup_key == "mini:evt:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:1714037059:debug_demo"
    assert json.loads(row.body)["debug_str"] == "hello world"
    assert not await OutboxMessage.filter(recipient="o9AgO5Kd5ggOC-bXrbNODIiE3bGY").exists()


# A resident's text becomes a case, answered once through the mini-program's customer service


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_text_becomes_a_case_answered_by_a_customer_service_message(
    world: MiniWorld, fmt: Format
) -> None:
    resident = MiniResident(world.client, "o-mini-resident", fmt)
    await resident.say("国权路小区3号楼楼道灯坏了")

    case = await Case.get()
    assert case.channel == "miniprogram"
    row = await InboundMessage.get()
    assert row.channel == "mini" and row.dedup_key.startswith("mini:msg:")
    assert row.status == InboundStatus.ANSWERED and case.number in (row.reply or "")
    assert row.body.lstrip().startswith("{" if fmt == "json" else "<")
    person = await Resident.get(openid="o-mini-resident")
    assert person.app == ResidentApp.MINIPROGRAM and person.last_message_at is not None

    assert await world.drain() == 1
    (sent,) = world.mini.sent
    assert sent.path == CUSTOM_SEND and sent.body["touser"] == "o-mini-resident"
    assert sent.body["msgtype"] == "text" and case.number in sent.body["text"]["content"]
    # Sent with the mini-program's own token, fetched once from the mini-program's API.
    token = await AccessToken.get(name=f"mini:{world.mini.appid}")
    assert sent.access_token == token.token and world.mini.token_requests == 1
    assert world.mp.sent == [] and world.mp.token_requests == 0
    outbox = await OutboxMessage.get(recipient="o-mini-resident")
    assert outbox.channel == "mini_custom" and outbox.status == OutboxStatus.SENT
    assert outbox.case_id == case.id  # listed on the case page's 消息送达


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_wechats_retries_give_one_case_and_one_reply(world: MiniWorld, fmt: Format) -> None:
    resident = MiniResident(world.client, "o-mini-retry", fmt)
    body = resident.body("text", {"Content": "开鲁新村7号楼楼顶漏水", "MsgId": next(MSG_IDS)})
    answers = [await resident.post(body) for _ in range(3)]  # each retry freshly signed
    answers += await asyncio.gather(*(resident.post(body) for _ in range(4)))
    assert set(answers) == {(200, "success")}

    assert await Case.all().count() == 1
    assert await InboundMessage.all().count() == 1
    await world.drain()
    assert await world.drain() == 0
    (text,) = world.texts_to("o-mini-retry")
    assert (await Case.get()).number in text


async def test_the_same_msgid_on_the_official_account_is_another_message(
    world: MiniWorld,
) -> None:
    """MsgIds of the two apps are separate sequences: their dedup keys must not collide."""
    from tests.bot.conftest import Resident as MpResident

    await MiniResident(world.client, "o-mini-a").say("国权路小区路灯坏了", msg_id=777)
    mp_resident = MpResident(world.client, "o-mp-b", token="jiesutesttoken")
    assert await mp_resident.say("开鲁新村垃圾没人收", msg_id=777)
    keys = sorted(await InboundMessage.all().values_list("dedup_key", flat=True))
    assert keys == ["mini:msg:777", "msg:777"]
    assert await Case.all().count() == 2
    mp_person = await Resident.get(openid="o-mp-b")
    assert mp_person.app == ResidentApp.MP


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_photo_then_words_make_one_case_with_the_photo(
    world: MiniWorld, fmt: Format
) -> None:
    resident = MiniResident(world.client, "o-mini-photo", fmt)
    photo = {"PicUrl": "https://mmbiz.qpic.cn/x.jpg", "MediaId": "media-1", "MsgId": next(MSG_IDS)}
    assert await resident.send("image", photo) == (200, "success")
    await resident.say("政通路240号门口路灯坏了")
    case = await Case.get()
    assert [a["media_id"] for a in case.attachments] == ["media-1"]
    await world.drain()
    held, accepted = world.texts_to("o-mini-photo")
    assert "照片" in held and case.number in accepted


async def test_a_mini_program_card_is_read_by_its_title(world: MiniWorld) -> None:
    resident = MiniResident(world.client, "o-mini-card")
    card = {
        "Title": "长白二村9号楼前的树倒了",
        "AppId": "wx0123456789abcdef",
        "PagePath": "pages/index/index?from=share",
        "ThumbUrl": "https://mmbiz.qpic.cn/thumb.jpg",
        "ThumbMediaId": "thumb-1",
        "MsgId": next(MSG_IDS),
    }
    assert await resident.send("miniprogrampage", card) == (200, "success")
    case = await Case.get()
    assert "树倒了" in case.text
    message = parse_mini_message((await InboundMessage.get()).body)
    assert ("PagePath", "pages/index/index?from=share") in message.extra


async def test_words_the_content_check_flags_are_held_for_a_dispatcher(
    make_client: ClientFactory, fakes: tuple[FakeWeChat, str, FakeMiniProgram, str]
) -> None:
    from models import HeldMessage, HeldReason

    client = await make_client(**mini_settings(fakes), content_check=True)
    world = MiniWorld(client, fakes[2], fakes[0])
    world.mini.login("code-x", "o-mini-checked")  # msgSecCheck knows residents who signed in
    resident = MiniResident(world.client, "o-mini-checked")
    await resident.say("国权路小区3号楼违禁词楼道灯坏了")
    assert await Case.all().count() == 0
    held = await HeldMessage.get()
    assert held.reason == HeldReason.CONTENT_CHECK and held.channel == "miniprogram"
    assert held.check_result["suggest"] == "risky" and "违禁词" in held.text
    await resident.say("我的诉求")  # a lookup is not checked, and answers as usual
    await resident.say("国权路小区3号楼楼道灯坏了")
    assert await Case.all().count() == 1
    assert len(world.mini.checked) == 2
    assert await world.drain() == 3
    assert world.texts_to("o-mini-checked")[0] == replies.HELD_RECEIVED


# Events


POPUP_BODIES: dict[str, str] = {
    "json-object": json.dumps(
        {
            "ToUserName": ACCOUNT,
            "FromUserName": "o-mini-popup",
            "CreateTime": "1620973045",
            "MsgType": "event",
            "Event": "subscribe_msg_popup_event",
            "List": {
                "TemplateId": "TPL-CASE",
                "SubscribeStatusString": "accept",
                "PopupScene": "0",
            },
        }
    ),
    "json-array": json.dumps(
        {
            "ToUserName": ACCOUNT,
            "FromUserName": "o-mini-popup",
            "CreateTime": 1620973045,
            "MsgType": "event",
            "Event": "subscribe_msg_popup_event",
            "List": [
                {"TemplateId": "TPL-CASE", "SubscribeStatusString": "acceptWithAudio"},
                {"TemplateId": "TPL-OTHER", "SubscribeStatusString": "reject", "PopupScene": 0},
            ],
        }
    ),
    "xml": (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        "<FromUserName><![CDATA[o-mini-popup]]></FromUserName><CreateTime>1620973045</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent>"
        "<List><TemplateId><![CDATA[TPL-CASE]]></TemplateId><SubscribeStatusString><![CDATA["
        "accept]]></SubscribeStatusString><PopupScene>0</PopupScene></List>"
        "<List><TemplateId><![CDATA[TPL-OTHER]]></TemplateId><SubscribeStatusString><![CDATA["
        "reject]]></SubscribeStatusString><PopupScene>0</PopupScene></List>"
        "</SubscribeMsgPopupEvent></xml>"
    ),
    "xml-items": (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        "<FromUserName><![CDATA[o-mini-popup]]></FromUserName><CreateTime>1620973045</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe_msg_popup_event]]></Event><List>"
        "<item><TemplateId><![CDATA[TPL-CASE]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString></item>"
        "<item><TemplateId><![CDATA[TPL-OTHER]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></item></List></xml>"
    ),
}


@pytest.mark.parametrize("name", sorted(POPUP_BODIES))
async def test_the_subscription_popup_records_consent(
    make_client: ClientFactory, name: str
) -> None:
    client = await make_client(mini_token=MINI_TOKEN, mp_timestamp_tolerance=0)
    fmt: Format = "json" if name.startswith("json") else "xml"
    status, body = await MiniResident(client, "o-mini-popup", fmt).post(POPUP_BODIES[name])
    assert (status, body) == (200, "success")
    resident = await Resident.get(openid="o-mini-popup")
    expected = (
        {"TPL-CASE": "accept"}
        if name == "json-object"
        else {
            "TPL-CASE": "accept",
            "TPL-OTHER": "reject",
        }
    )
    assert resident.consent_subscribe == expected
    assert resident.app == ResidentApp.MINIPROGRAM
    assert resident.last_message_at is None  # an event opens no customer-service window
    assert await OutboxMessage.all().count() == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_entering_the_chat_is_greeted_once_per_session(world: MiniWorld, fmt: Format) -> None:
    resident = MiniResident(world.client, "o-mini-enter", fmt)
    now = int(time.time())
    enter = {"Event": "user_enter_tempsession", "SessionFrom": "case-page"}
    first = resident.body("event", enter, create_time=now)
    assert await resident.post(first) == (200, "success")
    assert await resident.post(first) == (200, "success")  # WeChat's retry
    assert await resident.send("event", enter, create_time=now + 5) == (200, "success")
    await world.drain()
    assert world.texts_to("o-mini-enter") == [replies.MINI_GREETING]
    first_row, *_ = await InboundMessage.all().order_by("id")
    assert ("SessionFrom", "case-page") in parse_mini_message(first_row.body).extra
    # The greeting rode on the entry's own quota: no 48 h window was opened by it.
    assert (await Resident.get(openid="o-mini-enter")).last_message_at is None


async def test_no_greeting_in_a_dialogue_or_after_the_entrys_minute(world: MiniWorld) -> None:
    resident = MiniResident(world.client, "o-mini-talk")
    await resident.say("国权路小区路灯坏了")
    enter = {"Event": "user_enter_tempsession", "SessionFrom": ""}
    await resident.send("event", enter)
    late = MiniResident(world.client, "o-mini-late")
    await late.send("event", enter, create_time=int(time.time()) - 120)
    await world.drain()
    (accepted,) = world.texts_to("o-mini-talk")
    assert (await Case.get()).number in accepted
    assert world.texts_to("o-mini-late") == []


async def test_unknown_types_are_stored_and_answered_success(world: MiniWorld) -> None:
    resident = MiniResident(world.client, "o-mini-odd")
    assert await resident.send("hologram", {"MsgId": next(MSG_IDS)}) == (200, "success")
    future = {"Event": "wxa_future_event", "List": [1, "two"], "Extra": {"nested": True}}
    assert await resident.send("event", future) == (200, "success")
    rows = await InboundMessage.all().order_by("id")
    assert [(r.msg_type, r.event) for r in rows] == [
        ("hologram", None),
        ("event", "wxa_future_event"),
    ]
    assert all(r.status == InboundStatus.ANSWERED for r in rows)
    await world.drain()
    assert world.texts_to("o-mini-odd") == [replies.UNSUPPORTED]  # the message, not the event


# Slow work, failures and the recovery sweep


def routed_failing(fail_times: int) -> Any:
    original = bot.intake.route
    calls = {"n": 0}

    async def route(message: IncomingMessage, ctx: HandlerContext) -> Outcome:
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise RuntimeError("database went away")
        return await original(message, ctx)

    return route


def routed_after(gate: asyncio.Event, entered: asyncio.Event) -> Any:
    """A route that holds the work until the test opens ``gate``: an answer that comes back
    while it is shut was given without waiting for the work, however slow the machine."""
    original = bot.intake.route

    async def route(message: IncomingMessage, ctx: HandlerContext) -> Outcome:
        entered.set()
        await gate.wait()
        return await original(message, ctx)

    return route


async def test_slow_work_answers_success_at_once_and_replies_later(
    make_client: ClientFactory,
    fakes: tuple[FakeWeChat, str, FakeMiniProgram, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await make_client(**mini_settings(fakes), reply_budget_seconds=0.2)
    gate, entered = asyncio.Event(), asyncio.Event()
    monkeypatch.setattr(bot.intake, "route", routed_after(gate, entered))
    resident = MiniResident(client, "o-mini-slow")
    body = resident.body("text", {"Content": "凤城新村3号楼下水道堵了", "MsgId": next(MSG_IDS)})
    # WeChat hears back while the work is still held: the answer did not wait for it.
    assert await asyncio.wait_for(resident.post(body), 30) == (200, "success")
    assert entered.is_set() and not gate.is_set()
    # A retry while the work runs (its transaction holds the row, so the retry waits on it).
    retry = asyncio.create_task(resident.post(body))
    await asyncio.sleep(0.05)
    gate.set()
    assert await retry == (200, "success")
    await client.app[INTAKE].drain_background()
    assert await Case.all().count() == 1
    await client.app[DRAINER].drain_once()
    (sent,) = fakes[2].custom_messages_to("o-mini-slow")
    assert (await Case.get()).number in sent["text"]["content"]


async def test_failed_work_is_told_and_recovered_once(
    make_client: ClientFactory,
    fakes: tuple[FakeWeChat, str, FakeMiniProgram, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await make_client(**mini_settings(fakes), inbound_recovery_seconds=0.01)
    monkeypatch.setattr(bot.intake, "route", routed_failing(1))
    await MiniResident(client, "o-mini-crash").say("长白二村9号楼前的树倒了")
    row = await InboundMessage.get()
    assert row.status == InboundStatus.FAILED and "database went away" in row.error
    assert await Case.all().count() == 0

    await asyncio.sleep(0.02)
    assert await client.app[INTAKE].recover() == 1
    assert await Case.all().count() == 1
    await asyncio.sleep(0.02)
    assert await client.app[INTAKE].recover() == 0
    await client.app[DRAINER].drain_once()
    sorry, accepted = [m["text"]["content"] for m in fakes[2].custom_messages_to("o-mini-crash")]
    assert sorry == replies.FAILED and (await Case.get()).number in accepted


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_stuck_mini_message_is_rerun_with_its_own_parser(
    make_client: ClientFactory, fmt: Format
) -> None:
    """A process died mid-work: the sweep reads the stored JSON or XML back and answers once."""
    client = await make_client(inbound_recovery_seconds=0.3)
    intake = client.app[INTAKE]
    body = mini_body(
        fmt, "o-mini-stuck", "text", {"Content": "市光一村门口共享单车乱停", "MsgId": 61}
    )
    message = parse_mini_message(body)
    await intake.store(message, mini_dedup_key(message), body, channel="mini")
    await asyncio.sleep(0.35)
    # Two sweeps at once: one takes the row up (the other may too, if the first's work outlasts
    # the recovery time on a loaded machine; its attempt is then rolled back).
    results = await asyncio.gather(intake.recover(), intake.recover())
    assert sorted(results) in ([0, 1], [1, 1])
    assert await Case.all().count() == 1
    (reply,) = await OutboxMessage.filter(recipient="o-mini-stuck")
    assert reply.channel == "mini_custom" and reply.dedup_key == "reply:mini:msg:61"
    assert (await Resident.get(openid="o-mini-stuck")).app == ResidentApp.MINIPROGRAM


# Refusals: a 4xx, and nothing stored


TEXT_JSON = mini_body("json", "o-attacker", "text", {"Content": "路灯坏了", "MsgId": 1})


def _json(**fields: Any) -> str:
    base = {"ToUserName": ACCOUNT, "FromUserName": "o-x", "CreateTime": 1, "MsgType": "text"}
    return json.dumps({**base, **fields})


HOSTILE_JSON: dict[str, str] = {
    "malformed": '{"ToUserName": "gh", "FromUserName": ',
    "not-json-or-xml": "hello, world",
    "array-root": '[{"MsgType": "text"}]',
    "deeply-nested-objects": '{"a":' * 5000 + "1" + "}" * 5000,
    "deeply-nested-arrays": '{"List":' + "[" * 20000 + "]" * 20000 + "}",
    "duplicate-keys": TEXT_JSON[:-1] + ', "Content": "另一段话"}',
    "wrong-type-content": _json(Content=["路灯"], MsgId=2),
    "wrong-type-openid": _json(FromUserName={"id": 1}, MsgId=3),
    "boolean-create-time": _json(CreateTime=True, MsgId=4),
    "float-msgid": _json(Content="x", MsgId=1.5),
    "nan": TEXT_JSON.replace('"CreateTime": ', '"CreateTime": NaN, "x": '),
    "huge-number": _json(Content="x", MsgId=5).replace(
        '"CreateTime": 1', '"CreateTime": ' + "9" * 5000
    ),
    "lone-surrogate": _json(Content="x", MsgId=6).replace('"x"', '"\\ud800"'),
    "nul": _json(Content="x", MsgId=7).replace('"x"', '"a\\u0000b"'),
    "missing-fields": '{"MsgType": "text", "Content": "路灯坏了"}',
    "long-openid": _json(FromUserName="o" * 65, Content="x", MsgId=8),
    "long-msgid": _json(Content="x", MsgId="1" * 33),
    "long-msgtype": _json(MsgType="t" * 33, Content="x", MsgId=9),
    "long-event": _json(MsgType="event", Event="E" * 65),
    "nan-location-string": _json(MsgType="location", Location_X="nan", Location_Y="121.5"),
    "inf-latitude-string": _json(MsgType="event", Event="LOCATION", Latitude="inf"),
    "infinity-literal": _json(MsgType="event", Event="LOCATION", Latitude=31.3).replace(
        "31.3", "Infinity"
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
async def test_hostile_or_malformed_json(world: MiniWorld, name: str) -> None:
    status, body = await MiniResident(world.client, "o-x", "json").post(HOSTILE_JSON[name])
    assert status == 400, body
    assert body.strip()
    await assert_nothing_stored()


@pytest.mark.parametrize("name", sorted(HOSTILE_XML))
async def test_hostile_or_malformed_xml(world: MiniWorld, name: str) -> None:
    status, body = await MiniResident(world.client, "o-x", "xml").post(HOSTILE_XML[name])
    assert status == 400, body
    await assert_nothing_stored()


async def test_invalid_utf8(world: MiniWorld) -> None:
    status, body = await MiniResident(world.client, "o-x").post(
        TEXT_JSON.encode("utf-8").replace("路".encode(), b"\xff\xfe\xfd")
    )
    assert status == 400 and "UTF-8" in body
    await assert_nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_oversized_body(world: MiniWorld, fmt: Format) -> None:
    huge = mini_body(fmt, "o-x", "text", {"Content": "很" * 40_000, "MsgId": 9})
    status, body = await MiniResident(world.client, "o-x", fmt).post(huge)
    assert status == 413 and "larger" in body
    await assert_nothing_stored()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_wrong_or_missing_signature(world: MiniWorld, fmt: Format) -> None:
    resident = MiniResident(world.client, "o-x", fmt)
    body = resident.body("text", {"Content": "路灯坏了", "MsgId": 10})
    assert (await resident.post(body, signed_query("not-the-token")))[0] == 403
    # The official account's token does not sign the mini-program's pushes.
    assert (await resident.post(body, signed_query("jiesutesttoken")))[0] == 403
    query = signed_query(MINI_TOKEN)
    del query["signature"]
    assert (await resident.post(body, query))[0] == 403
    await assert_nothing_stored()


async def test_stale_or_missing_timestamp(world: MiniWorld) -> None:
    resident = MiniResident(world.client, "o-x")
    stale = signed_query(MINI_TOKEN, timestamp=int(time.time()) - 3600)
    status, body = await resident.post(TEXT_JSON, stale)
    assert status == 403 and "timestamp" in body
    status, body = await resident.post(TEXT_JSON, {"signature": signature(MINI_TOKEN, "", "")})
    assert status == 400 and "timestamp" in body
    await assert_nothing_stored()
