"""Themed calls (征集活动) without HTTP: writing, opening (a notice drafted for its audience),
closing, the period, replies gathered under a call, and the results grouped into ideas."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handlers.staff.accounts import create_user
from handlers.staff.audit import StaffActor
from handlers.suggestions import call_replies
from handlers.suggestions.call_results import Reply, call_results, group_replies, key_words
from handlers.suggestions.calls import (
    CallIn,
    CallProblem,
    CallStateError,
    announcement,
    check_call,
    close_call,
    close_expired,
    create_call,
    open_call,
    open_calls,
    update_call,
)
from models import (
    AuditEvent,
    CallStatus,
    Notice,
    NoticeStatus,
    Resident,
    Suggestion,
    SuggestionCall,
)
from tests.handlers.workflow.test_actions import context

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
PASSWORD = "correct horse battery"
RESIDENTS = {"kind": "residents", "streets": ["五角场街道"]}


def given(**changes: object) -> CallIn:
    call = CallIn(
        title="社区微更新金点子",
        question="您希望小区里增加哪些便民设施？",
        starts_at=NOW,
        ends_at=NOW + timedelta(days=14),
        keyword="#金点子",
        audience=RESIDENTS,
    )
    return replace(call, **changes)  # type: ignore[arg-type]


async def office(username: str = "office") -> StaffActor:
    user = await create_user(username, "suggestions", PASSWORD, NOW)
    return StaffActor.of(user, via="api")


def test_a_call_is_checked_before_it_is_kept() -> None:
    assert check_call(given()).keyword == "金点子"  # the # residents type is not the keyword
    problems = [
        given(ends_at=NOW - timedelta(hours=1)),
        given(ends_at=NOW + timedelta(days=400)),
        given(starts_at=NOW.replace(tzinfo=None)),
        given(keyword="金"),
        given(keyword="金 点子"),
        given(keyword="", channels=("chat",)),
        given(channels=("sms",)),
        given(channels=()),
        given(title=""),
        given(audience={"kind": "workers", "units": ["ST-WJC"]}),
        given(audience={"kind": "residents"}),
        given(code="../x"),
    ]
    for call in problems:
        with pytest.raises(CallProblem):
            check_call(call)
    assert check_call(given(keyword="", channels=("mini",))).keyword == ""


async def test_writing_opening_and_closing_a_call(db: str) -> None:
    actor = await office()
    call = await create_call(given(starts_at=NOW + timedelta(days=1)), actor, NOW)
    assert call.status == CallStatus.DRAFT and call.code.startswith("ZJ")
    assert call.keyword == "金点子" and call.channels == ["chat", "menu", "mini"]
    # A draft changes freely.
    call = await update_call(
        call.code, given(starts_at=NOW + timedelta(days=1), keyword="好点子"), actor, NOW
    )
    assert call.keyword == "好点子"

    call = await open_call(call.code, actor, NOW)
    assert call.status == CallStatus.OPEN and call.notice_id is not None
    notice = await Notice.get(id=call.notice_id)
    # The announcement goes the notice's normal way: a draft in the opener's name, for the
    # call's audience, sent when the call starts (after preview, submit and a second approval).
    assert notice.status == NoticeStatus.DRAFT and notice.created_by == "office"
    assert notice.audience == RESIDENTS and notice.channel == "mp_mass"
    assert notice.scheduled_at == NOW + timedelta(days=1)
    text = notice.content["text"]
    assert text == announcement(call) and "#好点子" in text and "您希望小区里" in text
    assert "msgmenuid=call:" + call.code in text

    # Open: only the title, question and end may change.
    with pytest.raises(CallStateError):
        await update_call(call.code, given(keyword="金点子"), actor, NOW)
    call = await update_call(
        call.code,
        given(
            starts_at=NOW + timedelta(days=1),
            keyword="好点子",
            question="您最希望增加的便民设施是什么？",
            ends_at=NOW + timedelta(days=20),
        ),
        actor,
        NOW,
    )
    assert call.question.startswith("您最希望") and call.ends_at == NOW + timedelta(days=20)
    with pytest.raises(CallStateError):
        await open_call(call.code, actor, NOW)

    # Closed early: the announcement, not yet sending, is cancelled.
    call = await close_call(call.code, actor, NOW + timedelta(hours=2))
    assert call.status == CallStatus.CLOSED and call.ends_at == NOW + timedelta(hours=2)
    assert (await Notice.get(id=notice.id)).status == NoticeStatus.CANCELLED
    with pytest.raises(CallStateError):
        await close_call(call.code, actor, NOW)
    with pytest.raises(CallStateError):
        await update_call(call.code, given(), actor, NOW)
    actions = [
        e.action for e in await AuditEvent.filter(target_type="suggestion_call").order_by("id")
    ]
    assert actions == [
        "suggestion_call.create",
        "suggestion_call.update",
        "suggestion_call.open",
        "suggestion_call.update",
        "suggestion_call.close",
    ]


async def test_a_keyword_belongs_to_one_open_call_and_no_audience_means_no_notice(
    db: str,
) -> None:
    actor = await office()
    first = await open_call((await create_call(given(), actor, NOW)).code, actor, NOW)
    second = await create_call(given(audience={}), actor, NOW)
    with pytest.raises(CallStateError, match="金点子"):
        await open_call(second.code, actor, NOW)
    other = await create_call(given(audience={}, keyword="好点子"), actor, NOW)
    opened = await open_call(other.code, actor, NOW)
    assert opened.notice_id is None and await Notice.all().count() == 1
    assert {c.code for c in await open_calls(NOW)} == {first.code, other.code}
    # Past its end a call is closed by the next look (any process may make it).
    assert await close_expired(NOW + timedelta(days=15)) == 2
    assert await open_calls(NOW + timedelta(days=15)) == []
    assert (await SuggestionCall.get(id=first.id)).status == CallStatus.CLOSED


async def test_a_call_past_its_end_does_not_open(db: str) -> None:
    actor = await office()
    call = await create_call(given(question="问" * 600, title="长" * 100), actor, NOW)
    with pytest.raises(CallProblem, match="截止时间已过"):
        await open_call(call.code, actor, NOW + timedelta(days=30))
    assert (await SuggestionCall.get(id=call.id)).status == CallStatus.DRAFT
    assert await Notice.all().count() == 0
    # The longest call still fits one text notice.
    opened = await open_call(call.code, actor, NOW)
    assert len((await Notice.get(id=opened.notice_id)).content["text"]) <= 1200


def test_what_starts_a_reply_to_a_call() -> None:
    after = call_replies.after_keyword
    assert after("#金点子 建议增设公交站", "金点子") == "建议增设公交站"
    assert after("＃金点子＃建议增设公交站", "金点子") == "建议增设公交站"
    assert after("【金点子】多种树", "金点子") == "多种树"
    assert after("金点子：多种树", "金点子") == "多种树"
    assert after("金点子", "金点子") == ""
    assert after("#金点子", "金点子") == ""
    assert after("金点子真多", "金点子") is None  # the word inside a sentence is no reply
    assert after("我有个金点子：多种树", "金点子") is None
    assert after("楼下路灯坏了", "金点子") is None


async def test_replies_are_suggestions_under_the_call_but_danger_is_a_case(db: str) -> None:
    actor = await office()
    call = await open_call((await create_call(given(), actor, NOW)).code, actor, NOW)
    resident = await Resident.create(openid="o-call-1", nickname="张三")
    ctx = await context(NOW + timedelta(hours=1))
    # Words that do not read as 建议 are still a reply to the call.
    gathered = await call_replies.gather(
        call, resident, "公园里的长椅太少了，老人走累了没地方坐", ctx, channel="mp"
    )
    assert gathered is not None
    suggestion = await Suggestion.get(id=gathered.suggestion.id)
    assert suggestion.call_id == call.id and suggestion.number in gathered.reply
    assert "社区微更新金点子" in gathered.reply
    danger = await call_replies.gather(
        call, resident, "楼道里煤气味很重，老人一个人在家", ctx, channel="mp"
    )
    assert danger is None and await Suggestion.all().count() == 1


def test_similar_ideas_are_grouped_with_their_key_words() -> None:
    ideas = [
        "建议在控江路增设一个公交站，方便居民出行",
        "控江路上能不能多设一个公交车站",
        "希望增加公交站点，控江路附近坐车太远",
        "建议小区里多装几个充电桩，电动车没地方充电",
        "小区应该增设电动自行车充电桩",
        "电动车充电桩太少了，建议多装",
        "公园里多放一些长椅供老人休息",
    ]
    replies = [Reply(i, f"JY{i}", text[:10], text) for i, text in enumerate(ideas)]
    groups = group_replies(replies)
    assert sorted(map(sorted, groups)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert groups[-1] == [6]  # the largest first
    words = {tuple(g): w for g, w in zip(groups, key_words(replies, groups), strict=True)}
    assert "充电桩" in words[tuple(next(g for g in groups if 3 in g))]
    assert "控江路" in words[tuple(next(g for g in groups if 0 in g))]
    assert group_replies([]) == [] and group_replies(replies[:1]) == [[0]]


async def test_results_count_replies_residents_days_and_streets(db: str) -> None:
    actor = await office()
    call = await open_call((await create_call(given(), actor, NOW)).code, actor, NOW)
    people = [await Resident.create(openid=f"o-r-{i}") for i in range(3)]
    texts = [
        (people[0], "五角场街道国权路小区建议多装几个电动车充电桩", 0),
        (people[1], "小区应该增设电动自行车充电桩", 0),
        (people[1], "电动车充电桩太少了，建议多装", 1),
        (people[2], "公园里多放一些长椅供老人休息", 2),
    ]
    for who, words, day in texts:
        ctx = await context(NOW + timedelta(days=day, hours=1))
        assert await call_replies.gather(call, who, words, ctx, channel="mp") is not None
    found = await call_results(call)
    assert found.replies == 4 and found.residents == 3
    assert [count for _, count in found.by_day] == [2, 1, 1]
    assert dict(found.by_street).get("五角场街道") == 1
    assert sum(dict(found.by_street).values()) == 4
    assert found.by_status == {"已收到": 4}
    top = found.groups[0]
    assert top.size == 3 and top.residents == 2 and "充电桩" in top.key_words
    assert len(top.samples) == 3 and all(s["number"].startswith("JY") for s in top.samples)
    assert found.as_dict()["groups"][0]["size"] == 3
