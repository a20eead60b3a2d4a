"""A suggestion received by phone, letter or at a station, entered by staff (人工录入).

The proposer needs no account: the suggestion has no resident (``resident_id`` null), keeps the
phone they gave as its contact, and the receiving event says how it came and who brought it
(name and phone as given, for the office only). Through a station (联系点, by its code) the
channel is ``station`` and the station is recorded, so the network's contribution is counted;
otherwise ``staff``. A suggestion answering a themed call may name it (a letter that came in
time may be entered after the period). Audited as ``suggestion.enter``.
"""

from __future__ import annotations

from dataclasses import dataclass

from config import suggestion_calls as call_texts
from handlers.context import HandlerContext
from handlers.staff.audit import StaffActor, audit
from handlers.suggestions.intake import take
from handlers.suggestions.submissions import known_call
from handlers.timeline import Actor
from models import Station, Suggestion
from nlu import find_phones
from nlu.understanding import understand

VIA_LABELS = {
    "phone": "来电",
    "letter": "来信",
    "visit": "来访",
    "station": "联系点",
    "other": "其他",
}


class EntryProblem(ValueError):
    """What was entered cannot be a suggestion; the message says what to change."""


@dataclass(frozen=True)
class Entry:
    text: str
    via: str = "phone"  # phone | letter | visit | station | other
    station: str = ""  # a station's code
    name: str = ""
    phone: str = ""
    call: str = ""  # a themed call's code
    consent_publish: bool = False
    credit_name: str = ""


async def enter(entry: Entry, actor: StaffActor, ctx: HandlerContext) -> Suggestion:
    """Record the suggestion (call inside a transaction)."""
    if entry.via not in VIA_LABELS:
        raise EntryProblem(f"来源须为 {', '.join(VIA_LABELS)} 之一")
    station = None
    if entry.station:
        station = await Station.get_or_none(code=entry.station[:32], active=True)
        if station is None:
            raise EntryProblem(f"没有编号为 {entry.station[:32]} 的联系点（或已停用）")
    call = await known_call(entry.call) if entry.call else None
    if entry.call and call is None:
        raise EntryProblem(call_texts.NOT_FOUND)
    reading = understand(entry.text, gazetteer=ctx.gazetteer, model=ctx.model)
    columns: dict[str, object] = {
        "consent_publish": entry.consent_publish,
        "credit_name": entry.credit_name[:64],
    }
    if entry.phone:
        phones = find_phones(entry.phone)
        columns["contact_phone"] = (phones[0] if phones else entry.phone)[:32]
    how = VIA_LABELS[entry.via]
    where = f"（{station.name}）" if station else ""
    who = f"，建议人：{entry.name}" if entry.name else ""
    made = await take(
        None,
        entry.text,
        reading,
        ctx,
        channel="station" if station else "staff",
        station_id=station.id if station else None,
        call_id=call.id if call else None,
        actor=Actor("staff", actor.label),
        columns=columns,
        note=f"{how}{where}登记{who}",
        data={
            "via": entry.via,
            "station": station.code if station else None,
            "call": call.code if call else None,
            "contact_name": entry.name,
        },
    )
    suggestion = made.suggestion
    await audit(
        actor,
        "suggestion.enter",
        ctx.now,
        target_type="suggestion",
        target_id=suggestion.number,
        detail={"via": entry.via, "station": station.code if station else None},
    )
    return suggestion
