"""Governance items (未诉先办 / 每月一题): limits, the linking rule's thresholds, and the texts
staff and residents read. Data only; ``handlers.hot.items``, ``linking`` and ``ledger`` use it.

每月一题: at most one monthly item per month and owner unit that is not withdrawn (a unit takes
up one problem of the month; a withdrawn one frees the month again).
"""

from __future__ import annotations

NUMBER_PREFIX = "RD"  # RD + yymm + a four-digit sequence of the month

# Limits of what staff may write (the API and the dashboard check the same ones).
TITLE_LIMIT = 128  # models.HotItem.title
PROBLEM_LIMIT = 2000
PLAN_LIMIT = 4000
NOTE_LIMIT = 2000
RESULT_LIMIT = 2000
REASON_LIMIT = 500
MILESTONE_TITLE_LIMIT = 128
MAX_MILESTONES = 30
MAX_CO_UNITS = 20
MAX_CASES = 500  # cases named when an item is made
MAX_TOPIC_WORDS = 12
WORD_LIMIT = 32
PLACE_KEY_LIMIT = 64
PLACE_LABEL_LIMIT = 128
CATEGORY_LIMIT = 128
HEAT_LIMIT = 4000  # characters of the heat factors' JSON
MAX_DEADLINE_DAYS = 366 * 2
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EXPORT_LIMIT = 5000

# Linking new cases to open items (handlers.hot.linking).
LINK_SIMILARITY = 0.5  # nlu.topics.topic_similarity of the item's and the case's words
LINK_MIN_SHARED = 1  # shared words needed when the item has a place
LINK_MIN_SHARED_NO_PLACE = 2  # without a place words are all there is (fewer when either has fewer)
CACHE_MAX_AGE = 5.0  # seconds another process's change takes to be seen
LINK_SWEEP_SECONDS = 60.0
LINK_LOOKBACK_MINUTES = 30  # how far back the first sweep of a process looks
LINK_BATCH = 500

KIND_LABELS = {"proactive": "未诉先办", "monthly": "每月一题"}
STATUS_LABELS = {"open": "办理中", "closed": "已办结", "withdrawn": "已撤销"}
OUTCOME_LABELS = {"solved": "已解决", "partly": "部分解决", "unsolved": "未能解决"}
HOW_LABELS = {"hot": "立项时纳入", "auto": "自动关联", "staff": "手动关联"}

# The timeline's actions (models.HotItemNote.action) as staff read them.
NOTE_LABELS = {
    "created": "立项",
    "edited": "修改",
    "deadline": "调整期限",
    "milestone": "新增节点",
    "milestone_done": "节点完成",
    "progress": "进展",
    "linked": "关联诉求",
    "unlinked": "取消关联",
    "closed": "办结",
    "withdrawn": "撤销",
    "notice": "告知居民",
}

NOT_FOUND = "没有这个热点事项，请核对编号"
CHANGED = "热点事项刚被他人修改，请刷新后重试"
NOT_OPEN = "热点事项{status}，不能再{action}"
FORBIDDEN = "您的账号不能对这个热点事项{action}"
DEADLINE_PASSED = "期限不能早于今天"
DEADLINE_FAR = f"期限最多两年（{MAX_DEADLINE_DAYS}天）"
DEADLINE_REASON = "调整期限请写明原因"
MONTH_FORMAT = "每月一题须填写月份，格式如 2026-03"
MONTH_ONLY_MONTHLY = "只有每月一题才填写月份"
MONTH_TAKEN = "{unit}在{month}已有每月一题 {number}"
UNKNOWN_UNIT = "没有这个单位：{code}"
UNKNOWN_CASES = "没有这些诉求：{numbers}"
CASE_LINKED = "诉求 {number} 已关联到本事项"
CASE_NOT_LINKED = "诉求 {number} 未关联到本事项"
MILESTONE_UNKNOWN = "本事项没有这个节点"
MILESTONE_DONE = "这个节点已完成"
NOTICE_NOT_CLOSED = "事项办结、写明结果后才能告知居民"
NOTICE_EXISTS = "已为本事项生成告知通知（编号 {notice}），请在群发通知中查看"
NOTICE_NO_RESIDENTS = "关联的诉求中没有可告知的居民"

# The notice that tells the residents who raised it (handlers.hot.item_notice).
NOTICE_TITLE = "热点事项{number}办理结果告知"
NOTICE_TEXT = (
    "您好！您反映的“{title}”问题，已列为{kind}事项（编号{number}），由{unit}牵头办理。"
    "办理结果：{outcome}。{result}感谢您的反映与支持。"
)
CASE_EVENT_LINKED = "已纳入热点事项 {number}（{kind}）：{title}"
CASE_EVENT_UNLINKED = "已移出热点事项 {number}"
