"""The knowledge base's words and texts (issue 19): data only.

- :data:`FILLER`: words that say *that* a resident asks, not *what* (请问, 怎么, 需要…); the
  matcher leaves them out, so that two questions about different things are not found alike
  for being asked alike.
- :data:`SYNONYMS`: the way residents say a thing -> the word entries use. Applied to entries
  and questions alike before matching, so an entry needs no variant for every everyday word.
  General district vocabulary only, never one entry's wording.
- The confidence rule's default thresholds (tuned by ``benchmarks/knowledge.py``).
- The expiry reminder sent to an entry's unit.
"""

from __future__ import annotations

FILLER: frozenset[str] = frozenset(
    """
    请问 问 问一下 问下 咨询 咨询一下 一下 想 想问 想问问 我想 了解 了解一下 打听 打听一下
    怎么 怎么样 怎样 怎么办 咋 咋办 咋整 如何 哪些 哪个 哪里 哪儿 什么 啥 多少 几 是不是
    能不能 可不可以 可以 能 吗 嘛 呢 啊 呀 吧 哦 哈 么 的 了 地 得 着 过 和 与 及 或 或者
    还是 是 在 有 没有 要 需要 需 得要 应该 该 去 到 给 把 被 让 对 从 我 我们 你 你们 您
    他 她 他们 家 自己 这个 那个 这 那 这种 那种 都 也 就 还 又 再 很 太 非常 比较 一 个
    谢谢 麻烦 老师 同志 工作人员 你好 您好 请 请教 告诉 说 知道 不知道 现在 目前 今年
    在哪 在哪里 在哪儿 去哪 去哪里 去哪儿 哪里能 怎么弄 怎么搞 怎么做 咋弄 咋搞 我家 俺 俺家
    请问一下 要怎么 该怎么 应该怎么 如何是好 有没有 是否 可否 能否 行不行 好不好 对不对
    """.split()
)

# Multi-character filler that the segmenter glues to a word (怎么申请, 什么补贴): cut off the
# front or back of a longer word.
FILLER_AFFIXES: tuple[str, ...] = tuple(
    sorted((w for w in FILLER if len(w) >= 2), key=len, reverse=True)
)

# canonical word: what residents write instead. A written form of three characters or more is
# replaced wherever it appears, a shorter one only where the segmenter cuts it out as a word
# (so 办 becomes 申请 on its own, never inside 怎么办).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "老年人": ("老人家", "老人", "老年", "上了年纪", "老头", "老太太", "老爷子"),
    "津贴": ("补贴", "补助金", "补助", "补贴金", "营养费"),
    "电梯": ("升降梯", "直梯"),
    "申请": ("申领", "办理", "申办", "办"),
    "材料": ("资料", "证件", "手续", "东西"),
    "大件垃圾": ("旧家具", "旧沙发", "旧床垫", "大件"),
    "居住证": ("暂住证",),
    "医保": ("医疗保险", "医保卡", "社保卡"),
    "停车": ("停车位", "车位", "泊车"),
    "维修基金": ("维修资金", "大修基金"),
    "垃圾分类": ("分类垃圾", "分垃圾"),
    "电动自行车": ("电瓶车", "电动车", "小电驴"),
    "充电": ("充电桩", "充电站"),
    "孩子": ("小孩", "宝宝", "娃", "儿子", "女儿", "小朋友"),
    "入学": ("上学", "读书", "报名上小学", "幼升小"),
    "失业": ("没工作", "丢了工作", "下岗"),
    "退休": ("退休金", "养老金"),
    "残疾人": ("残疾", "残障"),
    "低保": ("最低生活保障",),
    "违章": ("违停", "罚单", "贴条"),
    "多少钱": ("收费", "费用", "价格", "要钱吗", "收钱"),
    "时间": ("几点", "什么时候", "哪天", "时候"),
}

# Defaults of the confidence rule: answer only when the best entry's similarity is at least
# MIN_SCORE and ahead of the next entry by MIN_MARGIN (benchmarks/knowledge.py tunes them).
MIN_SCORE = 0.29
MIN_MARGIN = 0.11

EXPIRY_REMINDER = (
    "【知识库到期提醒】{unit}的知识条目「{question}」（{code}）将于 {until} 到期，"
    "到期后不再自动答复居民。请核对政策是否有变化，在管理后台更新有效期或内容后提交审核。"
)

# A confident match's reply: the answer, where it comes from and as of when, and the two ways on.
ANSWER_TEXT = "{answer}\n\n（来源：{source}，{as_of}更新）"
ANSWER_LINK = "\n{title}：{url}"
ANSWER_FOLLOW_UP = "\n\n这个答复解决您的问题了吗？请回复「解决了」，或回复「没解决」转人工办理。"
# In the chat the two ways on can also be tapped (WeChat's message-menu links, as
# config.replies.CHOOSE_LINK): menu ids are kb:<ask id>:solved|unsolved.
ANSWER_FOLLOW_UP_TAPS = (
    "\n\n这个答复解决您的问题了吗？请点击 {solved} 或 {unsolved}，"
    "也可以直接回复「解决了」或「没解决」。"
)
SOLVED_LABEL = "解决了"
UNSOLVED_LABEL = "没解决，转人工"
FEEDBACK_MENU_PREFIX = "kb"
SOURCE_FALLBACK = "区知识库"

# Answering at intake (handlers/knowledge/intake.py).
# Words that make a message worth asking the knowledge base (a question, not a report).
QUESTION_CUES = (
    "怎么", "如何", "哪里", "哪儿", "哪些", "哪个", "什么", "多少", "几点", "何时", "能否",
    "能不能", "可不可以", "可以吗", "是否", "请问", "咨询", "吗", "？", "?", "流程", "手续",
    "材料", "条件", "需要带",
)  # fmt: skip
SOLVED_WORDS = ("解决了", "已解决", "明白了", "知道了", "好的", "谢谢", "清楚了", "1")
UNSOLVED_WORDS = ("没解决", "未解决", "没有解决", "转人工", "人工", "不行", "没用", "2")
SOLVED_REPLY = "很高兴帮到您。如还有其他问题，可随时留言。"
# A tap on an answer that was already answered (solved, or handed to a person), or that is not
# the resident's own (a forwarded message): nothing is made.
ALREADY_SOLVED = "您已反馈过这条答复（已解决），无需重复操作。如还有其他问题，可随时留言。"
ALREADY_UNSOLVED = "您已反馈过这条答复，已转人工办理，无需重复操作。"
ALREADY_UNSOLVED_CASE = (
    "您已反馈过这条答复，已转人工办理（诉求编号 {number}），回复编号可查询进度。"
)
NOT_YOUR_ANSWER = "这条答复不是发给您的，未作处理。如有问题需要反映，请直接留言。"
OFFERED_NOTE = "居民咨询时已由知识库答复（{entries}），居民表示未解决，转人工办理。"

# The figures and the gaps list (handlers/knowledge/figures.py, usage.py, gaps.py).
STALE_EXPIRY_DAYS = 30  # a published entry whose last valid day is past or this near is stale
STALE_UNCHANGED_DAYS = 365  # ... and one nobody changed for longer than this
ENTRIES_USED_SHOWN = 20  # the entries used, most answers first
STALE_SHOWN = 100
GAPS_SHOWN = 20  # the gaps list's default length; at most GAPS_MAX
GAPS_MAX = 100
GAP_SAMPLES = 3  # the different wordings shown of one gap
GAP_CASE_NUMBERS = 10  # the latest cases a gap (or an unsolved entry) went on to
GAP_ROWS_READ = 50  # the latest questions of one gap read for its samples and cases
