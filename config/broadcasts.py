"""Broadcast notices (群发通知): what admins read about a notice's recipients, and the limits.

How a notice is composed, approved and sent is in ``handlers/broadcasts/notices.py`` and
``handlers/broadcasts/delivery.py`` (with ``sending.py``); the pace and WeChat's quota are settings
(``JIESU_BROADCAST_*``, ``JIESU_MASS_SEND_*``).
"""

from __future__ import annotations

# Limits of the content (WeChat's own are larger for text; ours keep a notice readable).
TITLE_LIMIT = 128
TEXT_LIMIT = 1200
TEMPLATE_FIELD_LIMIT = 200
NOTE_LIMIT = 500

# WeCom drops an app message whose request body repeats one sent within this many seconds
# (enable_duplicate_check): a resend after a crash reaches nobody twice. WeCom's maximum is 4 h.
WECOM_DUPLICATE_CHECK_SECONDS = 4 * 3600
# WeChat keeps a clientmsgid for 24 h; a resume after a longer outage could send a batch again.
CLIENTMSGID_WINDOW_HOURS = 24

# Why a recipient got nothing: kept on the delivery row and shown on the dashboard.
SKIP_UNFOLLOWED = "居民已取消关注"
SKIP_QUOTA = "本月已收到{count}条群发，已达每月{quota}条的上限"
SKIP_NO_TEMPLATE_CONSENT = "居民未同意接收模板消息"
SKIP_NO_SUBSCRIBE_CONSENT = "居民未订阅此消息模板"
SKIP_NO_WECOM = "工作人员未登记企业微信账号"
SKIP_GONE = "居民记录已删除"
SKIP_NOT_FOLLOWER = "居民通过小程序或其他系统反映问题，不是公众号的关注者"
SKIP_LONE_MASS = "微信群发至少需要2名接收者，本次只有1人可发"
CANCELLED = "通知已取消，未发送"
UNKNOWN_OUTCOME = "发送结果未知（发送中进程中断或超时），为避免重复未再次发送"
AWAITING_REPORT = "发送中断，等待微信的送达报告；未收到报告则重发一次"
TEMPLATE_REPORTS = {
    "success": "",
    "failed:user block": "居民拒收此公众号的模板消息",
    "failed: system failed": "微信系统原因发送失败",
}
TEMPLATE_REPORT_OTHER = "微信报告发送失败：{status}"

# What the admin is told before sending (Notice.quota_warning).
QUOTA_WARNING = (
    "{month}已收满{quota}条群发的居民有{count}人，本次不会发给他们（记为跳过并注明原因）。"
)
QUOTA_WARNING_ALL = (
    "按全部关注者群发时由微信执行每月{quota}条的配额：已知居民中约{count}人{month}已收满，"
    "微信不会发给他们。"
)
QUOTA_UNKNOWN_TAG = "按标签群发：标签成员只有微信知道，无法事先统计谁已收满每月{quota}条群发。"
QUOTA_UNCOUNTED = "在公众平台网页上手动群发的次数未计入。"
LONE_WARNING = "微信群发至少需要2名接收者：本次只有1人可发，不会发送。"

# Refusals, shown to staff.
NOT_FOUND = "没有这条通知"
ONLY_AUTHOR = "只有起草人可以修改、预览或提交这条通知"
OWN_APPROVAL = "不能审批自己起草的通知，请另一位管理员审批"
NEEDS_PREVIEW = "请先把预览发给自己看过，再提交审批"
NO_PREVIEW_ADDRESS = (
    "预览会发到您本人：请让管理员把您的账号关联一名登记了{what}的工作人员"
    "（jiesu users add … --worker 姓名）"
)
REASON_REQUIRED = "驳回时请写明原因"
STATE_REFUSED = "通知当前为“{status}”，不能{action}"
SCHEDULE_PASSED = "定时发送的时间已过，请重新选择"

STATUS_LABELS = {
    "draft": "草稿",
    "awaiting_approval": "待审批",
    "approved": "已批准，待发送",
    "sending": "发送中",
    "done": "已发送",
    "cancelled": "已取消",
    "rejected": "已驳回",
}
