"""Word tables for hot issues: the words of a message's topic and the parts of place names.

Data only, read by ``nlu.topics`` (topic words) and ``nlu.place_aliases`` (place keys).
"""

from __future__ import annotations

# Words that say nothing about what the problem is: dropped from a topic.
GENERIC_WORDS: frozenset[str] = frozenset(
    """
    小区 社区 问题 情况 各种 长期 什么时候 希望 业主 居民 市民 群众 住户 百姓 老百姓 网友 本人
    领导 书记 市长 局长 县长 区长 主任 政府 部门 相关 有关 单位领导 职能部门 有关部门 相关部门
    处理 解决 反映 要求 请求 恳请 请问 咨询 建议 呼吁 投诉 举报 求助 帮助 关注 重视 落实 答复
    回复 告知 表示 说明 了解 知道 认为 觉得 感觉 发现 出现 存在 造成 导致 影响 进行 没有 已经
    现在 目前 今年 去年 明年 每天 每次 多次 多年 至今 一直 经常 总是 非常 十分 特别 严重 太大
    尽快 及时 立即 马上 能否 能不能 可否 是否 可以 为什么 怎么 怎么办 如何 到底 究竟 合理 合法
    原因 时候 时间 期间 附近 周边 周围 这边 那边 地方 家里 得到 谢谢 感谢 您好 你好 麻烦 痛苦
    好痛苦 无奈 希望能 希望政府 请求政府 恳请政府 问一下 一下 几点 疑问 事情 事件 此事 这件
    作为 以及 还有 而且 但是 可是 因为 所以 如果 虽然 这种 那种 这样 那样 一些 很多 许多 大量
    方面 方式 办法 措施 工作人员 人员 有人 别人 他人 对方 之后 以后 以前 之前 当时 当地 本地
    一事 何时 才能 开始 继续 得不到解决 得不到 说好 加大 区政府 市政府 月份 一个月 无故 满足
    急需 急需处理 无法 不能 不会 不行 考虑 打开 进入 推出 无人 到处 区内 一起 一定 必须 应该
    我市 全市 全省 我省 我区 全区 该市 该区 市里 区里 省里 城市 国家 社会 人民 同志 先生 女士
    """.split()
)

# Words that belong to a topic but tell little on their own: kept, after the telling words.
WEAK_WORDS: frozenset[str] = frozenset(
    """
    临街 经营 营业 生活 工作 学生 学校 学院 孩子 家长 公司 企业 单位 底层 一楼 楼下 楼上 环境 安全
    管理 服务 建设 发展 政策 标准 费用 资金 手续 材料 提供 申请 办理 规定 文件 通知 条件 记录
    系统 平台 窗口 电话 热线 工作日 星期 小时 晚上 白天 夜间 凌晨 深夜 每晚 休息 睡觉 身体 健康
    老人 小孩 儿童 家庭 房子 房屋 住房 楼栋 门口 道路 马路 街道 车辆 车子 地址 位置 周末 节假日
    实行 实施 执行 开展 组织 提高 增加 减少 取消 恢复 加强 完善 规范 保障 保证 支持 同意 拒绝
    硕士 博士 本科 研究生 毕业生 大学生 职工 员工 工人 农民 村民 租户 商户 首次 第一次 连续 理由
    标准化 质量 价格 金额 数量 面积 范围 范畴 程度 水平 方案 计划 项目 工程 安排 调整 变更
    """.split()
)

