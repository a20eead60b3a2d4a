"""When a survey round goes out: after 办结, by day, never at night.

Kept apart from the survey sweep and the answers because 办结 (``handlers.workflow.actions``)
schedules the round in its own transaction, and the answers (``handlers.followup.answers``)
reopen cases through ``handlers.workflow.actions``: one module imported both ways would be a
circle.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from config.settings import Settings
from handlers.clock import LOCAL_TZ, local
from handlers.context import HandlerContext
from models import Case, Survey


def quiet_adjusted(when: datetime, settings: Settings) -> datetime:
    """``when``, or the next morning if it falls in the resident's night."""
    moment = local(when)
    morning = settings.survey_morning_hour
    evening = settings.survey_evening_hour
    if moment.hour < morning:
        day = moment.date()
    elif moment.hour >= evening:
        day = moment.date() + timedelta(days=1)
    else:
        return when
    return datetime.combine(day, time(morning), tzinfo=LOCAL_TZ).astimezone(when.tzinfo)


def survey_due_time(completed_at: datetime, settings: Settings) -> datetime:
    """When the survey of a case finished at ``completed_at`` goes out.

    Default: the next morning (local time) at ``survey_morning_hour``; with
    ``survey_delay_hours`` set, that long after 办结, moved out of the night.
    """
    if settings.survey_delay_hours is None:
        day = local(completed_at).date() + timedelta(days=1)
        morning = time(settings.survey_morning_hour)
        return datetime.combine(day, morning, tzinfo=LOCAL_TZ).astimezone(completed_at.tzinfo)
    return quiet_adjusted(completed_at + timedelta(hours=settings.survey_delay_hours), settings)


async def schedule_survey(case: Case, ctx: HandlerContext) -> Survey:
    """A new round for ``case`` (just finished). Call inside the transaction of 办结."""
    due = survey_due_time(ctx.now, ctx.settings)
    survey = await Survey.create(
        case_id=case.id,
        round=case.reopened_count + 1,
        resident_id=case.resident_id,
        due_at=due,
    )
    await Case.filter(id=case.id).update(survey_due_at=due)
    case.survey_due_at = due
    return survey
