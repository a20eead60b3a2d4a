"""The case status machine: the one place that says which change of status is allowed.

The closed loop of 接诉即办 is 受理 → 已派单 → 已签收 → 已联系 → 处理中 → 已办结 → 已回访 → 已归档.
Beside the main line there are actions that move a case back or out:

- 退单 (return): the unit sends a wrongly routed case back to dispatch; it becomes 受理 again.
- 重办 (reopen): a resident was not satisfied, or a supervisor rejects the result; the case goes
  back to 处理中 with the unit that owned it (首接负责) and fresh deadlines.
- 撤销 (cancel): the resident withdraws, or a dispatcher closes a non-case; terminal.
- 督办 (supervise): a flag set on an open case by a supervisor or the deadline sweep; it does not
  change the status, so it is an action without a target status.
- 并案 (merge): a new case about the same problem as an open one joins it (``duplicate_of``) and
  is handled, answered and surveyed with it; terminal unless split again (拆分), which sends it
  back to 受理 when the merge was wrong.
  Dispatchers merge (any open case) and split by hand too (``handlers.workflow.case_links``).
- 审核退回 (send back): a dispatcher reviewing a finished result (办结审核, the case is 已办结 with
  ``review_state`` pending) sends it back to the unit: 处理中, the completion deadline unchanged.
- 改类 (recategorise): staff correct the category; the status does not change.
- 不予受理 (invalidate): staff close an open case as no case (重复, 无实质内容, 不属于受理范围 …,
  ``config/invalid.py``); its deadlines stop, no survey is asked, the resident is told. An admin
  may undo it (恢复受理, restore): the case goes back to 受理 and is dispatched afresh.

Anything not listed in :data:`TRANSITIONS` raises :class:`IllegalTransition`.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    ACCEPTED = "accepted"  # 受理
    DISPATCHED = "dispatched"  # 已派单
    SIGNED = "signed"  # 已签收
    CONTACTED = "contacted"  # 已联系
    IN_PROGRESS = "in_progress"  # 处理中
    COMPLETED = "completed"  # 已办结
    VISITED = "visited"  # 已回访
    ARCHIVED = "archived"  # 已归档
    CANCELLED = "cancelled"  # 已撤销
    MERGED = "merged"  # 已并案: joined an open case about the same problem
    INVALID = "invalid"  # 不予受理: closed by staff as no case (reason in Case.invalid_reason)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.ACCEPTED: "已受理",
    CaseStatus.DISPATCHED: "已派单",
    CaseStatus.SIGNED: "已签收",
    CaseStatus.CONTACTED: "已联系",
    CaseStatus.IN_PROGRESS: "处理中",
    CaseStatus.COMPLETED: "已办结",
    CaseStatus.VISITED: "已回访",
    CaseStatus.ARCHIVED: "已归档",
    CaseStatus.CANCELLED: "已撤销",
    CaseStatus.MERGED: "已并案",
    CaseStatus.INVALID: "不予受理",
}

OPEN_STATUSES = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.DISPATCHED,
        CaseStatus.SIGNED,
        CaseStatus.CONTACTED,
        CaseStatus.IN_PROGRESS,
    }
)


class CaseAction(StrEnum):
    ACCEPT = "accept"  # 受理: the case is created (no transition: it starts as ACCEPTED)
    DISPATCH = "dispatch"  # 派单
    SIGN = "sign"  # 签收
    CONTACT = "contact"  # 先行联系
    PROGRESS = "progress"  # 办理进展
    FINISH = "finish"  # 办结
    VISIT = "visit"  # 回访 (survey answered satisfied / basically satisfied, or closed unrated)
    ARCHIVE = "archive"  # 归档
    RETURN = "return"  # 退单
    REOPEN = "reopen"  # 重办
    CANCEL = "cancel"  # 撤销
    SUPERVISE = "supervise"  # 督办 (flag only)
    REASSIGN = "reassign"  # 改派 (dispatcher moves an open case; status unchanged)
    ANNOTATE = "annotate"  # a note, attachment or correction on the timeline; status unchanged
    MERGE = "merge"  # 并案: joins an open case about the same problem
    SPLIT = "split"  # 拆分: a wrong merge undone; back to 受理
    RECATEGORISE = "recategorise"  # 改类: staff correct the category; status unchanged
    INVALIDATE = "invalidate"  # 不予受理: staff close an open case as no case
    RESTORE = "restore"  # 恢复受理: an admin undoes 不予受理; back to 受理
    SEND_BACK = "send_back"  # 审核退回: a dispatcher sends a finished result back to the unit
    # 期限: a unit's deadlines set (the case reached it) or moved (an approved 延期); no status
    # change, written beside the action that caused it, with who and why.
    DEADLINE = "deadline"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[CaseAction, str] = {
    CaseAction.ACCEPT: "受理",
    CaseAction.DISPATCH: "派单",
    CaseAction.SIGN: "签收",
    CaseAction.CONTACT: "先行联系",
    CaseAction.PROGRESS: "办理进展",
    CaseAction.FINISH: "办结",
    CaseAction.VISIT: "回访",
    CaseAction.ARCHIVE: "归档",
    CaseAction.RETURN: "退单",
    CaseAction.REOPEN: "重办",
    CaseAction.CANCEL: "撤销",
    CaseAction.SUPERVISE: "督办",
    CaseAction.REASSIGN: "改派",
    CaseAction.ANNOTATE: "备注",
    CaseAction.MERGE: "并案",
    CaseAction.SPLIT: "拆分",
    CaseAction.RECATEGORISE: "改类",
    CaseAction.INVALIDATE: "不予受理",
    CaseAction.RESTORE: "恢复受理",
    CaseAction.SEND_BACK: "审核退回",
    CaseAction.DEADLINE: "办理期限",
}

S = CaseStatus
A = CaseAction

# (action, from status) -> to status. Actions that keep the status map a status to itself.
TRANSITIONS: dict[tuple[CaseAction, CaseStatus], CaseStatus] = {
    (A.DISPATCH, S.ACCEPTED): S.DISPATCHED,
    (A.SIGN, S.DISPATCHED): S.SIGNED,
    (A.CONTACT, S.SIGNED): S.CONTACTED,
    (A.CONTACT, S.CONTACTED): S.CONTACTED,
    (A.CONTACT, S.IN_PROGRESS): S.IN_PROGRESS,
    (A.PROGRESS, S.SIGNED): S.IN_PROGRESS,
    (A.PROGRESS, S.CONTACTED): S.IN_PROGRESS,
    (A.PROGRESS, S.IN_PROGRESS): S.IN_PROGRESS,
    (A.FINISH, S.CONTACTED): S.COMPLETED,
    (A.FINISH, S.IN_PROGRESS): S.COMPLETED,
    (A.VISIT, S.COMPLETED): S.VISITED,
    (A.ARCHIVE, S.VISITED): S.ARCHIVED,
    (A.ARCHIVE, S.CANCELLED): S.CANCELLED,
    (A.RETURN, S.DISPATCHED): S.ACCEPTED,
    (A.RETURN, S.SIGNED): S.ACCEPTED,
    (A.REOPEN, S.COMPLETED): S.IN_PROGRESS,
    (A.REOPEN, S.VISITED): S.IN_PROGRESS,
    (A.SEND_BACK, S.COMPLETED): S.IN_PROGRESS,
    (A.CANCEL, S.ACCEPTED): S.CANCELLED,
    (A.CANCEL, S.DISPATCHED): S.CANCELLED,
    (A.MERGE, S.ACCEPTED): S.MERGED,
    (A.MERGE, S.DISPATCHED): S.MERGED,
    (A.SPLIT, S.MERGED): S.ACCEPTED,
    (A.ARCHIVE, S.MERGED): S.MERGED,
    (A.RESTORE, S.INVALID): S.ACCEPTED,
    (A.ARCHIVE, S.INVALID): S.INVALID,
}
for _status in OPEN_STATUSES:
    TRANSITIONS[(A.SUPERVISE, _status)] = _status
    TRANSITIONS[(A.REASSIGN, _status)] = _status
    TRANSITIONS[(A.INVALIDATE, _status)] = S.INVALID
    TRANSITIONS[(A.MERGE, _status)] = S.MERGED  # by hand, a signed case too
for _status in CaseStatus:
    TRANSITIONS[(A.ANNOTATE, _status)] = _status
    if _status not in (S.ARCHIVED, S.CANCELLED, S.MERGED, S.INVALID):
        TRANSITIONS[(A.RECATEGORISE, _status)] = _status
del _status

# Statuses in which a resident may still withdraw their case (nobody has signed for it yet).
RESIDENT_CANCELLABLE = frozenset({S.ACCEPTED, S.DISPATCHED})


class IllegalTransition(ValueError):
    """Raised when an action is not allowed from the case's current status."""

    def __init__(self, action: CaseAction, status: CaseStatus) -> None:
        allowed = sorted(a.label for (a, s) in TRANSITIONS if s is status)
        super().__init__(
            f"cannot {action.value} ({action.label}) a case that is {status.value} "
            f"({status.label}); allowed from here: {', '.join(allowed) or 'nothing'}"
        )
        self.action = action
        self.status = status


def next_status(status: CaseStatus, action: CaseAction) -> CaseStatus:
    """Return the status after ``action``, or raise :class:`IllegalTransition`."""
    try:
        return TRANSITIONS[(action, status)]
    except KeyError:
        raise IllegalTransition(action, status) from None


def allowed_actions(status: CaseStatus) -> list[CaseAction]:
    return [action for (action, from_status) in TRANSITIONS if from_status is status]
