"""A case as its resident may read it: in a list (what, where, who handles it, by when) and in
full with its status changes and public notes, never a worker's name or phone, a staff remark or
internal data. Used by the mini-program's resident API.

In full it stays bounded however long the case grew (``handlers.case_pages``): the words folded,
each note too, the timeline 50 events a page with the latest first."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from config import replies
from config.lexicon import KIND_LABELS
from config.resident_api import ANONYMOUS_NOTE
from handlers.case_pages import (
    NOTE_PREVIEW_CHARS,
    CaseView,
    content_fields,
    fold,
    timeline_page,
)
from handlers.clock import iso
from handlers.followup.answers import ANSWERABLE
from handlers.places import place_summary
from models import Case, CaseAction, CaseEvent, CaseStatus, Resident, Survey, SurveyStatus, Unit
from nlu import mask_phone, mask_phones_in_text


def masked(phone: str | None) -> str | None:
    return mask_phone(phone) if phone else None


def me_json(resident: Resident) -> dict[str, Any]:
    return {
        "id": resident.id,
        "nickname": resident.nickname,
        "phone": masked(resident.phone),
        "consents": dict(resident.consent_subscribe or {}),
        "survey_opt_out": resident.survey_opt_out,
        "blocked": resident.blocked,
        "created_at": iso(resident.created_at),
    }


# What residents see of a case


def summary_json(case: Case, units: dict[int, Unit], originals: dict[int, Case]) -> dict[str, Any]:
    """A case as its resident sees it in a list: what, where, who handles it, by when.

    Never a worker, a phone or anything the staff keep for themselves.
    """
    status = CaseStatus(case.status)
    unit = units.get(case.unit_id) if case.unit_id is not None else None
    original = originals.get(case.duplicate_of_id) if case.duplicate_of_id is not None else None
    return {
        "number": case.number,
        "title": case.title,
        "status": status.value,
        "status_label": status.label,
        "kind": case.kind,
        "kind_label": KIND_LABELS.get(case.kind, "诉求"),
        "category": case.category,
        "urgency": case.urgency,
        "place": place_summary(case),
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "merged_into": original.number if original else None,
        "created_at": iso(case.created_at),
        "deadlines": {
            "first_contact": iso(case.first_contact_due_at),
            "completion": iso(case.completion_due_at),
        },
        "completed_at": iso(case.completed_at),
    }


async def summaries(cases: list[Case]) -> list[dict[str, Any]]:
    unit_ids = {c.unit_id for c in cases if c.unit_id is not None}
    original_ids = {c.duplicate_of_id for c in cases if c.duplicate_of_id is not None}
    units = {u.id: u for u in await Unit.filter(id__in=unit_ids)} if unit_ids else {}
    originals = {c.id: c for c in await Case.filter(id__in=original_ids)} if original_ids else {}
    return [summary_json(case, units, originals) for case in cases]


async def case_summary(case: Case) -> dict[str, Any]:
    return (await summaries([case]))[0]


# Timeline events a resident sees (status changes and public notes); the rest is the staff's.
PUBLIC_ACTIONS = frozenset(
    {
        CaseAction.ACCEPT,
        CaseAction.DISPATCH,
        CaseAction.REASSIGN,
        CaseAction.SIGN,
        CaseAction.CONTACT,
        CaseAction.PROGRESS,
        CaseAction.FINISH,
        CaseAction.VISIT,
        CaseAction.REOPEN,
        CaseAction.CANCEL,
        CaseAction.MERGE,
        CaseAction.SPLIT,
        CaseAction.ARCHIVE,
    }
)
PUBLIC_NOTE_KINDS = frozenset({"survey_answer", "survey_late_answer"})
# The notes of PUBLIC_NOTE_KINDS begin so (handlers.followup.answers), whoever recorded them: the
# timeline's pages are counted over these and the public actions, then _public_note decides.
PUBLIC_NOTE_STARTS = ("居民评价", "回访结束后居民评价")
CONTACT_LABELS = replies.CONTACT_METHOD_LABELS


def _public_note(event: CaseEvent, units: dict[str, str]) -> str | None:
    """The note of ``event`` as a resident reads it, or None if the event is not theirs to see.

    Notes written by workers and staff are rebuilt from the event's data, so a worker's name,
    phone or an internal remark never shows; progress and results, meant for the resident,
    are shown with phone numbers masked.
    """
    data = event.data or {}
    try:
        action = CaseAction(event.action)
    except ValueError:
        return None
    if action is CaseAction.ANNOTATE:
        if event.actor_type == "resident" or data.get("kind") in PUBLIC_NOTE_KINDS:
            return event.note
        return None
    if action not in PUBLIC_ACTIONS:
        return None
    if action in (CaseAction.DISPATCH, CaseAction.REASSIGN):
        unit = units.get(str(data.get("unit", "")))
        return f"由{unit}办理" if unit else ""
    if action is CaseAction.CONTACT:
        label = CONTACT_LABELS.get(str(data.get("method")))
        return f"已{label}联系" if label else ""
    if action in (CaseAction.PROGRESS, CaseAction.FINISH, CaseAction.VISIT):
        return mask_phones_in_text(event.note)
    if action is CaseAction.MERGE and data.get("original"):
        return f"与诉求 {data['original']} 为同一问题，并案办理"
    if action is CaseAction.CANCEL:
        return "居民撤销" if event.actor_type == "resident" else ""
    return ""


def result_photos(items: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The result's photos a resident can open: links, and photos in our store (``/media/<key>``,
    fetched with the resident's token). A WeChat media_id alone opens nowhere, so it is left out.
    """
    shown = []
    for item in items or []:
        url = str(item.get("url") or "") if isinstance(item, dict) else ""
        if url.startswith(("https://", "http://", "/media/")):
            entry = {"type": "image", "url": url}
            if isinstance(item.get("media_key"), str):
                entry["media_key"] = item["media_key"]
            shown.append(entry)
    return shown


