"""The escalation ladder: who hears about a case as its deadlines come near and then pass.

Every dispatched case runs three clocks (Zammad's SLA clocks in 接诉即办 terms), with the
deadlines ``config/sla.py`` gives it:

==============  ========  ===========================================================
clock           label     runs while
==============  ========  ===========================================================
sign            签收      已派单
first_contact   先行联系  已派单 or 已签收, and 处理中 while no first contact is recorded
                          (nobody can contact a resident before signing for the case, so
                          an unsigned case misses its first-contact deadline too)
completion      办结      from 已派单 until 已办结
==============  ========  ===========================================================

Cases in 受理 (the dispatcher queue, returned cases included) run no clock: no unit owns them.

The ladder, per urgency grade (:data:`LADDERS`, keyed like the SLA policies: 急 and 一般):

0. **Warning (即将超时).** ``warn_before[clock]`` ahead of each deadline, the case's worker is
   told once (no worker, or an inactive one: the unit's staff, :data:`WARN_FALLBACK_ROLES`).
   A deadline that moves (extension, recategorisation) is a new deadline and is warned about
   again. A deadline that has already passed is not warned about: it is escalated.
1. **督办 (first miss).** A deadline passed while its clock still ran: the case gets the 督办
   flag (``supervised``), ``escalation_level`` 1, and the unit's supervisors are told.
2. **二次超时 (second miss).** A second deadline missed as well (a step done late counts as a
   miss), or the completion deadline passed by ``second_miss_after`` with the case still open:
   ``escalation_level`` 2, and the unit head is told.

Each rung happens once per case; after downtime the sweep finds everything that fell due in the
last :data:`LOOK_BACK` and climbs every rung still owed, once. The warning leads are shorter than
the SLA limits they warn about (urgent cases: 30 minutes to sign, so 10 minutes' warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# The clocks in the order their deadlines fall.
CLOCKS: tuple[str, ...] = ("sign", "first_contact", "completion")
CLOCK_LABELS: dict[str, str] = {"sign": "签收", "first_contact": "先行联系", "completion": "办结"}


@dataclass(frozen=True)
class Ladder:
    """How far ahead each clock warns, and when an overdue completion counts as a second miss."""

    warn_before: dict[str, timedelta] = field(default_factory=dict)
    second_miss_after: timedelta = timedelta(hours=24)


# 急: sla.URGENT gives 0.5 h to sign, 2 h to first contact, 24 h to complete.
URGENT = Ladder(
    warn_before={
        "sign": timedelta(minutes=10),
        "first_contact": timedelta(minutes=30),
        "completion": timedelta(hours=4),
    },
    second_miss_after=timedelta(hours=4),
)
# 一般 (and 难): at least 4 h to sign, 24 h to first contact, working days to complete.
GENERAL = Ladder(
    warn_before={
        "sign": timedelta(hours=1),
        "first_contact": timedelta(hours=2),
        "completion": timedelta(hours=24),
    },
    second_miss_after=timedelta(hours=24),
)

# urgency grade (Case.urgency) -> ladder; any other grade uses DEFAULT.
LADDERS: dict[str, Ladder] = {"急": URGENT, "一般": GENERAL}
DEFAULT = GENERAL

# Who is told (WorkerRole values, active workers of the case's unit).
WARN_FALLBACK_ROLES: tuple[str, ...] = ("unit_staff",)
LEVEL_ROLES: dict[int, tuple[str, ...]] = {1: ("supervisor",), 2: ("unit_head",)}
TOP_LEVEL = 2

# How far back the sweep looks for deadlines that passed; longer downtime than this is not
# escalated any more (the case still counts as overdue in the figures).
LOOK_BACK = timedelta(days=14)

# Outbox purposes of the notices.
WARNING_PURPOSE = "deadline_warning"
ESCALATION_PURPOSE = "escalation"

# Texts workers read. {number}, {title}, {clock}, {deadline} (local time), {unit}, {reason}.
WARNING_ACTIONS: dict[str, str] = {
    "sign": "请尽快签收",
    "first_contact": "请尽快联系居民",
    "completion": "请抓紧办理，按时办结",
}
WARNING_TEXT = "【即将超时】诉求 {number}「{title}」{clock}期限 {deadline}，{action}。"
MISSED_REASON = "已超过{clock}期限（{deadline}）"
LATE_COMPLETION_REASON = "办结期限（{deadline}）已过{hours}小时仍未办结"
ESCALATION_TEXTS: dict[int, str] = {
    1: "【督办】诉求 {number}「{title}」{reason}，承办单位：{unit}。请督促办理。",
    2: "【二次超时】诉求 {number}「{title}」{reason}，承办单位：{unit}。请协调解决。",
}
UNTITLED = "未命名诉求"
NO_UNIT = "未指定"
