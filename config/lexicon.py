"""Words the understanding module looks for: kinds of request, urgency, difficulty, places.

Data only. Weights are relative: a kind needs cues worth at least ``KIND_MIN_SCORE`` to beat the
default (complaint). Urgency and difficulty triggers are reported back to dispatchers as reasons,
so they are written the way residents write them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "complaint": "投诉",
        "suggestion": "建议",
        "question": "咨询",
        "help": "求助",
        "report": "举报",
        "praise": "表扬",
    }
)
KIND_CODES: tuple[str, ...] = tuple(KIND_LABELS)
DEFAULT_KIND = "complaint"
KIND_MIN_SCORE = 1.0
# Kinds that need more evidence: closing thanks and pleas for help are common in complaints.
KIND_MIN_SCORES: Mapping[str, float] = MappingProxyType({"praise": 1.5, "help": 1.2})

# (kind, cue, weight). Thanks at the end of a complaint ("谢谢") is politeness, hence the low
# weight of the bare words; praise needs a stronger cue.
KIND_CUES: tuple[tuple[str, str, float], ...] = (
    ("complaint", "投诉", 2.0),
    ("complaint", "扰民", 1.0),
    ("complaint", "不作为", 1.0),
    ("complaint", "没人管", 1.0),
    ("complaint", "无人管", 1.0),
    ("complaint", "不管", 0.6),
    ("complaint", "太差", 0.8),
    ("complaint", "不满", 0.8),
    ("complaint", "严重影响", 0.8),
    ("complaint", "乱收费", 1.0),
    ("complaint", "要求整改", 0.8),
    ("complaint", "强烈要求", 0.6),
    ("complaint", "拖欠", 0.8),
    ("complaint", "不满意", 1.0),
    ("complaint", "没有得到解决", 1.0),
    ("complaint", "未得到解决", 1.0),
    ("complaint", "得不到解决", 1.0),
    ("complaint", "没有解决", 0.8),
    ("complaint", "不负责任", 1.0),
    ("suggestion", "建议", 2.0),
    ("suggestion", "提议", 2.0),
    ("suggestion", "倡议", 1.5),
    ("suggestion", "呼吁", 1.2),
    ("suggestion", "能否增设", 2.0),
    ("suggestion", "增设", 1.0),
    ("suggestion", "希望能", 0.9),
    ("suggestion", "希望增加", 1.2),
    ("suggestion", "希望增设", 1.5),
    ("suggestion", "希望加装", 1.5),
    ("suggestion", "建议增加", 2.0),
    ("suggestion", "加装", 0.6),
    ("suggestion", "能否", 0.4),
    ("suggestion", "希望", 0.5),
    ("suggestion", "可否考虑", 1.5),
    ("suggestion", "是否可以考虑", 1.5),
    ("suggestion", "最好能", 0.8),
    ("suggestion", "应该", 0.3),
    ("suggestion", "献计", 1.5),
    ("suggestion", "意见和建议", 1.0),
    ("question", "请问", 2.0),
    ("question", "咨询", 2.0),
    ("question", "想问", 1.8),
    ("question", "问一下", 1.8),
    ("question", "怎么办理", 2.0),
    ("question", "如何办理", 2.0),
    ("question", "在哪里办理", 2.0),
    ("question", "需要哪些材料", 2.0),
    ("question", "需要什么材料", 2.0),
    ("question", "是否可以", 1.0),
    ("question", "想了解", 1.5),
    ("question", "想知道", 1.5),
    ("question", "怎么申请", 2.0),
    ("question", "如何申请", 2.0),
    ("question", "申请条件", 1.0),
    ("question", "是什么", 0.6),
    ("question", "想申请", 0.6),
    ("question", "能不能", 0.6),
    ("question", "可不可以", 0.8),
    ("question", "有没有", 0.5),
    ("question", "是否", 0.4),
    ("question", "怎么办", 0.6),
    ("question", "如何", 0.5),
    ("question", "何时", 0.5),
    ("question", "什么时候", 0.5),
    ("question", "哪些", 0.4),
    ("question", "多少钱", 0.8),
    ("question", "政策", 0.3),
    ("help", "求助", 2.5),
    ("help", "帮帮", 2.0),
    ("help", "帮帮我", 2.5),
    ("help", "救救", 2.5),
    ("help", "救命", 2.5),
    ("help", "被困", 2.0),
    ("help", "求救", 2.5),
    ("help", "走投无路", 1.5),
    ("help", "无依无靠", 1.5),
    ("help", "求帮忙", 2.0),
    ("help", "帮忙", 0.8),
    ("help", "帮助", 0.5),
    ("help", "生活困难", 0.8),
    ("help", "无家可归", 1.5),
    ("help", "出不来", 1.0),
    ("report", "举报", 2.5),
    ("report", "检举", 2.5),
    ("report", "揭发", 2.0),
    ("report", "偷排", 1.5),
    ("report", "偷倒", 1.5),
    ("report", "违法", 0.5),
    ("report", "非法", 0.6),
    ("report", "传销", 1.0),
    ("report", "无证经营", 1.0),
    ("report", "黑作坊", 1.2),
    ("report", "贪污", 1.2),
    ("report", "受贿", 1.2),
    ("report", "赌博", 1.0),
    ("report", "涉嫌", 0.6),
    ("report", "窝点", 1.0),
    ("report", "假冒", 0.6),
    ("report", "严查", 0.8),
    ("praise", "表扬", 2.5),
    ("praise", "点赞", 2.0),
    ("praise", "赞扬", 2.0),
    ("praise", "称赞", 2.0),
    ("praise", "锦旗", 2.0),
    ("praise", "感谢信", 2.0),
    ("praise", "非常感谢", 0.9),
    ("praise", "衷心感谢", 0.8),
    ("praise", "特别感谢", 1.0),
    ("praise", "感谢", 0.4),
    ("praise", "谢谢", 0.2),
    ("praise", "辛苦了", 0.8),
    ("praise", "为民办实事", 1.0),
    ("praise", "及时解决", 0.6),
    ("praise", "很快就", 0.4),
    ("praise", "已经解决", 0.5),
    ("praise", "得到解决", 0.5),
    ("praise", "负责任", 0.5),
    ("praise", "好评", 1.2),
    ("praise", "满意", 0.4),
)

# A question mark (or a clause-final 吗) in a short message is itself a cue for "question".
QUESTION_MARK_WEIGHT = 0.6

# Urgency: words that make a case 急 (same-day handling). Each is reported as a reason.
URGENCY_TRIGGERS: tuple[str, ...] = tuple(
    (
        "漏水 渗水 水漫 淹水 家里进水 水管爆裂 爆管 污水倒灌 倒灌 停水 断水 没水 "
        "没有水 停电 断电 没电 没有电 漏电 触电 电线裸露 电线起火 煤气味 燃气味 "
        "燃气泄漏 煤气泄漏 漏气 天然气泄漏 火灾 着火 起火 失火 冒烟 爆炸 老人独居 "
        "独居老人 孤老 空巢老人 消防通道堵塞 堵塞消防通道 占用消防通道 堵占消防通道 "
        "消防通道被堵 电梯困人 困在电梯 电梯里被困 被困 井盖缺失 井盖不见 井盖丢失 井盖被偷 "
        "没有井盖 井盖破损 倒塌 坍塌 塌陷 塌方 摇摇欲坠 随时可能掉下来 高空坠物 晕倒 "
        "昏迷 呼吸困难 救命 受伤 流血 溺水 落水 走失"
    ).split()
)

# A child alone is not urgent; a child together with one of the danger words is.
CHILD_WORDS: tuple[str, ...] = ("孩子", "儿童", "小孩", "小朋友", "婴儿", "学生")
CHILD_DANGER_WORDS: tuple[str, ...] = tuple(
    "危险 被困 锁在车里 落水 走失 受伤 掉进 坠落 被咬 烫伤".split()
)

# A trigger is ignored when one of these ends the text just before it ("没有漏水").
NEGATION_WORDS: tuple[str, ...] = tuple(
    "没有 没 无 未 不 不是 并非 并未 不再 已不 不会 未发现 未见".split()
)
# Words that may stand between a negation and the trigger ("没有再漏水", "未发生火灾").
NEGATION_FILLERS: tuple[str, ...] = ("再", "有", "发生", "出现", "什么", "任何", "发现")
# A trigger followed by one of these names a risk, not an emergency ("火灾隐患").
URGENCY_DEFUSERS: tuple[str, ...] = ("隐患", "风险", "演练", "预案", "宣传")
# A trigger is ignored when the next character makes it part of another word, keyed by the
# trigger's last character: 没有电梯, 没有水平, 被困扰, 落水管.
URGENCY_BLOCKED_NEXT: Mapping[str, str] = MappingProxyType(
    {"电": "梯话脑视动瓶车线表费", "水": "平费表果准管", "困": "扰难惑", "伤": "害心感", "失": "业"}
)

# Difficulty (难): the case needs several units or has a long history.
DIFFICULTY_TRIGGERS: tuple[str, ...] = tuple(
    (
        "多部门 多个部门 几个部门 各部门 相关部门都 跨部门 跨区 互相推诿 相互推诿 "
        "推来推去 踢皮球 都说不归他们管 不归我们管 历史遗留 遗留问题 多次反映 反映多次 "
        "多次投诉 投诉多次 屡次 多年未解决 至今未解决 一直没有解决 一直未解决 "
        "长期得不到解决 反映多年 拖了多年 多年来一直 群体 联名 全体业主 全体村民 上百户 "
        "几百户 集体上访 拆迁 征收 动迁 产权纠纷 产权不清 信访 上访"
    ).split()
)
# Units residents name; naming this many distinct ones marks a case as 难.
UNIT_WORDS: tuple[str, ...] = tuple(
    (
        "物业 居委 业委会 街道 城管 房管 派出所 公安 市场监管 环保 住建 交警 供电 "
        "自来水 燃气公司 规划 卫健委 教育局 人社局 社保局 村委 开发商 消防 水务 绿化 "
        "民政"
    ).split()
)
MULTI_UNIT_COUNT = 3
MULTI_UNIT_REASON = "涉及多个单位"

# Places. Suffixes are tried longest first by the extractor.
DISTRICT_SUFFIXES: tuple[str, ...] = ("新区", "区", "县")
# Characters that, right before 区, make a word that is not a district (小区, 社区, 景区 ...).
NOT_DISTRICT_BEFORE: str = (
    "小社园景城市辖片校学商工厂库矿营宅病灾住生活办服务"
    "示范静禁停军山郊老新发业湾地街管分专展战赛疫警选全"
)
STREET_SUFFIXES: tuple[str, ...] = ("街道", "镇", "乡")
NOT_STREET_NAMES: tuple[str, ...] = tuple(
    (
        "城镇 乡镇 村镇 小镇 城乡 下乡 家乡 老乡 故乡 返乡 回乡 异乡 他乡 同乡 城关 "
        "农村乡 各乡 各乡镇 本乡 本镇"
    ).split()
)
ROAD_SUFFIXES: tuple[str, ...] = ("大道", "大街", "公路", "路", "街", "巷")
# Characters that, right before 路, make a common word rather than a road name (马路, 走路).
NOT_ROAD_BEFORE: str = (
    "马道铁线电网水出思走修上下小大门套一半进回迷引带让绕堵挡拦开过后前弯泥油土顺沿条"
    "跑问找赶铺探领退活销歧岔无之"
)
NOT_ROAD_NAMES: tuple[str, ...] = tuple(
    (
        "商业街 美食街 步行街 小吃街 老街 大街 上街 逛街 沿街 满街 高速公路 乡村公路 "
        "农村公路 这条路 那条路 一条路 断头路 主干道"
    ).split()
)
COMPOUND_SUFFIXES: tuple[str, ...] = tuple("小区 新村 花园 家园 公寓 苑 村 坊 大厦 大楼".split())
NOT_COMPOUND_BEFORE: str = "农乡中全本我该同邻渔假各每整个外两几某此作牌"
POI_SUFFIXES: tuple[str, ...] = tuple(
    (
        "地铁站 公交站 火车站 汽车站 客运站 菜市场 农贸市场 菜场 超市 商场 购物中心 "
        "广场 公园 小学 中学 幼儿园 大学 学校 医院 社区卫生服务中心 卫生服务中心 卫生院 "
        "派出所 图书馆 体育馆 体育中心 文化中心 银行 酒店 宾馆 饭店 停车场 "
        "加油站 码头 大桥 工地 市场"
    ).split()
)
# Residents' and villagers' committees and the communities they serve (市光三村居委会,
# 长风社区, 大桥村村委会). 社区 followed by one of ``NOT_COMMUNITY_AFTER`` is a service, not a place
# (社区医院, 社区服务中心); ``NOT_COMMUNITY_NAMES`` are words, not names (老旧社区, 智慧社区).
COMMUNITY_SUFFIXES: tuple[str, ...] = tuple(
    (
        "社区居民委员会 社区居委会 居民委员会 村民委员会 社区居委 居委会 村委会 居委 村委 社区"
    ).split()
)
NOT_COMMUNITY_AFTER: str = "医卫服工干民志活食商超团网矫管委"
# A committee's name is short and never follows these (业主多次向物业和社区: no name).
COMMUNITY_NAME_MAX = 6
NOT_COMMUNITY_BEFORE: str = "和与及向找跟同或对经由"
NOT_COMMUNITY_NAMES: tuple[str, ...] = tuple(
    (
        "老旧 老小 周边 附近 城市 农村 城乡 各个 整个 智慧 文明 和谐 平安 示范 基层 全国 "
        "新型 乡村 城镇 我们 你们 他们 大型 小型 封闭 开放 绿色 美丽 新建 老年 国际 "
        "这个 那个 其他 其它 所有 部分 一些 居民 本村 我村 该村"
    ).split()
)
NOT_POI_NAMES: tuple[str, ...] = tuple(
    (
        "附近 旁边 对面 门口 周边 这个 那个 一个 一家 这家 那家 我们 社区 小区 公立 "
        "私立 民办 公办 各个 全市 本地 当地 市级 区级 省级 大型 小型 附属 去了 周围 "
        "所在 所有 很多 许多 一些 部分 其他 其它 各大 附近小 正规 马路 开办 兴办 新建 "
        "建设 修建 私立的 公立的"
    ).split()
)
# Characters a place name never starts after: the name is cut after the last one of them.
# Kept to characters that do not begin real names (和平路, 同济, 徐家汇 must survive).
PLACE_STOP_CHARS: str = (
    "在住于的我你他她们是到从把被给让这那该此个些了着过就都也还又再去有没不很太最每各某"
    "应要想能将请却只才并而但求"
)
# Words a place name never starts after (靠近国权路 -> 国权路).
PLACE_STOP_WORDS: tuple[str, ...] = tuple(
    (
        "靠近 临近 附近 旁边 对面 隔壁 门口 楼下 位于 家住 地址 沿着 来自 前往 路过 "
        "经过 离开 周边 一带 办事处 咨询 督办 反映 投诉 举报 报名 政府 正好 请求 要求 "
        "建议"
    ).split()
)
# Conjunctions dropped when they stand between two place names (国权路小区和政通路).
PLACE_CONJUNCTIONS: tuple[str, ...] = ("以及", "和", "与", "及", "跟", "同", "或")
# A name that starts with a number or pronoun and a measure word is no name (一所学校).
GENERIC_NAME_HEADS: str = "一二三四五六七八九十两几这那每某各本该此哪"
GENERIC_NAME_MEASURES: str = "个所家座条栋间片块处些种类位"
# Cities and coded units (上海市, A市, D7县) are not reported but end the names before them.
NOT_CITY_BEFORE: str = "超菜城门夜股早集上黑闹都楼花鱼街坊农区县镇乡路道村"
BUILDING_UNITS: tuple[str, ...] = ("号楼", "单元", "栋", "幢", "座", "室", "号", "楼", "层")
# Units that name a building part on their own; 号/楼/层 count only next to a compound or road.
STRONG_BUILDING_UNITS: tuple[str, ...] = ("号楼", "单元", "栋", "幢", "座", "室")

# Openings that carry no content and must not become a title.
GREETINGS: tuple[str, ...] = tuple(
    (
        "尊敬的领导 尊敬的各位领导 各位领导 领导您好 领导你好 领导好 您好 你好 你们好 "
        "大家好 书记您好 书记好 市长您好 市长好 区长您好 区长好 主任您好 工作人员您好 "
        "打扰了 打扰一下 麻烦一下 在吗 在不在 尊敬的 亲爱的 喂"
    ).split()
)
# Opening phrases removed from the title's first clause.
TITLE_LEAD_INS: tuple[str, ...] = tuple(
    (
        "我想反映一下 我想反映 我要反映 我想投诉 我要投诉 我想咨询一下 我想咨询 我想问一下 "
        "我想问 现反映 现将 特此反映 反映一下 反映一个问题"
    ).split()
)

# Words that never become keywords.
STOPWORDS: frozenset[str] = frozenset(
    """
    我们 你们 他们 她们 它们 自己 大家 这个 那个 这些 那些 这里 那里 这样 那样 这么 那么 什么
    怎么 为什么 如何 哪里 哪些 多少 一个 一些 一下 一直 一样 已经 现在 目前 之前 以前 以后 之后
    今天 昨天 明天 每天 晚上 早上 上午 下午 时候 时间 问题 情况 事情 方面 部分 相关 有关 进行
    没有 不是 就是 还是 但是 可是 而且 并且 因为 所以 如果 虽然 然后 而是 或者 还有 只有 只是
    可以 能够 需要 应该 希望 要求 请求 反映 领导 您好 你好 谢谢 感谢 麻烦 请问 咨询 建议 投诉
    举报 求助 表扬 恳请 强烈 尽快 及时 严重 非常 特别 十分 真的 实在 根本 完全 不能 不会 不要
    知道 觉得 认为 发现 出现 造成 导致 影响 存在 处理 解决 办理 管理 工作 人员 部门 单位 政府
    本人 居民 市民 群众 老百姓 百姓 业主 我家 家里 一起 多次 几次 一次 好几 很多 许多 所有
    其他 其中 以及 通过 对于 关于 由于 为了 按照 根据 作为 得到 给予 能否 是否 是不是 有没有
    目前为止 至今 一年 两年 几年 多年 年来 期间 当时 然而 可能 一定 必须 不得 不少 不断
    尊敬 各位 联系电话 电话 手机 联系 号码 联系方式 你们 您们 请求解决 希望解决 一下子 怎么办
    """.split()
)
