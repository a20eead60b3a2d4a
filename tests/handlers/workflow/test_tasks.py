"""Task messages to workers: the WeCom card, the template fallback, unsent with a reason, dedup;
and what a press of the card's buttons does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake.report import dispatch_if_possible, report_case, route_again
from handlers.timeline import Actor
from handlers.workflow.routing import load_routing_table
from handlers.workflow.tasks import (
    NO_REASON,
    RETURN_QUESTION_KEY,
    UPDATE_CARD,
    ButtonPress,
    notify_worker,
    press_button,
    push_task,
    task_id,
)
from models import (
    Case,
    CaseStatus,
    OutboxMessage,
    OutboxStatus,
    Resident,
    ReturnRequest,
    Worker,
)
from tests.conftest import make_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
WECOM = {"work_corp_id": "wwcorp", "work_agent_id": "1000002", "work_secret": "s3cret"}
LAMP = "政通路240号门口路灯坏了，晚上一片漆黑"  # routed to 五角场街道, grid worker 王芳 (wangfang)


async def context(now: datetime = NOW, **settings: Any) -> HandlerContext:
    return HandlerContext(
        now=now,
        settings=make_settings("sqlite://:memory:", **settings),
        gazetteer=await load_gazetteer(),
        routing=await load_routing_table(),
    )


async def reported(ctx: HandlerContext, text: str = LAMP) -> Case:
    report = await report_case(await Resident.create(openid="o-resident"), text, ctx)
    assert report.case.status == CaseStatus.DISPATCHED and report.case.worker_id is not None
    return report.case


async def task_rows(case: Case) -> list[OutboxMessage]:
    return list(await OutboxMessage.filter(case_id=case.id, purpose="task").order_by("id"))


async def test_a_dispatched_case_sends_its_worker_a_card(db: str) -> None:
    await load_demo_district()
    ctx = await context(public_url="https://jiesu.example.org/", **WECOM)
    case = await reported(ctx)

    (row,) = await task_rows(case)
    worker = await Worker.get(id=case.worker_id)
    assert row.channel == "work_app" and row.recipient == worker.wecom_userid
    assert row.status == OutboxStatus.PENDING and row.dedup_key == f"task:{case.number}:0"
    card = row.payload["template_card"]
    assert row.payload["msgtype"] == "template_card"
    assert card["card_type"] == "button_interaction"
    assert card["task_id"] == task_id(case) == f"{case.number}-0"
    assert card["main_title"]["title"] == case.title
    assert case.category in card["main_title"]["desc"]
    facts = {item["keyname"]: item["value"] for item in card["horizontal_content_list"]}
    assert facts["编号"] == case.number and "政通路" in facts["地点"]
    assert set(facts) == {"编号", "地点", "签收期限", "办结期限"}
    assert "月" in facts["签收期限"] and ":" in facts["办结期限"]  # local time, not ISO UTC
    assert [(b["text"], b["key"]) for b in card["button_list"]] == [
        ("签收", f"sign:{case.number}"),
        ("退单", f"return:{case.number}"),
    ]
    selection = card["button_selection"]
    assert selection["question_key"] == RETURN_QUESTION_KEY
    assert selection["selected_id"] == NO_REASON == selection["option_list"][0]["id"]
    assert [o["text"] for o in selection["option_list"][1:]] == [
        "非本单位职责",
        "地址不在辖区",
        "信息不全无法处理",
    ]
    assert card["card_action"] == {
        "type": 1,
        "url": f"https://jiesu.example.org/worker/cases/{case.number}",
    }
    assert "touser" not in row.payload and "agentid" not in row.payload  # the client adds them


async def test_pushing_again_sends_nothing_new_but_a_new_dispatch_does(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)
    (first,) = await task_rows(case)

    again = await push_task(case, ctx)
    assert again is not None and again.id == first.id
    assert len(await task_rows(case)) == 1

    # Back in the queue and dispatched again: a new card with a new task id.
    await Case.filter(id=case.id).update(status=CaseStatus.ACCEPTED, version=5)
    await case.refresh_from_db()
    unit = await dispatch_if_possible(case, ctx.routing.grid_by_id(case.grid_id), ctx)
    assert unit is not None
    rows = await task_rows(case)
    assert len(rows) == 2
    assert rows[1].payload["template_card"]["task_id"] == f"{case.number}-6"


async def test_reassignment_sends_a_new_card(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)
    case.category = "环境保护/噪声污染"  # routes to another unit
    await Case.filter(id=case.id).update(category=case.category)
    moved = await route_again(case, ctx, Actor("staff", "d-1"), "改类")
    assert moved is not None and moved.name == "区生态环境局"
    rows = await task_rows(case)
    assert len(rows) == 2 and rows[1].dedup_key == f"task:{case.number}:{case.version}"
    assert rows[1].payload["template_card"]["task_id"] == f"{case.number}-{case.version}"


async def test_without_wecom_the_worker_gets_a_template_message(db: str) -> None:
    await load_demo_district()
    await Worker.filter(wecom_userid="wangfang").update(openid="o-wangfang")
    ctx = await context(
        public_url="https://jiesu.example.org", mp_template_worker_task="TPL-TASK-1"
    )
    case = await reported(ctx)

    (row,) = await task_rows(case)
    assert row.channel == "mp_template" and row.recipient == "o-wangfang"
    assert row.status == OutboxStatus.PENDING
    payload = row.payload
    assert payload["template_id"] == "TPL-TASK-1"
    assert payload["url"] == f"https://jiesu.example.org/worker/cases/{case.number}"
    data = payload["data"]
    assert data["keyword1"]["value"] == case.number
    assert data["first"]["value"].startswith("新工单")
    assert "签收期限" in data["keyword2"]["value"] and "地点" in data["keyword2"]["value"]


async def test_a_worker_nobody_can_reach_is_recorded_with_the_reason(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    case = await reported(ctx)

    (row,) = await task_rows(case)
    assert row.status == OutboxStatus.SKIPPED and row.recipient == "wangfang"
    assert "企业微信未配置" in row.last_error and "openid" in row.last_error
    # The decision is kept under the dedup key: pushing again records nothing new.
    await push_task(case, ctx)
    assert len(await task_rows(case)) == 1


async def test_notify_worker_picks_the_channel(db: str) -> None:
    await load_demo_district()
    worker = await Worker.get(wecom_userid="wangfang")
    wecom = await context(**WECOM)
    row = await notify_worker(worker, "工单即将超期", wecom, purpose="warn", dedup_key="w:1")
    assert row.channel == "work_app" and row.payload == {
        "msgtype": "text",
        "text": {"content": "工单即将超期"},
    }
    assert (await notify_worker(worker, "x", wecom, purpose="warn", dedup_key="w:1")).id == row.id

    worker.openid = "o-wf"
    plain = await context(mp_template_worker_task="TPL")
    row = await notify_worker(worker, "工单即将超期", plain, purpose="warn")
    assert row.channel == "mp_template" and row.recipient == "o-wf" and "url" not in row.payload

    worker.wecom_userid = None
    row = await notify_worker(worker, "工单即将超期", wecom, purpose="warn")
    assert row.channel == "work_app" and row.status == OutboxStatus.SKIPPED
    assert "没有企业微信账号" in row.last_error and "模板消息未配置" in row.last_error


async def test_no_worker_no_task(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)
    case.worker_id = None
    assert await push_task(case, ctx) is None


def press(case: Case, action: str, userid: str = "wangfang", **kw: Any) -> ButtonPress:
    return ButtonPress(userid, f"{action}:{case.number}", kw.pop("code", "rc-1"), **kw)


async def test_sign_press_signs_and_updates_the_card(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)

    outcome = await press_button(press(case, "sign"), ctx)

    await case.refresh_from_db()
    assert outcome.result == "signed" and case.status == CaseStatus.SIGNED
    assert outcome.card_text == "已签收·王芳 03-10 10:00"
    update = await OutboxMessage.get(purpose="task_card")
    assert update.channel == "work_app" and update.recipient == "wangfang"
    assert update.payload == {
        "kind": UPDATE_CARD,
        "response_code": "rc-1",
        "button": {"replace_name": "已签收·王芳 03-10 10:00"},
    }


async def test_return_press_needs_a_chosen_reason(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)

    outcome = await press_button(
        press(case, "return", selected={RETURN_QUESTION_KEY: (NO_REASON,)}), ctx
    )
    await case.refresh_from_db()
    assert outcome.result == "no_reason" and case.status == CaseStatus.DISPATCHED
    hint = await OutboxMessage.get(purpose="task_hint")
    assert "请先在「退单理由」中选择理由" in hint.payload["text"]["content"]
    assert not await OutboxMessage.filter(purpose="task_card").exists()

    outcome = await press_button(
        press(case, "return", code="rc-2", selected={RETURN_QUESTION_KEY: ("out_of_area",)}), ctx
    )
    await case.refresh_from_db()
    # A 退单 is a request to the centre: the case stays until a dispatcher approves.
    assert outcome.result == "return_requested" and case.status == CaseStatus.DISPATCHED
    assert case.worker_id is not None and case.returned_count == 0
    asked = await ReturnRequest.get(case_id=case.id)
    assert asked.status == "pending" and asked.reason == "地址不在辖区"
    update = await OutboxMessage.get(purpose="task_card")
    assert update.payload["button"] == {"replace_name": "退单已提交，待中心审核：地址不在辖区"}
    again = await press_button(
        press(case, "return", code="rc-3", selected={RETURN_QUESTION_KEY: ("not_ours",)}), ctx
    )
    assert again.result == "refused" and again.card_text == "已申请退单，待中心审核"
    assert await ReturnRequest.filter(case_id=case.id).count() == 1


async def test_presses_that_cannot_act_change_nothing(db: str) -> None:
    await load_demo_district()
    ctx = await context(**WECOM)
    case = await reported(ctx)

    # Somebody else's case: refused politely, the card says so.
    other = await press_button(press(case, "sign", userid="zhaoli", code="rc-a"), ctx)
    assert other.result == "refused" and other.card_text == "已不由您办理"
    # Unknown WeCom user, unknown key, unknown case: nothing but a log (and the card for the case).
    assert (await press_button(press(case, "sign", userid="stranger"), ctx)).result == (
        "unknown_worker"
    )
    assert (await press_button(ButtonPress("wangfang", "dance:1"), ctx)).result == "unknown_key"
    missing = await press_button(ButtonPress("wangfang", "sign:0000000000", "rc-m"), ctx)
    assert missing.result == "no_case"
    await case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED

    # Signed already: a second press says what the case is now.
    assert (await press_button(press(case, "sign", code="rc-b"), ctx)).result == "signed"
    again = await press_button(press(case, "sign", code="rc-c"), ctx)
    assert again.result == "refused" and again.card_text == "工单已签收"
