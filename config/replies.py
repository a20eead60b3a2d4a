"""What residents read: reply texts and the words they type to ask for things.

Placeholders use str.format names. Keep replies short: WeChat shows them in a chat bubble.
"""

from __future__ import annotations

SERVICE_NAME = "杨浦区接诉即办"

USAGE = (
    "直接用文字或语音告诉我们遇到的问题、建议或想咨询的事，请说清地点（小区、路名门牌、楼号），"
    "也可以发照片和位置。\n"
    "· 补充：30分钟内接着发的文字、照片、位置会补充到刚提交的诉求；\n"
    "· 新诉求：另一件事请以“新诉求”开头发送，例如“新诉求 小区门口烧烤店油烟很大”；\n"
    "· 照片：先发照片再发文字也可以，会一起登记；\n"
    "· 回复“我的诉求”查看进度，回复诉求编号查看办理过程；\n"
    "· 回复“撤销 编号”撤回尚未办理的诉求；回复“帮助”再看本说明。\n"
    "遇到燃气泄漏、火情、有人受伤等紧急情况，请先拨打110、119、120。"
)

# Greeting a resident who opens the mini-program's customer-service chat.
MINI_GREETING = f"您好，这里是{SERVICE_NAME}。\n{USAGE}"
WELCOME = "您好，欢迎关注{service}！\n" + USAGE
HELP = USAGE

