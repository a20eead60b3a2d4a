"""What each staff role may do: one table, consulted by the admin API and the dashboard alike.

==============  =========================================================================
role            may
==============  =========================================================================
admin           everything, including accounts, routing rules, SLA policy, approving
                notices (never their own: a second admin approves), blocking residents,
                undoing 不予受理, exporting or erasing a resident's personal data, closing or
                recomputing a month's figures, and the organisation: units, grids, workers,
                place names, district import
dispatcher      read and search every case, recategorise, reassign, supervise, close as
                不予受理, merge and split cases, review finished results (办结审核),
                decide the units' return and extension requests (退单, 延期), figures,
                hot issues, compose notices, release or discard held messages, read the
                organisation, record a 回访 answer taken by phone or face to face, and a
                field visit's outcome, review the knowledge base (publish, retire,
                import)
supervisor      the cases of their unit (every case without a unit), supervise, close as
                不予受理, figures, hot issues, read the organisation, record a field
                visit's outcome
unit            the cases of their unit, figures of their unit
(supervisor     governance items (未诉先办, 每月一题) their unit owns or helps with: the
 and unit)      owner adds notes, ticks milestones and closes, a co-unit adds notes;
                admins and dispatchers make and run every item
(supervisor     the knowledge base's entries of their unit: write drafts, and turn the
 and unit)      answer to one of their unit's 咨询 cases into an entry (dispatchers and
                admins any case's); every staff member reads the knowledge base)
worker          their own cases and their grid's (the worker API is their main door)
suggestions     人民建议征集办公室: screen suggestions (merge, ask for more, 不予采纳, adopt
                for departments, forward to the city, record 批示 and 落地), themed calls,
                publication, stations; every case readable (a misread complaint is turned
                into one). Units and supervisors answer what was adopted for their unit.
==============  =========================================================================

Workers act through the worker API and WeCom; where a worker decides what staff decide (the
centre's dispatchers pressing a request card), their role reads the same table through
:data:`WORKER_AS_STAFF` (:func:`worker_can`).
"""

from __future__ import annotations

from models import Case, StaffRole, StaffUser, Worker, WorkerRole

R = StaffRole

# The staff role a worker's role stands for when a worker decides in the centre's name.
WORKER_AS_STAFF: dict[WorkerRole, StaffRole] = {
    WorkerRole.DISPATCHER: R.DISPATCHER,
    WorkerRole.SUPERVISOR: R.SUPERVISOR,
    WorkerRole.UNIT_HEAD: R.UNIT,
}

CAPABILITIES: dict[str, frozenset[StaffRole]] = {
    "cases.read": frozenset(R),
    "cases.recategorise": frozenset({R.ADMIN, R.DISPATCHER}),
    "cases.reassign": frozenset({R.ADMIN, R.DISPATCHER}),
    "cases.supervise": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    # 不予受理 (close as no case); undoing it is an admin's.
    "cases.invalidate": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    "cases.restore": frozenset({R.ADMIN}),
    "cases.import": frozenset({R.ADMIN, R.DISPATCHER}),  # a message board's messages
    # 并案/拆分 by hand, and 办结审核 (pass a finished result on to the survey, or send it back).
    "cases.merge": frozenset({R.ADMIN, R.DISPATCHER}),
    "cases.review": frozenset({R.ADMIN, R.DISPATCHER}),
    # 退单 and 延期 asked by a unit are decided by the centre, never by the unit itself.
    "requests.decide": frozenset({R.ADMIN, R.DISPATCHER}),
    "figures.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT}),
    # Close a month's figures by hand (the sweep closes it anyway), or recompute a closed one.
    "figures.close": frozenset({R.ADMIN}),
    "hot.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    # 未诉先办 / 每月一题 (issue 20): the centre takes a hot issue up as an item and runs it
    # (manage: make, edit, link cases, withdraw, tell the residents); the owner unit's staff
    # and supervisors report progress, tick milestones and close it, co-units add notes; a
    # unit reads only the items it owns or helps with (see item_role). Exports are audited.
    "hot.items.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT}),
    "hot.items.manage": frozenset({R.ADMIN, R.DISPATCHER}),
    "hot.items.work": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT}),
    # The suggestion office drafts the notices announcing its themed calls (征集活动); an admin
    # other than the author still approves every notice before it goes out.
    "notices.compose": frozenset({R.ADMIN, R.DISPATCHER, R.SUGGESTIONS}),
    "notices.approve": frozenset({R.ADMIN}),
    "routing.edit": frozenset({R.ADMIN}),
    "sla.edit": frozenset({R.ADMIN}),
    "users.manage": frozenset({R.ADMIN}),
    "audit.read": frozenset({R.ADMIN}),
    # Messages held back from routing (blocked sender, content check): release or discard.
    "held.decide": frozenset({R.ADMIN, R.DISPATCHER}),
    "residents.block": frozenset({R.ADMIN}),
    # Link a worker or staff member to their WeChat (QR, chat code) or WeCom account.
    "accounts.link": frozenset({R.ADMIN}),
    # 个人信息: export everything stored about a resident, erase it on request.
    "residents.personal_data": frozenset({R.ADMIN}),
    # The organisation and map: units, grids, workers, place names; import and export.
    "district.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    "district.edit": frozenset({R.ADMIN}),
    # 回访 by phone or face to face (the centre asks, not the unit judged); the field visit's
    # outcome (四不两直) is reported by the centre or the unit's supervisors.
    "surveys.record": frozenset({R.ADMIN, R.DISPATCHER}),
    "field_visits.record": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR}),
    # 知识库: every staff member reads it, units write their own entries (drafts), the centre's
    # dispatchers review (publish, retire) and import. See may_edit_entry.
    "knowledge.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT}),
    "knowledge.edit": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT}),
    "knowledge.publish": frozenset({R.ADMIN, R.DISPATCHER}),
    "knowledge.import": frozenset({R.ADMIN, R.DISPATCHER}),
    # 人民建议征集 (issue 18): the suggestion office screens (merge, ask for more, decline, adopt,
    # forward to the city, record 批示 and 落地), publishes and runs themed calls; departments
    # answer what was adopted for them (their own unit, see may_answer_suggestion); the
    # centre's dispatchers read them and turn a misread complaint into a case.
    "suggestions.read": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.UNIT, R.SUGGESTIONS}),
    "suggestions.screen": frozenset({R.ADMIN, R.SUGGESTIONS}),
    "suggestions.answer": frozenset({R.ADMIN, R.SUGGESTIONS, R.SUPERVISOR, R.UNIT}),
    "suggestions.convert": frozenset({R.ADMIN, R.DISPATCHER, R.SUGGESTIONS}),
    "suggestions.enter": frozenset({R.ADMIN, R.DISPATCHER, R.SUGGESTIONS}),
    "suggestions.calls": frozenset({R.ADMIN, R.SUGGESTIONS}),
    "suggestions.publish": frozenset({R.ADMIN, R.SUGGESTIONS}),
    "suggestions.figures": frozenset({R.ADMIN, R.DISPATCHER, R.SUPERVISOR, R.SUGGESTIONS}),
    "stations.edit": frozenset({R.ADMIN, R.SUGGESTIONS}),
}


