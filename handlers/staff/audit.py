"""The audit trail: every action of a staff member, who, what, when and from where.

Written in the transaction of the action itself where there is one, so an action and its audit
row commit together. Rows are never updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import AuditEvent, StaffUser


@dataclass(frozen=True)
class StaffActor:
    """A staff member as the audit trail records them."""

    user_id: int | None
    username: str
    role: str
    ip: str = ""
    user_agent: str = ""
    via: str = ""  # dashboard | api | cli

    @classmethod
    def of(
        cls, user: StaffUser, *, ip: str = "", user_agent: str = "", via: str = ""
    ) -> StaffActor:
        return cls(user.id, user.username, str(user.role), ip, user_agent[:255], via)

    @property
    def label(self) -> str:
        """How the actor appears on a case's timeline (``Actor("staff", label)``)."""
        return self.username


async def audit(
    actor: StaffActor,
    action: str,
    now: datetime,
    *,
    target_type: str = "",
    target_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return await AuditEvent.create(
        at=now,
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
        ip=actor.ip,
        user_agent=actor.user_agent,
        via=actor.via,
    )
