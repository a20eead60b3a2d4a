"""When two messages are about the same problem: thresholds, equivalent words, filler.

Used by duplicate detection across cases (:mod:`handlers.intake.duplicates`) and by the reading
of a conversation's next message (:mod:`nlu.sameness`), both through :mod:`nlu.similarity`.

Precision matters more than recall: a wrong merge hides a resident's problem behind another
one. The thresholds were set on the repeat and look-alike pairs in
``tests/handlers/intake/duplicate_corpus.py`` and ``duplicate_paraphrases.py`` (run
``python benchmarks/duplicates.py``) and on the tuning part of
``benchmarks/conversation_pairs.py`` (run ``python benchmarks/sameness.py``).
"""

from __future__ import annotations

# An open case is a candidate for this many days after it was created.
WINDOW_DAYS = 14
# Similarity of the problem words (weighted cosine of characters and pairs) to merge ...
SAME_RESIDENT_SIMILARITY = 0.28  # ... one resident writing again, same first-level category
OTHER_RESIDENT_SIMILARITY = 0.30  # ... another resident at the same place, same category
OTHER_CATEGORY_SIMILARITY = 0.40  # ... when the two have different first-level categories
# Hot issues only group cases for display (nothing is hidden), so they may be looser.
HOT_ISSUE_SIMILARITY = 0.22
# Two points this close (metres) are the same place, unless the named places differ.
SAME_POINT_METRES = 150.0
# At most this many recent open cases are compared with a new one.
MAX_CANDIDATES = 200

# Words that appear in messages about any problem; they are removed before comparing.
FILLER_WORDS: tuple[str, ...] = (
    "您好",
    "你好",
    "领导",
    "谢谢",
    "感谢",
    "麻烦",
    "希望",
    "尽快",
    "及时",
    "解决",
    "处理",
    "问题",
    "反映",
    "反应",
    "情况",
    "居民",
    "市民",
    "业主",
    "我们",
    "我家",
    "本人",
    "现在",
    "已经",
    "一直",
    "非常",
    "十分",
    "严重",
    "影响",
    "相关",
    "部门",
    "有关",
    "政府",
    "请问",
    "能否",
    "是否",
    "这个",
    "那个",
    "没有",
    "不能",
    "还是",
    "多次",
    "几天",
    "目前",
    "附近",
    "旁边",
    "门口",
    "这里",
    "那里",
    "什么",
    "怎么",
    "为什么",
    "一下",
    "一个",
    "投诉",
    "举报",
    "建议",
    "咨询",
    "求助",
    "要求",
    "小区",
    "街道",
    "社区",
    "物业公司",
    "物业",
    "帮忙",
    "赶紧",
    "督促",
    "麻烦",
    "扰民",
)
# Single characters that carry no problem on their own (particles, pronouns).
FILLER_CHARS = frozenset("的了是在有我你他她它们这那就都也很还又吧吗呢啊呀么和与及或被把给对")

# Words residents use for one problem, each mapped to one spelling before comparing, so that
# "路灯不亮了" meets "路灯坏了" and "楼下面" meets "楼下". Reviewed by hand: only words that
# mean the same whatever the object is; a mapping that joins two problems would cause merges.
EQUIVALENT_WORDS: dict[str, str] = {
    # broken / not working
    "不亮": "坏",
    "不亮了": "坏",
    "灭了": "坏",
    "熄灭": "坏",
    "坏掉": "坏",
    "坏了": "坏",
    "损坏": "坏",
    "失灵": "坏",
    "故障": "坏",
    "不工作": "坏",
    "不能用": "坏",
    "用不了": "坏",
    "破损": "破",
    "破了": "破",
    "停运": "停",
    "停用": "停",
    "停了": "停",
    # under the building
    "楼下面": "楼下",
    "楼底下": "楼下",
    "楼下边": "楼下",
    "底楼": "楼下",
    # leaking
    "渗水": "漏水",
    "漏雨": "漏水",
    "渗漏": "漏水",
    "滴水": "漏水",
    # blocked
    "堵塞": "堵",
    "堵住": "堵",
    "不通": "堵",
    # not collected
    "清理": "清运",
    "运走": "清运",
    "收走": "清运",
    # noise (扰民 is not here: smoke and smells are 扰民 too)
    "噪声": "噪音",
    "吵闹": "噪音",
    "吵": "噪音",
    # objects in residents' words (窨井盖 maps to itself so that its 井盖 is left alone)
    "街灯": "路灯",
    "窨井盖": "窨井盖",
    "井盖": "窨井盖",
    "公厕": "公共厕所",
    "自行车": "单车",
    "脚踏车": "单车",
}

# Where at a place, in general words: taken out like place names, since two problems in one
# stairwell are still two problems ("楼道灯坏了" and "楼道漏水" share only 楼道).
POSITION_WORDS: tuple[str, ...] = (
    "楼下",
    "楼上",
    "楼道",
    "楼梯",
    "门口",
    "大门",
    "路口",
    "出口",
    "入口",
    "路边",
    "路上",
    "店里",
    "里面",
    "外面",
    "上面",
    "下面",
    "前面",
    "后面",
    "对面",
    "小区里",
)

# Spots within a place that residents name like landmarks: taken out like place names too, and
# two messages that name spots with none in common are at two places (a 小学 and a 菜市场 on
# one road). A spot holding another (公交站台, 公交站) is the same spot.
SPOT_WORDS: tuple[str, ...] = (
    "人行道",
    "地下车库",
    "车库",
    "停车场",
    "公交站台",
    "公交站",
    "站台",
    "菜市场",
    "菜场",
    "公共厕所",
    "小学",
    "中学",
    "学校",
    "幼儿园",
    "工地",
    "烧烤店",
    "餐馆",
    "饭店",
    "超市",
)

