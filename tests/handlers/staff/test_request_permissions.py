"""Who decides a unit's 退单 and 延期: one row of the role table, the centre's and nobody else's."""

from __future__ import annotations

from handlers.staff.permissions import CAPABILITIES, can, worker_can
from models import StaffRole, StaffUser, Worker, WorkerRole


def test_one_row_says_who_decides_requests() -> None:
    assert CAPABILITIES["requests.decide"] == frozenset({StaffRole.ADMIN, StaffRole.DISPATCHER})
    assert "extensions.decide" not in CAPABILITIES  # a unit's supervisor no longer approves
    for role in StaffRole:
        user = StaffUser(username=role.value, role=role, active=True)
        assert can(user, "requests.decide") is (role in (StaffRole.ADMIN, StaffRole.DISPATCHER))
    retired = StaffUser(username="old", role=StaffRole.DISPATCHER, active=False)
    assert not can(retired, "requests.decide")


def test_workers_decide_by_the_same_row() -> None:
    """A dispatcher pressing a WeCom card holds the row through their role; nobody else does."""
    for role in WorkerRole:
        worker = Worker(name=role.value, role=role, active=True)
        assert worker_can(worker, "requests.decide") is (role is WorkerRole.DISPATCHER)
    gone = Worker(name="离职", role=WorkerRole.DISPATCHER, active=False)
    assert not worker_can(gone, "requests.decide")
    assert not worker_can(Worker(name="x", role=WorkerRole.DISPATCHER), "no.such.capability")