# Words written in several ways, each spelt one way; a phrase of two topics is split in two.
CANONICAL: dict[str, tuple[str, ...]] = {
    "噪声": ("噪音",),
    "噪音扰民": ("噪音", "扰民"),
    "噪声扰民": ("噪音", "扰民"),
    "噪音污染": ("噪音", "污染"),
    "噪声污染": ("噪音", "污染"),
    "油烟味": ("油烟",),
    "油烟扰民": ("油烟", "扰民"),
    "油烟污染": ("油烟", "污染"),
    "油烟直排": ("油烟", "直排"),
    "排烟": ("油烟",),
    "商铺": ("门面",),
    "店面": ("门面",),
    "门店": ("门面",),
    "店铺": ("门面",),
    "临街门面": ("门面",),
    "商业门面": ("门面",),
    "门面房": ("门面",),
    "底商": ("门面",),
    "底层商铺": ("门面",),
    "临街商铺": ("门面",),
    "夜宵": ("烧烤",),
    "夜宵摊": ("烧烤",),
    "宵夜": ("烧烤",),
    "烧烤摊": ("烧烤",),
    "烧烤店": ("烧烤",),
    "露天烧烤": ("烧烤",),
    "餐馆": ("餐饮",),
    "饭店": ("餐饮",),
    "饭馆": ("餐饮",),
    "餐厅": ("餐饮",),
    "餐饮店": ("餐饮",),
    "强制实习": ("强制", "实习"),
    "实训": ("实习",),
    "顶岗实习": ("实习",),
    "外出打工": ("打工",),
    "购房补贴": ("购房", "补贴"),
    "购房补助": ("购房", "补贴"),
    "人才补贴": ("人才", "补贴"),
    "住房补贴": ("住房", "补贴"),
    "补助": ("补贴",),
    "补贴款": ("补贴",),
    "补助金": ("补贴",),
    "补贴金": ("补贴",),
    "社会保险": ("社保",),
    "社保费": ("社保",),
    "医疗保险": ("医保",),
    "住房公积金": ("公积金",),
    "违章建筑": ("违建",),
    "违法建筑": ("违建",),
    "违章搭建": ("违建",),
    "私搭乱建": ("违建",),
    "违建房": ("违建",),
    "停车位": ("车位",),
    "物业管理费": ("物业费",),
    "不动产证": ("房产证",),
    "产权证": ("房产证",),
    "房屋产权证": ("房产证",),
    "拖欠工资": ("欠薪",),
    "工资拖欠": ("欠薪",),
    "渗水": ("漏水",),
    "漏雨": ("漏水",),
    "电梯故障": ("电梯", "故障"),
    "广场舞扰民": ("广场舞", "扰民"),
    "施工扰民": ("施工", "扰民"),
    "夜间施工": ("施工",),
    "违规施工": ("施工",),
    "垃圾中转站": ("垃圾站",),
    "公交站": ("公交",),
    "公交车": ("公交",),
    "公交线路": ("公交",),
    "地铁站": ("地铁",),
    "施工噪音": ("施工", "噪音"),
    "违章停车": ("违停",),
    "违法停车": ("违停",),
    "乱停车": ("违停",),
    "乱停放": ("违停",),
    "乱停乱放": ("违停",),
    "违停车辆": ("违停",),
    "地下车库": ("车库",),
    "地库": ("车库",),
    "灯不亮": ("照明",),
    "被骗": ("诈骗",),
    "骗局": ("诈骗",),
    "养老金": ("养老保险",),
    "退休金": ("养老保险",),
}

# The end of a word that makes it two topic words (噪音扰民, 施工扰民 ...).
SPLIT_ENDINGS: tuple[str, ...] = ("扰民",)
# The end of a word that adds nothing (停车问题 -> 停车).
EMPTY_ENDINGS: tuple[str, ...] = ("问题", "情况", "现象", "坏了", "坏", "不亮")
# Problem terms the segmenter cuts apart (车贷 -> 车, 贷), read in the title as written. Each
# names one kind of trouble by itself, so messages with no place may group on it alone
# (``handlers.hot.grouping``), where other words must come in pairs.
STRONG_TERMS: tuple[str, ...] = (
    "车贷",
    "网贷",
    "套路贷",
    "校园贷",
    "现金贷",
    "非法集资",
    "集资诈骗",
    "传销",
    "电信诈骗",
    "刷单",
    "烂尾楼",
    "群租",
    "飞线充电",
    "高空抛物",
)
# The last character of a compound word that names only the kind of thing (健身房, 医保卡,
# 停车场, 充电桩, 会员费): the word is taken as the word before it, so that messages saying
# 健身卡 and 健身房, or 医保卡 and 医保, share it (``nlu.topics.parts``).
HEAD_CHARS: str = "卡房费场站桩金款馆厅点室处"
# A word this common in general Chinese (jieba's rarity, log of total over frequency) tells
# little on its own: it goes after the rarer words.
COMMON_RARITY = 8.0

