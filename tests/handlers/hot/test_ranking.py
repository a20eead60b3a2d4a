"""Hot issues: cases grouped by problem, then place, ranked by heat, each factor shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from handlers.district.setup import load_demo_district
from handlers.hot.ranking import hot_issues
from handlers.intake.report import report_case
from models import (
    Case,
    CaseLink,
    CaseStatus,
    HotItem,
    HotItemCase,
    HotItemStatus,
    LinkKind,
    Place,
    Resident,
    Survey,
    SurveyAnswer,
    Unit,
)
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


async def test_place_variants_are_one_place_learnt_from_the_district_files(db: str) -> None:
    await load_demo_district()
    # The district's place file knows the compound by its other names (models.Place.aliases).
    await Place.create(
        name="伊景园滨河苑", kind="compound", aliases=["滨河苑", "定向商品房伊景园滨河苑"]
    )
    cases = [
        await say("p-1", "伊景园滨河苑开发商强制业主买车位，不买车位就不给办交房手续"),
        await say("p-2", "定向商品房伊景园滨河苑捆绑销售车位，我们买不起也必须买吗", 1),
        await say("p-3", "滨河苑小区车位捆绑销售，开发商说不买车位不能收房", 2),
    ]
    issues = await hot_issues(SINCE, UNTIL)
    assert len(issues) == 1
    issue = issues[0]
    assert set(issue.numbers) == {case.number for case in cases}
    assert issue.place_label == "伊景园滨河苑" and "车位" in issue.topic_words
    assert len(issue.places) >= 2  # the ways residents wrote it, shown
    assert issue.samples[0].number == cases[0].number
    assert issue.samples[0].excerpt.startswith("伊景园滨河苑")


async def test_an_issue_without_a_place_is_grouped_by_its_topic(db: str) -> None:
    await load_demo_district()
    words = [
        "我是去年落户的硕士，申请人才购房补贴一直审核不通过，说社保记录不连续",
        "人才购房补贴申请被驳回，理由是没有近期社保缴纳记录，可我一直在交社保",
        "为什么符合条件的人才申请购房补贴总是通不过，材料都交齐了",
    ]
    cases = [await say(f"s-{n}", text, n) for n, text in enumerate(words)]
    issues = await hot_issues(SINCE, UNTIL)
    assert [set(i.numbers) for i in issues] == [{c.number for c in cases}]
    assert issues[0].place_key == "" and issues[0].place == "不限地点"
    assert {"购房", "补贴"} <= set(issues[0].topic_words)


async def test_heat_counts_growth_repeats_dissatisfaction_reopening_and_votes(db: str) -> None:
    await load_demo_district()
    # Two issues of two residents each: the lamp is growing, repeating, disliked and voted for.
    lamp = [
        await say("h-1", "政通路上的路灯坏了好几天，晚上路口很黑", 1),
        await say("h-2", "政通路路灯一直不亮，晚上走路看不清", 2),
    ]
    bins = [
        await say("h-3", "开鲁新村12号楼垃圾箱房好几天没人清运，臭气熏天", 3),
        await say("h-4", "开鲁新村12号楼的垃圾箱房垃圾满出来了，很臭", 4),
    ]
    # The period before (as long): one resident wrote about the bins, none about the lamp.
    before = NOW - timedelta(days=10)
    old = await report_case(
        (await Resident.get_or_create(openid="h-0"))[0],
        "开鲁新村12号楼垃圾箱房没人清运，垃圾堆到外面",
        await context(before),
    )
    assert old.case.created_at < SINCE
    await CaseLink.create(kind=LinkKind.REPEAT, case=lamp[0], other=lamp[1], at=lamp[1].created_at)
    await Case.filter(id=lamp[0].id).update(
        status=CaseStatus.VISITED, reopened_count=1, votes_up=40, votes_down=9
    )
    await Case.filter(id=bins[0].id).update(status=CaseStatus.VISITED)
    await Survey.create(case=lamp[0], due_at=NOW, answer=SurveyAnswer.UNSATISFIED)
    await Survey.create(case=bins[0], due_at=NOW, answer=SurveyAnswer.SATISFIED)

    issues = await hot_issues(SINCE, UNTIL)
    assert [set(i.numbers) for i in issues] == [
        {c.number for c in lamp},
        {c.number for c in bins},
    ]
    hot, calm = issues[0].factors, issues[1].factors
    assert (hot.residents, hot.previous_residents, hot.growth) == (2, 0, 2.0)
    assert (calm.residents, calm.previous_residents, calm.growth) == (2, 1, 1.0)
    assert hot.repeats == 1 and calm.repeats == 0
    assert (hot.dissatisfied, hot.surveyed, hot.dissatisfaction_rate) == (1, 1, 1.0)
    assert (calm.dissatisfied, calm.surveyed) == (0, 1)
    assert (hot.reopened, hot.closed, hot.reopen_rate) == (1, 1, 1.0)
    assert (hot.votes_up, hot.votes_down) == (40, 9)
    # Each factor's contribution (config/hot.py): 2 + 2*0.5*2 + 2*1 + 2*1*1 + 2*1*1 + log2(32)
    assert hot.contributions == {
        "residents": 2.0,
        "growth": 2.0,
        "repeats": 2.0,
        "dissatisfaction": 2.0,
        "reopen": 2.0,
        "votes": 5.0,
    }
    assert issues[0].heat == 15.0
    assert issues[1].heat == 2 + 1.0  # residents, growth 2*0.5*1
    body = issues[0].as_dict()
    assert body["factors"]["contributions"]["votes"] == 5.0 and body["heat"] == 15.0


async def test_an_issue_already_taken_up_names_its_item(db: str) -> None:
    await load_demo_district()
    first = await say("i-1", "政通路上的路灯坏了好几天，晚上路口很黑")
    await say("i-2", "政通路路灯一直不亮，晚上走路看不清", 1)
    unit = await Unit.first()
    assert unit is not None
    item = await HotItem.create(
        number="RD26110001",
        title="政通路路灯",
        owner_unit=unit,
        deadline=date(2026, 12, 31),
        created_at=NOW,
        updated_at=NOW,
    )
    await HotItemCase.create(item=item, case=first, linked_at=NOW)
    assert (await hot_issues(SINCE, UNTIL))[0].items == ("RD26110001",)
    await HotItem.filter(id=item.id).update(status=HotItemStatus.CLOSED)
    assert (await hot_issues(SINCE, UNTIL))[0].items == ()
