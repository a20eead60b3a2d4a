"""采纳: the office adopts a suggestion for one or more departments (交办).

Each department gets a :class:`models.SuggestionAdoption` with its answer deadline: the SLA
table's ``suggestion`` completion limit, counted from the adoption (working days, the deployment's
``SlaRule`` rows first, as for cases). The departments hear of it the way units hear of their
knowledge entries (``handlers.knowledge.reminders.recipients``: the unit's head, its supervisors
and workers with a head's role, else its staff) through ``notify_worker`` (WeCom, else the
official account's worker template, else recorded as unsent with the reason); and the
dashboard's 待部门答复 queue lists what they owe. The proposer is told which departments, the
typical time to their answer and, one who wrote in a chat and has not agreed to publication
yet, how to agree by replying 「同意公开」 (``handlers.suggestions.consent``).

An adopted suggestion may be adopted for more departments (no status change: one more event), and
a suggestion whose departments all answered may be adopted again for another (答复 → 已采纳).
A department already asked is refused (409): its answer is owed or given.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config import suggestion_office as texts
from config import suggestions as intake_texts
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.knowledge.reminders import recipients
from handlers.staff.audit import StaffActor
from handlers.suggestions.access import SuggestionRefused, bad_input, clean_text, require
from handlers.suggestions.records import record, tell
from handlers.suggestions.steps import audited, concurrent, screened, staff_actor, take_step
from handlers.workflow.deadlines import deadlines_for, policy_for
from handlers.workflow.tasks import notify_worker
from models import StaffUser, Suggestion, SuggestionAdoption, SuggestionStatus, Unit

S = SuggestionStatus
KIND = "suggestion"
TASK_PURPOSE = "suggestion_task"
CHAT_CHANNELS = frozenset({"mp", "miniprogram"})  # proposers who can answer in a chat


def answer_days(ctx: HandlerContext) -> int:
    """The working days a department has to answer (for the proposer's message)."""
    limit = policy_for(KIND, "一般", False, ctx.sla).completion
    return limit.working_days or max(1, round(limit.hours / 24))


async def units_named(codes: list[str]) -> list[Unit]:
    """The active units of ``codes`` (in that order, each once); 400 naming an unknown code."""
    wanted = list(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
    if not wanted:
        raise bad_input(texts.NEED_UNITS)
    if len(wanted) > texts.MAX_UNITS:
        raise bad_input(texts.TOO_MANY_UNITS)
    for code in wanted:
        if len(code) > 32 or "\x00" in code:  # no unit's code: the column holds 32
            raise bad_input(texts.UNKNOWN_UNIT.format(code=code[:32]))
    found = {u.code: u for u in await Unit.filter(code__in=wanted, active=True)}
    for code in wanted:
        if code not in found:
            raise bad_input(texts.UNKNOWN_UNIT.format(code=code[:32]))
    return [found[code] for code in wanted]


async def adopt(
    suggestion: Suggestion,
    codes: list[str],
    note: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> list[SuggestionAdoption]:
    require(user, "suggestions.screen")
    note = clean_text(note, "采纳意见", texts.MAX_REASON)
    units = await units_named(codes)
    asked = await SuggestionAdoption.filter(
        suggestion_id=suggestion.id, unit_id__in=[u.id for u in units]
    ).values_list("unit_id", flat=True)
    if asked:
        name = next(u.name for u in units if u.id in set(asked))
        raise SuggestionRefused(texts.ALREADY_ADOPTED.format(unit=name), 409, "conflict")
    due = deadlines_for(KIND, "一般", False, ctx.now, ctx.sla).completion
    data = {"units": [u.code for u in units], "due_at": due.isoformat()}
    names = "、".join(u.name for u in units)
    who = staff_actor(actor)
    try:
        async with in_transaction():
            if suggestion.status == S.ADOPTED:  # more departments: the status stays
                claimed = await Suggestion.filter(id=suggestion.id, status=S.ADOPTED).update(
                    updated_at=ctx.now
                )
                if not claimed:
                    raise concurrent()
                event = await record(
                    suggestion, "adopt", who, ctx.now, note=note or f"交{names}", data=data
                )
            else:
                columns = {"adopted_at": suggestion.adopted_at or ctx.now}
                event = await take_step(
                    suggestion,
                    S.ADOPTED,
                    "adopt",
                    who,
                    ctx.now,
                    note=note or f"交{names}",
                    data=data,
                    columns={**columns, **screened(suggestion, ctx.now)},
                )
            rows = [
                await SuggestionAdoption.create(
                    suggestion_id=suggestion.id, unit_id=unit.id, assigned_at=ctx.now, due_at=due
                )
                for unit in units
            ]
            await audited(actor, "adopt", suggestion, ctx.now, {**data, "note": note})
            told = texts.ADOPTED.format(
                number=suggestion.number, units=names, days=answer_days(ctx)
            )
            if not suggestion.consent_publish and suggestion.channel in CHAT_CHANNELS:
                told += intake_texts.ADOPTED_CONSENT_HINT  # they may consent by replying
            await tell(suggestion, event, told, ctx.now, ctx.settings)
            for unit, row in zip(units, rows, strict=True):
                await _tell_unit(suggestion, unit, row, ctx)
    except IntegrityError:  # the same department asked by somebody else in the same moment
        raise concurrent() from None
    return rows


async def _tell_unit(
    suggestion: Suggestion, unit: Unit, adoption: SuggestionAdoption, ctx: HandlerContext
) -> None:
    assert adoption.due_at is not None
    text = texts.UNIT_TASK.format(
        number=suggestion.number,
        title=suggestion.title[:30],
        due=format_local(adoption.due_at, with_year=True),
    )
    for worker in await recipients(unit):
        await notify_worker(
            worker,
            text,
            ctx,
            purpose=TASK_PURPOSE,
            dedup_key=f"suggestion-adoption:{adoption.id}:{worker.id}",
            key_is_new=True,
        )
