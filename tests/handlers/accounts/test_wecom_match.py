"""Matching workers to the WeCom address book: exact single matches are proposed, everything a
person must judge is listed as ambiguous, and applying is all or nothing, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.accounts.wecom_match import (
    MatchRefused,
    apply_matches,
    match_members,
    normal_phone,
)
from handlers.staff.audit import StaffActor
from models import AuditEvent, Worker

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
ACTOR = StaffActor(1, "boss", "admin", via="api")
BOOK = [
    {"userid": "wangfang", "name": "王芳", "mobile": "+86 138-0000-0101"},
    {"userid": "liqiang", "name": "李 强", "mobile": ""},
    {"userid": "zhangmin1", "name": "张敏", "mobile": "13900000001"},
    {"userid": "zhangmin2", "name": "张敏", "mobile": "13900000002"},
    {"userid": "liuyang", "name": "刘洋", "mobile": "13800000999"},
    {"userid": "chen", "name": "陈静", "mobile": "13800000105"},
    {"userid": "someone", "name": "杨磊", "mobile": ""},
    {"userid": "held", "name": "已有人", "mobile": ""},
    {"userid": "huangwei", "name": "黄伟"},
]


def worker(wid: int, name: str, phone: str = "", userid: str | None = None) -> Worker:
    return Worker(id=wid, name=name, phone=phone, wecom_userid=userid, active=True)


def test_phones_are_compared_as_digits() -> None:
    assert normal_phone("+86 138-0000-0101") == normal_phone("13800000101") == "13800000101"


def test_exact_matches_are_proposed_and_doubtful_ones_listed() -> None:
    workers = [
        worker(1, "王芳", "13800000101"),  # phone (the book writes it otherwise) and name
        worker(2, "黄伟", "13800000108"),  # name; the book has no phone to contradict it
        worker(3, "张敏"),  # two members of that name
        worker(4, "刘洋", "13800000104"),  # same name, another phone
        worker(5, "赵丽", "13800000105"),  # 陈静's phone
        worker(6, "陈静", "13800000106"),  # 陈静's name, another phone
        worker(7, "无名"),  # nobody
        worker(8, "有号", "", userid="held"),  # has a userid: not matched, its member is taken
        worker(9, "李强"),  # one member, two workers of that name
        worker(10, "李强"),
    ]
    report = match_members(workers, BOOK)
    proposed = {m.worker_id: m.candidates[0].member.userid for m in report.proposed}
    assert proposed == {1: "wangfang", 2: "huangwei"}
    assert [c.why for m in report.proposed for c in m.candidates] == ["phone+name", "name"]
    ambiguous = {m.worker_id: m.problem for m in report.ambiguous}
    assert ambiguous == {
        3: "多个企业微信成员同名",
        4: "姓名相同但手机号不同",
        5: "手机号相同但姓名不同",
        6: "姓名相同但手机号不同",
        9: "同一企业微信成员对应多名工作人员",
        10: "同一企业微信成员对应多名工作人员",
    }
    assert [m.worker_id for m in report.unmatched] == [7]
    assert report.members == len(BOOK) - 1
    shown = report.as_json()["proposed"][0]
    assert (
        shown["worker_phone"] == "138****0101" and shown["candidates"][0]["phone"] == "138****0101"
    )


def test_a_phone_and_a_name_pointing_at_two_members_are_ambiguous() -> None:
    report = match_members([worker(1, "王芳", "13900000001")], BOOK)
    (match,) = report.ambiguous
    assert match.problem == "手机号与姓名对应不同的企业微信成员"
    assert {c.member.userid for c in match.candidates} == {"zhangmin1", "wangfang"}


async def test_applying_is_checked_all_or_nothing_and_audited(db: str) -> None:
    one = await Worker.create(name="王芳", phone="13800000101")
    two = await Worker.create(name="张敏")
    await Worker.create(name="别人", wecom_userid="zhangmin2")
    with pytest.raises(MatchRefused, match="zhangmin2"):
        await apply_matches([(one.id, "wangfang"), (two.id, "zhangmin2")], BOOK, ACTOR, NOW)
    with pytest.raises(MatchRefused, match="nobody"):
        await apply_matches([(one.id, "nobody")], BOOK, ACTOR, NOW)
    with pytest.raises(MatchRefused, match="只能选一次"):
        await apply_matches([(one.id, "wangfang"), (two.id, "wangfang")], BOOK, ACTOR, NOW)
    assert (await Worker.get(id=one.id)).wecom_userid is None  # nothing of the batch applied
    done = await apply_matches([(one.id, "wangfang"), (two.id, "zhangmin1")], BOOK, ACTOR, NOW)
    assert [w.wecom_userid for w in done] == ["wangfang", "zhangmin1"]
    assert (await Worker.get(id=two.id)).wecom_userid == "zhangmin1"
    events = await AuditEvent.filter(action="worker.wecom_link").order_by("id")
    assert [(e.target_id, e.detail["userid"]) for e in events] == [
        (str(one.id), "wangfang"),
        (str(two.id), "zhangmin1"),
    ]
    with pytest.raises(MatchRefused, match="已有企业微信账号"):
        await apply_matches([(one.id, "liuyang")], BOOK, ACTOR, NOW)
