"""Import and export: a preview that writes nothing, an apply that is idempotent, every problem
named by row, an export that imports back as no change (CSV and XLSX alike)."""

from __future__ import annotations

import pytest

from config.demo_district import FILES
from handlers.knowledge.files import (
    apply_import,
    demo_file,
    export_file,
    load_demo_knowledge,
    plan_import,
    read_entries,
)
from handlers.knowledge.records import KnowledgeProblem
from models import EntryStatus, KnowledgeEntry, KnowledgeVersion, Unit
from tests.handlers.knowledge.conftest import NOW, Org

CSV = (
    "code,question,variants,answer,unit,valid_until,scope,street,status,links\n"
    "KB-1,高龄津贴怎么申请,老人补贴去哪办|八十岁补贴,到受理中心申请。,CIVIL,2026-12-31,"
    'district,,published,"区民政局|https://example.gov.cn/a"\n'
    ",大件垃圾怎么预约,,每周二上门收运。,,,street,五角场街道,,\n"
)


async def test_preview_then_apply_then_nothing_more(org: Org) -> None:
    actor = org.actor(org.dispatcher)
    plan = await plan_import(read_entries("kb.csv", CSV.encode()), org.dispatcher)
    assert plan.counts() == {"add": 2, "change": 0, "same": 0}
    assert not await KnowledgeEntry.exists()  # a preview writes nothing
    assert await apply_import(plan, org.dispatcher, actor, NOW) == plan.counts()
    first = await KnowledgeEntry.get(code="KB-1")
    assert first.status == EntryStatus.PUBLISHED and first.variants == [
        "老人补贴去哪办",
        "八十岁补贴",
    ]
    assert first.links == [{"title": "区民政局", "url": "https://example.gov.cn/a"}]
    second = await KnowledgeEntry.get(question="大件垃圾怎么预约")
    assert second.status == EntryStatus.DRAFT and second.street == "五角场街道"

    again = await plan_import(read_entries("kb.csv", CSV.encode()), org.dispatcher)
    assert again.counts() == {"add": 0, "change": 0, "same": 2}
    changed = CSV.replace("到受理中心申请。", "到受理中心或随申办申请。")
    plan = await plan_import(read_entries("kb.csv", changed.encode()), org.dispatcher)
    assert plan.counts() == {"add": 0, "change": 1, "same": 1}
    assert plan.rows[0].fields["answer"] == ["到受理中心申请。", "到受理中心或随申办申请。"]
    await apply_import(plan, org.dispatcher, actor, NOW)
    assert [v.action for v in await KnowledgeVersion.filter(entry_id=first.id).order_by("id")] == [
        "create",
        "import",
        "import",
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_an_export_imports_back_as_no_change(org: Org, kind: str) -> None:
    plan = await plan_import(read_entries("kb.csv", CSV.encode()), None)
    await apply_import(plan, None, None, NOW)
    data = await export_file(kind)
    back = await plan_import(read_entries(f"knowledge.{kind}", data), org.admin)
    assert back.counts() == {"add": 0, "change": 0, "same": 2}
    # A control character a worksheet cannot hold is left out of the XLSX, not a failure.
    await KnowledgeEntry.filter(code="KB-1").update(answer="到受理中心\x01申请。")
    assert await export_file(kind)


async def test_every_problem_is_named_and_nothing_written(org: Org) -> None:
    bad = (
        "question,answer,unit,valid_until,scope,status\n"
        "高龄津贴怎么申请,,CIVIL,2026-12-31,district,\n"
        "大件垃圾,每周二。,NOPE,,street,\n"
        "居住证,去派出所。,,31/12/2026,,\n"
    )
    with pytest.raises(KnowledgeProblem) as refused:
        await plan_import(read_entries("kb.csv", bad.encode()), org.dispatcher)
    assert "kb.csv 第 4 行：日期须为 YYYY-MM-DD（31/12/2026）" in refused.value.problems
    entries = read_entries("kb.csv", bad.replace("31/12/2026", "").encode())
    with pytest.raises(KnowledgeProblem) as refused:
        await plan_import(entries, org.dispatcher)
    problems = "；".join(refused.value.problems)
    assert "kb.csv 第 2 行：答复内容不能为空" in problems
    assert "kb.csv 第 3 行：适用范围为街道时须填写街道" in problems
    assert "kb.csv 第 3 行：没有编号为 NOPE 的单位" in problems
    # A unit's account may not publish through a file.
    with pytest.raises(KnowledgeProblem, match="审核人员"):
        await plan_import(read_entries("kb.csv", CSV.encode()), org.civil_clerk)
    with pytest.raises(KnowledgeProblem, match="缺少列 answer"):
        read_entries("kb.csv", "question\n问\n".encode())
    with pytest.raises(KnowledgeProblem, match="不是有效的 XLSX"):
        read_entries("kb.xlsx", b"not a workbook")
    with pytest.raises(KnowledgeProblem, match="只接受"):
        read_entries("kb.txt", b"question,answer\n")
    assert not await KnowledgeEntry.exists()


async def test_the_demo_district_ships_a_knowledge_base(db: str) -> None:
    for code, name in (
        ("CIVIL", "区民政局"),
        ("HOUSING", "区房屋管理局"),
        ("ST-WJC", "五角场街道办事处"),
    ):
        await Unit.create(code=code, name=name)
    for code in ("POLICE", "HR", "GREEN"):
        await Unit.create(code=code, name=code)
    data = demo_file(FILES / "knowledge.csv")
    added = await load_demo_knowledge(data, NOW)
    assert added >= 10
    assert await KnowledgeEntry.get(question="高龄津贴怎么申请", status=EntryStatus.PUBLISHED)
    entry = await KnowledgeEntry.get(code="DEMO-001")
    entry.answer = "街道改过的答复"
    await entry.save()
    assert await load_demo_knowledge(data, NOW) == 0  # an edited demo entry is left alone
    assert (await KnowledgeEntry.get(code="DEMO-001")).answer == "街道改过的答复"
