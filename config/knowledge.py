"""The knowledge base's words and texts (issue 19): data only.

- :data:`FILLER`: words that say *that* a resident asks, not *what* (请问, 怎么, 需要…); the
  matcher leaves them out, so that two questions about different things are not found alike
  for being asked alike.
- :data:`SYNONYMS`: the way residents say a thing -> the word entries use. Applied to entries
  and questions alike before matching, so an entry needs no variant for every everyday word.
  General district vocabulary only, never one entry's wording.
- :data:`CONTEXT`: who asks, for whom, when, from where; left out like filler.
- :data:`ASPECTS`: what a question may ask about a thing besides how to get it.
- :data:`GENERIC_NOUNS`: nouns never taken for the thing a question is about.
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
    哪 谁 找 找谁 来 弄 搞 整 会 好 行 够
    """.split()
)
# Who asks, for whom, when and from where: the question's setting, not its object (我爸今年八十了,
# 刚来这边上班). Left out like filler.
CONTEXT: frozenset[str] = frozenset(
    """
    爸 妈 爸爸 妈妈 父亲 母亲 爷爷 奶奶 外公 外婆 姥姥 姥爷 老公 老婆 丈夫 妻子 爱人 家人
    家里 家里人 亲戚 朋友 本人 别人 人 一家人
    今天 明天 后天 昨天 前天 今年 明年 去年 这周 下周 上周 本周 这个月 下个月 上个月 每个月
    每月 每年 刚 刚刚 刚才 已经 马上 之前 以前 以后 之后 最近 一直 突然 先
    这里 这边 那边 那里 这儿 那儿 附近 本地 当地 上海 本市 本区 区里 楼上 楼下
    一个 两个 几个 一些 有些 很多 一点
    """.split()
)

# Multi-character filler that the segmenter glues to a word (怎么申请, 什么补贴): cut off the
# front or back of a longer word.
FILLER_AFFIXES: tuple[str, ...] = tuple(
    sorted((w for w in FILLER if len(w) >= 2), key=len, reverse=True)
)

# What a question may ask about a thing besides how to get it: groups of words, one group an
# aspect. An entry whose texts name no word of an aspect the question names does not answer it
# (营业执照怎么注销 is not answered by 个体工商户营业执照怎么办理). A word of one character
# counts only as a word of its own (丢, not 丢 inside another word); a longer one anywhere in the
# text. A word may be a pattern (regular expression) for a family of words the way residents
# make them: 补[办领发…] is 补办, 补发, 补交…, 续 after anything but 手 is 续签, 续租, 续交…, so
# that a word no entry has (补发, 开发票, 个税, 交钱, 补多少) is still known as an aspect. Aspect
# words say what about a thing is asked, not which thing: coverage leaves them out (the aspects
# are compared).
ASPECTS: tuple[tuple[str, ...], ...] = tuple(
    tuple(group.split())
    for group in (
        # ending it
        "注销 撤销 取消 退出 终止 解除 解约 停办 停发 停止 退[租学保] 去世 过世 死亡",
        # renewing it, its validity
        "(?<!手)续[签期办租交缴保费] 延续 延期 延长 到期 过期 逾期 年审 年检 年报 有效期 "
        "换证 换领 换新 换发 换",
        # changing it or passing it on
        "变更 更改 修改 更正 改名 改 迁出 转出 转移 转入 过户 转让 转租 转学 换人 [租转卖借送]给",
        # losing it, getting it again
        "补[办领发交缴开录签打] 挂失 遗失 丢失 丢 掉 被偷 不见",
        # money paid back, or owed
        "到账 余额 额度 比例 退款 退还 退费 退钱 退税 押金 赔偿 补偿 赔 取现 提现 "
        "还款 还贷 还钱 还不上",
        # its price
        "多少钱 收费 费用 价格 标准 金额 [收交出掏花付]钱 [补拿给发领][多几]少 钱 费 贵 太贵 便宜",
        # its receipts and taxes
        "发票 开票 票据 收据 个税 纳税 交税 缴税 报税 税务 税费 税",
        # its progress, how long it takes
        "进度 审核 审批结果 没通过 驳回 多久 多长时间 几次 次数 多少次",
        # a complaint about it
        "投诉 举报 申诉 不同意 没人管 没人来 打不通 态度 不负责 不回复 没有回复",
    )
)

# Nouns that say what is asked about a thing, or who answers or employs, not which thing (材料,
# 流程, 时间, 部门, 政府, 公司), and the everyday words SYNONYMS folds many things into (津贴,
# 老年人, 孩子): never a question's head object nor a thing the index does not know
# (nlu.knowledge_index).
GENERIC_NOUNS: frozenset[str] = frozenset(
    """
    材料 流程 条件 申请条件 时间 地方 部门 地址 电话 规定 政策 标准 办法 方式 方法 信息 原因
    结果 问题 事情 情况 政府 公司 津贴 老年人 孩子
    """.split()
)

# canonical word: what residents write instead. A written form of two characters or more is
# replaced wherever it appears (办理 in 怎么办理, which the segmenter cuts 怎么办 + 理), unless it
# is part of its canonical word (老年 of 老年人); a form of one character only where the
# segmenter cuts it out as a word (so 办 becomes 申请 on its own, never inside 怎么办).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "老年人": ("老人家", "老人", "老年", "上了年纪", "老头", "老太太", "老爷子"),
    "津贴": ("补贴", "补助金", "补助", "补贴金", "营养费"),
    "电梯": ("升降梯", "直梯"),
    "申请": ("申领", "办理", "申办", "办"),
    "材料": ("资料", "证件", "手续", "东西", "带"),
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
    "燃气": ("煤气", "天然气"),
    "老楼": ("老公房", "老房子"),
    "房屋": ("房子",),
    "外地": ("老家", "外省"),
    "户口簿": ("户口本",),
    "身份证": ("身分证",),
    "出租房屋": ("出租屋", "出租房"),
    "疫苗": ("预防针",),
    "敬老卡": ("老年卡",),
    "购房": ("买房",),
    "就医": ("看病", "住院", "看医生"),
    "饭店": ("餐馆", "餐厅", "饭馆"),
    "维修": ("大修",),
    "道路": ("马路",),
    "乘车": ("坐公交", "乘公交"),
}

# Defaults of the confidence rule: answer only when the best entry's similarity is at least
# MIN_SCORE, ahead of the next entry by MIN_MARGIN, has at least MIN_COVERAGE of the question's
# content words other than aspect words (IDF-weighted) in its texts or answer, has the question's
# head object, names every aspect the question names, and the question names no thing the index
# does not know (nlu.knowledge_index). benchmarks/knowledge.py tunes the three on half its
# questions (the first ones and the first fresh set) for each of 10 seeds (the most answered
# rightly with at least 90% of unanswerable questions left unanswered, plus a standard error);
# these are the medians of the ten.
MIN_SCORE = 0.19
MIN_MARGIN = 0.05
MIN_COVERAGE = 0.35

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
