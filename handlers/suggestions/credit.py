"""Credit for proposers: the certificate (感谢信) of an adopted suggestion, and the year's list
of credited proposers.

The certificate names the proposer by the name they gave for credit (else it greets 市民朋友),
the suggestion's number and title, when it was received and adopted, and the departments it
was adopted for; the office prints it or sends it. The yearly list holds only proposers who
agreed to publication (``consent_publish``) and gave a name (``credit_name``), by the year
(Asia/Shanghai) their suggestion was adopted; the public list (``public_only``) only those whose
suggestion is published, with its approved title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from config import suggestion_publication as texts
from handlers.clock import local
from handlers.figures.filters import local_midnight
from handlers.suggestions.anonymise import anonymised
from handlers.suggestions.public import shown
from handlers.suggestions.publication import published_wording
from models import Suggestion, SuggestionAdoption, Unit


class NotAdoptedYet(ValueError):
    """A certificate is for an adopted suggestion only."""


@dataclass(frozen=True)
class Certificate:
    number: str
    title: str
    name: str  # the credit name, or "" (greeted as 市民朋友)
    received_on: date
    adopted_on: date
    departments: tuple[str, ...]
    issued_on: date

    @property
    def greeting(self) -> str:
        return texts.CERTIFICATE_GREETING.format(name=self.name or texts.CERTIFICATE_DEAR_RESIDENT)

    @property
    def body(self) -> str:
        return texts.CERTIFICATE_BODY.format(
            received=chinese_date(self.received_on),
            title=self.title,
            number=self.number,
            office=texts.OFFICE,
            adopted=chinese_date(self.adopted_on),
            departments="、".join(self.departments) or texts.NO_DEPARTMENT,
        )

    def lines(self) -> list[str]:
        """The certificate as plain text, line by line."""
        return [
            texts.CERTIFICATE_TITLE,
            "",
            self.greeting,
            "    " + self.body,
            "    " + texts.CERTIFICATE_THANKS,
            "",
            texts.OFFICE,
            chinese_date(self.issued_on),
        ]


@dataclass(frozen=True)
class Credit:
    name: str
    number: str
    title: str
    adopted_on: date
    departments: tuple[str, ...]
    published: bool


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


async def departments_of(suggestion_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The departments each suggestion was adopted for, in the order it went to them."""
    adoptions = await SuggestionAdoption.filter(suggestion_id__in=suggestion_ids).order_by(
        "assigned_at", "id"
    )
    unit_ids = list({a.unit_id for a in adoptions})
    units = {u.id: u.name for u in await Unit.filter(id__in=unit_ids)} if unit_ids else {}
    found: dict[int, tuple[str, ...]] = {}
    for adoption in adoptions:
        found[adoption.suggestion_id] = (
            *found.get(adoption.suggestion_id, ()),
            units.get(adoption.unit_id, ""),
        )
    return found


async def certificate(suggestion: Suggestion, now: datetime) -> Certificate:
    """The certificate of ``suggestion``. Raises :class:`NotAdoptedYet`."""
    if suggestion.adopted_at is None:
        raise NotAdoptedYet(f"建议 {suggestion.number} 尚未被采纳，不能出具感谢信")
    wording = (await published_wording([suggestion.id])).get(suggestion.id)
    return Certificate(
        number=suggestion.number,
        title=wording.title if wording else suggestion.title,
        name=suggestion.credit_name.strip(),
        received_on=local(suggestion.created_at).date(),
        adopted_on=local(suggestion.adopted_at).date(),
        departments=(await departments_of([suggestion.id])).get(suggestion.id, ()),
        issued_on=local(now).date(),
    )


async def credits_of_year(year: int, *, public_only: bool = False) -> list[Credit]:
    """The proposers credited for ``year``: consented, named, adopted in that year."""
    since, until = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    query = (shown() if public_only else Suggestion.filter(consent_publish=True)).filter(
        adopted_at__gte=since, adopted_at__lt=until, credit_name__not=""
    )
    rows = await query.order_by("adopted_at", "id")
    ids = [row.id for row in rows]
    wording = await published_wording(ids) if ids else {}
    departments = await departments_of(ids) if ids else {}
    credits = []
    for row in rows:
        approved = wording.get(row.id)
        published = row.published_at is not None
        credits.append(
            Credit(
                name=row.credit_name.strip(),
                number=row.number,
                title=approved.title if approved and published else _title(row),
                adopted_on=local(row.adopted_at or row.created_at).date(),
                departments=departments.get(row.id, ()),
                published=published,
            )
        )
    return [credit for credit in credits if credit.name]


def _title(suggestion: Suggestion) -> str:
    """A title not yet approved for the public, masked as the default wording is."""
    return anonymised(suggestion.title, also=(suggestion.credit_name.strip(),))
