"""A resident reports something: the words become a case, understood, routed and given deadlines."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Literal, overload

from config import replies
from config.lexicon import KIND_LABELS
from config.open311 import MAX_DESCRIPTION as OPEN311_MAX_DESCRIPTION
from config.resident_api import ANONYMOUS_MARK
from config.taxonomy import is_valid_path
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.hot.topics import stored_topic
from handlers.intake.case_limits import Clipped, clip, note_kept_out
from handlers.intake.duplicates import (
    Match,
    Probe,
    find_original,
    latest_merged,
    merge_events,
    merge_into,
    split_case,
)
from handlers.intake.repeats import (
    find_original_or_repeat,
    link_repeat,
    may_reopen,
    reopen_as_repeat,
)
from handlers.intake.reserved_numbers import case_number_for
from handlers.intake.safety import with_advice
from handlers.open311.common import CHANNEL as OPEN311_CHANNEL
from handlers.places import LOCAL_WORDS, has_place, place_columns, place_summary
from handlers.residents.records import remember_phone
from handlers.suggestions import intake as suggestion_intake
from handlers.suggestions.intake import Suggested
from handlers.timeline import Actor, apply_action, event_row, record_events
from handlers.workflow.actions import tell_resident
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.routing import Route
from handlers.workflow.spells import deadline_data, due_columns, open_spell, unit_deadlines
from handlers.workflow.tasks import push_task
from models import Case, CaseAction, CaseStatus, Grid, Resident, Unit, next_status
from nlu import Understanding, understand

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    case: Case
    reply: str
    needs_place: bool
    understanding: Understanding | None = None


SUGGESTION_KIND = "suggestion"


def reads_as_suggestion(understanding: Understanding) -> bool:
    """建议, and nothing urgent or dangerous named: a gas smell written as a suggestion is
    still a case with its short deadlines and the advice on what to do now."""
    return (
        understanding.kind == SUGGESTION_KIND
        and understanding.urgency != "急"
        and not understanding.hazards
    )


# Kinds whose answer rarely depends on where the resident is: they are not asked for a place.
PLACELESS_KINDS = frozenset({"question", "praise"})


def place_needed(kind: str, text: str) -> bool:
    """Whether a case of ``kind`` saying ``text`` must have a place before it is dispatched.

    A question (高龄津贴怎么申请) or praise is answered without one, unless it asks about the
    resident's surroundings ("附近的垃圾站几点开门").
    """
    return kind not in PLACELESS_KINDS or any(word in text for word in LOCAL_WORDS)


def dispatch_note(route: Route) -> tuple[str, dict[str, Any]]:
    assert route.unit is not None
    note = f"派往{route.unit.name}" + (f"，网格员{route.worker.name}" if route.worker else "")
    return note, {"unit": route.unit.code, "rule": route.rule.id if route.rule else None}


async def dispatch_if_possible(case: Case, grid: Grid | None, ctx: HandlerContext) -> Unit | None:
    """Route an accepted case; dispatch it when a unit is found, else leave it for dispatchers."""
    route = ctx.routing.route(case.category, case.kind, grid)
    if route.unit is None:
        return None
    note, data = dispatch_note(route)
    deadlines = unit_deadlines(case, ctx)
    await apply_action(
        case,
        CaseAction.DISPATCH,
        Actor.system(),
        ctx.now,
        note=note,
        data={**data, "deadlines": deadline_data(deadlines)},
        changes={
            "unit_id": route.unit.id,
            "worker_id": route.worker.id if route.worker else None,
            "dispatched_at": ctx.now,
            **due_columns(deadlines),
        },
    )
    await open_spell(case, route.unit.id, ctx, deadlines=deadlines)
    await push_task(case, ctx)
    return route.unit


async def merged_reply(case: Case, match: Match, ctx: HandlerContext | None = None) -> str:
    original = match.original
    unit = None
    if original.unit_id:
        # Active units are in the routing table; an inactive one is read.
        unit = ctx.routing.units.get(original.unit_id) if ctx is not None else None
        unit = unit or await Unit.get_or_none(id=original.unit_id)
    return replies.MERGED.format(
        number=case.number,
        whose=replies.MERGED_WHOSE_OWN if match.same_resident else replies.MERGED_WHOSE_OTHER,
        original=original.number,
        title=original.title,
        status=CaseStatus(original.status).label,
        unit=unit.name if unit else replies.DISPATCH_QUEUE,
    )


async def merge_if_duplicate(case: Case, ctx: HandlerContext) -> str | None:
    """If ``case`` repeats an open case, merge it and return the resident's reply."""
    match = await find_original(Probe.of(case), ctx.now, exclude_id=case.id)
    if match is None:
        return None
    await merge_into(case, match, ctx)
    return await merged_reply(case, match, ctx)