def can(user: StaffUser, capability: str) -> bool:
    """Whether ``user`` holds ``capability``; an unknown capability is nobody's."""
    roles = CAPABILITIES.get(capability)
    return bool(user.active and roles is not None and StaffRole(user.role) in roles)


def worker_can(worker: Worker, capability: str) -> bool:
    """Whether an active ``worker`` holds ``capability`` by the staff role of their role."""
    role = WORKER_AS_STAFF.get(WorkerRole(worker.role))
    roles = CAPABILITIES.get(capability)
    return bool(worker.active and role is not None and roles is not None and role in roles)


def may_edit_entry(user: StaffUser, unit_id: int | None) -> bool:
    """Whether ``user`` may write a knowledge entry owned by ``unit_id``: reviewers any, a unit's
    staff and supervisors only their own unit's (an account without a unit none)."""
    if not can(user, "knowledge.edit"):
        return False
    if can(user, "knowledge.publish"):
        return True
    return user.unit_id is not None and unit_id == user.unit_id


def may_turn_case_into_entry(user: StaffUser, case: Case) -> bool:
    """Whether ``user`` may turn the unit's answer to ``case`` into knowledge: reviewers (the
    centre's dispatchers, admins) any case's, a unit's staff and supervisors their unit's."""
    if can(user, "knowledge.publish"):
        return True
    return can(user, "knowledge.edit") and user.unit_id is not None and case.unit_id == user.unit_id


def sees_every_case(user: StaffUser) -> bool:
    role = StaffRole(user.role)
    if role in (R.ADMIN, R.DISPATCHER, R.SUGGESTIONS):  # the office: a misread complaint
        return True
    return role == R.SUPERVISOR and user.unit_id is None


def may_see_case(user: StaffUser, case: Case) -> bool:
    if not user.active:
        return False
    if sees_every_case(user):
        return True
    role = StaffRole(user.role)
    if role in (R.SUPERVISOR, R.UNIT):
        return user.unit_id is not None and case.unit_id == user.unit_id
    return user.worker_id is not None and case.worker_id == user.worker_id


def item_role(user: StaffUser, owner_unit_id: int, co_unit_ids: set[int] | frozenset[int]) -> str:
    """What ``user`` is to a governance item: ``manage`` (the centre: admins, dispatchers),
    ``owner`` (the owner unit's staff and supervisors), ``co`` (a co-unit's), ``read`` (a
    supervisor without a unit reads every item), or '' (nothing: not even read)."""
    if not can(user, "hot.items.read"):
        return ""
    if can(user, "hot.items.manage"):
        return "manage"
    if user.unit_id is None:
        return "read" if StaffRole(user.role) == R.SUPERVISOR else ""
    if user.unit_id == owner_unit_id:
        return "owner"
    return "co" if user.unit_id in co_unit_ids else ""


def may_answer_suggestion(user: StaffUser, unit_id: int) -> bool:
    """A department's answer to a suggestion adopted for it: its own staff, or the office."""
    if not can(user, "suggestions.answer"):
        return False
    if StaffRole(user.role) in (R.ADMIN, R.SUGGESTIONS):
        return True
    return user.unit_id == unit_id
