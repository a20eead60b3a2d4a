"""知识库指标 on the dashboard: the figures of a period with their definitions, the entries used,
the stale entries, the gaps by frequency with their cases and a 写条目 link that starts an entry
with the residents' words; everything escaped; a unit sees its own cases' numbers only."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from markupsafe import escape

from handlers.clock import LOCAL_TZ
from handlers.staff.accounts import create_user
from models import (
    AskOutcome,
    Case,
    EntryStatus,
    KnowledgeAsk,
    KnowledgeEntry,
    Resident,
    Unit,
    Worker,
    WorkerRole,
)
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, sign_in

WEEK = "from=2026-03-01&to=2026-03-07"  # the form's days, both inclusive
NASTY = '游船<script>alert("x")</script>&几点开'


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


async def world() -> dict[str, object]:
    civil = await Unit.create(code="CIVIL", name="区民政局")
    housing = await Unit.create(code="HOUSING", name="区房屋管理局")
    common: dict[str, Any] = {"answer": "答复", "created_at": NOW, "updated_at": NOW, "unit": civil}
    used = await KnowledgeEntry.create(
        code="K1", question="高龄津贴怎么申请", status=EntryStatus.PUBLISHED, **common
    )
    old = await KnowledgeEntry.create(
        code="K2",
        question="旧的停车收费标准",
        status=EntryStatus.PUBLISHED,
        valid_until=date(2020, 1, 1),
        **common,
    )
    mine = await Case.create(number="2603000011", unit_id=civil.id)
    theirs = await Case.create(number="2603000012", unit_id=housing.id)
    r1, r2 = [await Resident.create(openid=f"o-kp-{n}") for n in (1, 2)]
    rows = [
        (at(1), AskOutcome.SOLVED, r1, used.id, "", None, "高龄津贴怎么申请"),
        (at(2), AskOutcome.UNSOLVED, r2, used.id, "", mine, "高龄补贴去哪里办"),
        (at(3), AskOutcome.UNANSWERED, r1, None, "游船·营业", mine, NASTY),
        (at(4), AskOutcome.UNANSWERED, r2, None, "游船·营业", theirs, NASTY),
    ]
    for when, outcome, resident, entry_id, gap, case, text in rows:
        await KnowledgeAsk.create(
            at=when,
            channel="chat",
            resident_id=resident.id,
            text=text,
            gap_key=gap,
            entry_id=entry_id,
            score=0.5,
            outcome=outcome,
            case_id=case.id if case else None,
        )
    return {"used": used, "old": old, "mine": mine, "theirs": theirs}


async def test_the_figures_page(make_client: ClientFactory) -> None:
    client = await make_client(demo=False)
    made = await world()
    browser = await admin(client)
    status, page = await browser.get("/dashboard/knowledge")
    assert status == 200 and 'href="/dashboard/knowledge/figures"' in page

    status, page = await browser.get(f"/dashboard/knowledge/figures?{WEEK}")
    assert status == 200, page
    assert "2026-03-01 至 2026-03-07" in page
    assert 'data-share="answered_share" data-rate="0.5000"' in page
    assert 'data-share="satisfaction" data-rate="0.5000"' in page
    assert "解决了 ÷（解决了 + 没解决）" in page  # the definition beside the figure
    assert re.search(r'data-count="asked">.*?data-value="4"', page, re.S)
    used, old = made["used"], made["old"]
    mine, theirs = made["mine"], made["theirs"]
    assert isinstance(used, KnowledgeEntry) and isinstance(old, KnowledgeEntry)
    assert isinstance(mine, Case) and isinstance(theirs, Case)
    assert f'href="/dashboard/knowledge/{used.id}"' in page  # entries used, unsolved
    stale = page.split('id="stale-entries"')[1]
    assert f'href="/dashboard/knowledge/{old.id}"' in stale and 'data-reason="expired"' in stale

    gaps = page.split('id="knowledge-gaps"')[1].split('id="knowledge-unsolved"')[0]
    assert "<script>" not in gaps and str(escape(NASTY)) in gaps
    assert "<strong>2</strong> 位居民" in gaps
    for case in (mine, theirs):
        assert f'href="/dashboard/cases/{case.number}"' in gaps
    write = re.search(r'class="button-link write-entry" href="([^"]+)"', gaps)
    assert write, gaps
    link = html.unescape(write.group(1))
    assert link == "/dashboard/knowledge/new?question=" + quote(NASTY, safe="/")
    status, form = await browser.get(link)
    assert (
        status == 200
        and f'name="question" maxlength="200" required value="{escape(NASTY)}"' in form
    )
    unsolved = page.split('id="knowledge-unsolved"')[1]
    assert "高龄补贴去哪里办" in unsolved and f"/dashboard/cases/{mine.number}" in unsolved

    # Another week: nothing asked, no share, not a division by zero.
    status, page = await browser.get("/dashboard/knowledge/figures?from=2026-04-01&to=2026-04-07")
    assert status == 200 and 'data-share="satisfaction" data-rate=""' in page
    assert 'id="no-gaps"' in page
    # A date that is none: the last 30 days, said.
    status, page = await browser.get("/dashboard/knowledge/figures?from=2026-13-01")
    assert status == 200 and 'id="period-error"' in page


async def test_a_unit_sees_its_own_cases_and_a_worker_account_nothing(
    make_client: ClientFactory,
) -> None:
    client = await make_client(demo=False)
    made = await world()
    civil = await Unit.get(code="CIVIL")
    await create_user("clerk", "unit", PASSWORD, NOW, unit_id=civil.id)
    browser = await sign_in(client, "clerk")
    status, page = await browser.get(f"/dashboard/knowledge/figures?{WEEK}")
    assert status == 200
    mine, theirs = made["mine"], made["theirs"]
    assert isinstance(mine, Case) and isinstance(theirs, Case)
    assert f"/dashboard/cases/{mine.number}" in page
    assert f"/dashboard/cases/{theirs.number}" not in page

    person = await Worker.create(name="王芳", role=WorkerRole.GRID_WORKER, wecom_userid="wf")
    await create_user("gridder", "worker", PASSWORD, NOW, worker_id=person.id)
    client.session.cookie_jar.clear()  # the clerk signs out
    worker = await sign_in(client, "gridder")
    status, _ = await worker.get(f"/dashboard/knowledge/figures?{WEEK}")
    assert status == 403