async def resident_splits(resident: Resident, ctx: HandlerContext) -> str:
    """The resident says their latest merged case is not the same problem: it goes alone."""
    case = await latest_merged(resident.id, ctx.now)
    if case is None:
        return replies.NOTHING_TO_SPLIT
    await split_case(case, Actor("resident", resident.openid), ctx)
    grid = ctx.routing.grid_by_id(case.grid_id)
    unit = await dispatch_if_possible(case, grid, ctx)
    return replies.SPLIT_DONE.format(number=case.number) + accepted_reply(case, unit)


async def route_again(
    case: Case, ctx: HandlerContext, actor: Actor, why: str, *, had_place: bool | None = None
) -> Unit | None:
    """Route a case nobody has signed for by its current category; the unit if it moved.

    A queued case is dispatched if it has its place (else the place step routes it); a
    dispatched case is reassigned (改派) when its category now routes elsewhere, never pulled
    back into the queue. ``had_place`` overrides what the case says about its place.
    """
    grid = ctx.routing.grid_by_id(case.grid_id)
    status = CaseStatus(case.status)
    if status is CaseStatus.ACCEPTED:
        if not (has_place(case) if had_place is None else had_place):
            return None
        return await dispatch_if_possible(case, grid, ctx)
    if status is not CaseStatus.DISPATCHED:
        return None
    route = ctx.routing.route(case.category, case.kind, grid)
    if route.unit is None or route.unit.id == case.unit_id:
        return None
    previous = ctx.routing.units.get(case.unit_id) if case.unit_id else None
    deadlines = unit_deadlines(case, ctx)
    await apply_action(
        case,
        CaseAction.REASSIGN,
        actor,
        ctx.now,
        note=f"{why}改派{route.unit.name}",
        data={
            "from_unit": previous.code if previous else None,
            "unit": route.unit.code,
            "rule": route.rule.id if route.rule else None,
            "category": case.category,
            "deadlines": deadline_data(deadlines),
        },
        changes={
            "unit_id": route.unit.id,
            "worker_id": route.worker.id if route.worker else None,
            "dispatched_at": ctx.now,
            **due_columns(deadlines),
        },
    )
    await open_spell(case, route.unit.id, ctx, deadlines=deadlines)
    told = replies.REASSIGNED.format(number=case.number, unit=route.unit.name)
    await tell_resident(case, told, "reassigned", ctx, once=f"v{case.version}")
    await push_task(case, ctx)
    return route.unit


def accepted_reply(case: Case, unit: Unit | None) -> str:
    """The full answer to a case that is accepted: what we understood, who handles it, when."""
    if case.kind == "praise":
        return replies.ACCEPTED_PRAISE.format(
            number=case.number,
            category=case.category,
            place=place_summary(case),
            unit=unit.name if unit else replies.PRAISE_DISPATCH_QUEUE,
        )
    assert case.completion_due_at is not None and case.first_contact_due_at is not None
    first_contact = replies.FIRST_CONTACT.format(deadline=format_local(case.first_contact_due_at))
    if case.kind == "question" and case.urgency != "急" and not has_place(case):
        return replies.ACCEPTED_QUESTION.format(
            number=case.number,
            category=case.category,
            unit=unit.name if unit else replies.DISPATCH_QUEUE,
            deadline=format_local(case.completion_due_at),
            first_contact=first_contact,
        )
    urgent = ""
    if case.urgency == "急":
        text = replies.ACCEPTED_URGENT_DIFFICULT if case.difficult else replies.ACCEPTED_URGENT
        urgent = text.format(reasons="、".join(case.urgency_reasons) or "紧急")
    return replies.ACCEPTED.format(
        kind=KIND_LABELS.get(case.kind, "诉求"),
        number=case.number,
        category=case.category,
        place=place_summary(case),
        urgent=urgent,
        unit=unit.name if unit else replies.DISPATCH_QUEUE,
        deadline=format_local(case.completion_due_at),
        first_contact=first_contact,
    )


@overload
async def report_case(
    resident: Resident,
    text: str,
    ctx: HandlerContext,
    *,
    attachments: list[dict[str, Any]] | None = ...,
    location: tuple[float, float] | None = ...,
    channel: str = ...,
    category: str | None = ...,
    anonymous: bool = ...,
    kind: str | None = ...,
    suggestions: Literal[False] = ...,
) -> Report: ...


