"""The worker side of a case beside the case itself: a unit's requests to the centre (延期, 退单),
the unit spells that deadlines and figures are charged to, and API tokens."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.cases import Case, CaseEvent
    from models.district import Unit
    from models.people import Worker


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class ExtensionRequest(Model):
    """A unit asks for more time to complete a case (延期申请) and the centre decides.

    A case has at most one pending request at a time. Approving sets the case's
    completion_due_at to ``new_due_at`` (older rows without it: moves it by ``hours``). A
    request after the deadline is refused at once and kept with ``late`` set.
    """

    case_id: int
    worker_id: int
    unit_id: int | None
    decided_by_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="extension_requests", on_delete=fields.CASCADE
    )
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="extension_requests", on_delete=fields.CASCADE
    )
    hours = fields.IntField(description="more time asked for completion")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="extension_requests", null=True, on_delete=fields.SET_NULL
    )
    new_due_at = fields.DatetimeField(null=True, description="the completion date asked for")
    late = fields.BooleanField(default=False, description="asked after the deadline had passed")
    decided_by_staff = fields.CharField(max_length=64, default="", description="staff username")
    reason = fields.TextField(default="")
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.PENDING)
    decided_by: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="extension_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="", description="the supervisor's note or reason to refuse")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "extension_requests"
        indexes = (("status", "case_id"),)


class ReturnRequest(Model):
    """A unit asks the centre to take a case back (退单) with a reason and a suggested unit.

    Until a dispatcher of the centre approves nothing changes; a refused request is a
    不合理退单 counted against the unit that asked.
    """

    case_id: int
    unit_id: int | None
    worker_id: int | None
    suggested_unit_id: int | None
    new_unit_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="return_requests", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="return_requests", null=True, on_delete=fields.SET_NULL
    )
    worker: fields.ForeignKeyNullableRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="return_requests", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField(default="")
    suggested_unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="suggested_returns", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(ExtensionStatus, max_length=16, default=ExtensionStatus.PENDING)
    decided_by_staff = fields.CharField(max_length=64, default="", description="staff username")
    decided_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="", description="the dispatcher's note or reason to refuse")
    new_unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="returned_to", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "return_requests"
        indexes = (("status", "case_id"), ("unit_id", "decided_at"))


class UnitSpell(Model):
    """The time a case spent with one unit, from 派单 or 改派 until it left (退单 approved, 改派)
    or was finished there: the deadlines that unit owed, and what it did by them.

    A unit is judged by its own spells: a case returned after its deadline had passed is a miss
    of the unit that returned it, never of the next one.
    """

    case_id: int
    unit_id: int

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="unit_spells", on_delete=fields.CASCADE
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="spells", on_delete=fields.CASCADE
    )
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    end_reason = fields.CharField(
        max_length=16, default="", description="returned | reassigned | merged | invalid | empty"
    )
    sign_due_at = fields.DatetimeField(null=True)
    first_contact_due_at = fields.DatetimeField(null=True)
    completion_due_at = fields.DatetimeField(null=True)
    first_contact_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "case_unit_spells"
        indexes = (("unit_id", "started_at"), ("case_id", "started_at"))


class DeadlineChange(Model):
    """One deadline of a case moved (or first set for a unit): which, from what to what, when,
    by whom and why (every deadline change is an event, issue 16).

    Written in the same transaction as the change by :func:`handlers.timeline.apply_action`
    (every change of a due column) and by :func:`handlers.workflow.spells.open_spell` (the
    deadlines a unit's spell opens with). ``spell`` is the spell that owes the deadline, empty
    for a case with no unit then (the dispatcher queue). The figures read it to know the
    deadline in force at an instant (``handlers/figures/asof.py``).
    """

    case_id: int
    spell_id: int | None
    event_id: int | None

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "models.Case", related_name="deadline_changes", on_delete=fields.CASCADE
    )
    spell: fields.ForeignKeyNullableRelation[UnitSpell] = fields.ForeignKeyField(
        "models.UnitSpell", related_name="deadline_changes", null=True, on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyNullableRelation[CaseEvent] = fields.ForeignKeyField(
        "models.CaseEvent", related_name="deadline_changes", null=True, on_delete=fields.SET_NULL
    )
    deadline = fields.CharField(max_length=16, description="sign | first_contact | completion")
    old_at = fields.DatetimeField(null=True, description="the deadline before (empty: none)")
    new_at = fields.DatetimeField(null=True, description="the deadline after (empty: none)")
    at = fields.DatetimeField()
    actor_type = fields.CharField(max_length=16, description="resident | worker | staff | system")
    actor_id = fields.CharField(max_length=64, default="")
    cause = fields.CharField(max_length=16, description="the action that moved it (CaseAction)")
    reason = fields.TextField(default="")

    class Meta:
        table = "deadline_changes"
        indexes = (("spell_id", "deadline", "at"), ("case_id", "at"))


class WorkerToken(Model):
    """A bearer token for the worker API. Only the SHA-256 of the token is kept, never the token."""

    worker_id: int

    id = fields.BigIntField(primary_key=True)
    worker: fields.ForeignKeyRelation[Worker] = fields.ForeignKeyField(
        "models.Worker", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True, description="sha256 hex of the token")
    label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "worker_tokens"
