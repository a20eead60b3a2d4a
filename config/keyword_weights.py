"""How much a cue keyword of :mod:`config.taxonomy` weighs in the built-in scorer's vote.

Most keywords vote at full weight (``nlu.classify`` scales them by length and rarity); the words
listed here vote at half or double weight. Every word here must be a keyword of some category.
"""

from __future__ import annotations

# Cue words that name a topic but turn up in messages about many others ("公司", "环境", "老师"),
# and complaints about conduct ("不作为", "推诿") that residents add to a matter of any kind: they
# vote at half weight, so that a message is classed by what it is about rather than by who or
# what it happens to mention.
WEAK_KEYWORDS: frozenset[str] = frozenset(
    """
    公司 经营 合同 投资 消费 价格 质量 商品 销售 市场 商户 环境 交通 道路 车辆 运输 司机 乘客
    教育 老师 学生 家长 上班 单位 员工 职工 工人 待遇 补助 福利 工程 项目 建设 隐患 事故
    健康 卫生 老人 老年 社区 资金 经济 企业 土地 法律 纠纷 执行 监控 暴力 身份 干部 文化 网络
    系统 平台 数据 移动 电信 联通 信号 管道 装修 安置 补偿 收费 休息 深夜 半夜 凌晨 农村 农民
    宣传 媒体 报道 新闻 保险 缴费 缴纳 维权 线路 站点 评审 生活费 治疗 病人 患者 医疗 病
    商业 物价 人口 档案 身份证 罚款 办事 审批 民政
    不作为 乱作为 推诿 扯皮 敷衍 踢皮球 态度恶劣
    """.split()
)

# Cue words that name the wrong itself, and so the unit that deals with it, whatever trade it
# happens in: a monopoly, a price hike or an unfair fare at a gas company or a coach line is a
# matter for market (and price) regulation; a car parked where it must not be is a matter of
# parking management even when what it blocks is a fire lane (消防通道 names the place harmed,
# 违停 the wrong). They vote at double weight.
STRONG_KEYWORDS: frozenset[str] = frozenset(
    (
        "垄断 行业垄断 市场垄断 价格垄断 涨价 乱涨价 价格上涨 哄抬 哄抬物价 价格欺诈 收费不合理 "
        "强制收费 物价局 传销 特种设备 违停 违章停车 违停车辆 乱停乱放"
    ).split()
)