@overload
async def report_case(
    resident: Resident,
    text: str,
    ctx: HandlerContext,
    *,
    attachments: list[dict[str, Any]] | None = ...,
    location: tuple[float, float] | None = ...,
    channel: str = ...,
    category: str | None = ...,
    anonymous: bool = ...,
    kind: str | None = ...,
    suggestions: bool,
) -> Report | Suggested: ...


async def report_case(
    resident: Resident,
    text: str,
    ctx: HandlerContext,
    *,
    attachments: list[dict[str, Any]] | None = None,
    location: tuple[float, float] | None = None,
    channel: str = "mp",
    category: str | None = None,
    anonymous: bool = False,
    kind: str | None = None,
    suggestions: bool = False,
) -> Report | Suggested:
    """Create a case from the resident's words. Call inside a transaction.

    ``suggestions``: words read as 建议 become a suggestion for the suggestion office instead
    (``handlers.suggestions.intake``, issue 18), returned as :class:`Suggested`; only callers
    that can tell the resident of a suggestion ask for it.

    ``category`` is a taxonomy path the resident chose themselves (an Open311 service): it
    wins over the understood one, which is kept as the runner-up for dispatchers to see.
    ``anonymous``: no phone on the case and its title marked 【匿名】, from the worker's first
    task card on (the case still belongs to the resident, who follows it).
    ``kind``: the kind the caller knows, over the understood one (a suggestion turned into a
    case is a complaint: ``handlers.suggestions.conversion``).

    The case keeps at most ``message_max_chars`` of the words (Open311: the spec's description
    limit) and ``case_attachments_max`` attachments; past them the words end with a mark, the
    attachments left out are noted on the timeline, and the reply says so
    (``handlers.intake.case_limits``). The caller keeps the message whole.
    """
    limit = ctx.settings.message_max_chars
    if channel == OPEN311_CHANNEL:
        limit = OPEN311_MAX_DESCRIPTION
    words = clip(text, limit)
    text = words.text
    attachments = list(attachments or [])
    extra = attachments[ctx.settings.case_attachments_max :]
    attachments = attachments[: ctx.settings.case_attachments_max]
    understanding: Understanding = understand(
        text, location=location, gazetteer=ctx.gazetteer, model=ctx.model
    )
    if kind is not None:
        understanding = replace(understanding, kind=kind)
    if suggestions and category is None and reads_as_suggestion(understanding):
        return await suggestion_intake.take(
            resident, text, understanding, ctx, channel=channel, attachments=attachments
        )
    report = await _report(
        resident, text, understanding, ctx, attachments, channel, category, anonymous
    )
    if extra:
        await note_kept_out(report.case, ctx, attachments=len(extra))
    reply = report.reply + cut_notice(words, limit, len(extra), ctx)
    understood = report.understanding
    if understood is not None:
        # Danger first: what to do now and whom to call, then the case (handlers.intake.safety).
        reply = with_advice(reply, understood.hazards, ctx.settings)
        note = replies.FOREIGN_NOTE.get(understood.language)
        if note is None and understood.language != "zh":
            note = replies.FOREIGN_NOTE["en"]
        if note:
            reply = f"{note}\n\n{reply}"
    return replace(report, reply=reply)


def cut_notice(words: Clipped, limit: int, extra: int, ctx: HandlerContext) -> str:
    """What the reply adds when the case could not keep everything the resident sent."""
    notice = replies.MESSAGE_CUT.format(sent=words.sent, limit=limit) if words.cut else ""
    if extra:
        limit = ctx.settings.case_attachments_max
        notice += replies.CASE_FILES_CUT.format(limit=limit, extra=extra)
    return notice


