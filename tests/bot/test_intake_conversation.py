"""A resident's whole intake, as they would live it in WeChat."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from models import Case, CaseEvent, CaseStatus, Conversation, Grid, InboundMessage, Unit
from tests.bot.conftest import ClientFactory, Resident, reply_content


async def test_report_with_place_is_routed_and_answered(resident: Resident) -> None:
    answer = await resident.say(
        "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管，电话13812345678"
    )
    case = await Case.get()
    assert case.number in answer
    assert case.status == CaseStatus.DISPATCHED
    assert case.kind == "complaint"
    assert case.category.startswith("城乡建设")
    grid = await Grid.get(id=case.grid_id)
    assert grid.code == "WJC-01"
    unit = await Unit.get(id=case.unit_id)
    assert unit.name in answer and "前办结" in answer
    assert case.contact_phone == "13812345678"
    assert case.completion_due_at is not None and case.first_contact_due_at is not None
    actions = [e.action for e in await CaseEvent.filter(case_id=case.id)]
    assert actions == ["accept", "dispatch"]


async def test_missing_place_is_asked_once_then_photo_and_detail_attach(resident: Resident) -> None:
    answer = await resident.say("楼下的路灯坏了好几天了，晚上走路很危险")
    case = await Case.get()
    assert case.status == CaseStatus.ACCEPTED
    assert "地点" in answer and case.number in answer
    conversation = await Conversation.get()
    assert conversation.state == "awaiting_place"

    answer = await resident.say("开鲁新村12号楼")
    await case.refresh_from_db()
    assert "开鲁新村" in answer
    assert case.status == CaseStatus.DISPATCHED
    assert (await Grid.get(id=case.grid_id)).code == "YX-01"

    status, body = await resident.send(
        "image",
        {"PicUrl": "http://mmbiz.example/lamp.jpg", "MediaId": "lamp", "MsgId": resident.msg_id()},
    )
    assert status == 200 and case.number in reply_content(body)
    answer = await resident.say("是靠近小区南门的那一盏")
    assert case.number in answer
    await case.refresh_from_db()
    assert [a["media_id"] for a in case.attachments] == ["lamp"]
    assert "靠近小区南门" in case.text
    assert await Case.all().count() == 1


async def test_place_by_location_message(resident: Resident) -> None:
    await resident.say("路边的井盖不见了，很危险")
    case = await Case.get()
    status, _ = await resident.send(
        "location",
        {
            "Location_X": 31.275,
            "Location_Y": 121.526,
            "Scale": 16,
            "Label": "控江路",
            "MsgId": resident.msg_id(),
        },
    )
    assert status == 200
    await case.refresh_from_db()
    assert (await Grid.get(id=case.grid_id)).code == "KJL-01"
    assert case.status == CaseStatus.DISPATCHED
    assert case.urgency == "急"


async def test_photo_first_then_words(resident: Resident) -> None:
    _, body = await resident.send(
        "image",
        {"PicUrl": "http://mmbiz.example/a.jpg", "MediaId": "early", "MsgId": resident.msg_id()},
    )
    assert "照片" in reply_content(body)
    assert await Case.all().count() == 0
    await resident.say("长白二村5号楼前的树倒了挡住了路")
    case = await Case.get()
    assert [a["media_id"] for a in case.attachments] == ["early"]


async def test_new_case_prefix_starts_another_case(resident: Resident) -> None:
    await resident.say("凤城新村8号楼楼顶漏水")
    await resident.say("新诉求：控江二村门口共享单车乱停")
    assert await Case.all().count() == 2


async def test_my_cases_and_timeline(resident: Resident) -> None:
    assert "还没有提交过诉求" in await resident.say("我的诉求")
    await resident.say("市光一村小区里有人违章搭建")
    case = await Case.get()
    listing = await resident.say("我的诉求")
    assert case.number in listing and "已派单" in listing
    timeline = await resident.say(case.number)
    assert "受理" in timeline and "派单" in timeline


async def test_a_resident_cannot_see_someone_elses_case(client: TestClient) -> None:
    alice = Resident(client, "o-alice")
    bob = Resident(client, "o-bob")
    await alice.say("国权路小区噪音扰民")
    case = await Case.get()
    assert "没有找到" in await bob.say(case.number)
    assert "没有找到" in await bob.say(f"撤销 {case.number}")
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED


async def test_cancel_before_signing(resident: Resident) -> None:
    await resident.say("大学路上的广告牌快掉下来了")
    case = await Case.get()
    assert case.number in await resident.say("撤销")
    answer = await resident.say(f"撤销 {case.number}")
    assert "已撤销" in answer
    await case.refresh_from_db()
    assert case.status == CaseStatus.CANCELLED


async def test_cannot_cancel_after_signing(resident: Resident) -> None:
    await resident.say("开鲁新村3号楼下水道堵了")
    case = await Case.get()
    await Case.filter(id=case.id).update(status=CaseStatus.SIGNED)
    answer = await resident.say(f"撤销 {case.number}")
    assert "不能撤销" in answer
    await case.refresh_from_db()
    assert case.status == CaseStatus.SIGNED


async def test_help(resident: Resident) -> None:
    assert "我的诉求" in await resident.say("帮助")


# A case must not grow without limit (per message, per case; the inbound rows keep everything)

REPORT = "五角场街道国权路小区3号楼楼道里堆满杂物，物业一直不管"


async def test_an_over_long_message_is_cut_with_a_mark_and_the_resident_told(
    resident: Resident,
) -> None:
    words = REPORT + "。" + "楼道里的情况是这样的" * 1800  # 18,000 characters and more
    answer = await resident.say(words)
    case = await Case.get()
    assert len(case.text) <= 2000, len(case.text)
    assert case.text.startswith(REPORT) and "未录入" in case.text
    assert case.number in answer and "2000字" in answer
    row = await InboundMessage.get(msg_type="text")
    assert words in row.body and row.case_id == case.id


async def test_fifty_long_messages_leave_the_case_within_its_cap(resident: Resident) -> None:
    await resident.say(REPORT)
    case = await Case.get()
    first = len(case.text)
    answers = [await resident.say(f"{i:02d}" + "补充情况" * 1250) for i in range(50)]
    await case.refresh_from_db()
    assert len(case.text) <= first + 10_000, len(case.text)
    assert "上限" in answers[-1] and case.number in answers[-1]
    # Nothing the resident sent is lost: each message is kept whole, linked to the case.
    rows = await InboundMessage.filter(msg_type="text").order_by("id")
    assert len(rows) == 51
    assert all("补充情况" * 1250 in row.body and row.case_id == case.id for row in rows[1:])
    # Staff see that more came: one note, counting every message that was kept out.
    kept_out = sum("没有并入" in answer for answer in answers)
    assert kept_out >= 40
    notes = await CaseEvent.filter(case_id=case.id, actor_type="system", note__contains="未并入")
    assert len(notes) == 1 and notes[0].data["count"] == kept_out
    assert await CaseEvent.filter(case_id=case.id).count() < 15


async def test_photos_past_the_case_cap_are_kept_out_and_noted(
    make_client: ClientFactory,
) -> None:
    client = await make_client(case_attachments_max=3)
    resident = Resident(client, "o-photos")
    await resident.say(REPORT)
    case = await Case.get()
    answers = []
    for i in range(5):
        fields = {"PicUrl": f"http://mmbiz.example/{i}.jpg", "MediaId": f"m{i}"}
        status, body = await resident.send("image", {**fields, "MsgId": resident.msg_id()})
        assert status == 200
        answers.append(reply_content(body))
    await case.refresh_from_db()
    assert [a["media_id"] for a in case.attachments] == ["m0", "m1", "m2"]
    assert "上限" not in answers[2] and all("上限" in a for a in answers[3:])
    assert await InboundMessage.filter(msg_type="image", case_id=case.id).count() == 5
    note = await CaseEvent.get(case_id=case.id, actor_type="system", note__contains="未并入")
    assert note.data["attachments"] == 2


async def test_photos_before_the_words_are_held_up_to_the_cap(make_client: ClientFactory) -> None:
    client = await make_client(case_attachments_max=3)
    resident = Resident(client, "o-early-photos")
    answers = []
    for i in range(5):
        fields = {"PicUrl": f"http://mmbiz.example/{i}.jpg", "MediaId": f"e{i}"}
        _, body = await resident.send("image", {**fields, "MsgId": resident.msg_id()})
        answers.append(reply_content(body))
    assert all("上限" in a for a in answers[3:])
    await resident.say(REPORT)
    case = await Case.get()
    assert [a["media_id"] for a in case.attachments] == ["e0", "e1", "e2"]
    assert await InboundMessage.filter(msg_type="image").count() == 5
