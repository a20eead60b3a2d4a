"""Departments answer what was adopted for them: their own unit only, once, with documents;
the last answer moves the suggestion to 部门已答复 and tells the proposer every answer."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from handlers.suggestions.access import SuggestionHidden, SuggestionRefused
from handlers.suggestions.adoption import adopt
from handlers.suggestions.departments import answer, overdue_adoptions
from models import (
    AdoptionStatus,
    MediaFile,
    Suggestion,
    SuggestionAdoption,
    SuggestionEvent,
    SuggestionStatus,
)
from tests.handlers.suggestions.conftest import NOW, Office, told

KEY = "k" * 40


async def adopted(office: Office) -> Suggestion:
    suggestion = await office.suggestion()
    clerk = office.clerk
    await adopt(
        suggestion, ["TRAFFIC", "HOUSING"], "", clerk, office.actor(clerk), await office.ctx()
    )
    await suggestion.refresh_from_db()
    return suggestion


async def test_each_department_answers_and_the_proposer_hears_all(office: Office) -> None:
    suggestion = await adopted(office)
    ctx = await office.ctx(NOW + timedelta(days=5))
    await MediaFile.create(
        key=KEY,
        owner_type="worker",
        owner_id=1,
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
        path="kk/x.jpg",
        created_at=NOW,
    )
    traffic = office.traffic
    done = await answer(
        suggestion,
        "TRAFFIC",
        "project",
        "已纳入2026年公交站点优化项目",
        date(2026, 6, 1),
        [{"url": "https://jtw.example.gov.cn/notice/1", "title": "项目公示"}, {"media_key": KEY}],
        traffic,
        office.actor(traffic),
        ctx,
    )
    assert done.status == AdoptionStatus.ANSWERED and done.answered_by == "jtw"
    assert [a["type"] for a in done.attachments] == ["link", "file"]
    assert done.attachments[1]["url"].endswith(f"/media/{KEY}")
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ADOPTED  # the housing bureau still owes
    assert len(await told(suggestion)) == 1  # only the adoption so far

    housing = office.housing
    await answer(
        suggestion,
        "HOUSING",
        "not_now",
        "该处无合适用地，暂不实施",
        None,
        [],
        housing,
        office.actor(housing),
        ctx,
    )
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ANSWERED
    last = (await told(suggestion))[-1]
    assert "区交通委员会（纳入项目）：已纳入2026年公交站点优化项目，2026年6月1日起实施" in last
    assert "区房屋管理局（暂不实施）：该处无合适用地" in last
    answered = await SuggestionEvent.get(suggestion_id=suggestion.id, action="answered")
    assert answered.actor_type == "system" and answered.told
    unit_events = await SuggestionEvent.filter(suggestion_id=suggestion.id, action="answer")
    assert {e.actor_type for e in unit_events} == {"unit"}


async def test_only_the_unit_answers_once_and_input_is_checked(office: Office) -> None:
    suggestion = await adopted(office)
    ctx = await office.ctx()
    traffic = office.traffic

    async def attempt(unit: str, **given: object) -> SuggestionRefused:
        values: dict[str, object] = {"kind": "fix", "text": "已整改", "attachments": []}
        values.update(given)
        with pytest.raises(SuggestionRefused) as refused:
            await answer(
                suggestion,
                unit,
                str(values["kind"]),
                str(values["text"]),
                None,
                values["attachments"],  # type: ignore[arg-type]
                traffic,
                office.actor(traffic),
                ctx,
            )
        return refused.value

    assert (await attempt("HOUSING")).status == 403  # another unit's adoption
    assert (await attempt("TRAFFIC", kind="maybe")).status == 400
    assert (await attempt("TRAFFIC", text=" ")).status == 400
    assert (await attempt("TRAFFIC", text="长" * 2001)).status == 400
    assert (await attempt("TRAFFIC", attachments=[{"url": "javascript:alert(1)"}])).status == 400
    assert (await attempt("TRAFFIC", attachments=[{"media_key": KEY}])).status == 400  # none
    assert (await attempt("TRAFFIC", attachments=[{"url": "https://a.cn"}] * 11)).status == 400
    for unit in ("GREEN", "NO-SUCH"):  # not adopted for it, or no such unit
        with pytest.raises(SuggestionHidden):
            await answer(
                suggestion, unit, "fix", "x", None, [], traffic, office.actor(traffic), ctx
            )
    assert await SuggestionAdoption.filter(status=AdoptionStatus.ANSWERED).count() == 0

    await answer(
        suggestion, "TRAFFIC", "fix", "已整改", None, [], traffic, office.actor(traffic), ctx
    )
    refused = await attempt("TRAFFIC")
    assert refused.status == 409 and refused.code == "unchanged"
    # The office may answer for a department (entering an answer received on paper).
    clerk = office.clerk
    await answer(
        suggestion, "HOUSING", "policy", "纳入政策", None, [], clerk, office.actor(clerk), ctx
    )


async def test_two_departments_answering_at_once_move_it_once(office: Office) -> None:
    suggestion = await adopted(office)
    ctx = await office.ctx()
    copy = await Suggestion.get(id=suggestion.id)
    await asyncio.gather(
        answer(
            suggestion,
            "TRAFFIC",
            "fix",
            "已整改",
            None,
            [],
            office.traffic,
            office.actor(office.traffic),
            ctx,
        ),
        answer(
            copy,
            "HOUSING",
            "fix",
            "已整改",
            None,
            [],
            office.housing,
            office.actor(office.housing),
            ctx,
        ),
    )
    await suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ANSWERED
    assert await SuggestionEvent.filter(suggestion_id=suggestion.id, action="answered").count() == 1


async def test_overdue_answers_are_listed(office: Office) -> None:
    suggestion = await adopted(office)
    traffic = office.traffic
    await answer(
        suggestion,
        "TRAFFIC",
        "fix",
        "已整改",
        None,
        [],
        traffic,
        office.actor(traffic),
        await office.ctx(),
    )
    assert await overdue_adoptions(NOW + timedelta(days=10)).count() == 0
    late = await overdue_adoptions(NOW + timedelta(days=30))
    assert [a.unit_id for a in late] == [office.housing_unit.id]
