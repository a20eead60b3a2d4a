"""Matching workers without a WeCom userid to members of the WeCom address book.

Each active worker without a userid is compared with the members no worker holds yet: by phone
first (digits only, a leading +86/86 dropped), else by name (spaces dropped). A single match that
nothing contradicts is **proposed**; anything else a person must decide is **ambiguous**: two
members share the phone or the name, the phone names one member and the name another, a phone
match of another name, a name match whose phone differs from the worker's, or one member
proposed for two workers. Nothing is
applied here without a person: :func:`apply_matches` takes the pairs they chose, checks each
again, and writes them with an audit event each, in one transaction (all or nothing).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from handlers.staff.audit import StaffActor, audit
from models import Worker

MATCHED_ACTION = "worker.wecom_link"
_NOT_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class Member:
    """One member of the WeCom address book, as the matching needs them."""

    userid: str
    name: str
    phone: str = ""

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Member:
        return cls(
            str(raw.get("userid") or ""), str(raw.get("name") or ""), str(raw.get("mobile") or "")
        )


@dataclass(frozen=True)
class Candidate:
    member: Member
    why: str  # phone | name | phone+name


@dataclass
class WorkerMatch:
    worker_id: int
    worker_name: str
    worker_phone: str
    candidates: list[Candidate] = field(default_factory=list)
    problem: str = ""  # why a person must decide; empty for a proposal

    def as_json(self) -> dict[str, Any]:
        return {
            "worker_id": self.worker_id,
            "worker_name": self.worker_name,
            "worker_phone": mask(self.worker_phone),
            "candidates": [
                {
                    "userid": c.member.userid,
                    "name": c.member.name,
                    "phone": mask(c.member.phone),
                    "why": c.why,
                }
                for c in self.candidates
            ],
            "problem": self.problem,
        }


@dataclass
class MatchReport:
    proposed: list[WorkerMatch]
    ambiguous: list[WorkerMatch]
    unmatched: list[WorkerMatch]
    members: int

    def as_json(self) -> dict[str, Any]:
        return {
            "proposed": [m.as_json() for m in self.proposed],
            "ambiguous": [m.as_json() for m in self.ambiguous],
            "unmatched": [m.as_json() for m in self.unmatched],
            "members": self.members,
        }


class MatchRefused(ValueError):
    """A chosen pair cannot be applied; the message says which and why (nothing was changed)."""


def normal_phone(value: str) -> str:
    digits = _NOT_DIGITS.sub("", value or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def normal_name(value: str) -> str:
    return "".join((value or "").split())


def mask(phone: str) -> str:
    digits = normal_phone(phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else ("" if not phone else "***")


def _match_one(worker: Worker, members: Sequence[Member]) -> WorkerMatch:
    found = WorkerMatch(worker.id, worker.name, worker.phone)
    phone, name = normal_phone(worker.phone), normal_name(worker.name)
    by_phone = [m for m in members if phone and normal_phone(m.phone) == phone]
    by_name = [m for m in members if name and normal_name(m.name) == name]
    if by_phone:
        found.candidates = [
            Candidate(m, "phone+name" if m in by_name else "phone") for m in by_phone
        ]
        found.candidates += [Candidate(m, "name") for m in by_name if m not in by_phone]
        if len(by_phone) > 1:
            found.problem = "同一手机号对应多个企业微信成员"
        elif any(m not in by_phone for m in by_name):
            found.problem = "手机号与姓名对应不同的企业微信成员"
        elif name and normal_name(by_phone[0].name) != name:
            found.problem = "手机号相同但姓名不同"
        return found
    found.candidates = [Candidate(m, "name") for m in by_name]
    if len(by_name) > 1:
        found.problem = "多个企业微信成员同名"
    elif by_name and phone and by_name[0].phone and normal_phone(by_name[0].phone) != phone:
        found.problem = "姓名相同但手机号不同"
    return found


def match_members(workers: Iterable[Worker], raw_members: Iterable[dict[str, Any]]) -> MatchReport:
    """Compare workers (those without a userid) with the address book (those nobody holds)."""
    everyone = [w for w in workers]
    held = {w.wecom_userid for w in everyone if w.wecom_userid}
    members = [m for m in map(Member.of, raw_members) if m.userid and m.userid not in held]
    matches = [_match_one(w, members) for w in everyone if w.active and not w.wecom_userid]
    proposed_ids = Counter(
        m.candidates[0].member.userid for m in matches if len(m.candidates) == 1 and not m.problem
    )
    for match in matches:
        if len(match.candidates) == 1 and not match.problem:
            if proposed_ids[match.candidates[0].member.userid] > 1:
                match.problem = "同一企业微信成员对应多名工作人员"
    return MatchReport(
        proposed=[m for m in matches if len(m.candidates) == 1 and not m.problem],
        ambiguous=[m for m in matches if m.problem],
        unmatched=[m for m in matches if not m.candidates],
        members=len(members),
    )


async def apply_matches(
    pairs: Sequence[tuple[int, str]],
    directory: Iterable[dict[str, Any]],
    actor: StaffActor,
    now: datetime,
) -> list[Worker]:
    """Give each chosen worker the chosen userid; every pair is checked first, then all are
    written together. ``directory`` is the address book as read now: a userid must be in it."""
    known = {m.userid: m for m in map(Member.of, directory) if m.userid}
    userids = [userid for _, userid in pairs]
    worker_ids = [worker_id for worker_id, _ in pairs]
    if len(set(userids)) != len(userids) or len(set(worker_ids)) != len(worker_ids):
        raise MatchRefused("每名工作人员、每个企业微信成员只能选一次")
    try:
        return await _apply(pairs, known, actor, now)
    except IntegrityError:  # another admin gave one of these userids away a moment ago
        raise MatchRefused("所选企业微信成员刚刚已被绑定，请重新读取通讯录") from None


async def _apply(
    pairs: Sequence[tuple[int, str]], known: dict[str, Member], actor: StaffActor, now: datetime
) -> list[Worker]:
    async with in_transaction():
        chosen: list[tuple[Worker, Member]] = []
        for worker_id, userid in pairs:
            worker = await Worker.get_or_none(id=worker_id)
            if worker is None:
                raise MatchRefused(f"没有编号为 {worker_id} 的工作人员")
            if worker.wecom_userid:
                raise MatchRefused(f"{worker.name} 已有企业微信账号 {worker.wecom_userid}")
            member = known.get(userid)
            if member is None:
                raise MatchRefused(f"企业微信通讯录中没有成员 {userid}")
            holder = await Worker.get_or_none(wecom_userid=userid)
            if holder is not None:
                raise MatchRefused(f"企业微信成员 {userid} 已绑定给 {holder.name}")
            chosen.append((worker, member))
        for worker, member in chosen:
            updated = await Worker.filter(id=worker.id, wecom_userid=None).update(
                wecom_userid=member.userid
            )
            if not updated:
                raise MatchRefused(f"{worker.name} 刚刚已被他人绑定")
            worker.wecom_userid = member.userid
            await audit(
                actor,
                MATCHED_ACTION,
                now,
                target_type="worker",
                target_id=worker.id,
                detail={"userid": member.userid, "member_name": member.name},
            )
    return [worker for worker, _ in chosen]