# Places: words in front of a compound's name that say what kind of housing it is.
HOUSING_PREFIXES: tuple[str, ...] = (
    "定向商品房",
    "限价商品房",
    "经济适用房",
    "经济适用住房",
    "保障性住房",
    "商品房",
    "安置房",
    "拆迁安置房",
    "还建房",
    "回迁房",
    "公租房",
    "廉租房",
    "人才公寓",
    "人才房",
    "经适房",
)

# Developers' brands that residents write in front of a compound's name (万科魅力之城).
DEVELOPER_BRANDS: tuple[str, ...] = (
    "万科",
    "保利",
    "恒大",
    "碧桂园",
    "五矿",
    "绿地",
    "融创",
    "中海",
    "龙湖",
    "华润",
    "招商",
    "金地",
    "世茂",
    "新城",
    "旭辉",
    "中建",
    "中铁",
    "中冶",
    "远大",
    "富力",
    "雅居乐",
    "万达",
    "建发",
    "阳光城",
    "金科",
    "蓝光",
    "正荣",
    "美的",
    "卓越",
    "北辰",
    "复地",
    "首开",
    "越秀",
    "中南",
    "荣盛",
    "佳兆业",
    "泰禾",
    "协信",
    "奥园",
    "合景",
    "宝能",
    "鑫苑",
    "中粮",
    "华发",
    "滨江",
    "绿城",
)

# Generic words after a compound's name.
PLACE_SUFFIXES: tuple[str, ...] = ("小区", "社区", "住宅小区", "居民小区", "片区")

# Compounds named by a brand and a name without the usual suffix (五矿万境水岸, 保利麓谷林语):
# the name is read up to one of these words, a building number or the clause's end.
BRAND_NAME_FOLLOWERS: tuple[str, ...] = tuple(
    (
        "小区 门口 大门 北门 南门 东门 西门 侧门 地下 地库 车库 楼下 楼上 楼道 电梯 业主 居民 住户"
        " 租户 交房 停车 附近 旁边 周边 对面 边上 隔壁 背后 门前 里面 外面 这边 项目 楼盘 售楼 物业"
        " 一期 二期 三期 四期"
        " 五期 的业主 的居民 的住户 的房子 的小区 的物业 的电梯 的车库 的楼 里 内"
    ).split()
)
# Brands that are also common words (绿地, 美的, 新城): a name after them counts only where an
# address is expected (after 住在, 位于, a city or district, or at a clause's start).
COMMON_WORD_BRANDS: frozenset[str] = frozenset(
    "绿地 美的 卓越 新城 滨江 招商 远大 复地 中南 华发 越秀 北辰 金地 中铁 中冶 建发 正荣 合景"
    " 宝能 首开 协信 中粮 阳光城 荣盛 世茂 华润 金科 蓝光 万达 中海".split()
)
# A brand followed by these is a company, not a compound (万科物业, 恒大地产, 中建三局).
BRAND_COMPANY_WORDS: tuple[str, ...] = tuple(
    (
        "物业 地产 房地产 置业 集团 公司 股份 控股 商业 建设 建工 开发 售楼 酒店 影城 广场"
        " 三局 五局 八局 总部 老板 董事长 员工 销售 中介 物管 管家 服务"
    ).split()
)
# Characters no brand compound's name holds.
NOT_BRAND_NAME_CHARS: str = "局司团说讲问骗卖买改成办搞拆占修建盖收交退欠赔停没"
BRAND_NAME_MAX = 6
# A one-character name after a brand is a compound only when it is one of these (富力城, 恒大府).
BRAND_NAME_ONE: str = "城府湾郡都汇庭院居岛"
