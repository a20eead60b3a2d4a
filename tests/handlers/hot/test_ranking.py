"""Hot issues: cases about one place and problem, grouped and ranked by residents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.district.setup import load_demo_district
from handlers.hot.ranking import hot_issues
from handlers.intake.report import report_case
from models import Case, Resident
from tests.handlers.intake.test_duplicates import NOW, context

SINCE, UNTIL = NOW - timedelta(days=7), NOW + timedelta(days=7)


async def say(openid: str, text: str, hours: float = 0) -> Case:
    resident, _ = await Resident.get_or_create(openid=openid)
    report = await report_case(resident, text, await context(NOW + timedelta(hours=hours)))
    return report.case


async def test_groups_are_ranked_by_residents(db: str) -> None:
    await load_demo_district()
    # Three residents about one bin room (two merges), two about one lamp, one alone.
    bins = [
        await say("o-1", "开鲁新村12号楼垃圾箱房好几天没人清运，垃圾堆到外面，臭气熏天"),
        await say("o-2", "开鲁新村12号楼的垃圾箱房垃圾满出来了，几天没清运很臭", 1),
        await say("o-3", "开鲁新村12号楼垃圾箱房垃圾没人清运，臭味熏到家里", 2),
    ]
    lamp = [
        await say("o-4", "政通路上的路灯坏了好几天，晚上路口很黑", 3),
        await say("o-5", "政通路路灯一直不亮，晚上走路看不清", 4),
    ]
    await say("o-6", "市光一村3号楼电梯坏了，老人下不了楼", 5)

    issues = await hot_issues(SINCE, UNTIL)
    assert [issue.residents for issue in issues] == [3, 2]
    top = issues[0]
    assert top.numbers == tuple(case.number for case in bins)
    assert top.title == bins[0].title and "开鲁新村" in top.place
    assert top.first_at == bins[0].created_at and top.open_cases == 1
    assert set(issues[1].numbers) == {case.number for case in lamp}
    assert issues[1].as_dict()["cases"] == 2

    assert await hot_issues(SINCE, UNTIL, limit=1) == issues[:1]
    assert await hot_issues(SINCE, UNTIL, category_prefix="交通运输") == []
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert await hot_issues(later, later + timedelta(days=1)) == []


async def test_one_resident_writing_twice_is_not_hot(db: str) -> None:
    await load_demo_district()
    await say("o-1", "开鲁新村12号楼垃圾箱房好几天没人清运，垃圾堆到外面，臭气熏天")
    await say("o-1", "开鲁新村12号楼垃圾箱房还是没人清运，垃圾堆到外面了", 1)
    assert await hot_issues(SINCE, UNTIL) == []
    assert len(await hot_issues(SINCE, UNTIL, min_residents=1)) == 1
