"""A message board's messages brought in: one case each, votes updated when brought again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from handlers.district.setup import load_demo_district
from handlers.hot.ranking import hot_issues
from handlers.intake.board import BoardMessage, BoardProblem, import_messages, read_messages
from models import Case, Resident, ResidentApp
from tests.handlers.intake.test_duplicates import NOW, context

LAMP = "政通路上的路灯坏了好几天，晚上路口很黑"


def message(ref: str, user: str, text: str, up: int = 0, down: int = 0) -> BoardMessage:
    return BoardMessage(ref=ref, user=user, title="", text=text, up=up, down=down)


async def test_a_message_brought_twice_is_one_case_whose_votes_follow_the_board(db: str) -> None:
    await load_demo_district()
    first = await import_messages([message("m1", "u1", LAMP, 3, 1)], await context())
    (number,) = first.created
    case = await Case.get(number=number)
    assert (case.channel, case.source_ref, case.votes_up, case.votes_down) == (
        "board",
        "board:m1",
        3,
        1,
    )
    resident = await Resident.get(id=case.resident_id)
    assert (resident.openid, resident.app) == ("board:u1", ResidentApp.BOARD)

    again = await import_messages([message("m1", "u1", LAMP, 3, 1)], await context())
    assert again.unchanged == [number] and not again.created
    later = await import_messages([message("m1", "u1", LAMP, 40, 9)], await context())
    assert later.updated == [number]
    assert await Case.filter(source_ref="board:m1").count() == 1
    assert (await Case.get(number=number)).votes_up == 40

    # The votes are a factor of the hot issue's heat.
    await import_messages(
        [message("m2", "u2", "政通路路灯一直不亮，晚上走路看不清")], await context()
    )
    (issue,) = await hot_issues(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (issue.factors.votes_up, issue.factors.votes_down) == (40, 9)
    assert issue.factors.contributions["votes"] == 5.0


async def test_the_same_message_brought_in_twice_at_once_is_one_case(db: str) -> None:
    await load_demo_district()
    ctx = await context()
    results = await asyncio.gather(
        import_messages([message("m9", "u9", LAMP)], ctx),
        import_messages([message("m9", "u9", LAMP)], ctx),
    )
    assert sum(len(r.created) for r in results) == 1
    assert await Case.filter(source_ref="board:m9").count() == 1


def test_wrong_rows_are_named_and_none_is_taken() -> None:
    rows = [
        {"留言编号": "1", "留言用户": "a", "留言主题": "路灯", "留言详情": "不亮", "点赞数": "2"},
        {"ref": "", "user": "b", "text": "x"},
        {"ref": "3", "user": "c d", "text": "x"},
        {"ref": "1", "user": "a", "text": "again"},
        {"ref": "5", "user": "e", "text": "", "title": ""},
        {"ref": "6", "user": "f", "text": "y", "up": "-1"},
        {"ref": "7", "user": "g", "text": "z" * 3000},
    ]
    with pytest.raises(BoardProblem) as refused:
        read_messages(rows, 2000)
    problems = refused.value.problems
    assert [p.split("：")[0] for p in problems] == [
        "第 2 条",
        "第 3 条",
        "第 4 条",
        "第 5 条",
        "第 6 条",
        "第 7 条",
    ]
    (good,) = read_messages(rows[:1], 2000)
    assert (good.ref, good.user, good.words, good.up, good.down) == ("1", "a", "路灯\n不亮", 2, 0)
    with pytest.raises(BoardProblem):
        read_messages([{"ref": str(n), "user": "u", "text": "t"} for n in range(501)], 2000)
