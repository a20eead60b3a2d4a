"""November 2026 of a new district, checked from outside against numbers worked out by hand.

The month is made and read through the public APIs only (``month.py`` says how and why). Each
expected number below is a literal, derived in a comment from the documented definitions
(README, "Figures"; ``handlers/figures/compute.py``, ``ranking.py``) and the spells table, which
is what the case details show and what the month's script did.

The documented value is what is asserted: where the service disagrees with its own definitions
the test fails (the check found one such case, a spell closed by 重办 counted as a completion in
按时办结率; mended in ``handlers/figures/spells.py``).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from tests.outside_check.month import SHANGHAI, Month, Outsider, the_month

# Each case's unit spells as the admin case detail shows them (``spells``), in Shanghai time
# (day of November, HH:MM): unit, started, ended, why it ended, first-contact due, contacted,
# completion due, completed. The deadlines follow config/sla.py for a 一般 complaint: first
# contact 24 hours from when the unit got the case, completion 7 working days (ending 17:30);
# November 2026 has no holiday, so working days are Monday to Friday.
SPELLS: dict[str, list[tuple[Any, ...]]] = {
    "A1": [("ST-A", "02 10:00", None, "", "03 10:00", "02 11:00", "11 17:30", "04 10:00")],
    "A2": [("ST-A", "02 14:00", None, "", "03 14:00", "04 09:00", "11 17:30", "06 10:00")],
    "A3": [  # 不满意 on the 5th reopened it: a new spell owing only the completion
        (
            "ST-A",
            "03 09:00",
            "05 10:05",
            "reopened",
            "04 09:00",
            "03 10:00",
            "12 17:30",
            "05 10:00",
        ),
        ("ST-A", "05 10:05", None, "", None, None, "16 17:30", "09 10:00"),
    ],
    # The 延期 approved on the 10th moved the completion deadline from 13 to 20 November.
    "A4": [("ST-A", "04 10:00", None, "", "05 10:00", "04 11:00", "20 17:30", "18 10:00")],
    "A5": [  # 退单 approved to the 房管局 on the 5th, whose deadlines run from 12:00 that day
        ("ST-A", "05 10:00", "05 12:00", "returned", "06 10:00", None, "16 17:30", None),
        ("DEPT-H", "05 12:00", None, "", "06 12:00", "05 14:00", "16 17:30", "18 10:00"),
    ],
    "A6": [("ST-A", "06 10:00", None, "", "07 10:00", "09 10:00", "17 17:30", "20 10:00")],
    "A1R": [("ST-A", "12 10:00", None, "", "13 10:00", "12 11:00", "23 17:30", "16 10:00")],
    "B1": [("ST-B", "09 10:00", None, "", "10 10:00", "09 11:00", "18 17:30", None)],
    "B2": [("ST-B", "09 11:00", None, "", "10 11:00", "10 15:00", "18 17:30", "12 10:00")],
    "B3": [("ST-B", "09 15:00", "09 16:00", "merged", "10 15:00", None, "18 17:30", None)],
    "B4": [("ST-B", "10 10:00", "10 11:00", "invalid", "11 10:00", None, "19 17:30", None)],
    "B5": [("ST-B", "10 14:00", "10 14:10", "cancelled", "11 14:00", None, "19 17:30", None)],
}

# Each spell judged by hand (README, "Each unit's own deadlines"): due when its deadline lies in
# November and is decided on 1 December (done, or passed while the unit held the case); a spell
# that ended before its deadline without it is not due; withdrawn and invalid cases are out.
#
#   先行联系 (first contact)                 办结 (completion)
#   A1   ST-A  met  (02 11:00 <= 03 10:00)   met  (04 <= 11)
#   A2   ST-A  late (04 09:00 >  03 14:00)   met  (06 <= 11)
#   A3   ST-A  met  (03 10:00 <= 04 09:00)   the reopened case is judged by its latest completion
#                                            against its fresh deadline (compute.py: "the earlier
#                                            result did not hold, so it does not count"): met
#                                            (09 <= 16), once
#   A4   ST-A  met  (04 11:00 <= 05 10:00)   met  (18 <= 20, the extended deadline)
#   A5   ST-A  not due (returned 05 12:00 before its deadline 06 10:00, no contact); same for
#              the completion
#   A5   DEPT-H met (05 14:00 <= 06 12:00)   late (18 10:00 > 16 17:30)
#   A6   ST-A  late (09 10:00 >  07 10:00)   late (20 10:00 > 17 17:30)
#   A1R  ST-A  met  (12 11:00 <= 13 10:00)   met  (16 <= 23)
#   B1   ST-B  met  (09 11:00 <= 10 10:00)   overdue (18 17:30 passed, not done)
#   B2   ST-B  late (10 15:00 >  10 11:00)   met  (12 <= 18)
#   B3   ST-B  not due: merged into B2 on 09 16:00, before both deadlines
#   B4, B5     out: 不予受理 and withdrawn
#
# 先行联系率: ST-A 4 met / 6 due (2 late); DEPT-H 1/1; ST-B 1/2 (1 late); district 6/9.
# 按时办结率: ST-A 5/6 (A6 late); DEPT-H 0/1 (late); ST-B 1/2 (B1 overdue); district 6/9.
FIRST_CONTACT = {
    "ST-A": (4, 6, {"met": 4, "late": 2, "missing": 0}),
    "DEPT-H": (1, 1, {"met": 1, "late": 0, "missing": 0}),
    "ST-B": (1, 2, {"met": 1, "late": 1, "missing": 0}),
    "district": (6, 9, {"met": 6, "late": 3, "missing": 0}),
}
ON_TIME = {
    "ST-A": (5, 6, {"met": 5, "late": 1, "overdue": 0}),
    "DEPT-H": (0, 1, {"met": 0, "late": 1, "overdue": 0}),
    "ST-B": (1, 2, {"met": 1, "late": 0, "overdue": 1}),
    "district": (6, 9, {"met": 6, "late": 2, "overdue": 1}),
}
# 重复率 = 重复诉求 / cases. Cases: created in November, withdrawn and invalid out, counted for the
# unit that has the case now; a report merged into an open case counts for that case's unit.
#   ST-A: A1 A2 A3 A4 A6 A1R = 6 (A5 is the 房管局's now); 重复诉求: A1R (r1 wrote again on the
#         12th about the lamp of A1, closed on the 4th, linked to it) = 1  -> 1/6
#   DEPT-H: A5 -> 0/1
#   ST-B: B1 B2, B3 (merged into B2: 集中诉求, counted as a case, shown as concentrated), B4
#         (invalid) and B5 (withdrawn) out -> 0/3, concentrated 1
#   district: 1/10, concentrated 1
REPEAT = {
    "ST-A": (1, 6, {"cases": 6, "repeats": 1, "concentrated": 0}),
    "DEPT-H": (0, 1, {"cases": 1, "repeats": 0, "concentrated": 0}),
    "ST-B": (0, 3, {"cases": 3, "repeats": 0, "concentrated": 1}),
    "district": (1, 10, {"cases": 10, "repeats": 1, "concentrated": 1}),
}
# 满意率 = (满意 + 0.9 × 基本满意) / valid answers (rounds answered while open, by due time, all
# due in November), for the unit that has the case now:
#   ST-A: A1 满意 (chat), A2 满意 (staff, phone), A3 round 1 不满意 (chat) and round 2 满意 (chat),
#         A6 基本满意 (staff, visit), A1R 基本满意 (chat); A4's round unanswered (not counted)
#         -> (3 + 0.9 × 2) / 6 = 4.8 / 6 = 0.8, which does not meet ">80%"
#   DEPT-H: A5 基本满意 -> 0.9 / 1;  ST-B: B2 满意 -> 1 / 1 (B3, merged, is not surveyed)
#   district: (4 + 0.9 × 3) / 8 = 6.7 / 8; by channel: wechat 6, phone 1, visit 1
SATISFACTION = {
    "ST-A": (4.8, 6, {"satisfied": 3, "basically": 2, "unsatisfied": 1}),
    "DEPT-H": (0.9, 1, {"satisfied": 0, "basically": 1, "unsatisfied": 0}),
    "ST-B": (1.0, 1, {"satisfied": 1, "basically": 0, "unsatisfied": 0}),
    "district": (6.7, 8, {"satisfied": 4, "basically": 3, "unsatisfied": 1}),
}
BY_CHANNEL = {"wechat": 6, "phone": 1, "visit": 1, "other": 0}
# Volume: every case created in November, for the unit that has it now (merged: the unit of the
# case joined): ST-A 6, ST-B 5 (B1-B5), DEPT-H 1 (A5); 12 in all.
VOLUME = {"ST-A": 6, "ST-B": 5, "DEPT-H": 1, "CENTER": 0, "ST-C": 0}
# 重办率 = reopened at least once / completed at least once, cases created in November:
#   ST-A: completed A1 A2 A3 A4 A6 A1R = 6, reopened A3 = 1 -> 1/6; DEPT-H: A5 -> 0/1;
#   ST-B: B2 -> 0/1 (B1 open, B3 merged, B4 invalid, B5 withdrawn); district 1/8
REOPEN = {"ST-A": (1, 6), "DEPT-H": (0, 1), "ST-B": (0, 1), "district": (1, 8)}
# 不合理退单: A6's 退单 refused on the 6th (ST-A). 逾期延期申请: A6's 延期 asked on the 18th after
# its deadline of the 17th (ST-A). A5's 退单 was approved: not counted.
REFUSED_RETURNS = {"ST-A": 1, "DEPT-H": 0, "ST-B": 0}
LATE_EXTENSIONS = {"ST-A": 1, "DEPT-H": 0, "ST-B": 0}
# score = 25 × 先行联系率 + 25 × 按时办结率 + 30 × 满意率 + 20 × max(0, 1 − 重复率 / 10%)
#         − 2 × 不合理退单 − 1 × 逾期延期申请 − 10 × 重办率, rounded to 2 decimals
#   ST-B:   25 × 1/2 + 25 × 1/2 + 30 × 1 + 20 × (1 − 0) − 0 − 0 − 0 = 12.5 + 12.5 + 30 + 20 = 75.0
#   DEPT-H: 25 × 1 + 25 × 0 + 30 × 0.9 + 20 × 1 − 0 = 25 + 0 + 27 + 20 = 72.0
#   ST-A:   25 × 4/6 + 25 × 5/6 + 30 × 0.8 + 20 × max(0, 1 − 0.1667 / 0.1) − 2 − 1 − 10 × 1/6
#           = 16.6667 + 20.8333 + 24 + 0 − 3 − 1.6667 = 56.8333 -> 56.83
#   CENTER and ST-C had no case: listed without score or rank (after the ranked, by code).
POINTS = {
    "ST-B": {"first_contact": 12.5, "on_time": 12.5, "satisfaction": 30.0, "repeat": 20.0,
             "refused_returns": 0.0, "late_extensions": 0.0, "reopen": 0.0},
    "DEPT-H": {"first_contact": 25.0, "on_time": 0.0, "satisfaction": 27.0, "repeat": 20.0,
               "refused_returns": 0.0, "late_extensions": 0.0, "reopen": 0.0},
    "ST-A": {"first_contact": 16.6667, "on_time": 20.8333, "satisfaction": 24.0, "repeat": 0.0,
             "refused_returns": -2.0, "late_extensions": -1.0, "reopen": -1.6667},
}  # fmt: skip
SCORES = {"ST-B": 75.0, "DEPT-H": 72.0, "ST-A": 56.83}
RANKING = [("ST-B", 1), ("DEPT-H", 2), ("ST-A", 3), ("CENTER", None), ("ST-C", None)]


def local(value: str | None) -> str | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%d %H:%M")


def rate(body: dict[str, Any], key: str) -> tuple[float, int, dict[str, int]]:
    found = body["rates"][key]
    return found["numerator"], found["denominator"], found["parts"]


def unit_row(body: dict[str, Any], code: str) -> dict[str, Any]:
    [row] = [row for row in body["units"] if row["code"] == code]
    return row


def figures_of(body: dict[str, Any], scope: str) -> dict[str, Any]:
    """The district's figures, or one unit's row of them."""
    return body if scope == "district" else unit_row(body, scope)


@pytest.fixture
async def month(outsider: Outsider) -> Month:
    return await the_month(outsider)


async def test_the_case_details_show_what_a_hand_count_needs(month: Month) -> None:
    for case, expected in SPELLS.items():
        detail = month.cases[case]
        shown = [
            (
                spell["unit"], local(spell["started_at"]), local(spell["ended_at"]),
                spell["end_reason"], local(spell["first_contact_due_at"]),
                local(spell["first_contact_at"]), local(spell["completion_due_at"]),
                local(spell["completed_at"]),
            )
            for spell in detail["spells"]
        ]  # fmt: skip
        assert shown == expected, case
        assert all(event["at"] for event in detail["timeline"]), case
        assert detail["timeline_pages"] == 1, case
    # The centre's decisions, with who and when.
    [returned] = month.cases["A5"]["returns"]
    assert (returned["status"], returned["unit"], returned["new_unit"]) == (
        "approved", "ST-A", "DEPT-H"
    )  # fmt: skip
    assert returned["decided_by"] == "zhuting" and local(returned["decided_at"]) == "05 12:00"
    [refused] = month.cases["A6"]["returns"]
    assert (refused["status"], refused["unit"], refused["decided_by"]) == (
        "refused", "ST-A", "zhuting"
    )  # fmt: skip
    assert local(refused["decided_at"]) == "06 15:00" and refused["note"]
    [extended] = month.cases["A4"]["extensions"]
    assert (extended["status"], extended["late"], extended["decided_by"]) == (
        "approved", False, "zhuting"
    )  # fmt: skip
    assert local(extended["new_due_at"]) == "20 17:30"
    [late] = month.cases["A6"]["extensions"]
    assert (late["status"], late["late"], local(late["created_at"])) == (
        "refused",
        True,
        "18 09:00",
    )
    assert month.late_extension["error"]["code"] == "late_request"
    deadline = [e for e in month.cases["A4"]["timeline"] if e["action"] == "deadline"]
    assert len(deadline) == 1 and deadline[0]["actor_type"] == "staff"
    # The repeat, the merge, the invalid and the withdrawn case.
    [link] = month.cases["A1R"]["links"]
    assert (link["kind"], link["role"], link["case"]) == ("repeat", "later", month.numbers["A1"])
    assert local(link["at"]) == "12 10:00"
    assert month.cases["B3"]["duplicate_of"] == month.numbers["B2"]
    assert month.cases["B4"]["status"] == "invalid"
    assert month.cases["B4"]["invalid_reason"] == "out_of_scope"
    assert month.cases["B5"]["status"] == "cancelled"
    # The survey rounds: answer, channel, when.
    rounds = {
        case: [(s["answer"], s["channel"], s["status"]) for s in month.followups[case]["surveys"]]
        for case in ("A1", "A2", "A3", "A4", "A5", "A6", "A1R", "B2")
    }
    assert rounds == {
        "A1": [("satisfied", "wechat", "answered")],
        "A2": [("satisfied", "phone", "answered")],
        "A3": [("unsatisfied", "wechat", "answered"), ("satisfied", "wechat", "answered")],
        "A4": [(None, "", "scheduled")],  # unanswered: no channel yet
        "A5": [("basically", "wechat", "answered")],
        "A6": [("basically", "visit", "answered")],
        "A1R": [("basically", "wechat", "answered")],
        "B2": [("satisfied", "wechat", "answered")],
    }


@pytest.mark.parametrize("scope", ["district", "ST-A", "DEPT-H", "ST-B"])
async def test_the_live_rates_match_the_hand_count(month: Month, scope: str) -> None:
    # Read as the district's table (one row per unit) and with &unit=CODE: the same numbers.
    bodies = [figures_of(month.live, scope)]
    if scope != "district":
        bodies.append(month.live_units[scope])
    for body in bodies:
        assert rate(body, "first_contact") == FIRST_CONTACT[scope]
        assert rate(body, "repeat") == REPEAT[scope]
        numerator, denominator, parts = rate(body, "satisfaction")
        expected = SATISFACTION[scope]
        assert (numerator, denominator, parts) == (pytest.approx(expected[0]), *expected[1:])
        assert rate(body, "on_time") == ON_TIME[scope]
    satisfaction = figures_of(month.live, scope)["rates"]["satisfaction"]
    assert satisfaction["met"] is (scope != "ST-A")  # ST-A's 0.8 is not over 80%


async def test_a_reopened_case_counts_once_in_the_on_time_rate(month: Month) -> None:
    assert rate(month.live, "on_time") == ON_TIME["district"]
    assert rate(unit_row(month.live, "ST-A"), "on_time") == ON_TIME["ST-A"]
    assert rate(month.live_units["ST-A"], "on_time") == ON_TIME["ST-A"]
    assert rate(month.frozen, "on_time") == ON_TIME["district"]
    [row] = [r for r in month.ranking["rows"] if r["code"] == "ST-A"]
    assert row["points"]["on_time"] == pytest.approx(POINTS["ST-A"]["on_time"], abs=1e-4)
    assert row["score"] == SCORES["ST-A"]
    twelfth = [day for day in month.live["daily"] if day["day"] == "2026-11-12"]
    assert twelfth[0]["rates"]["on_time"]["denominator"] == 0


async def test_the_other_live_figures_match_the_hand_count(month: Month) -> None:
    live = month.live
    assert live["source"] == "live" and live["snapshot"] is None
    assert live["survey"]["by_channel"] == BY_CHANNEL
    assert live["survey"]["answered"] == 8
    reopen = live["reopen"]
    assert (reopen["numerator"], reopen["denominator"]) == REOPEN["district"]
    assert live["volume"]["total"] == 12
    assert {b["key"]: b["count"] for b in live["volume"]["by_unit"]} == {
        code: n for code, n in VOLUME.items() if n
    }
    assert {row["code"]: row["cases"] for row in live["units"]} == VOLUME
    # 无效件数: B4, closed as 不属于受理范围 on the 10th, for ST-B.
    assert live["invalid"]["total"] == 1
    assert {b["key"]: b["count"] for b in live["invalid"]["by_reason"] if b["count"]} == {
        "out_of_scope": 1
    }
    assert {row["code"]: row["invalid"] for row in live["units"] if row["invalid"]} == {"ST-B": 1}
    # Statuses on 1 December: 7 visited (A1 A2 A3 A5 A6 A1R B2), A4 completed (its round open),
    # B1 contacted, B3 merged, B4 invalid, B5 cancelled.
    assert {b["key"]: b["count"] for b in live["volume"]["by_status"]} == {
        "visited": 7, "completed": 1, "contacted": 1, "merged": 1, "invalid": 1, "cancelled": 1,
    }  # fmt: skip


# Median times from creation, over November's cases that reached the milestone (compute.py):
#   签收 (after a 退单, the later signing): A1 A3 A4 A6 A1R B1 B2 30 min, A2 1 h, A5 3 h (the
#     房管局 signed at 13:00) -> 9 cases, the 5th of them in order: 0.5 h
#   先行联系: A1 A3 A4 A1R B1 1 h, A5 4 h, B2 28 h, A2 43 h, A6 72 h -> 9, the 5th: 1 h
#   办结 (the latest completion): A1 48 h, B2 71 h, A2 92 h, A1R 96 h, A3 145 h (9 Nov 10:00),
#     A5 312 h, A4 336 h, A6 336 h -> 8, the mean of the 4th and 5th: (96 + 145) / 2 = 120.5 h
MEDIANS = {"sign": (9, 0.5), "first_contact": (9, 1.0), "finish": (8, 120.5)}
# The daily series, by the Shanghai day of each figure's own time (compute.py):
#   cases by creation: 2nd A1 A2; 3rd A3; 4th A4; 5th A5; 6th A6; 9th B1 B2 B3; 10th B4 B5;
#     12th A1R
#   first contact by its deadline's day: 3rd A1 met, A2 late; 4th A3; 5th A4; 6th A5 (房管局);
#     7th A6 late; 10th B1 met, B2 late; 13th A1R
#   completion by its deadline's day: 11th A1 A2; 16th A3 (its fresh deadline) met, A5 late;
#     17th A6 late; 18th B1 overdue, B2 met; 20th A4; 23rd A1R; nothing on the 12th (A3's first
#     deadline: its result did not hold)
#   repeats by the day they came: 12th A1R, of the 1 case created that day
DAILY_CASES = {2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 9: 3, 10: 2, 12: 1}
DAILY_FIRST_CONTACT = {
    3: (1, 2),
    4: (1, 1),
    5: (1, 1),
    6: (1, 1),
    7: (0, 1),
    10: (1, 2),
    13: (1, 1),
}
DAILY_ON_TIME = {11: (2, 2), 16: (1, 2), 17: (0, 1), 18: (1, 2), 20: (1, 1), 23: (1, 1)}


async def test_the_medians_and_the_daily_series_match_the_hand_count(month: Month) -> None:
    medians = {
        name: (value["cases"], value["hours"]) for name, value in month.live["medians"].items()
    }
    assert medians == MEDIANS
    daily = {int(day["day"][-2:]): day for day in month.live["daily"]}
    assert sorted(daily) == list(range(1, 31))

    def series(key: str) -> dict[int, tuple[float, int]]:
        return {
            d: (r["numerator"], r["denominator"])
            for d, day in daily.items()
            if (r := day["rates"][key])["denominator"]
        }

    assert {d: day["cases"] for d, day in daily.items() if day["cases"]} == DAILY_CASES
    assert series("first_contact") == DAILY_FIRST_CONTACT
    assert series("repeat")[12] == (1, 1)
    assert {d: v for d, v in series("on_time").items() if d != 12} == DAILY_ON_TIME


async def test_the_figures_csv_says_the_same(month: Month) -> None:
    rows = list(csv.reader(io.StringIO(month.figures_csv.lstrip("\ufeff"))))
    header, body = rows[0], [row for row in rows[1:] if row]
    by_code = {row[header.index("单位代码")] or row[header.index("单位名称")]: row for row in body}
    for scope in ("ST-A", "DEPT-H", "ST-B", "合计"):
        row = by_code[scope]
        key = "district" if scope == "合计" else scope
        assert row[header.index("诉求量")] == str(12 if key == "district" else VOLUME[key])
        assert row[header.index("按时先行联系")] == str(FIRST_CONTACT[key][0])
        assert row[header.index("应先行联系")] == str(FIRST_CONTACT[key][1])
        assert row[header.index("重复件")] == str(REPEAT[key][0])
        assert float(row[header.index("满意+0.9×基本满意")]) == pytest.approx(SATISFACTION[key][0])
        assert row[header.index("有效评价")] == str(SATISFACTION[key][1])
        if key not in ("district", "ST-A"):
            assert row[header.index("按时办结")] == str(ON_TIME[key][0])
            assert row[header.index("应办结")] == str(ON_TIME[key][1])
    assert by_code["ST-B"][header.index("无效件数")] == "1"
    assert by_code["合计"][header.index("无效件数")] == "1"


def check_ranking_rows(rows: list[dict[str, Any]], *, on_time_too: bool) -> None:
    assert [(row["code"], row["rank"]) for row in rows] == RANKING
    for row in rows:
        code = row["code"]
        if code not in SCORES:
            assert row["score"] is None and row["cases"] == 0
            continue
        assert row["cases"] == VOLUME[code]
        assert (row["reopen"]["numerator"], row["reopen"]["denominator"]) == REOPEN[code]
        assert row["refused_returns"] == REFUSED_RETURNS[code]
        assert row["late_extensions"] == LATE_EXTENSIONS[code]
        assert rate(row, "first_contact") == FIRST_CONTACT[code]
        assert rate(row, "repeat") == REPEAT[code]
        assert rate(row, "satisfaction")[1:] == SATISFACTION[code][1:]
        if code == "ST-A" and not on_time_too:
            continue
        assert rate(row, "on_time") == ON_TIME[code]
        assert row["points"] == pytest.approx(POINTS[code], abs=1e-4)
        assert row["score"] == SCORES[code]


async def test_the_ranking_matches_the_hand_count(month: Month) -> None:
    assert month.ranking_live["source"] == "live"
    check_ranking_rows(month.ranking_live["rows"], on_time_too=False)
    formula = month.ranking["formula"]
    assert formula["weights"] == {
        "first_contact": 25.0, "on_time": 25.0, "satisfaction": 30.0, "repeat": 20.0
    }  # fmt: skip
    assert (
        formula["repeat_zero_at"], formula["refused_return_penalty"],
        formula["late_extension_penalty"], formula["reopen_penalty"],
    ) == (0.1, 2.0, 1.0, 10.0)  # fmt: skip
    assert month.definitions["ranking"] == formula
    assert month.definitions["basically_weight"] == 0.9


async def test_the_ranking_csv_says_the_same(month: Month) -> None:
    rows = list(csv.reader(io.StringIO(month.ranking_csv.lstrip("\ufeff"))))
    header, body = rows[0], [row for row in rows[1:] if row]
    by_code = {row[header.index("单位代码")]: row for row in body}
    assert [row[header.index("单位代码")] for row in body] == [code for code, _ in RANKING]
    for code, rank in RANKING:
        row = by_code[code]
        assert row[header.index("排名")] == ("" if rank is None else str(rank))
        assert row[header.index("诉求量")] == str(VOLUME[code])
        if code not in SCORES:
            continue
        assert row[header.index("按时先行联系")] == str(FIRST_CONTACT[code][0])
        assert row[header.index("应先行联系")] == str(FIRST_CONTACT[code][1])
        assert row[header.index("重复件")] == str(REPEAT[code][0])
        assert row[header.index("诉求件")] == str(REPEAT[code][1])
        assert float(row[header.index("满意+0.9×基本满意")]) == pytest.approx(SATISFACTION[code][0])
        assert row[header.index("有效评价")] == str(SATISFACTION[code][1])
        assert row[header.index("不合理退单")] == str(REFUSED_RETURNS[code])
        assert row[header.index("逾期延期申请")] == str(LATE_EXTENSIONS[code])
        if code != "ST-A":
            assert row[header.index("按时办结")] == str(ON_TIME[code][0])
            assert row[header.index("应办结")] == str(ON_TIME[code][1])
            assert float(row[header.index("综合得分")]) == SCORES[code]


async def test_the_closed_month_keeps_the_hand_counted_figures(month: Month) -> None:
    # Closed on 1 December 09:00 with nothing recorded since the month's end.
    assert month.closed == {"period": "2026-11", "units": 5, "recomputed": False}
    frozen = month.frozen
    assert frozen["source"] == "snapshot"
    assert frozen["snapshot"]["period"] == "2026-11"
    assert frozen["snapshot"]["definitions_version"] == month.definitions["version"]
    assert month.ranking["source"] == "snapshot"
    for scope in ("district", "ST-A", "DEPT-H", "ST-B"):
        for body in [figures_of(frozen, scope)] + (
            [month.frozen_units[scope]] if scope != "district" else []
        ):
            assert rate(body, "first_contact") == FIRST_CONTACT[scope]
            assert rate(body, "repeat") == REPEAT[scope]
            assert rate(body, "satisfaction")[1:] == SATISFACTION[scope][1:]
            if scope not in ("district", "ST-A"):
                assert rate(body, "on_time") == ON_TIME[scope]
    assert frozen["survey"]["by_channel"] == BY_CHANNEL
    assert (frozen["reopen"]["numerator"], frozen["reopen"]["denominator"]) == REOPEN["district"]
    check_ranking_rows(month.ranking["rows"], on_time_too=False)


def documented_answer(contract: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema of a GET's 200 answer in the OpenAPI document, its components beside it."""
    answer = contract["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return {"components": contract["components"], **answer["schema"]}


async def test_what_was_read_is_what_the_contract_documents(month: Month) -> None:
    """An outsider reads the fields by the OpenAPI document: every answer the hand count used
    has the documented shape (the spells and decisions included)."""
    detail = documented_answer(month.contract, "/api/admin/cases/{number}")
    followup = documented_answer(month.contract, "/api/admin/cases/{number}/followup")
    for case in month.numbers:
        jsonschema.validate({"case": month.cases[case]}, detail)
        jsonschema.validate(month.followups[case], followup)
    figures = documented_answer(month.contract, "/api/admin/figures")
    for body in (month.live, month.frozen, *month.live_units.values()):
        jsonschema.validate(body, figures)
    ranking = documented_answer(month.contract, "/api/admin/ranking")
    for body in (month.ranking_live, month.ranking):
        jsonschema.validate(body, ranking)
    spell = detail["components"]["schemas"]["AdminCaseDetail"]["allOf"][1]["properties"]["spells"]
    assert set(spell["items"]["required"]) >= {"unit", "first_contact_due_at", "completed_at"}