async def _report(
    resident: Resident,
    text: str,
    understanding: Understanding,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]],
    channel: str,
    category: str | None,
    anonymous: bool,
) -> Report:
    if category is not None:
        if not is_valid_path(category):
            raise ValueError(f"{category!r} is not a category of the taxonomy")
        understood = understanding.category
        understanding = replace(
            understanding,
            category=category,
            category_confidence=1.0,
            category_runner_up=(
                understood if understood != category else understanding.category_runner_up
            ),
        )
    place = understanding.place
    grid = ctx.routing.grid(place.grid_code)
    deadlines = deadlines_for(
        understanding.kind, understanding.urgency, understanding.difficult, ctx.now, ctx.sla
    )
    columns = place_columns(place)
    probe = Probe(
        resident_id=resident.id,
        category=understanding.category,
        text=text,
        grid_id=grid.id if grid else None,
        **columns,
    )
    # The open case it duplicates, else the closed one it repeats (not for praise): one read.
    match, repeat = await find_original_or_repeat(
        probe, ctx.now, ctx.settings.repeat_window_days, repeats=understanding.kind != "praise"
    )
    if repeat is not None and may_reopen(repeat, text, channel):
        # 重复诉求 saying the problem is back: the original reopens, no new case.
        case, reply = await reopen_as_repeat(repeat, text, Actor("resident", resident.openid), ctx)
        return Report(case, reply, needs_place=False, understanding=understanding)
    # Route before writing, so that a routable case is created dispatched in one insert.
    wants_place = place_needed(understanding.kind, text)
    route = (
        ctx.routing.route(understanding.category, understanding.kind, grid)
        if (place.found or not wants_place) and match is None
        else Route(unit=None, worker=None, rule=None)
    )
    status = CaseStatus.ACCEPTED
    if route.unit is not None:
        status = next_status(CaseStatus.ACCEPTED, CaseAction.DISPATCH)
    phone = understanding.phones[0] if understanding.phones else resident.phone
    title = understanding.title
    if anonymous:
        phone, title = None, ANONYMOUS_MARK + title
    due: dict[str, Any] = {
        "sign_due_at": deadlines.sign,
        "first_contact_due_at": deadlines.first_contact,
        "completion_due_at": deadlines.completion,
    }
    merged: dict[str, Any] = {}
    if match is not None:
        # Made merged at once (one insert, not an insert and an update); the events say so.
        status = CaseStatus.MERGED
        merged = {"duplicate_of_id": match.original.id, "version": 1}
        due = dict.fromkeys(due)
    case = await Case.create(
        number=await case_number_for(ctx.now, resident),
        resident_id=resident.id,
        channel=channel,
        status=status,
        kind=understanding.kind,
        kind_confidence=understanding.kind_confidence,
        category=understanding.category,
        category_confidence=understanding.category_confidence,
        urgency=understanding.urgency,
        urgency_reasons=list(understanding.urgency_reasons),
        difficult=understanding.difficult,
        title=title[:64],
        keywords=list(understanding.keywords),
        topic=stored_topic(understanding.keywords, understanding.title, columns),
        text=text,
        attachments=attachments,
        contact_phone=phone,
        grid_id=grid.id if grid else None,
        unit_id=route.unit.id if route.unit else None,
        worker_id=route.worker.id if route.worker and route.unit else None,
        dispatched_at=ctx.now if route.unit else None,
        created_at=ctx.now,
        **due,
        **columns,
        **merged,
    )
    if understanding.phones and not anonymous:
        await remember_phone(resident, understanding.phones[0])
    logger.info("case %s created: %s", case.number, case.kind, extra={"case": case.number})
    # The case's first events go in one statement with those that follow from it at once.
    events = [
        event_row(
            case,
            CaseAction.ACCEPT,
            Actor("resident", resident.openid),
            ctx.now,
            from_status=None,
            to_status=CaseStatus.ACCEPTED,
            data={
                "kind": understanding.kind,
                "category": understanding.category,
                "category_runner_up": understanding.category_runner_up,
                "urgency": understanding.urgency,
                "urgency_reasons": list(understanding.urgency_reasons),
                "difficulty_reasons": list(understanding.difficulty_reasons),
            },
        )
    ]
    if match is not None:
        # A case made merged has no unit spell and no requests to close (merge_into's work).
        await record_events([*events, *merge_events(case, match, ctx)])
        reply = await merged_reply(case, match, ctx)
        return Report(case, reply, needs_place=False, understanding=understanding)
    linked = ""
    if repeat is not None:
        await record_events(events)
        events = []
        linked = await link_repeat(case, repeat, Actor("resident", resident.openid), ctx)
    if route.unit is not None:
        note, data = dispatch_note(route)
        events.append(
            event_row(
                case,
                CaseAction.DISPATCH,
                Actor.system(),
                ctx.now,
                from_status=CaseStatus.ACCEPTED,
                to_status=status,
                note=note,
                data={**data, "deadlines": deadline_data(deadlines)},
            )
        )
        await record_events(events)
        await open_spell(case, route.unit.id, ctx, previous_end=None, deadlines=deadlines)
        await push_task(case, ctx, worker=route.worker, new_case=True)
        reply = accepted_reply(case, route.unit) + linked
        return Report(case, reply, needs_place=False, understanding=understanding)
    if events:
        await record_events(events)
    if not place.found and wants_place:
        reply = replies.ASK_PLACE.format(
            kind=KIND_LABELS.get(case.kind, "诉求"), number=case.number
        )
        return Report(case, reply + linked, needs_place=True, understanding=understanding)
    reply = accepted_reply(case, None) + linked
    return Report(case, reply, needs_place=False, understanding=understanding)
