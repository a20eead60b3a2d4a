"""The retention sweep: personal fields and photos of cases closed longer ago than configured go,
in batches, once; open and recent cases keep theirs; the job runs only when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import SCHEDULER
from handlers.residents.media_store import LocalMediaStore
from handlers.residents.retention import sweep_retention
from models import Case, CaseEvent, CaseStatus, MediaFile
from scheduler.jobs import RETENTION_SWEEP_JOB
from tests.conftest import make_settings

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WORDS = "政通路240号门口路灯坏了，电话13812345678"


async def closed_case(number: str, status: CaseStatus, **times: Any) -> Case:
    return await Case.create(
        number=number, status=status, text=WORDS, title="政通路240号路灯坏了",
        place_text="政通路240号", address="政通路240号", contact_phone="13812345678",
        street="五角场街道", category="城乡建设/市政设施", lng=121.5, lat=31.3,
        attachments=[{"type": "image", "url": "/media/x"}], **times,
    )  # fmt: skip


async def test_old_closed_cases_lose_their_personal_data_once(db: str, tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    long_ago = NOW - timedelta(days=400)
    old = [
        await closed_case(f"26010000{i:02d}", CaseStatus.VISITED, completed_at=long_ago)
        for i in range(5)
    ]
    invalid = await closed_case("2601000100", CaseStatus.INVALID, closed_at=long_ago)
    recent = await closed_case(
        "2611000001", CaseStatus.VISITED, completed_at=NOW - timedelta(days=10)
    )
    still_open = await Case.create(
        number="2601000200", status=CaseStatus.IN_PROGRESS, text=WORDS,
        contact_phone="13812345678",
    )  # fmt: skip
    await Case.filter(id=still_open.id).update(updated_at=long_ago)
    path = await store.save("k" * 40, b"\x89PNG....", "image/png")
    await MediaFile.create(
        key="k" * 40, owner_type="resident", owner_id=1, content_type="image/png", size=8,
        sha256="0" * 64, path=path, case_id=old[0].id, created_at=long_ago,
    )  # fmt: skip
    await CaseEvent.create(
        case_id=old[0].id, at=long_ago, actor_type="resident", actor_id="o-1", action="annotate",
        note="补充：我在政通路240号，电话13812345678",
    )  # fmt: skip
    assert (await sweep_retention(0, NOW, store)).cases == 0  # off

    result = await sweep_retention(365, NOW, store, batch=2)
    assert result.cases == 6 and result.photos == 1 and not result.more
    for case in (*old, invalid):
        kept = await Case.get(id=case.id)
        assert kept.anonymised_at == NOW and kept.contact_phone is None
        assert kept.place_text is None and kept.address is None and kept.lng is None
        assert "13812345678" not in kept.text and "政通路240号" not in kept.text
        assert kept.attachments == [] and kept.status == case.status
        assert kept.category == "城乡建设/市政设施" and kept.street == "五角场街道"
    assert not (tmp_path / path).exists() and await MediaFile.all().count() == 0
    note = (await CaseEvent.get(case_id=old[0].id)).note
    assert "13812345678" not in note and "政通路240号" not in note
    for case in (recent, still_open):
        kept = await Case.get(id=case.id)
        assert kept.anonymised_at is None and kept.contact_phone == "13812345678"
    again = await sweep_retention(365, NOW + timedelta(hours=1), store)
    assert again.cases == 0
    assert (await Case.get(id=old[1].id)).anonymised_at == NOW


async def test_the_job_runs_only_when_retention_is_set(db_url: str, aiohttp_client: Any) -> None:
    off: TestClient = await aiohttp_client(create_app(make_settings(db_url, run_background=True)))
    assert RETENTION_SWEEP_JOB not in {job.id for job in off.app[SCHEDULER].get_jobs()}
    await off.close()
    settings = make_settings(
        db_url, run_background=True, retention_days=730, retention_sweep_seconds=1800
    )
    on: TestClient = await aiohttp_client(create_app(settings))
    jobs = {job.id: job for job in on.app[SCHEDULER].get_jobs()}
    assert jobs[RETENTION_SWEEP_JOB].trigger.interval == timedelta(seconds=1800)
