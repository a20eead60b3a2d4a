"""Themed calls for suggestions (征集活动, 金点子, issue 18): what residents and staff read, and
the limits of a call. Data only; the rules are ``handlers.suggestions.calls``."""

from __future__ import annotations

CHANNELS = ("chat", "menu", "mini")  # a keyword in the chat, a tap on its menu, the mini-program
CHANNEL_LABELS = {"chat": "聊天关键词", "menu": "菜单点选", "mini": "小程序"}
STATUS_LABELS = {"draft": "草稿", "open": "征集中", "closed": "已结束"}

TITLE_LIMIT = 100
QUESTION_LIMIT = 600
KEYWORD_MIN, KEYWORD_MAX = 2, 16
MAX_DAYS = 366  # the longest period a call may run
RECENT_DAYS = 30  # a keyword of a call closed longer ago than this is an ordinary message
# A chat message is a reply when it starts with #keyword, ＃keyword, 【keyword】 or the keyword and
# one of these (or is the keyword alone).
KEYWORD_SEPARATORS = " \u3000:：,，、.。!！-—"
MENU_PREFIX = "call:"  # bizmsgmenuid of a tap on a call's menu, and CLICK keys CALL:<code>
MENU_LABEL = "我要提建议"
MENU_LINK = '<a href="weixin://bizmsgmenu?msgmenucontent={label}&msgmenuid={menu_id}">{label}</a>'

# The broadcast notice that announces a call (its audience and approval are the notice's).
NOTICE_TITLE = "征集：{title}"
ANNOUNCEMENT = (
    "【{title}】\n{question}\n\n"
    "征集时间：{starts}至{ends}。\n"
    "{how}\n"
    "被采纳的建议，我们会告诉您落实情况。"
)
HOW_KEYWORD = "参与方式：直接回复「#{keyword} 您的建议」"
HOW_MENU = "点击 {link} 后写下您的建议"
HOW_MINI = "在小程序「我有建议」中选择本次征集"
HOW_JOIN = "；或"

# What residents read in the chat.
PROMPT = "【{title}】\n{question}\n\n请直接回复您的建议（{ends}前有效），我们会认真研究。"
RECEIVED = (
    "感谢您参与「{title}」建议征集！您的建议已登记，编号 {number}。\n"
    "区人民建议征集办公室将在征集结束后统一研究，一般在{days}个工作日内告诉您是否采纳；"
    "被采纳的建议会交有关部门研究落实，进展都会告诉您。"
)
CLOSED = "「{title}」建议征集已于{ends}结束，感谢关注。"
NOT_STARTED = "「{title}」建议征集将于{starts}开始，届时欢迎参与。"
CLOSED_AS_SUGGESTION = "以下按一般建议登记：\n"
EMPTY_REPLY = "请在「{keyword}」后写下您的建议，例如：#{keyword} 建议……"

# What staff read.
NOT_FOUND = "没有这个征集活动"
STATE_REFUSED = "征集活动{status}，不能{action}"
KEYWORD_TAKEN = "关键词「{keyword}」已被征集活动 {code} 使用，请换一个"
OPEN_ONLY_CHANGES = "征集已开始：只能修改标题、征集问题和截止时间"

# Grouping similar replies on the call page (handlers.suggestions.call_results).
GROUP_SIMILARITY = 0.2  # average cosine of the problem words within a group, at least
GROUPED_MAX = 1500  # the latest replies are grouped; the counts cover all of them
GROUPS_SHOWN = 50
SAMPLES_PER_GROUP = 3
KEY_WORDS_PER_GROUP = 5
# Words of any suggestion that say nothing of its subject (besides config.duplicates' filler).
IDEA_STOP_WORDS = frozenset(
    {
        "建议", "希望", "可以", "应该", "能够", "能不能", "一些", "一个", "一下", "多设",
        "增加", "增设", "设置", "方便", "大家", "比如", "例如", "或者", "如果", "觉得",
    }
)  # fmt: skip
NO_STREET = "未注明街道"
