"""The deployment's own time limits (``models.SlaRule`` rows) over the policy in ``config/sla.py``.

Deadlines are computed synchronously inside handlers
(``handlers.workflow.deadlines.deadlines_for``), so the rows are not read per case: they are loaded
into an immutable :class:`SlaTable`, which the intake service keeps in a ``RefreshingCache``
(reloaded at most every minute, and at once in the process where an admin saved a change) and hands
to every handler as ``HandlerContext.sla``. Another process picks up a change within that minute.

How a case finds its limits: its grade is 急难 when urgent and difficult, 急 when urgent, 难
when difficult, else 一般. The row for (its kind, grade) wins, else the row for (every kind,
grade); a limit that row leaves empty (neither hours nor working days) keeps the policy's.
Without a row the policy decides alone: 急 → ``URGENT``, the kind's policy otherwise, 难 at
least ``DIFFICULT``'s completion. 急难 takes the 急 sign and first-contact limits and the 难
completion limit (each as the table gives them for 急 and for 难), then its own row if any:
an urgent matter is answered at once, a difficult one is not expected solved in 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from config import sla
from models import SlaRule

GRADES: Final = ("急", "一般", "难", "急难")
LIMIT_NAMES: Final = ("sign", "first_contact", "completion")
# grade -> (urgency, difficult) of a case of that grade
GRADE_FLAGS: Final = {
    "急": ("急", False),
    "一般": ("一般", False),
    "难": ("一般", True),
    "急难": ("急", True),
}


def grade_of(urgency: str, difficult: bool) -> str:
    if urgency == "急":
        return "急难" if difficult else "急"
    return "难" if difficult else "一般"


def _both(urgent: sla.SlaPolicy, hard: sla.SlaPolicy) -> sla.SlaPolicy:
    """急难: the 急 sign and first-contact limits, the 难 completion limit."""
    return sla.SlaPolicy(urgent.sign, urgent.first_contact, hard.completion)


def config_policy(kind: str, urgency: str, difficult: bool) -> sla.SlaPolicy:
    """The policy of ``config/sla.py`` alone, without any deployment rows."""
    if urgency == "急":
        if difficult:
            return _both(sla.URGENT, config_policy(kind, "一般", True))
        return sla.URGENT
    policy = sla.BY_KIND.get(kind, sla.GENERAL)
    if difficult and policy.completion.working_days < sla.DIFFICULT.completion.working_days:
        return sla.SlaPolicy(policy.sign, policy.first_contact, sla.DIFFICULT.completion)
    return policy


@dataclass(frozen=True)
class SlaOverride:
    """One row as limits: ``None`` keeps the policy's limit."""

    sign: sla.Limit | None = None
    first_contact: sla.Limit | None = None
    completion: sla.Limit | None = None

    def over(self, policy: sla.SlaPolicy) -> sla.SlaPolicy:
        return sla.SlaPolicy(
            sign=self.sign or policy.sign,
            first_contact=self.first_contact or policy.first_contact,
            completion=self.completion or policy.completion,
        )


def _limit(hours: float, working_days: int) -> sla.Limit | None:
    if working_days > 0:
        return sla.Limit(working_days=working_days)
    if hours > 0:
        return sla.Limit(hours=hours)
    return None


def override_of(rule: SlaRule) -> SlaOverride:
    return SlaOverride(
        sign=_limit(rule.sign_hours, rule.sign_working_days),
        first_contact=_limit(rule.first_contact_hours, rule.first_contact_working_days),
        completion=_limit(rule.completion_hours, rule.completion_working_days),
    )


@dataclass(frozen=True)
class SlaTable:
    """(kind, grade) -> override; kind ``""`` is every kind. Empty: the policy alone."""

    overrides: MappingProxyType[tuple[str, str], SlaOverride] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def override_for(self, kind: str, grade: str) -> SlaOverride | None:
        return self.overrides.get((kind, grade)) or self.overrides.get(("", grade))

    def policy_for(self, kind: str, urgency: str, difficult: bool) -> sla.SlaPolicy:
        if urgency == "急" and difficult:
            policy = _both(self.policy_for(kind, "急", False), self.policy_for(kind, "一般", True))
        else:
            policy = config_policy(kind, urgency, difficult)
        found = self.override_for(kind, grade_of(urgency, difficult))
        return found.over(policy) if found is not None else policy


async def load_sla_table() -> SlaTable:
    rules = await SlaRule.all().order_by("id")
    return SlaTable(MappingProxyType({(r.kind, r.grade): override_of(r) for r in rules}))
