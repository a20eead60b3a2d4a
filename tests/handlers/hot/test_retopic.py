"""Topic words brought up to date after the rules change (``jiesu retopic``): on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from handlers.district.setup import load_demo_district
from handlers.hot.ranking import hot_issues
from handlers.hot.retopic import retopic
from models import Case
from tests.handlers.hot.test_ranking import NOW, SINCE, UNTIL, say

GYM = (
    "办了两年的健身卡，健身房突然关门老板跑路了，卡里还有六千多元怎么退",
    "又一家健身房跑路，上个月刚充值三千，现在人去楼空",
    "健身房老板跑路了，会员卡里的钱退不回来，请市场监管部门管一管",
)


async def test_cases_stored_under_older_rules_group_with_newer_ones_after_retopic(db: str) -> None:
    await load_demo_district()
    cases = [await say(f"gym-{n}", text, n) for n, text in enumerate(GYM)]
    fresh = {case.id: case.topic for case in cases}
    # The first two were stored before 健身房 was read as 健身, in words of their own.
    await Case.filter(id=cases[0].id).update(topic="健身卡 健身房 关门 老板")
    await Case.filter(id=cases[1].id).update(topic="健身房 人去楼空 上个月 充值")
    before = await hot_issues(SINCE, UNTIL)
    assert not any(len(issue.numbers) == 3 for issue in before)

    result = await retopic()
    assert (result.read, result.changed) == (3, 2)
    assert {c.id: c.topic for c in await Case.all()} == fresh
    after = await hot_issues(SINCE, UNTIL)
    assert [set(issue.numbers) for issue in after] == [{case.number for case in cases}]
    # Run again: nothing to change.
    assert await retopic() == type(result)(3, 0)


async def test_retopic_since_a_moment_leaves_older_cases_alone(db: str) -> None:
    await load_demo_district()
    old = await say("gym-old", GYM[0], -24 * 10)
    new = await say("gym-new", GYM[1], 0)
    await Case.filter(id__in=[old.id, new.id]).update(topic="旧的 词")
    result = await retopic(NOW - timedelta(days=1))
    assert (result.read, result.changed) == (1, 1)
    assert (await Case.get(id=old.id)).topic == "旧的 词"
    assert (await Case.get(id=new.id)).topic == new.topic


async def test_an_anonymous_case_keeps_the_topic_intake_gave_it(db: str) -> None:
    await load_demo_district()
    case = await say("gym-anon", GYM[2], 0)
    await Case.filter(id=case.id).update(title="【匿名】" + case.title)
    result = await retopic()
    assert result.changed == 0


async def test_two_retopics_at_once_leave_each_case_its_topic(db: str) -> None:
    await load_demo_district()
    cases = [await say(f"gym-par-{n}", text, n) for n, text in enumerate(GYM)]
    fresh = {case.id: case.topic for case in cases}
    await Case.all().update(topic="旧 规则")
    first, second = await asyncio.gather(retopic(), retopic())
    assert first.read == second.read == 3
    assert 3 <= first.changed + second.changed <= 6  # each case written once or twice, alike
    assert {c.id: c.topic for c in await Case.all()} == fresh
