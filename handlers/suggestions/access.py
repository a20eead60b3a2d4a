"""Who sees which suggestion, and how a refused step is said.

The suggestion office, admins, the centre's dispatchers and supervisors without a unit see every
suggestion; a department's accounts (unit staff, a unit's supervisors) only those adopted for
their unit, and a suggestion they may not see is :class:`SuggestionHidden`, exactly like a number
that does not exist. Every refusal is :class:`SuggestionRefused` with the words staff read and
the HTTP status that fits (400 bad input, 403 not theirs to do, 409 not from where it stands).
"""

from __future__ import annotations

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from config import suggestion_office as texts
from handlers.staff.permissions import can
from handlers.suggestions.records import ChangedMeanwhile, IllegalStep, is_suggestion_number
from models import StaffRole, StaffUser, Suggestion, SuggestionAdoption

R = StaffRole


class SuggestionRefused(Exception):
    """The step cannot be taken as asked; ``status`` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 409, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class SuggestionHidden(LookupError):
    """No such suggestion, or one the account may not see: the two are not told apart."""


def bad_input(message: str) -> SuggestionRefused:
    return SuggestionRefused(message, 400, "invalid_request")


def refusal_of(error: Exception) -> SuggestionRefused:
    """The people's words for what ``records.move`` raises (its own messages are English)."""
    if isinstance(error, SuggestionRefused):
        return error
    if isinstance(error, ChangedMeanwhile):
        return SuggestionRefused(texts.CHANGED_MEANWHILE, 409, "concurrent_change")
    if isinstance(error, IllegalStep):
        return SuggestionRefused(texts.ILLEGAL_GENERIC, 409, "illegal_transition")
    raise error


def require(user: StaffUser, capability: str) -> None:
    if not user.active or not can(user, capability):
        raise SuggestionRefused(texts.NO_PERMISSION, 403, "forbidden")


def sees_every_suggestion(user: StaffUser) -> bool:
    role = StaffRole(user.role)
    if role in (R.ADMIN, R.DISPATCHER, R.SUGGESTIONS):
        return True
    return role == R.SUPERVISOR and user.unit_id is None


def visible_suggestions(user: StaffUser) -> QuerySet[Suggestion]:
    """The suggestions ``user`` may read (none without ``suggestions.read``)."""
    if not user.active or not can(user, "suggestions.read"):
        return Suggestion.filter(id=0)
    if sees_every_suggestion(user):
        return Suggestion.all()
    if user.unit_id is None:
        return Suggestion.filter(id=0)
    adopted = SuggestionAdoption.filter(unit_id=user.unit_id).values("suggestion_id")
    return Suggestion.filter(id__in=Subquery(adopted))


async def visible_suggestion(user: StaffUser, number: str) -> Suggestion:
    """The suggestion ``number`` if ``user`` may read it, else :class:`SuggestionHidden`."""
    number = number.strip().upper()
    if len(number) > 32 or not is_suggestion_number(number):
        raise SuggestionHidden(number)
    found = await visible_suggestions(user).filter(number=number).first()
    if found is None:
        raise SuggestionHidden(number)
    return found


def clean_text(value: str, what: str, limit: int, *, required: str = "") -> str:
    """``value`` stripped, within ``limit``; empty is refused with ``required`` when given."""
    text = (value or "").strip().replace("\x00", "")
    if required and not text:
        raise bad_input(required)
    if len(text) > limit:
        raise bad_input(texts.TOO_LONG.format(what=what, limit=limit))
    return text
