"""Words the understanding module looks for: kinds of request, urgency, difficulty, places.

Data only. The kinds' cue words and weights are in :mod:`config.kinds`. Urgency and difficulty
triggers are reported back to dispatchers as reasons, so they are written the way residents
write them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# The kind cue tables live in config.kinds; KIND_CUES is re-exported for the segmenter.
from config.kinds import KIND_CUES as KIND_CUES

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

# Urgency: words that make a case 急 (same-day handling). Each is reported as a reason.
URGENCY_TRIGGERS: tuple[str, ...] = tuple(
    (
        "漏水 渗水 水漫 淹水 家里进水 水管爆裂 爆管 污水倒灌 倒灌 停水 断水 没水 "
        "没有水 停电 断电 没电 没有电 漏电 触电 电线裸露 电线起火 煤气味 燃气味 "
        "燃气泄漏 煤气泄漏 漏气 天然气泄漏 火灾 着火 起火 失火 冒烟 爆炸 "
        "消防通道堵塞 堵塞消防通道 占用消防通道 堵占消防通道 "
        "消防通道被堵 电梯困人 困在电梯 电梯里被困 被困 井盖缺失 井盖不见 井盖丢失 井盖被偷 "
        "没有井盖 井盖破损 倒塌 坍塌 塌陷 塌方 摇摇欲坠 随时可能掉下来 高空坠物 晕倒 "
        "昏迷 呼吸困难 救命 受伤 流血 溺水 落水 走失"
    ).split()
)

# People who are at more risk. Named alone (a suggestion for 独居老人) they make nothing
# urgent; they are reported as a reason beside another reason, or with a sign of need in the
# same sentence ("独居老人发烧了没人管").
VULNERABLE_WORDS: tuple[str, ...] = tuple(
    "老人独居 独居老人 孤寡老人 孤老 空巢老人 老人一个人 独自在家".split()
)
VULNERABLE_NEEDS: tuple[str, ...] = tuple(
    (
        "发烧 生病 病了 不舒服 没饭吃 断粮 没人照顾 联系不上 没出门 没见人 没开门 敲门不应 "
        "敲门没人 没人应 不接电话 求助 被困 出不来"
    ).split()
)

# Life-safety hazards (codes of ``nlu.urgency.HAZARDS``): words that report one happening now.
# Each is also an urgency reason. They pass the same checks as urgency triggers (negation,
# defusers) and the hazard checks below (hypothetical, past, resolved, topic, nuisance).
HAZARD_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "gas": tuple(
            (
                "煤气味 燃气味 天然气味 液化气味 煤气的味道 燃气的味道 天然气味道 煤气泄漏 "
                "燃气泄漏 天然气泄漏 液化气泄漏 漏煤气 漏燃气 漏气 臭鸡蛋味 燃气管道被挖断 "
                "燃气管破 燃气管子破 燃气管漏 燃气味道 气味很冲"
            ).split()
        ),
        "fire": tuple(
            (
                "着火 起火 失火 火灾 烧起来 烧着了 着起来 火苗 火光 明火 大火 火势 火很大 "
                "冒烟 冒黑烟 浓烟 黑烟 全是烟 都是烟 烟雾 焦糊味 烧焦味 爆炸 冒火 窜火 蹿火 "
                "烧了起来 着了火 火烧 点着 烧着 焦味"
            ).split()
        ),
        "medical": tuple(
            (
                "摔倒了起不来 起不来 跌倒 摔倒 晕倒 昏倒 昏迷 叫不醒 不省人事 没有意识 "
                "失去意识 抽搐 口吐白沫 喘不上气 喘不过气 呼吸困难 嘴唇发紫 心脏病犯了 "
                "胸口疼 胸口痛 中风 流血 出血 全是血 头破血流 受伤 骨折 摔下来 摔伤 撞伤 "
                "被撞 烫伤 倒在地上 倒地不起 一动不动 溺水 触电 快不行了 没气了 滑倒 摔了一跤 "
                "动不了 不能动 躺着不动 撞倒 说不出话 没力气 半边身子 休克 吐血 没有呼吸 "
                "没呼吸 跳楼 轻生 割腕 自杀 想不开 晕过去 昏过去 口齿不清 没反应 没有反应 叫不应 "
                "一直吐 昏昏沉沉 落水"
            ).split()
        ),
        "electric": tuple(
            (
                "冒火花 打火花 电火花 火花 打火 漏电 触电 被电到 电到了 带电 麻手 电线掉 "
                "电线断 电线垂 电线刮断 电线裸露 电线起火 线断了 配电箱冒烟 "
                "电箱冒烟 电表箱冒烟 滋滋响 电线外露 电线露 线头裸露 冒火星 放电 电缆断"
            ).split()
        ),
        "flood": tuple(
            (
                "水漫 漫到 水管爆 水管裂 爆管 管子爆 家里进水 屋里进水 房间进水 地下室进水 "
                "进水了 被淹 淹了 全是水 都是水 满地是水 满地都是 倒灌 反水 冒水 喷水 喷了一屋 "
                "溢水 往下淌水 暖气片爆裂 水管破 管道破裂 水哗哗 灌进 往我家流 往屋里流 "
                "流进家里 水淹 流了一地 流到客厅 流到卧室 流进屋 进了水 一地的水"
            ).split()
        ),
        "violence": tuple(
            (
                "打架 斗殴 打人 在打我 打老婆 打孩子 持刀 拿着刀 拿刀 动刀 砍人 捅人 家暴 "
                "撬门 撬锁 入室 抢劫 抢东西 跟踪我 尾随 扭打 殴打 行凶 砸车 砸东西 "
                "追着人打 打起来 动手打 打成一团 大打出手 抢钱 抢包 勒索 持械 拿棍子 打砸 "
                "砸门 踹门 弄死 杀人 要杀 砍死 菜刀 抢了 动起手 动手了 猥亵 性骚扰 绑架 "
                "抱走孩子"
            ).split()
        ),
    }
)
# Two words in one sentence, the second within ``HAZARD_PAIR_SPAN`` characters after the
# first, that together report a hazard no single word names ("有烟从门缝里冒出来").
HAZARD_PAIRS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "gas": (
            ("燃气", "漏"),
            ("煤气", "漏"),
            ("气", "往外冒"),
            ("煤气", "很重"),
            ("煤气", "气味"),
            ("燃气", "气味"),
            ("燃气", "脱落"),
            ("燃气", "嘶嘶"),
        ),
        "fire": (("烟", "冒出来"), ("烟", "往外冒"), ("烟", "往上窜"), ("烟", "往楼上窜")),
        "medical": (
            ("没出门", "敲门"),
            ("没见人", "不接"),
            ("没见", "敲门"),
            ("敲门", "没有人应"),
            ("没见她", "敲门"),
            ("没见他", "敲门"),
            ("没露面", "敲门"),
            ("没露面", "怪味"),
            ("掉进", "河"),
            ("掉进", "水"),
            ("掉进", "井"),
            ("掉到", "河"),
        ),
        "electric": (
            ("电线", "掉"),
            ("电线", "泡"),
            ("电线", "耷拉"),
            ("电线", "垂"),
            ("电线杆", "倒"),
            ("电线", "断"),
            ("高压线", "掉"),
            ("泡着", "电线"),
        ),
        "flood": (("水", "没过"), ("水", "流到楼道"), ("地漏", "冒水")),
        "violence": (
            ("喝醉", "打"),
            ("醉汉", "砸"),
            ("撬", "门"),
            ("正在", "偷"),
            ("小偷", "正在"),
            ("围着", "要钱"),
        ),
    }
)
HAZARD_PAIR_SPAN = 24
# Hazards are read in the opening of a message: a resident in danger says so first, while long
# letters recount past fights and fires further on (their urgency triggers still count).
HAZARD_LEAD_CHARS = 200
# A fire word right after one of these is the electricity's hazard (配电箱冒烟, 电线起火).
ELECTRIC_OBJECTS: tuple[str, ...] = tuple(
    "电线 电缆 配电箱 配电房 电箱 电表箱 变压器 插座 充电桩 电闸 总闸 开关 线路".split()
)
# Smoke with one of these in the sentence is a nuisance, not a fire (烧烤冒烟, 烧纸烟很大).
SMOKE_NUISANCES: tuple[str, ...] = tuple(
    "烧烤 油烟 抽烟 吸烟 烧纸 烧香 烟囱 烟道 香烟 蚊香 炊烟 二手烟 焚烧 工厂 化工厂 "
    "砖厂 水泥厂 垃圾场 污染".split()
)
# A hazard word after one of these (in its clause) is a risk or a supposition, not an event.
HYPOTHETICAL_WORDS: tuple[str, ...] = tuple(
    (
        "万一 如果 假如 要是 一旦 以防 防止 预防 避免 担心 害怕 怕 容易 可能 会不会 "
        "以免 防范 应对 哪天"
    ).split()
)
# A hazard word after one of these (in its sentence) happened before, unless the sentence says
# it goes on (``ONGOING_WORDS``).
PAST_WORDS: tuple[str, ...] = tuple(
    (
        "上周 上个月 上月 去年 前年 前几天 前阵子 前段时间 之前 以前 上次 那次 曾经 当时 "
        "年前 月前 昨天 前天 当天 那天 当晚 那晚 事发 几年前 多年前 发生过"
    ).split()
)
ONGOING_WORDS: tuple[str, ...] = tuple(
    "还在 仍在 仍然 一直 到现在还 现在还 又在 正在 越来越 还没灭 还有".split()
)
# A sentence that names a risk is about the risk, not an emergency ("消防栓没水，存在安全隐患").
RISK_WORDS: tuple[str, ...] = ("隐患",)
# Words in the sentence that say the hazard is over (火已经灭了, 已修好).
RESOLVED_WORDS: tuple[str, ...] = tuple(
    "灭了 扑灭 修好 修复 恢复 处理好 没事了 解决了 走了".split()
)
# A sentence with one of these is about a topic, the rules or a wish, not an event now.
HAZARD_TOPIC_WORDS: tuple[str, ...] = tuple(
    (
        "知识 讲座 培训 演练 宣传 科普 规定 报警器 烟感 安检 改造 补贴 报销 保险 "
        "赔偿 赔 建议 希望加装 加装 表扬 感谢 新闻 费用 收费"
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
NEGATION_FILLERS: tuple[str, ...] = (
    "再",
    "有",
    "发生",
    "出现",
    "什么",
    "任何",
    "发现",
    "人",
    "有人",
)
# A trigger followed by one of these names a risk, not an emergency ("火灾隐患").
URGENCY_DEFUSERS: tuple[str, ...] = (
    "隐患",
    "风险",
    "演练",
    "预案",
    "宣传",
    "的话",
    "报警器",
    "保护",
)
# A trigger is ignored when the next character makes it part of another word, keyed by the
# trigger's last character: 没有电梯, 没有水平, 被困扰, 落水管.
URGENCY_BLOCKED_NEXT: Mapping[str, str] = MappingProxyType(
    {
        "电": "梯话脑视动瓶车线表费",
        "水": "平费表果准管",
        "困": "扰难惑",
        "伤": "害心感",
        "失": "业",
        "火": "机石",
        "踪": "处办落进回",
    }
)

# A trigger is ignored when the character before it makes it part of another word, keyed by
# the trigger's first character: 落水管 and 雨水管 are outdoor downpipes.
URGENCY_BLOCKED_BEFORE: Mapping[str, str] = MappingProxyType({"水": "落雨"})

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
COMPOUND_SUFFIXES: tuple[str, ...] = tuple(
    "小区 新村 花园 家园 公寓 苑 村 坊 大厦 大楼 华庭 豪庭 公馆 名邸 山庄 华府 别墅".split()
)
# Compounds whose names end in no suffix (五矿万境, 保利叶上海, 中凯城市之光) are recognised
# by where they stand: after one of ``BARE_COMPOUND_AFTER`` (or at a clause start) and before a
# building number (3号楼, 12栋, 2单元), or between "我是" and "的业主".
BARE_COMPOUND_AFTER: tuple[str, ...] = tuple("住在 家住 住 在 位于 地址是 地址 是 叫".split())
BARE_COMPOUND_UNITS: tuple[str, ...] = ("号楼", "栋", "幢", "单元")
BARE_COMPOUND_OWNERS: tuple[str, ...] = tuple("业主 居民 住户 租户".split())
BARE_COMPOUND_MAX = 8
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
        "建议 督促 催促 责令 协调 通知 联系 整治 整改 清理 查处 处理 取缔 制止 检查 "
        "巡查 停止 禁止 尽快 麻烦 维修 施工 停工"
    ).split()
)
# Verbs of going and asking that lead up to a place's name (每天上班走翔殷路, 请管一管殷行路):
# a name starts after them.
PLACE_LEAD_VERBS: frozenset[str] = frozenset(
    (
        "经常 总是 走 去 来 上班 下班 上学 放学 回家 出门 开车 骑车 散步 路过 经过 管一管 管管 看看"
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
