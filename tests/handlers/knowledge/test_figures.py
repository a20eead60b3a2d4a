"""The knowledge base's figures, the entries used, the stale entries and the gaps, counted by
hand from questions written directly; the period's edges are Shanghai midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise.expressions import Q

from handlers.clock import LOCAL_TZ
from handlers.knowledge.editing import create_entry, set_status
from handlers.knowledge.figures import COUNTS, DEFINITIONS, SHARES, knowledge_figures
from handlers.knowledge.gaps import gaps, unsolved_by_entry
from models import AskOutcome, Case, EntryStatus, KnowledgeAsk, KnowledgeEntry, Resident
from tests.handlers.knowledge.conftest import NOW, Org, entry

SINCE = datetime(2026, 3, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
UNTIL = datetime(2026, 3, 8, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    """A Shanghai time of 2026, as stored (UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


async def ask(
    when: datetime,
    outcome: AskOutcome,
    *,
    resident: Resident | None = None,
    entry_id: int | None = None,
    gap: str = "",
    case: Case | None = None,
    channel: str = "chat",
    text: str = "",
) -> KnowledgeAsk:
    return await KnowledgeAsk.create(
        at=when,
        channel=channel,
        resident_id=resident.id if resident else None,
        text=text or gap or "问题",
        gap_key=gap,
        entry_id=entry_id,
        score=0.5,
        outcome=outcome,
        case_id=case.id if case else None,
    )


async def published(org: Org, question: str, **fields: object) -> KnowledgeEntry:
    actor = org.actor(org.admin)
    made = await create_entry(entry(question, **fields), org.admin, actor, NOW)
    await set_status(made.id, EntryStatus.PUBLISHED, org.admin, actor, NOW)
    return await KnowledgeEntry.get(id=made.id)


@pytest.fixture
async def period(org: Org) -> dict[str, object]:
    """Nine questions in the week of 1 March (Shanghai), two just outside it."""
    e1 = await published(org, "高龄津贴怎么申请")
    e2 = await published(org, "加装电梯需要哪些材料", unit="HOUSING")
    r1, r2, r3 = [await Resident.create(openid=f"o-fig-{n}") for n in (1, 2, 3)]
    c1, c2, c3, c4 = [
        await Case.create(number=f"260300000{n}", unit_id=unit.id)
        for n, unit in ((1, org.civil), (2, org.civil), (3, org.housing), (4, org.civil))
    ]
    S, U, A, N = AskOutcome.SOLVED, AskOutcome.UNSOLVED, AskOutcome.ANSWERED, AskOutcome.UNANSWERED
    await ask(at(1, 0), S, resident=r1, entry_id=e1.id)  # the first instant is in
    await ask(at(2), U, resident=r2, entry_id=e1.id, case=c1, text="高龄津贴 13912345678")
    await ask(at(3), A, resident=r3, entry_id=e1.id, channel="mini")
    await ask(at(4), S, resident=r1, entry_id=e2.id)
    boat = "游船·营业"
    await ask(at(5), N, resident=r1, gap=boat, case=c2, text="公园游船几点营业")
    await ask(at(6), N, resident=r2, gap=boat, case=c3, channel="mini", text="游船营业时间")
    await ask(at(7, 23, 59), N, resident=r2, gap=boat, text="游船营业时间")
    await ask(at(6), N, resident=r3, gap="停车·收费", case=c4)
    await ask(at(6), N, resident=r3)  # no content words: counted, but no gap
    await ask(at(8, 0), S, resident=r1, entry_id=e2.id)  # the end is out
    await ask(at(28, 23, 59, month=2), S, resident=r1, entry_id=e2.id)  # before: out
    return {"e1": e1, "e2": e2, "c1": c1, "c2": c2, "c3": c3, "c4": c4}


async def test_every_figure_of_a_week(period: dict[str, object]) -> None:
    figures = await knowledge_figures(SINCE, UNTIL, NOW)
    assert figures.total.counts() == {
        "asked": 9,
        "answered": 4,
        "solved": 2,
        "unsolved": 1,
        "no_feedback": 1,
        "unanswered": 5,
    }
    shares = {k: (s.numerator, s.denominator, s.rate) for k, s in figures.total.shares().items()}
    assert shares == {
        "answered_share": (4, 9, 4 / 9),
        "unsolved_share": (1, 4, 1 / 4),
        "unanswered_share": (5, 9, 5 / 9),
        "satisfaction": (2, 3, 2 / 3),
    }
    chat, mini = figures.by_channel["chat"], figures.by_channel["mini"]
    assert chat.count("asked") == 7 and chat.count("answered") == 3
    assert mini.counts() == {
        "asked": 2,
        "answered": 1,
        "solved": 0,
        "unsolved": 0,
        "no_feedback": 1,
        "unanswered": 1,
    }
    assert mini.shares()["satisfaction"].rate is None  # nobody said: no satisfaction
    e1, e2 = period["e1"], period["e2"]
    assert isinstance(e1, KnowledgeEntry) and isinstance(e2, KnowledgeEntry)
    assert figures.entries_used == 2
    used = [
        (u.entry.code, u.answered, u.solved, u.unsolved, u.no_feedback) for u in figures.top_entries
    ]
    assert used == [(e1.code, 3, 1, 1, 1), (e2.code, 1, 1, 0, 0)]
    assert figures.top_entries[1].entry.unit_code == "HOUSING"
    assert figures.top_entries[1].entry.unit_name == "区房屋管理局"


async def test_nothing_asked_is_zero_and_no_share(org: Org) -> None:
    figures = await knowledge_figures(SINCE, UNTIL, NOW)
    assert set(figures.total.counts().values()) == {0}
    assert all(s.rate is None and s.denominator == 0 for s in figures.total.shares().values())
    assert figures.entries_used == 0 and figures.top_entries == ()
    assert set(figures.by_channel) == {"chat", "mini"}
    assert await gaps(SINCE, UNTIL) == [] and await unsolved_by_entry(SINCE, UNTIL) == []


def test_every_figure_is_defined_once_with_words_for_staff() -> None:
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys))
    assert all(d.label and d.text for d in DEFINITIONS)
    counted = {d.key for d in COUNTS}
    for share in SHARES:  # a share is made of counts only
        assert share.numerator in counted and set(share.denominator) <= counted


