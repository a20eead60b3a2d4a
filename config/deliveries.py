"""Words of outgoing messages as staff read them: the case page's 消息送达 card (what the service
sent about a case, to whom, how it went) and the outbox channels' names.

Staff read these (Chinese); the outbox's own statuses, channels and purposes are in English.
"""

from __future__ import annotations

STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发出",
    "failed": "未送达",
    "skipped": "未发出",
    "unknown": "结果不明",
}
# What staff may do about it: shown beside the statuses that need a person.
STATUS_HINTS = {
    "failed": "微信拒收或多次重试失败，请电话联系",
    "skipped": "没有可用的发送渠道，请电话联系",
    "unknown": "已交给微信但未收到回执，可能已送达，系统不会重发；如需确认请电话联系",
}
NEEDS_A_CALL = frozenset(STATUS_HINTS)

# The outbox's channels by name: here, on broadcast notices (handlers.broadcasts.rules) and in
# the messages broadcast rules refuse.
CHANNEL_LABELS = {
    "mp_custom": "公众号客服消息",
    "mp_template": "模板消息",
    "mp_subscribe": "订阅消息",
    "mp_mass": "公众号群发",
    "work_app": "企业微信应用消息",
    "mini_custom": "小程序客服消息",
    "mini_subscribe": "小程序订阅消息",
}

# By purpose; a purpose made of a milestone and a key (case_merged-12) is read by its front.
PURPOSE_LABELS = {
    "reply": "回复留言",
    "case_accepted": "受理告知",
    "case_contacted": "先行联系告知",
    "case_finished": "办结告知",
    "case_reassigned": "改派告知",
    "case_merged": "合并告知",
    "case_split": "拆分告知",
    "case_returned": "退单告知",
    "case_extended": "延期告知",
    "case_invalid": "无效告知",
    "case_restored": "恢复告知",
    "survey": "回访",
    "survey_reminder": "回访提醒",
    "reopen": "重办",
    "task": "派单任务",
    "task_card": "任务卡片更新",
    "task_hint": "办理提示",
    "task_invalid": "无效工单告知",
    "deadline_warning": "临期提醒",
    "escalation": "超期督办",
    "review": "办结审核",
    "request_card": "申请审批",
    "request_decided": "申请结果",
    "field_visit": "实地核查",
    "field_visit_overdue": "实地核查逾期",
    "worker_photo": "现场照片",
    "suggestion": "人民建议",
    "suggestion_task": "人民建议办理",
}
OTHER_PURPOSE = "通知"

RESIDENT = "居民"
STAFF = "工作人员"
