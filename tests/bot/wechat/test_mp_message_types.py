"""Every message and event type WeChat sends is parsed, stored and answered (never a 500)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from models import Case, InboundMessage, InboundStatus
from models import Resident as ResidentRow
from tests.bot.conftest import Resident, reply_content

MESSAGES: dict[str, tuple[str, dict[str, str | int | float]]] = {
    "text": ("text", {"Content": "国权路小区门口路灯不亮", "MsgId": 101}),
    "voice-recognised": (
        "voice",
        {
            "MediaId": "m1",
            "Format": "amr",
            "Recognition": "开鲁新村垃圾堆了三天没人清运",
            "MsgId": 102,
        },
    ),
    "voice-plain": ("voice", {"MediaId": "m2", "Format": "amr", "MsgId": 103}),
    "image": ("image", {"PicUrl": "http://mmbiz.example/1.jpg", "MediaId": "m3", "MsgId": 104}),
    "video": ("video", {"MediaId": "m4", "ThumbMediaId": "t4", "MsgId": 105}),
    "shortvideo": ("shortvideo", {"MediaId": "m5", "ThumbMediaId": "t5", "MsgId": 106}),
    "location": (
        "location",
        {"Location_X": 31.30, "Location_Y": 121.506, "Scale": 15, "Label": "国权路", "MsgId": 107},
    ),
    "link": (
        "link",
        {
            "Title": "小区电梯故障",
            "Description": "凤城新村电梯坏了一周",
            "Url": "http://x.invalid",
            "MsgId": 108,
        },
    ),
}

EVENTS: dict[str, dict[str, str | int | float]] = {
    "subscribe": {"Event": "subscribe", "EventKey": ""},
    "subscribe-qrscene": {"Event": "subscribe", "EventKey": "qrscene_poster42", "Ticket": "T"},
    "unsubscribe": {"Event": "unsubscribe", "EventKey": ""},
    "scan": {"Event": "SCAN", "EventKey": "poster42", "Ticket": "T"},
    "location": {"Event": "LOCATION", "Latitude": 31.3, "Longitude": 121.5, "Precision": 30.0},
    "click": {"Event": "CLICK", "EventKey": "MY_CASES"},
    "view": {"Event": "VIEW", "EventKey": "https://example.invalid/"},
    "templatesendjobfinish": {
        "Event": "TEMPLATESENDJOBFINISH",
        "MsgID": 200163836,
        "Status": "success",
    },
    "masssendjobfinish": {
        "Event": "MASSSENDJOBFINISH",
        "MsgID": 1000001625,
        "Status": "send success",
        "TotalCount": 100,
        "FilterCount": 80,
        "SentCount": 75,
        "ErrorCount": 5,
    },
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
async def test_message_types(resident: Resident, name: str) -> None:
    msg_type, fields = MESSAGES[name]
    status, body = await resident.send(msg_type, fields)
    assert status == 200, body
    assert reply_content(body), f"{name} got no answer"
    stored = await InboundMessage.get(dedup_key=f"msg:{fields['MsgId']}")
    assert stored.status == InboundStatus.ANSWERED
    assert stored.msg_type == msg_type


async def test_text_and_recognised_voice_become_cases(resident: Resident) -> None:
    await resident.send(*MESSAGES["text"])
    other = Resident(resident.client, "o-voice")
    await other.send(*MESSAGES["voice-recognised"])
    cases = await Case.all().order_by("id")
    assert [c.text for c in cases] == ["国权路小区门口路灯不亮", "开鲁新村垃圾堆了三天没人清运"]
    assert cases[1].attachments[0]["type"] == "voice"


@pytest.mark.parametrize("name", sorted(EVENTS))
async def test_events(resident: Resident, name: str) -> None:
    status, body = await resident.send("event", EVENTS[name])
    assert status == 200, body
    assert await InboundMessage.all().count() == 1


async def test_subscribe_welcomes_and_records(resident: Resident) -> None:
    _, body = await resident.send("event", EVENTS["subscribe-qrscene"])
    assert "欢迎" in reply_content(body)
    row = await ResidentRow.get(openid=resident.openid)
    assert row.subscribed and row.subscribe_scene == "poster42"
    _, body = await resident.send("event", EVENTS["unsubscribe"], create_time=1_900_000_000)
    assert body == "success"
    row = await ResidentRow.get(openid=resident.openid)
    assert not row.subscribed and row.unsubscribed_at is not None


async def test_subscribe_popup_records_consent(resident: Resident) -> None:
    xml = (
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-resident-1]]>"
        "</FromUserName><CreateTime>1610969440</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent>"
        "<List><TemplateId><![CDATA[tpl-survey]]></TemplateId><SubscribeStatusString><![CDATA["
        "accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "<List><TemplateId><![CDATA[tpl-news]]></TemplateId><SubscribeStatusString><![CDATA["
        "reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent></xml>"
    )
    status, body = await resident.post_xml(xml)
    assert status == 200 and body == "success"
    row = await ResidentRow.get(openid="o-resident-1")
    assert row.consent_subscribe == {"tpl-survey": "accept", "tpl-news": "reject"}


async def test_turning_a_subscription_off_in_settings_is_recorded(resident: Resident) -> None:
    def event(name: str, wrapper: str, template: str, status: str, at: int) -> str:
        return (
            "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-resident-1]]>"
            f"</FromUserName><CreateTime>{at}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{name}]]></Event><{wrapper}><List><TemplateId><![CDATA[{template}]]>"
            f"</TemplateId><SubscribeStatusString><![CDATA[{status}]]></SubscribeStatusString>"
            f"</List></{wrapper}></xml>"
        )

    popup = event("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", "tpl", "accept", 1)
    change = event("subscribe_msg_change_event", "SubscribeMsgChangeEvent", "tpl", "reject", 2)
    assert await resident.post_xml(popup) == (200, "success")
    assert (await ResidentRow.get(openid="o-resident-1")).consent_subscribe == {"tpl": "accept"}
    assert await resident.post_xml(change) == (200, "success")
    assert (await ResidentRow.get(openid="o-resident-1")).consent_subscribe == {"tpl": "reject"}


async def test_menu_click_my_cases(resident: Resident) -> None:
    await resident.say("开鲁新村3号楼门口垃圾没人清运")
    _, body = await resident.send("event", EVENTS["click"])
    assert "您最近的诉求" in reply_content(body)


async def test_unknown_message_type_gets_a_polite_answer(resident: Resident) -> None:
    status, body = await resident.send("hologram", {"Payload": "x", "MsgId": 999})
    assert status == 200
    assert "暂时不能处理" in reply_content(body)
    assert await Case.all().count() == 0


async def test_unknown_event_is_stored_quietly(resident: Resident) -> None:
    status, body = await resident.send("event", {"Event": "some_future_event"})
    assert status == 200 and body == "success"
    assert await InboundMessage.all().count() == 1


async def test_events_deduplicate_by_sender_and_time(client: TestClient) -> None:
    one = Resident(client, "o-events")
    for _ in range(3):
        await one.send("event", EVENTS["click"], create_time=1_700_000_000)
    assert await InboundMessage.all().count() == 1