# Things that break or bother, as residents name them. Two messages that each name one and
# share none (a 路灯 and a 电梯) are about two problems, however alike the rest reads. A word
# ending another (灯 of 路灯) is compatible with it: "楼道里的灯" may well be the 楼道灯.
OBJECT_WORDS: tuple[str, ...] = (
    "路灯",
    "红绿灯",
    "信号灯",
    "楼道灯",
    "灯",
    "电梯",
    "扶梯",
    "下水道",
    "化粪池",
    "排水沟",
    "自来水",
    "水管",
    "水压",
    "窨井盖",
    "门禁",
    "健身器材",
    "垃圾箱房",
    "垃圾桶",
    "垃圾",
    "单车",
    "电动车",
    "渣土车",
    "黑车",
    "车",
    "油烟",
    "树枝",
    "树",
    "地砖",
    "路面",
    "顶棚",
    "广告牌",
    "小广告",
    "鸽子",
    "狗",
    "违建",
    "外墙",
    "瓷砖",
    "玻璃",
    "窗户",
    "扶手",
    "杂物",
    "空调外机",
    "摊贩",
    "绿化",
)

# Words that add detail to a report without naming a problem: when, how long, how bad, that it
# is still not fixed, a plea to hurry. A follow-up made only of these (and places, phones,
# filler) is detail for the open case (:mod:`nlu.sameness`). They are matched as whole words
# of the segmenter, so 修 goes but 修剪 stays.
DETAIL_WORDS: tuple[str, ...] = (
    "星期",
    "礼拜",
    "个月",
    "月份",
    "小时",
    "分钟",
    "今天",
    "昨天",
    "前天",
    "今晚",
    "昨晚",
    "每天",
    "天天",
    "每次",
    "晚上",
    "白天",
    "早上",
    "中午",
    "下午",
    "半夜",
    "凌晨",
    "夜里",
    "开始",
    "以后",
    "以前",
    "之前",
    "到现在",
    "至今",
    "好几",
    "几个",
    "根本",
    "特别",
    "越来越",
    "厉害",
    "太",
    "快点",
    "快",
    "赶快",
    "马上",
    "还没",
    "没人",
    "没有人",
    "没",
    "人",
    "人来",
    "来修",
    "修好",
    "修",
    "管一管",
    "管管",
    "不管",
    "说了",
    "好多次",
    "好久",
    "一直",
    "仍然",
    "依然",
    "依旧",
    "联系",
    "电话",
    "手机",
    "姓",
    "先生",
    "女士",
    "照片",
    "图片",
    "视频",
    "拍的",
    "现场",
    "就在",
    "位置",
    "地址",
    "那段",
    "那边",
    "这边",
    "对面",
    "往东",
    "往西",
    "往南",
    "往北",
    "米",
    "来",
    "去",
    "了",
    "危险",
    "担心",
    "害怕",
    "受不了",
    "没法",
    # what it does to people: consequences, not another problem
    "老人",
    "孩子",
    "小孩",
    "家里",
    "看不见",
    "看不清",
    "不敢",
    "睡不着",
    "难闻",
    "味道",
    "臭",
    "呛",
    "出门",
    "走路",
    "上学",
    "下楼",
    "上楼",
    "下不了",
    "上不去",
    "一晚上",
    "晃",
    "更",
    "越",
    "怕",
    "要",
)

# Detail that the segmenter does not give as one word: how long or how far with a number, a
# week or month named, a contact, a direction. Regular expressions, removed before DETAIL_WORDS.
DETAIL_PATTERNS: tuple[str, ...] = (
    r"[0-9０-９一二两三四五六七八九十百几半多]+个?(?:点钟?|天|日|周|星期|礼拜|月|年|小时|分钟?|米|公里|次|遍|回)",
    r"(?:上|这|本|下)(?:个)?(?:周|星期|礼拜|月)",
    r"(?:去|今|前)年",
    r"(?:联系)?(?:电话|手机|微信|方式)",
    r"姓[\u4e00-\u9fff]",
    r"往?[东南西北]边?",
    # Pointing back at the thing reported: "靠近南门的那一盏", "就是门口那个".
    r"(?:靠近|挨着|旁边|对面)?[^，。,]{0,8}的?那一?[盏个根处棵块台辆扇]",
    r"(?:靠近|挨着|紧挨|对面|旁边的?)",
)

# Words by which a resident says the next message is about something else.
NEW_MATTER_CUES: tuple[str, ...] = (
    "另外",
    "此外",
    "顺便",
    "还有一件事",
    "还有件事",
    "还有个事",
    "还有一个问题",
    "另一个",
    "另一件",
    "再反映",
    "再反应",
    "再说一个",
)

# Words by which a resident adds something: "还有楼道灯也坏了". Weaker than the cues above
# ("还有" also means "still"), so they only tip a message with little in common.
ADDITION_CUES: tuple[str, ...] = ("还有", "也", "以及", "再有")

# Reading a conversation's next message (:func:`nlu.sameness.compare`):
SAMENESS_ALIKE = 0.30  # problem words this alike are the same matter
SAMENESS_APART = 0.12  # below this, another category or an addition makes another matter
SAMENESS_CATEGORY_CONFIDENCE = 0.35  # a category read at least this surely counts as evidence
SAMENESS_SMALL_CONTENT = 40.0  # summed rarity of the message's own words: this little is detail
