"""Satisfaction surveys (回访): what residents and staff read, and the words of an answer.

Who is asked and when is in ``handlers/followup/surveys.py``, what each answer does in
``handlers/followup/answers.py``; the timing is in settings (``JIESU_SURVEY_*``). Answers are
counted for 满意率 as (satisfied + 0.9 × basically satisfied) / valid answers; 不满意 reopens
the case (重办).
"""

from __future__ import annotations

# Residents: the question, its reminder, and what each answer hears back.
QUESTION = (
    "您的诉求 {number}（{title}）已办结：{result}\n"
    "请对办理结果评价，回复数字：\n1 满意\n2 基本满意\n3 不满意\n"
    "可在数字后写上意见，例如“3 路灯还是不亮”。"
)
REMINDER = (
    "提醒：您的诉求 {number}（{title}）还未评价。\n"
    "回复 1 满意、2 基本满意、3 不满意，{closes}前有效。"
)
# A customer-service message may carry a menu: each option, tapped, comes back as a message
# with its id (bizmsgmenuid) and its text.
MENU_HEAD = "您的诉求 {number}（{title}）已办结：{result}\n请点击评价："
MENU_TAIL = "也可以直接回复 1、2、3，并写上意见。"
MENU_OPTIONS: tuple[tuple[str, str], ...] = (
    ("satisfied", "满意"),
    ("basically", "基本满意"),
    ("unsatisfied", "不满意"),
)
MENU_ID_PREFIX = "survey"  # menu ids are survey:<survey id>:<answer>

THANKS = "感谢您的评价（{answer}），诉求 {number} 已完成回访。"
REOPENED = (
    "很抱歉没有让您满意。诉求 {number} 已退回{unit}重新办理，将在{deadline}前办结，督办人员会跟进。"
)
FIELD_VISIT_PROMISED = "很抱歉仍未让您满意。诉求 {number} 已转督查人员实地核查，并退回重新办理。"
LATE_THANKS = "感谢您的评价（{answer}）。诉求 {number} 的回访已结束，您的意见已记录并转交办理单位。"
ALREADY_ANSWERED = "诉求 {number} 已评价过（{answer}），感谢您的反馈。"
OPTED_OUT = "好的，今后不再向您发送满意度回访。如需恢复，回复“恢复回访”。"
OPTED_IN = "好的，诉求办结后会再向您发送满意度回访。"

OPT_OUT_WORDS = frozenset({"不再回访", "退订回访", "不要回访", "取消回访", "别再回访"})
OPT_IN_WORDS = frozenset({"恢复回访", "接受回访"})

ANSWER_LABELS: dict[str, str] = {
    "satisfied": "满意",
    "basically": "基本满意",
    "unsatisfied": "不满意",
}

# Staff: what the unit and its supervisors hear when a resident is not satisfied.
REOPEN_NOTICE = (
    "【重办】诉求 {number}（{title}）居民评价不满意：{comment}\n"
    "已退回重新办理，请于{deadline}前办结。"
)
FIELD_VISIT_TASK = (
    "{task}：诉求 {number}（{title}）第{times}次评价不满意：{comment}\n"
    "由{who}实地核查，整改时限 {due}，结果请在工作台记录。"
)
FIELD_VISIT_OVERDUE = (
    "【逾期】{task}：诉求 {number}（{title}）已超过整改时限 {due}，"
    "由{who}负责，尚未记录核查结果，请尽快核查并在工作台记录。"
)
NO_COMMENT = "（未填写意见）"

# 回访 by every channel: how an answer was taken (staff record phone and face-to-face answers).
CHANNEL_LABELS: dict[str, str] = {
    "wechat": "微信",
    "phone": "电话回访",
    "visit": "上门回访",
    "other": "其他方式",
}
STAFF_CHANNELS = ("phone", "visit", "other", "wechat")

# The words of an answer. Order matters: 不满意 and 基本满意 both contain 满意, so the
# reader tries unsatisfied first, then basically, then satisfied.
UNSATISFIED_WORDS: tuple[str, ...] = (
    "非常不满意",
    "很不满意",
    "不太满意",
    "不大满意",
    "不满意",
    "没解决",
    "没有解决",
    "未解决",
    "不解决",
    "问题还在",
    "还没修",
    "没修好",
    "差评",
    "不认可",
)
BASICALLY_WORDS: tuple[str, ...] = (
    "基本满意",
    "比较满意",
    "还算满意",
    "还行",
    "还可以",
    "凑合",
    "一般般",
    "马马虎虎",
    "基本解决",
)
SATISFIED_WORDS: tuple[str, ...] = (
    "非常满意",
    "很满意",
    "十分满意",
    "挺满意",
    "满意",
    "好评",
    "已解决",
    "解决了",
    "修好了",
    "很好",
    "非常好",
    "谢谢",
    "感谢",
)
DIGIT_ANSWERS: dict[str, str] = {"1": "satisfied", "2": "basically", "3": "unsatisfied"}
# Words a resident may put before the answer without it ceasing to be one.
LEAD_WORDS: tuple[str, ...] = (
    "我觉得",
    "我感觉",
    "我",
    "评价",
    "总体",
    "总的来说",
    "对结果",
    "结果",
)
# A message longer than this that does not start with an answer is a new matter, not an answer.
MAX_LOOSE_ANSWER = 12
# After 办结, words saying the problem is still there ("群租还在", "路灯还是不亮") about the same
# matter are a 不满意 answer, even without the word: the case reopens (重办).
PERSISTS_WORDS: tuple[str, ...] = (
    "还在",
    "还是",
    "仍然",
    "仍旧",
    "依然",
    "依旧",
    "照旧",
    "没解决",
    "没有解决",
    "未解决",
    "没修好",
    "没有修好",
    "没处理",
    "没有处理",
    "又坏",
    "又开始",
    "还没",
    "根本没",
)
MAX_PERSISTS_ANSWER = 120  # longer messages are read as new reports