ACCEPTED = (
    "已受理您的{kind}，编号 {number}。\n"
    "我们的理解：{category}｜{place}\n"
    "{urgent}由{unit}办理，{deadline}前办结，{first_contact}。\n"
    "如需补充，直接发送文字或照片。"
)
ACCEPTED_URGENT = "已按紧急件处理（{reasons}）。"
# 急 and 难 together: answered as urgent, given the time of a difficult matter to be solved.
ACCEPTED_URGENT_DIFFICULT = "已按紧急件处理（{reasons}），并按疑难件给予办结时限。"
# Praise goes to the unit praised; no deadlines to tell.
ACCEPTED_PRAISE = (
    "感谢您的表扬！已登记，编号 {number}。\n我们的理解：{category}｜{place}\n您的肯定将转达{unit}。"
)
PRAISE_DISPATCH_QUEUE = "相关单位"
# A question: the unit that answers it; it needs no place.
ACCEPTED_QUESTION = (
    "已受理您的咨询，编号 {number}。\n"
    "我们的理解：{category}\n"
    "由{unit}答复，{first_contact}，{deadline}前答复完毕。\n"
    "如需补充，直接发送文字或照片。"
)
FIRST_CONTACT = "工作人员会在{deadline}前与您联系"
DISPATCH_QUEUE = "区城市运行管理中心分派后"
ASK_PLACE = (
    "已受理您的{kind}，编号 {number}。\n"
    "还差地点：请告诉我们具体位置（小区名、路名门牌或楼号），也可以发送位置。"
)
# A message sent while we waited for the place reads as a new problem, not a place.
PLACE_STILL_NEEDED = (
    "已补充到诉求 {number}。还差地点：请告诉我们具体位置（小区名、路名门牌或楼号），"
    "也可以发送位置。如果是另一件事，请以“新诉求”开头发送。"
)
PLACE_NOTED = "地点已记录：{place}。"
MERGED = (
    "已收到，编号 {number}。\n"
    "{whose}诉求 {original}（{title}）是同一件事，目前{status}，由{unit}办理。"
    "已并入一并处理，办理结果会同时告诉您。\n"
    "如果不是同一件事，请回复“不是同一件事”，我们单独办理。"
)
MERGED_WHOSE_OWN = "您反映的问题与您此前的"
MERGED_WHOSE_OTHER = "您反映的问题已有其他居民反映，与"
SPLIT_DONE = "好的，诉求 {number} 不再并案，将单独办理。\n"
NOTHING_TO_SPLIT = "您近期没有并案办理的诉求。如需反映新问题，直接发送即可。"
NOT_SAME_WORDS = frozenset(
    {"不是同一件事", "不是同一个问题", "不是同一问题", "不是一回事", "单独办理", "分开办理"}
)
DETAIL_ADDED = "已补充到诉求 {number}。如果是另一件事，请以“新诉求”开头发送。"
# A follow-up that may be another problem: the resident chooses (tap or type).
CHOOSE_CASE = (
    "这条是对诉求 {number}（{title}）的补充，还是另一件事？\n"
    "回复“1”或点{join_link}\n回复“2”或点{new_link}"
)
CHOOSE_JOIN_LABEL = "补充到{number}"
CHOOSE_NEW_LABEL = "作为新诉求"
CHOOSE_LINK = '<a href="weixin://bizmsgmenu?msgmenucontent={label}&msgmenuid={menu_id}">{label}</a>'
CHOOSE_MENU_PREFIX = "case-choice"
CHOOSE_JOIN_WORDS = frozenset({"1", "补充", "是补充", "补充到诉求", "同一件事", "是同一件事"})
CHOOSE_NEW_WORDS = frozenset({"2", "新诉求", "作为新诉求", "另一件事", "不是同一件事", "新的"})
CHOOSE_AGAIN = "请回复“1”补充到诉求 {number}，或回复“2”作为新诉求。"
# Greetings, fillers, tests, emoji: no case, what the service can do.
CHATTER_GREETING = "您好，这里是{service}。\n" + USAGE
CHATTER_FILLER = "好的，请直接说说遇到的问题和地点（小区、路名门牌、楼号），也可以发照片和位置。"
CHATTER_TEST = "收到，服务正常。需要反映问题时，直接发送文字、语音或照片即可；回复“帮助”查看说明。"
CHATTER_AD = "这条消息不像是反映问题，没有登记。需要反映问题时，直接发送文字、语音或照片即可。"
# Messages not in Chinese: a polite note in their language, the Chinese reply after it.
FOREIGN_NOTE = {
    "en": (
        "Thank you for your message. Our staff handle messages in Chinese best, so the reply "
        "below is in Chinese; if you can, write in Chinese or add a phone number so that we can "
        "call you."
    ),
    "ja": "メッセージありがとうございます。中国語での対応が中心のため、以下の返信は中国語です。",
    "ko": "메시지 감사합니다. 중국어로 처리하는 것이 가장 정확하므로 아래 답변은 중국어입니다.",
    "ru": "Спасибо за сообщение. Мы лучше всего работаем с сообщениями на китайском языке; "
    "ниже ответ на китайском.",
}
FOREIGN_HELLO = {
    "en": (
        "Hello, this is the district's resident service. Tell us the problem and where it is "
        "(road, number, compound or building); Chinese works best, English is fine too. In an "
        "emergency call 110 (police), 119 (fire) or 120 (ambulance)."
    ),
}
PHOTO_HELD = "收到{what}。请再用文字说说遇到的问题和地点，我们会一起登记。"
LOCATION_HELD = "收到位置：{label}。请再用文字说说遇到的问题。"
VOICE_UNRECOGNISED = (
    "收到您的语音，已登记为诉求 {number}，工作人员会收听后处理。用文字补充问题和地点会更快。"
)
MY_CASES_HEADER = "您最近的诉求："
MY_CASES_LINE = "{number}｜{status}｜{title}"
MY_CASES_FOOTER = "回复编号查看办理过程。"
NO_CASES = "您还没有提交过诉求。直接发送文字或语音即可反映问题。"
TIMELINE_HEADER = "诉求 {number}｜{status}\n{title}"
TIMELINE_LINE = "{time} {action}{note}"
CASE_NOT_FOUND = "没有找到编号为 {number} 的诉求，请核对编号（例如 2611220001）。"
CANCELLED = "诉求 {number} 已撤销。如仍需反映，直接重新发送即可。"
CANNOT_CANCEL = (
    "诉求 {number} 目前{status}，已有单位在办理，不能撤销。问题已解决的，回访时告诉我们即可。"
)
CANCEL_WHICH = "请回复“撤销 编号”。可以撤销的诉求：\n{lines}"
NOTHING_TO_CANCEL = "您没有可以撤销的诉求。"
UNSUPPORTED = "抱歉，暂时不能处理这类消息。请用文字、语音、图片或位置告诉我们遇到的问题。"
DEFERRED = "已收到您的留言，正在登记，稍后把受理结果发给您。"
# Under a burst (bot/burst.py): the message is stored and its case number reserved; the full
# answer follows as a customer-service message.
ACKNOWLEDGED = "已收到，编号 {number}。正在登记，稍后把受理结果发给您。"
# The later answer of an acknowledged message that did not become case {number} (it continued a
# dialogue, was a lookup, or was not a case): the number told stays unused.
ACKNOWLEDGED_UNUSED = "（此前告知的编号 {number} 未启用，以下为处理结果。）\n"
FAILED = "系统繁忙，您的留言已保存，我们会尽快处理并回复您。"
EMPTY_TEXT = "没有看到内容。请用文字或语音描述遇到的问题。"

