"""The early warning (预警) of hot issues: its rule, its constants and the texts staff read.

The rule (``handlers.hot.warnings``), for every key (a place ``p:<place>``, a topic ``t:<a|b>``
and a place with a topic ``p:<place>+t:<a|b>``), with N = the key's cases in the last
:data:`RECENT_DAYS` days, R = their different residents, and M = the key's cases in the
:data:`BASELINE_WEEKS` weeks before, divided by that many weeks (its weekly average)::

    warn  when  R >= MIN_RESIDENTS  and  N >= RATIO * max(M, BASELINE_FLOOR)

Residents, not cases, set the floor, so that one person writing often never warns; cases
measure the jump, as the message says (近7天 N 件 / 前四周周均 M 件). A topic signature that was
in more than :data:`COMMON_SHARE` of the trailing weeks' cases (and in more than
:data:`COMMON_MIN_CASES` of them) is too common to mean one problem and makes no key. Among the
keys that pass, the most specific is told first (place with topic, then place, then topic;
then most residents). A key warned in the last :data:`RECENT_DAYS` days is not told again, nor
a key whose recent cases are mostly (more than :data:`OVERLAP_SHARE`) those of a warning told in
that time or chosen before it in the same sweep: one jump, one warning.
"""

from __future__ import annotations

RECENT_DAYS = 7
BASELINE_WEEKS = 4
MIN_RESIDENTS = 3
RATIO = 3.0
BASELINE_FLOOR = 1.0
COMMON_SHARE = 0.05
COMMON_MIN_CASES = 20
OVERLAP_SHARE = 0.5

# How often the sweep runs (scheduler job ``sweep_hot_warnings``), in seconds.
SWEEP_SECONDS = 3600.0
# How many case numbers a warning keeps (to tell overlaps apart), and how many a message names.
KEPT_NUMBERS = 200
SAMPLE_NUMBERS = 5
# Topic words in a warning's label, and how many warnings a unit's digest names.
LABEL_WORDS = 3
DIGEST_LINES = 3

PURPOSE = "hot_warning"
WARNING_TEXT = (
    "【热点预警】{label}\n"
    "近7天 {count} 件（{residents} 位居民）／前四周周均 {baseline} 件\n"
    "主要承办单位：{unit}\n"
    "案例：{numbers}\n"
    "{link}"
)
HOT_PAGE_LINK = "热点页：{url}"
HOT_PAGE_HINT = "请登录工作台「热点」页查看"
NO_UNIT = "未定"
DIGEST_LINE = "\n预警：{label}，近7天 {count} 件／前四周周均 {baseline} 件"
DIGEST_MORE = "\n另有 {more} 条预警，请到「热点」页查看"
