"""Two residents write about one problem: the second joins the first, and can undo it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from models import Case, CaseEvent, CaseStatus
from tests.bot.conftest import Resident


async def test_second_resident_joins_then_splits(client: TestClient) -> None:
    first, second = Resident(client, "o-first"), Resident(client, "o-second")
    await first.say("开鲁新村12号楼垃圾箱房好几天没人清运，垃圾堆到外面，臭气熏天")
    original = await Case.get()

    answer = await second.say("开鲁新村12号楼的垃圾箱房又满了，好几天没清运，很臭，招老鼠")
    merged = await Case.exclude(id=original.id).get()
    assert merged.status == CaseStatus.MERGED and merged.duplicate_of_id == original.id
    assert original.number in answer and merged.number in answer
    assert "不是同一件事" in answer

    # More words in the same conversation stay with the merged case, not a third case.
    await second.say("楼下还有一只死老鼠")
    assert await Case.all().count() == 2

    answer = await second.say("不是同一件事")
    await merged.refresh_from_db()
    assert "单独办理" in answer and merged.number in answer
    assert merged.status == CaseStatus.DISPATCHED and merged.duplicate_of_id is None
    actions = [e.action for e in await CaseEvent.filter(case_id=merged.id).order_by("id")]
    assert actions[:3] == ["accept", "merge", "annotate"] and actions[-2:] == ["split", "dispatch"]