def event_json(event: CaseEvent, note: str, view: CaseView | None = None) -> dict[str, Any]:
    status = CaseStatus(event.to_status) if event.to_status else None
    shown = fold(note, NOTE_PREVIEW_CHARS, (view or CaseView()).full)
    return {
        "at": iso(event.at),
        "action": event.action,
        "action_label": CaseAction(event.action).label,
        "status": status.value if status else None,
        "status_label": status.label if status else None,
        "note": shown.text,
        "note_folded": shown.folded,
        "by": {"resident": "resident", "system": "system"}.get(event.actor_type, "staff"),
    }


async def survey_json(case: Case) -> dict[str, Any] | None:
    survey = await Survey.filter(case_id=case.id).order_by("-round").first()
    if survey is None:
        return None
    status = SurveyStatus(survey.status)
    late = status is SurveyStatus.UNRATED and survey.answer is None
    return {
        "round": survey.round,
        "status": status.value,
        "answer": survey.answer.value if survey.answer else None,
        "answered_at": iso(survey.answered_at),
        "can_answer": status in ANSWERABLE or late,
    }


def public_events(case: Case) -> Any:
    """The case's events a resident may see, and a few more that ``_public_note`` leaves out."""
    annotations = Q(action=CaseAction.ANNOTATE.value) & (
        Q(actor_type="resident")
        | Q(note__startswith=PUBLIC_NOTE_STARTS[0])
        | Q(note__startswith=PUBLIC_NOTE_STARTS[1])
    )
    public = Q(action__in=[a.value for a in PUBLIC_ACTIONS])
    return CaseEvent.filter(case_id=case.id).filter(public | annotations)


async def case_detail(case: Case, view: CaseView | None = None) -> dict[str, Any]:
    view = view or CaseView()
    page = await timeline_page(public_events(case), view)
    events = page.events
    codes = {str((e.data or {}).get("unit")) for e in events if (e.data or {}).get("unit")}
    units = {u.code: u.name for u in await Unit.filter(code__in=codes)} if codes else {}
    timeline = []
    for event in events:
        note = _public_note(event, units)
        if note is not None:
            timeline.append(event_json(event, note, view))
    anonymous = await CaseEvent.filter(
        case_id=case.id,
        action=CaseAction.ANNOTATE.value,
        actor_type="resident",
        note=ANONYMOUS_NOTE,
    ).exists()
    body = await case_summary(case)
    body.update(
        {
            **content_fields(case.text, case.attachments, view, mask=False),
            "contact_phone": masked(case.contact_phone),
            "anonymous": anonymous,
            "location": {"lng": case.lng, "lat": case.lat}
            if case.lng is not None and case.lat is not None
            else None,
            "result": mask_phones_in_text(case.result),
            "result_photos": result_photos(case.result_attachments),
            "survey": await survey_json(case),
            "timeline": timeline,
            **page.fields(),
        }
    )
    return body
