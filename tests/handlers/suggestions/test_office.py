"""The suggestion office's screening: ask, merge, decline and reconsider, adopt, forward, 批示
and 落地; each step checked, audited, on the timeline and told; two deciding at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from handlers.intake.conversations import DialogueState
from handlers.suggestions import office as screening
from handlers.suggestions.access import SuggestionRefused
from handlers.suggestions.additions import add_info
from handlers.suggestions.adoption import adopt
from handlers.suggestions.departments import answer
from handlers.suggestions.export import csv_bytes, forwarded_records
from models import (
    AuditEvent,
    Conversation,
    OutboxMessage,
    Suggestion,
    SuggestionAdoption,
    SuggestionEvent,
    SuggestionStatus,
)
from tests.handlers.suggestions.conftest import BENCHES, NOW, Office, told

S = SuggestionStatus


async def events(suggestion: Suggestion) -> list[str]:
    rows = await SuggestionEvent.filter(suggestion_id=suggestion.id).order_by("id")
    return [row.action for row in rows]


async def test_asking_for_more_and_the_answer_coming_back(office: Office) -> None:
    suggestion = await office.suggestion()
    first_due = suggestion.screen_due_at
    clerk, ctx = office.clerk, await office.ctx()
    await screening.ask(suggestion, "请说明希望设站的具体位置", clerk, office.actor(clerk), ctx)
    await suggestion.refresh_from_db()
    assert suggestion.status == S.MORE_INFO and suggestion.screened_at == NOW
    assert suggestion.decision_reason == "请说明希望设站的具体位置"
    (message,) = await told(suggestion)
    assert "需要补充" in message and "具体位置" in message
    conversation = await Conversation.get(resident_id=office.resident.id)
    assert conversation.state == DialogueState.SUGGESTION_MORE
    assert conversation.data == {"suggestion": suggestion.id}
    # Asking again while waiting is not a step.
    with pytest.raises(SuggestionRefused) as refused:
        await screening.ask(suggestion, "还有呢", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409 and "待补充" in refused.value.message

    later = await office.ctx(NOW + timedelta(days=1))
    await add_info(suggestion, office.resident, "控江路靖宇东路路口东侧", later)
    await suggestion.refresh_from_db()
    assert suggestion.status == S.RECEIVED and "【补充" in suggestion.text
    assert "靖宇东路路口东侧" in suggestion.text and suggestion.decision_reason == ""
    assert first_due is not None and suggestion.screen_due_at is not None
    assert suggestion.screen_due_at > first_due  # the office's time starts again
    assert await events(suggestion) == ["receive", "ask", "add_info"]
    assert await AuditEvent.filter(action="suggestion.ask").count() == 1


async def test_bad_input_changes_nothing(office: Office) -> None:
    suggestion = await office.suggestion()
    clerk, ctx = office.clerk, await office.ctx()
    cases = [
        screening.ask(suggestion, "  ", clerk, office.actor(clerk), ctx),
        screening.decline(suggestion, "", clerk, office.actor(clerk), ctx),
        screening.decline(suggestion, "长" * 501, clerk, office.actor(clerk), ctx),
        screening.merge(suggestion, suggestion.number, "", clerk, office.actor(clerk), ctx),
        screening.merge(suggestion, "JY2699999999", "", clerk, office.actor(clerk), ctx),
        adopt(suggestion, [], "", clerk, office.actor(clerk), ctx),
        adopt(suggestion, ["TRAFFIC", "NO-SUCH"], "", clerk, office.actor(clerk), ctx),
        screening.forward(suggestion, "文" * 65, "", clerk, office.actor(clerk), ctx),
    ]
    for attempt in cases:
        with pytest.raises(SuggestionRefused) as refused:
            await attempt
        assert refused.value.status == 400, refused.value.message
    await suggestion.refresh_from_db()
    assert suggestion.status == S.RECEIVED and suggestion.screened_at is None
    assert await events(suggestion) == ["receive"]
    assert await SuggestionAdoption.all().count() == 0
    assert await AuditEvent.all().count() == 0


async def test_only_the_office_screens(office: Office) -> None:
    suggestion = await office.suggestion()
    ctx = await office.ctx()
    for user in (office.traffic, office.dispatcher):
        with pytest.raises(SuggestionRefused) as refused:
            await screening.decline(suggestion, "不合适", user, office.actor(user), ctx)
        assert refused.value.status == 403
        with pytest.raises(SuggestionRefused):
            await adopt(suggestion, ["TRAFFIC"], "", user, office.actor(user), ctx)
    assert await events(suggestion) == ["receive"]


async def test_merge_into_a_similar_suggestion(office: Office) -> None:
    target = await office.suggestion()
    again = await office.suggestion("建议控江路上加个公交车站，现在要走很远")
    clerk, ctx = office.clerk, await office.ctx()
    await screening.merge(again, target.number.lower(), "同一站点", clerk, office.actor(clerk), ctx)
    await again.refresh_from_db()
    assert again.status == S.MERGED and again.merged_into_id == target.id
    (message,) = await told(again)
    assert target.number in message and "合并" in message
    assert await events(target) == ["receive", "merged_in"]
    note = (await SuggestionEvent.get(suggestion_id=target.id, action="merged_in")).note
    assert again.number in note
    # Nothing merges into a merged one, and a merged one takes no further step.
    third = await office.suggestion(BENCHES)
    with pytest.raises(SuggestionRefused) as refused:
        await screening.merge(third, again.number, "", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409
    with pytest.raises(SuggestionRefused) as refused:
        await screening.decline(again, "重复", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409 and refused.value.code == "illegal_transition"


async def test_decline_and_reconsider(office: Office) -> None:
    suggestion = await office.suggestion()
    clerk, ctx = office.clerk, await office.ctx()
    await screening.decline(suggestion, "该路段已规划公交线路调整", clerk, office.actor(clerk), ctx)
    await suggestion.refresh_from_db()
    assert suggestion.status == S.DECLINED
    later = await office.ctx(NOW + timedelta(days=3))
    await screening.reconsider(suggestion, "居民再次反映", clerk, office.actor(clerk), later)
    await suggestion.refresh_from_db()
    assert suggestion.status == S.RECEIVED and suggestion.decision_reason == ""
    assert suggestion.screened_at == NOW  # the first decision's moment is kept
    declined, reconsidered = await told(suggestion)
    assert "不予采纳" in declined and "该路段已规划公交线路调整" in declined
    assert "重新研究" in reconsidered
    assert await events(suggestion) == ["receive", "decline", "reconsider"]
    actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
    assert actions == ["suggestion.decline", "suggestion.reconsider"]


async def test_adopt_for_departments_and_their_deadline(office: Office) -> None:
    suggestion = await office.suggestion()
    clerk, ctx = office.clerk, await office.ctx()
    rows = await adopt(
        suggestion, ["TRAFFIC", "HOUSING", "TRAFFIC"], "请研究", clerk, office.actor(clerk), ctx
    )
    assert [r.unit_id for r in rows] == [office.traffic_unit.id, office.housing_unit.id]
    await suggestion.refresh_from_db()
    assert suggestion.status == S.ADOPTED and suggestion.adopted_at == NOW
    due = rows[0].due_at
    assert due is not None and due - NOW >= timedelta(days=19)  # 15 working days
    (message,) = await told(suggestion)
    assert "已被采纳" in message and "区交通委员会、区房屋管理局" in message and "15" in message
    (task,) = await OutboxMessage.filter(purpose="suggestion_task")
    assert suggestion.number in str(task.payload) and "答复" in str(task.payload)
    # The same department twice is refused; another may be added, the status stays.
    with pytest.raises(SuggestionRefused) as refused:
        await adopt(suggestion, ["TRAFFIC"], "", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409
    await adopt(suggestion, ["GREEN"], "", clerk, office.actor(clerk), ctx)
    assert await SuggestionAdoption.filter(suggestion_id=suggestion.id).count() == 3
    assert await events(suggestion) == ["receive", "adopt", "adopt"]


async def test_forward_from_screening_or_as_a_flag_after_adoption(office: Office) -> None:
    clerk, ctx = office.clerk, await office.ctx()
    alone = await office.suggestion()
    await screening.forward(alone, "沪建议〔2026〕3号", "", clerk, office.actor(clerk), ctx)
    await alone.refresh_from_db()
    assert alone.status == S.FORWARDED and alone.forward_reference == "沪建议〔2026〕3号"
    assert "报送市级" in (await told(alone))[0]
    with pytest.raises(SuggestionRefused) as refused:
        await screening.forward(alone, "", "", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409

    adopted = await office.suggestion(BENCHES)
    await adopt(adopted, ["GREEN"], "", clerk, office.actor(clerk), ctx)
    await screening.forward(adopted, "", "", clerk, office.actor(clerk), ctx)
    await adopted.refresh_from_db()
    assert adopted.status == S.ADOPTED and adopted.forwarded_at == NOW
    assert adopted.forward_reference == adopted.number

    records = await forwarded_records(NOW.date(), NOW.date())
    assert [r["number"] for r in records] == [alone.number, adopted.number]
    assert records[1]["adopted_units"] == ["区绿化和市容管理局"]
    assert records[0]["proposer"] == "匿名" and records[0]["status"] == "forwarded"
    table = csv_bytes(records).decode("utf-8-sig").splitlines()
    assert table[0].startswith("number,title,text") and len(table) == 3


async def test_instruction_and_implementation(office: Office) -> None:
    suggestion = await office.suggestion()
    clerk, ctx = office.clerk, await office.ctx()
    with pytest.raises(SuggestionRefused) as refused:
        await screening.instruct(suggestion, "请交通委研究", clerk, office.actor(clerk), ctx)
    assert refused.value.status == 409
    await adopt(suggestion, ["TRAFFIC"], "", clerk, office.actor(clerk), ctx)
    await screening.instruct(suggestion, "请交通委抓紧研究", clerk, office.actor(clerk), ctx)
    await screening.instruct(suggestion, "再次批示", clerk, office.actor(clerk), ctx)
    await suggestion.refresh_from_db()
    assert suggestion.instructed_at == NOW
    with pytest.raises(SuggestionRefused):  # 落地 waits for the department's answer
        await screening.implemented(suggestion, "已设站", clerk, office.actor(clerk), ctx)
    traffic = office.traffic
    await answer(
        suggestion,
        "TRAFFIC",
        "project",
        "纳入年度公交站点优化项目",
        None,
        [],
        traffic,
        office.actor(traffic),
        ctx,
    )
    await suggestion.refresh_from_db()
    assert suggestion.status == S.ANSWERED
    later = await office.ctx(NOW + timedelta(days=60))
    await screening.implemented(
        suggestion, "控江路新设公交站已启用", clerk, office.actor(clerk), later
    )
    await suggestion.refresh_from_db()
    assert suggestion.status == S.IMPLEMENTED and suggestion.result == "控江路新设公交站已启用"
    messages = await told(suggestion)
    assert sum("批示" in m for m in messages) == 1  # the first 批示 only, without its words
    assert not any("抓紧" in m for m in messages)
    assert "已落地" in messages[-1] and "控江路新设公交站已启用" in messages[-1]


async def test_two_staff_deciding_at_once_one_wins(office: Office) -> None:
    suggestion = await office.suggestion()
    ctx = await office.ctx()
    copy = await Suggestion.get(id=suggestion.id)
    results = await asyncio.gather(
        screening.decline(suggestion, "不合适", office.clerk, office.actor(office.clerk), ctx),
        adopt(copy, ["TRAFFIC"], "", office.second, office.actor(office.second), ctx),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, SuggestionRefused)]
    assert len(refused) == 1 and refused[0].status == 409, results
    await suggestion.refresh_from_db()
    decided = 1 if suggestion.status == S.DECLINED else 0
    adopted = await SuggestionAdoption.filter(suggestion_id=suggestion.id).count()
    assert decided + adopted == 1 and suggestion.status in (S.DECLINED, S.ADOPTED)
    assert len(await events(suggestion)) == 2 and len(await told(suggestion)) == 1
