"""The deployment's SLA rows over config/sla.py: which row a case finds, and what it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config import sla
from handlers.workflow.deadlines import deadlines_for, policy_for
from handlers.workflow.sla_table import SlaTable, grade_of, load_sla_table
from models import SlaRule

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def test_grades() -> None:
    assert grade_of("急", True) == "急难"
    assert grade_of("急", False) == "急"
    assert grade_of("一般", True) == "难"
    assert grade_of("一般", False) == "一般"


def test_an_empty_table_is_the_policy() -> None:
    table = SlaTable()
    for kind in ("complaint", "question", "suggestion", "unknown"):
        for urgency in ("急", "一般"):
            for difficult in (False, True):
                assert table.policy_for(kind, urgency, difficult) == policy_for(
                    kind, urgency, difficult
                )
    assert deadlines_for("complaint", "一般", False, START, table) == deadlines_for(
        "complaint", "一般", False, START
    )


async def test_rows_override_by_kind_then_for_every_kind(db: str) -> None:
    await SlaRule.create(kind="", grade="一般", sign_hours=2, completion_working_days=5)
    await SlaRule.create(kind="question", grade="一般", completion_hours=12)
    await SlaRule.create(kind="", grade="急", first_contact_hours=1)
    table = await load_sla_table()

    complaint = table.policy_for("complaint", "一般", False)
    assert complaint.sign == sla.Limit(hours=2)
    assert complaint.first_contact == sla.GENERAL.first_contact  # left empty: the policy's
    assert complaint.completion == sla.Limit(working_days=5)

    # The kind's own row wins over the row for every kind, and only its limits change.
    question = table.policy_for("question", "一般", False)
    assert question.completion == sla.Limit(hours=12)
    assert question.sign == sla.BY_KIND["question"].sign

    urgent = table.policy_for("complaint", "急", True)
    assert urgent.first_contact == sla.Limit(hours=1) and urgent.sign == sla.URGENT.sign

    # No row for 难: the policy's difficult completion.
    hard = table.policy_for("complaint", "一般", True)
    assert hard.completion == sla.DIFFICULT.completion

    due = deadlines_for("complaint", "一般", False, START, table)
    assert due.sign == START + timedelta(hours=2)
    assert due.completion == datetime(2026, 3, 17, 9, 30, tzinfo=UTC)  # Tue + 5 working days
