"""The figures as values: targets and their comparisons, and how rates add up."""

from __future__ import annotations

from handlers.figures.results import Rate, empty_rate


def test_targets_and_their_comparisons() -> None:
    assert Rate("first_contact", 10, 10).met is True
    assert Rate("first_contact", 9, 10).met is False
    assert Rate("repeat", 2, 100).met is True and Rate("repeat", 3, 100).met is False
    assert Rate("satisfaction", 8, 10).met is False  # over 80%, not at
    assert Rate("satisfaction", 8.1, 10).met is True
    assert Rate("reopen", 1, 10).met is None and Rate("reopen", 1, 10).label == "重办率"


def test_rates_add_up_by_their_parts() -> None:
    total = empty_rate("on_time")
    assert (total.rate, total.met) == (None, None)
    assert dict(total.parts) == {"met": 0, "late": 0, "overdue": 0}
    total += Rate("on_time", 1, 2, {"met": 1, "late": 1})
    total += Rate("on_time", 0, 1, {"overdue": 1})
    assert (total.numerator, total.denominator, total.rate) == (1, 3, 1 / 3)
    assert dict(total.parts) == {"met": 1, "late": 1, "overdue": 1}
    body = total.as_dict()
    assert (body["label"], body["target_op"], body["met"]) == ("按时办结率", ">=", False)
