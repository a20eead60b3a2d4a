"""Around each send of a notice's outbox row, and WeChat's reports afterwards: unclear template
attempts that wait for a report or are sent once more, blocked templates, mass-job counts
(handlers only; through the real drainer and the fake server in
tests/bot/wechat/test_broadcast_sending.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import broadcasts as texts
from handlers.broadcasts import sending
from handlers.broadcasts.notices import notice_progress
from tests.handlers.broadcasts.test_notices import (
    NOW,
    Town,
    approved_notice,
    deliveries,
    make_town,
    more_residents,
    notice_rows,
    settle,
    sweep,
)


@pytest.fixture
async def town(db: str) -> Town:
    return await make_town()


async def test_an_unclear_template_attempt_waits_for_wechats_report(town: Town) -> None:
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    await sweep()
    (row,) = await notice_rows(notice)  # r2, the only one who agreed
    assert (await sending.before_send(row, NOW))[0] is sending.SendPlan.SEND
    # ... the process dies here: the request may have reached WeChat. Another drainer:
    plan, reason = await sending.before_send(row, NOW + timedelta(minutes=2))
    assert plan is sending.SendPlan.UNKNOWN and reason == texts.AWAITING_REPORT
    got = (await deliveries(notice))["o-r2"]
    assert got.status == "unknown" and got.reason == texts.AWAITING_REPORT
    assert (await sweep(NOW + timedelta(minutes=3))).completed == 0  # still open
    # WeChat's TEMPLATESENDJOBFINISH says it did arrive: sent, and never sent again.
    settled = await sending.record_template_job_finish("o-r2", "123456", "success", NOW)
    assert settled is not None and settled.status == "sent" and settled.wechat_msg_id == "123456"
    later = await sweep(NOW + timedelta(hours=1))
    assert later.resent == 0 and later.completed == 1
    assert len(await notice_rows(notice)) == 1


async def test_without_a_report_an_unclear_template_is_sent_once_more(town: Town) -> None:
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    await sweep()
    (row,) = await notice_rows(notice)
    cut_off = NOW + timedelta(minutes=2)
    await sending.before_send(row, NOW)
    await sending.before_send(row, cut_off)  # unknown since then
    assert (await sweep(cut_off + timedelta(seconds=299))).resent == 0
    result = await sweep(cut_off + timedelta(seconds=300))
    assert result.resent == 1 and (await sweep(cut_off + timedelta(seconds=301))).resent == 0
    first, again = await notice_rows(notice)
    assert again.dedup_key == first.dedup_key + sending.RESEND_SUFFIX
    got = (await deliveries(notice))["o-r2"]
    assert got.status == "pending" and got.outbox_id == again.id
    # Cut off a second time: no third try.
    await sending.before_send(again, NOW)
    plan, reason = await sending.before_send(again, NOW + timedelta(hours=1))
    assert plan is sending.SendPlan.UNKNOWN and reason == texts.UNKNOWN_OUTCOME
    assert (await deliveries(notice))["o-r2"].status == "failed"
    assert (await sweep(NOW + timedelta(hours=2))).completed == 1


async def test_a_blocked_template_is_reported_as_failed(town: Town) -> None:
    content = {"template_id": "TPL", "data": {"first": "停水通知"}}
    notice = await approved_notice(town, channel="mp_template", kind="template", content=content)
    await sweep()
    (row,) = await notice_rows(notice)
    await sending.before_send(row, NOW)
    await sending.after_send(row, {"errcode": 0, "msgid": 555}, NOW)
    blocked = await sending.record_template_job_finish("o-r2", "555", "failed:user block", NOW)
    assert blocked is not None and blocked.status == "failed"
    assert blocked.reason == texts.TEMPLATE_REPORTS["failed:user block"]
    progress = await notice_progress(notice)
    assert progress.reports == {"failed:user block": 1}
    assert await sending.record_template_job_finish("o-r2", "999", "success", NOW) is None


async def test_mass_job_reports_complete_the_record(town: Town) -> None:
    await more_residents(town, 3)
    notice = await approved_notice(town)
    everyone = await approved_notice(town, audience={"kind": "all"})
    await sweep(mass_send_batch_size=3)
    await settle(notice)
    await settle(everyone)
    batch_ids = sorted({d.wechat_msg_id for d in (await deliveries(notice)).values()} - {None})
    assert len(batch_ids) == 2
    for msg_id, sent in zip(batch_ids, (3, 3), strict=True):
        report = {
            "Status": "send success",
            "TotalCount": "3",
            "FilterCount": "3",
            "SentCount": str(sent),
            "ErrorCount": "0",
        }
        await sending.record_mass_job_finish(msg_id, report, NOW)
    await notice.refresh_from_db()
    assert notice.wechat_result["total"] == 6 and set(notice.wechat_result["jobs"]) == set(
        batch_ids
    )
    await everyone.refresh_from_db()
    assert everyone.wechat_msg_id is not None
    report = {
        "Status": "send success",
        "TotalCount": "900",
        "FilterCount": "880",
        "SentCount": "870",
        "ErrorCount": "10",
    }
    done = await sending.record_mass_job_finish(everyone.wechat_msg_id, report, NOW)
    assert done is not None and done.wechat_result["sent"] == 870
    assert await sending.record_mass_job_finish("424242", report, NOW) is None
