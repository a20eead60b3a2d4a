"""The suggestion figures: each counted by its own time in Shanghai days, by street, station and
themed call; screening in time, the adoption rate, what still waits and is overdue at the
period's end; converted suggestions nowhere; the year's table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from handlers.clock import LOCAL_TZ
from handlers.figures.filters import FigureFilters
from handlers.suggestions.figures import definitions, suggestion_figures, year_table
from models import Station, Suggestion, SuggestionCall, SuggestionStatus

S = SuggestionStatus
APRIL = FigureFilters(date(2026, 4, 1), date(2026, 5, 1))
NOW = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


def at(month: int, day: int, hour: float = 10) -> datetime:
    minute = round((hour % 1) * 60)
    return datetime(2026, month, day, int(hour), minute, tzinfo=LOCAL_TZ).astimezone(UTC)


async def suggestion(number: str, created: datetime, **fields: Any) -> Suggestion:
    values: dict[str, Any] = {
        "number": number,
        "channel": "wechat",
        "title": "建议",
        "text": "建议",
        "created_at": created,
        "updated_at": created,
    }
    return await Suggestion.create(**(values | fields))


async def april() -> dict[str, Any]:
    """The suggestions of the scenario (see each comment)."""
    station = await Station.create(code="JYZ-TEST", name="控江路联系点", created_at=at(1, 1))
    call = await SuggestionCall.create(
        code="ZT-1",
        title="一江一河金点子",
        question="滨江如何更好？",
        starts_at=at(4, 1),
        ends_at=at(4, 30),
        created_at=at(3, 20),
    )
    # A: just after midnight of 1 April in Shanghai; screened and adopted in time, via a station.
    await suggestion(
        "JY-A",
        at(4, 1, 0.5),
        street="控江路街道",
        station_id=station.id,
        status=S.ADOPTED,
        screen_due_at=at(4, 5),
        screened_at=at(4, 2),
        adopted_at=at(4, 2),
    )
    # B: 31 March 23:30 (received in March); screened in April after its deadline, declined.
    await suggestion(
        "JY-B",
        at(3, 31, 23.5),
        street="控江路街道",
        status=S.DECLINED,
        screen_due_at=at(4, 2),
        screened_at=at(4, 3),
    )
    # C: waits past its deadline; D: waits within it (due after the period).
    await suggestion("JY-C", at(4, 10), status=S.RECEIVED, screen_due_at=at(4, 15))
    await suggestion("JY-D", at(4, 20), status=S.MORE_INFO, screen_due_at=at(5, 5))
    # E: a complaint after all: counts nowhere.
    await suggestion("JY-E", at(4, 5), status=S.CONVERTED, screen_due_at=at(4, 1))
    # F: a themed call's reply; adopted, sent to the city, 批示 in April, 落地 in May.
    await suggestion(
        "JY-F",
        at(4, 6),
        street="五角场街道",
        call_id=call.id,
        status=S.IMPLEMENTED,
        screen_due_at=at(4, 10),
        screened_at=at(4, 7),
        adopted_at=at(4, 7),
        forwarded_at=at(4, 20),
        instructed_at=at(4, 25),
        implemented_at=at(5, 3),
    )
    # G: asked for more in April (its first decision), adopted in May.
    await suggestion(
        "JY-G",
        at(4, 8),
        street="五角场街道",
        status=S.ADOPTED,
        screen_due_at=at(4, 12),
        screened_at=at(4, 9),
        adopted_at=at(5, 2),
    )
    return {"station": station, "call": call}


async def test_the_periods_figures_in_total(db: str) -> None:
    await april()
    total = (await suggestion_figures(APRIL, NOW)).as_dict()["total"]
    assert {k: total[k] for k in ("received", "screened", "screened_in_time")} == {
        "received": 5,  # A C D F G: not B (March), not E (converted)
        "screened": 4,  # A B F G
        "screened_in_time": 3,  # B was late
    }
    assert total["adopted_of_screened"] == 3 and total["adopted"] == 2  # G adopted in May
    assert (total["forwarded"], total["instructed"], total["implemented"]) == (1, 1, 0)
    assert (total["open"], total["overdue"]) == (2, 1)  # C D wait at 1 May; C is overdue
    assert total["rates"]["adoption_rate"] == {"numerator": 3, "denominator": 4, "rate": 0.75}
    assert total["rates"]["screened_in_time_rate"]["rate"] == 0.75

    # Seen on 12 April: the state figures look at that moment, not the period's end.
    early = (await suggestion_figures(APRIL, at(4, 12))).as_dict()["total"]
    assert (early["open"], early["overdue"]) == (1, 0)  # C waits, within its deadline


async def test_by_street_station_and_call(db: str) -> None:
    await april()
    by_street = {
        r["label"]: r for r in (await suggestion_figures(APRIL, NOW, "street")).as_dict()["rows"]
    }
    assert by_street["控江路街道"]["received"] == 1 and by_street["控江路街道"]["screened"] == 2
    assert by_street["五角场街道"]["received"] == 2 and by_street["五角场街道"]["forwarded"] == 1
    assert by_street["未识别街道"]["open"] == 2 and by_street["未识别街道"]["overdue"] == 1
    assert sum(r["received"] for r in by_street.values()) == 5
    by_station = {
        r["key"]: r for r in (await suggestion_figures(APRIL, NOW, "station")).as_dict()["rows"]
    }
    assert (
        by_station["JYZ-TEST"]["received"] == 1
        and by_station["JYZ-TEST"]["label"] == "JYZ-TEST 控江路联系点"
    )
    assert by_station[""]["received"] == 4 and by_station[""]["label"] == "未经联系点（直接提交）"
    by_call = {
        r["key"]: r for r in (await suggestion_figures(APRIL, NOW, "call")).as_dict()["rows"]
    }
    assert by_call["ZT-1"]["adopted"] == 1 and by_call["ZT-1"]["instructed"] == 1
    with pytest.raises(ValueError):
        await suggestion_figures(APRIL, NOW, "unit")


async def test_the_years_table(db: str) -> None:
    await april()
    table = (await year_table(2026)).as_dict()
    assert (table["received"], table["adopted"], table["forwarded"], table["instructed"]) == (
        6,
        3,
        1,
        1,
    )
    assert table["implemented"] == 1
    assert table["line"] == "收到 6 / 采纳 3 / 报送市级 1 / 获批示 1 / 落地 1"
    months = {m["month"]: m for m in table["months"]}
    assert len(months) == 12 and months["2026-03"]["received"] == 1
    assert months["2026-04"]["received"] == 5 and months["2026-05"]["adopted"] == 1
    assert table["adoption_rate"]["denominator"] == 4
    empty = (await year_table(2025)).as_dict()
    assert empty["received"] == 0 and empty["adoption_rate"]["rate"] is None


def test_every_figure_has_its_definition() -> None:
    found = definitions()
    for key in ("received", "screened", "screened_in_time", "adopted", "adoption_rate", "open"):
        assert len(found[key]) > 20, key
    assert "screened_at ≤ screen_due_at" in found["screened_in_time"]