# Words residents type; compared after stripping spaces and punctuation.
MY_CASES_WORDS = frozenset({"我的诉求", "查询", "查询进度", "进度", "我的", "我的工单", "诉求查询"})
HELP_WORDS = frozenset({"帮助", "help", "?", "？", "使用说明", "怎么用"})
# Pleasantries after a notice ("谢谢", "好的") are answered, not registered as new cases.
PLEASANTRY_WORDS = frozenset(
    {
        "谢谢",
        "谢谢你",
        "谢谢你们",
        "谢谢了",
        "多谢",
        "感谢",
        "非常感谢",
        "好的",
        "好的谢谢",
        "好",
        "好滴",
        "收到",
        "收到谢谢",
        "嗯",
        "嗯嗯",
        "哦",
        "知道了",
        "辛苦了",
        "辛苦",
        "ok",
        "okay",
        "👍",
    }
)
YOU_ARE_WELCOME = "不客气！如有新的问题，直接发送文字、语音或照片即可；回复“我的诉求”查看进度。"
CANCEL_WORDS = ("撤销", "撤回", "取消")
NEW_CASE_PREFIXES = ("新诉求", "另外一件事", "另一件事", "还有一件事")

# Menu CLICK keys (configure the same keys in the account's custom menu).
MENU_REPORT = "REPORT"
MENU_MY_CASES = "MY_CASES"
MENU_HELP = "HELP"
MENU_REPORT_TEXT = "请直接发送文字或语音描述问题，并说明地点；可以附上照片或位置。"

ATTACHMENT_WORDS = {
    "image": "照片",
    "video": "视频",
    "shortvideo": "小视频",
    "voice": "语音",
    "location": "位置",
}

# Workflow: what residents are told as their case is handled.
CONTACTED = "您的诉求 {number} 已由{unit}联系您（{method}），正在办理。"
FINISHED = (
    "诉求 {number} 已办结：{result}\n"
    "对办理结果满意吗？可直接回复“满意”“基本满意”或“不满意”（问题仍在请说明情况）。"
    "回复编号可查看办理过程。"
)
# A case merged into the finished one (并案) is answered with it; its own resident is not surveyed.
FINISHED_MERGED = "诉求 {number} 已办结：{result}\n回复编号可查看办理过程。"
# The centre's decisions on a unit's requests, and moves between units (issue 16). A refused
# 退单 or 延期 changes nothing for the resident and is not told.
RETURN_APPROVED_TO = (
    "您的诉求 {number} 经区中心审核，改由{unit}办理，办理期限重新计算，请留意其联系。"
)
RETURN_APPROVED_QUEUE = (
    "您的诉求 {number} 经区中心审核，原承办单位不负责此事，正在重新派单，请耐心等待。"
)
REASSIGNED = "您的诉求 {number} 已改派{unit}办理，请留意其联系。"
EXTENDED = "您的诉求 {number} 办理期限经区中心同意延至{deadline}，原因：{reason}。"
CONTACT_METHOD_LABELS = {"phone": "电话", "visit": "上门", "message": "留言"}

