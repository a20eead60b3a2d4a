"""The city export (报送市级): the suggestions forwarded in a period, as JSON and as CSV.

One record per suggestion, the same fields in both formats (README, 人民建议征集, documents them):

==================  ===========================================================================
number              the district's number (JY…)
title, text         the suggestion's title and words (phones masked)
category            the taxonomy path the words were read as
street, place       where it is about, when it names a place
channel             how it came: mp, miniprogram, open311, staff, station
station, call       the station (联系点) and the themed call (征集活动) it came through: codes
received_at         when it was received (ISO 8601, +08:00)
status              its status code (models.SuggestionStatus) and ``status_label`` in Chinese
adopted_units       the departments it was adopted for, by name (CSV: joined by ``;``)
answers             each department's answer: unit, kind, answer, date (CSV: ``unit:kind``; …)
forwarded_at        when it was forwarded, and ``forward_reference`` (报送文号)
instructed_at       the first 批示, if any
implemented_at      落地, and ``result``
proposer            the name the proposer agreed to be credited by; else 匿名 (no contact data
                    leaves the district: the city asks the district for it when needed)
==================  ===========================================================================

JSON: ``{"source", "from", "to", "generated_at", "count", "suggestions": [records]}`` (``source``:
the service's name, ``from``/``to`` the period's local days, both included).
CSV: UTF-8 with a BOM (Excel), a header row of the field names; a cell that starts with ``=``,
``+``, ``-`` or ``@`` is prefixed with ``'`` so that a spreadsheet never runs a resident's words
as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from handlers.clock import LOCAL_TZ, local
from models import (
    AdoptionStatus,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionCall,
    SuggestionStatus,
    Unit,
)
from nlu import mask_phones_in_text

FIELDS = (
    "number",
    "title",
    "text",
    "category",
    "street",
    "place",
    "channel",
    "station",
    "call",
    "received_at",
    "status",
    "status_label",
    "adopted_units",
    "answers",
    "forwarded_at",
    "forward_reference",
    "instructed_at",
    "implemented_at",
    "result",
    "proposer",
)
MAX_DAYS = 366 * 3
ANONYMOUS = "匿名"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def period(first: date, last: date) -> tuple[datetime, datetime]:
    """``first`` to ``last`` (local days, both included) as UTC-aware bounds."""
    start = datetime.combine(first, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)  # as stored: SQLite compares text


def _iso(value: datetime | None) -> str | None:
    return local(value).isoformat() if value is not None else None


async def forwarded_records(first: date, last: date) -> list[dict[str, Any]]:
    """The suggestions forwarded between ``first`` and ``last``, oldest forwarding first."""
    start, end = period(first, last)
    rows = await Suggestion.filter(forwarded_at__gte=start, forwarded_at__lt=end).order_by(
        "forwarded_at", "id"
    )
    return await records_of(list(rows))


async def records_of(rows: list[Suggestion]) -> list[dict[str, Any]]:
    ids = [s.id for s in rows]
    adoptions = await SuggestionAdoption.filter(suggestion_id__in=ids).order_by("id") if ids else []
    units = dict(await Unit.filter(id__in={a.unit_id for a in adoptions}).values_list("id", "name"))
    stations = dict(
        await Station.filter(id__in={s.station_id for s in rows if s.station_id}).values_list(
            "id", "code"
        )
    )
    calls = dict(
        await SuggestionCall.filter(id__in={s.call_id for s in rows if s.call_id}).values_list(
            "id", "code"
        )
    )
    by_suggestion: dict[int, list[SuggestionAdoption]] = {}
    for adoption in adoptions:
        by_suggestion.setdefault(adoption.suggestion_id, []).append(adoption)
    found = []
    for s in rows:
        mine = by_suggestion.get(s.id, [])
        found.append(
            {
                "number": s.number,
                "title": mask_phones_in_text(s.title),
                "text": mask_phones_in_text(s.text),
                "category": s.category,
                "street": s.street,
                "place": s.place_text,
                "channel": s.channel,
                "station": stations.get(s.station_id or 0, ""),
                "call": calls.get(s.call_id or 0, ""),
                "received_at": _iso(s.created_at),
                "status": SuggestionStatus(s.status).value,
                "status_label": SuggestionStatus(s.status).label,
                "adopted_units": [units.get(a.unit_id, "") for a in mine],
                "answers": [
                    {
                        "unit": units.get(a.unit_id, ""),
                        "kind": a.answer_kind,
                        "answer": mask_phones_in_text(a.answer),
                        "date": a.answer_date.isoformat() if a.answer_date else None,
                    }
                    for a in mine
                    if a.status == AdoptionStatus.ANSWERED
                ],
                "forwarded_at": _iso(s.forwarded_at),
                "forward_reference": s.forward_reference,
                "instructed_at": _iso(s.instructed_at),
                "implemented_at": _iso(s.implemented_at),
                "result": s.result,
                "proposer": s.credit_name if s.consent_publish and s.credit_name else ANONYMOUS,
            }
        )
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        parts = [f"{v['unit']}:{v['kind']}" if isinstance(v, dict) else str(v) for v in value]
        value = ";".join(parts)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(records: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for item in records:
        writer.writerow([_cell(item.get(name)) for name in FIELDS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