async def test_the_gaps_by_residents_then_questions(period: dict[str, object]) -> None:
    found = await gaps(SINCE, UNTIL)
    assert [(g.key, g.questions, g.residents, g.cases) for g in found] == [
        ("游船·营业", 3, 2, 2),
        ("停车·收费", 1, 1, 1),
    ]
    boat = found[0]
    assert boat.first_at == at(5) and boat.last_at == at(7, 23, 59)
    assert boat.samples == ("游船营业时间", "公园游船几点营业")  # latest first, each once
    c2, c3 = period["c2"], period["c3"]
    assert isinstance(c2, Case) and isinstance(c3, Case)
    assert boat.case_numbers == (c3.number, c2.number)
    # A unit's reader sees only its own cases' numbers, the counts stay.
    civil_only = await gaps(SINCE, UNTIL, case_scope=Q(unit_id=c2.unit_id))
    assert civil_only[0].case_numbers == (c2.number,) and civil_only[0].cases == 2
    assert [g.key for g in await gaps(SINCE, UNTIL, limit=1)] == ["游船·营业"]
    # Another week has none of them.
    assert await gaps(UNTIL, UNTIL + timedelta(days=7)) == []


async def test_answered_but_unsolved_by_entry(period: dict[str, object]) -> None:
    (group,) = await unsolved_by_entry(SINCE, UNTIL)
    e1, c1 = period["e1"], period["c1"]
    assert isinstance(e1, KnowledgeEntry) and isinstance(c1, Case)
    assert group.entry is not None and group.entry.id == e1.id and group.key == e1.code
    assert (group.questions, group.residents, group.case_numbers) == (1, 1, (c1.number,))
    assert group.samples == ("高龄津贴 139****5678",)  # phone numbers masked


async def test_stale_entries(org: Org) -> None:
    today = NOW.astimezone(LOCAL_TZ).date()
    due = await published(org, "敬老卡怎么办理", valid_until=today + timedelta(days=30))
    gone = await published(org, "残疾证怎么办", valid_until=today - timedelta(days=1))
    old = await published(org, "低保怎么申请", unit="HOUSING")
    await published(org, "居住证怎么办", valid_until=today + timedelta(days=31))
    recent = await published(org, "医保怎么转移")
    draft = await create_entry(
        entry("停车怎么收费", valid_until=date(2026, 1, 1)), org.admin, org.actor(org.admin), NOW
    )
    await KnowledgeEntry.filter(id=old.id).update(updated_at=NOW - timedelta(days=366))
    await KnowledgeEntry.filter(id=recent.id).update(updated_at=NOW - timedelta(days=364))
    figures = await knowledge_figures(SINCE, UNTIL, NOW)
    found = [(s.entry.id, s.reasons) for s in figures.stale]
    assert found == [
        (gone.id, ("expired",)),
        (due.id, ("expiring",)),
        (old.id, ("unchanged",)),
    ]
    assert figures.stale_total == 3 and draft.id
    assert figures.stale[2].entry.unit_code == "HOUSING"
    # Both at once: expired and not changed for a year.
    await KnowledgeEntry.filter(id=gone.id).update(updated_at=NOW - timedelta(days=400))
    again = await knowledge_figures(SINCE, UNTIL, NOW)
    assert again.stale[0].reasons == ("expired", "unchanged") and again.stale_total == 3