# Held back from routing (a blocked sender, or words the content check holds for a person): the
# resident hears only that it arrived and will be looked at, never why it was held.
HELD_RECEIVED = "已收到您的留言，工作人员核实后会尽快处理，请耐心等待。"
# A dispatcher let a held submission through: the chat's acceptance text follows.
HELD_RELEASED = "您之前提交的内容已核实受理。\n{reply}"
HELD_INFO_RELEASED = "您之前为诉求 {number} 补充的内容已核实并加入诉求。"
# Too many new cases in a short time (handlers.intake.rate_limits): when they may report again.
RATE_LIMITED = (
    "您{window}内已提交{limit}件诉求，暂时不能再提交新诉求，请于{until}后再试。"
    "您的留言已保存；已提交的诉求可回复“我的诉求”查看进度。"
)
# In the chat a message over the limit is held for a dispatcher (handlers.intake.held_messages).
RATE_LIMITED_HELD = (
    "您{window}内已提交{limit}件诉求，已达上限。这条留言已保存，工作人员核实后会处理；"
    "{until}后可以再直接提交新诉求。已提交的诉求可回复“我的诉求”查看进度。"
)
RATE_LIMIT_WINDOWS = {"hour": "1小时", "day": "24小时"}

# A case must not grow without limit (handlers.intake.case_limits): what residents are told when
# their words or files are kept out of a case. The whole message is always kept for staff.
MESSAGE_CUT = (
    "\n提示：这条留言共{sent}字，超过每条{limit}字的上限，诉求中只录入了前面部分；"
    "原文已完整保存，工作人员可以查看。要点没写进去的，请分几条简短补充。"
)
CASE_WORDS_NEARLY_FULL = (
    "\n提示：诉求 {number} 的补充文字已达上限，这条只录入了前面部分；"
    "原文已完整保存，工作人员可以查看。"
)
CASE_WORDS_FULL = (
    "诉求 {number} 的补充文字已达上限，这条没有并入诉求，但已完整保存，工作人员可以查看。"
    "如有新情况，请等工作人员联系您；另一件事请以“新诉求”开头发送。"
)
CASE_FILES_FULL = (
    "诉求 {number} 的照片等附件已达上限（{limit}个），这次的{what}没有并入诉求，"
    "但已保存，工作人员可以查看。"
)
CASE_FILES_CUT = (
    "\n提示：附件已达上限（每件诉求{limit}个），多出的{extra}个没有并入诉求，但已保存。"
)
HELD_FILES_FULL = (
    "已收到{limit}个附件，已达上限，这个{what}没有收进来。"
    "请用文字说说遇到的问题和地点，我们会一起登记。"
)

# --- 重复诉求, 并案/拆分 by hand, 办结审核 (handlers.intake.repeats, handlers.workflow.case_links,
# handlers.workflow.review) ---
# A report about a case closed within the window that says the problem is still there: reopened.
REPEAT_REOPENED = (
    "您反映的问题与诉求 {number}（{title}）为同一问题，该诉求已于{closed}办结。"
    "您反映问题仍未解决，诉求 {number} 已重新办理，由{unit}继续处理，"
    "办理时限{deadline}。回复编号可查看办理过程。"
)
# Added to the reply of a new case linked to an earlier closed one.
REPEAT_LINKED = (
    "\n此前您或其他居民反映的诉求 {original} 已办结，本诉求已与其关联，作为重复诉求跟踪办理。"
)
# Told to the unit's handler when a repeat reopens a case.
REPEAT_REOPEN_NOTICE = (
    "【重复诉求·重办】诉求 {number}（{title}）办结后居民再次反映问题仍未解决：{text}\n"
    "请于{deadline}前重新办理。"
)
# A dispatcher merged a case into another.
STAFF_MERGED = (
    "您的诉求 {number} 与诉求 {original}（{title}）为同一问题，已并案办理，"
    "办理结果将一并告知您。如不是同一件事，请回复“不是同一件事”。"
)
# A dispatcher split a merged case off again.
STAFF_SPLIT = "您的诉求 {number} 经核实与诉求 {original} 不是同一问题，已改为单独办理。"
# A result sent back by the review: neutral words, no blame.
REVIEW_SENT_BACK = (
    "您的诉求 {number} 正在进一步办理完善，{unit}将继续跟进，办理时限{deadline}。"
    "回复编号可查看办理过程。"
)
# Told to the unit's handler (and supervisors) when a result is sent back.
REVIEW_SENT_BACK_NOTICE = (
    "【审核退回】诉求 {number}（{title}）的办理结果未通过审核：{reason}\n"
    "请继续办理，办结时限不变：{deadline}。"
)
