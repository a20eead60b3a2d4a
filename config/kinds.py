"""Cue words for the kind of a request (投诉/建议/咨询/求助/举报/表扬), read by :mod:`nlu.kind`.

Data only. Weights are relative: a kind needs cues worth at least ``KIND_MIN_SCORE`` to beat the
default (complaint, :data:`config.lexicon.DEFAULT_KIND`), and more than the complaint cues. The
tables were tuned on two thirds of ``benchmarks/kind_set.py``; ``benchmarks/kinds.py`` reports
the held-out third apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

KIND_MIN_SCORE = 1.0
# Kinds that need more evidence: closing thanks and pleas for help are common in complaints.
KIND_MIN_SCORES: Mapping[str, float] = MappingProxyType({"praise": 1.5, "help": 1.2})

# (kind, cue, weight), written as (kind, weight, "cue cue ..."). Cues are words: they also go
# into the segmenter's vocabulary. Thanks at the end of a complaint ("谢谢") is politeness, hence
# the low weight of the bare words; praise needs a stronger cue. Complaint cues name what
# residents suffer (吵, 臭, 不修): a suggestion or question that also describes a nuisance
# needs its own cues to outweigh them.
KIND_CUES: tuple[tuple[str, str, float], ...] = tuple(
    (kind, cue, weight)
    for kind, weight, cues in (
        ("complaint", 2.0, "投诉"),
        (
            "complaint",
            1.0,
            (
                "扰民 不作为 没人管 无人管 乱收费 不满意 没有得到解决 未得到解决 得不到解决 "
                "不负责任 不负责 推诿 扯皮 态度差"
            ),
        ),
        (
            "complaint",
            0.8,
            ("太差 不满 严重影响 要求整改 拖欠 没有解决 受不了 太离谱 臭气熏天 管一管"),
        ),
        ("complaint", 0.6, "不管 强烈要求 不理 很差 睡不着 不文明 尽快修复 尽快处理"),
        ("complaint", 0.5, "离谱 为什么 为何"),
        ("complaint", 0.4, "噪音 乱停 请尽快"),
        ("complaint", 0.3, "吵 占道"),
        ("suggestion", 2.0, "建议 提议 能否增设 建议增加 金点子"),
        ("suggestion", 1.5, "倡议 希望增设 希望加装 可否考虑 是否可以考虑 献计 可以考虑"),
        ("suggestion", 1.2, "呼吁 希望增加"),
        ("suggestion", 1.0, "增设 意见和建议 就好了 方便多了"),
        ("suggestion", 0.9, "希望能"),
        ("suggestion", 0.8, "最好能 推荐 可否 增开"),
        ("suggestion", 0.6, "加装 开设 设立 试点"),
        ("suggestion", 0.5, "希望 延长"),
        ("suggestion", 0.4, "能否"),
        ("suggestion", 0.3, "应该"),
        (
            "question",
            2.0,
            (
                "请问 咨询 怎么办理 如何办理 在哪里办理 需要哪些材料 需要什么材料 怎么申请 "
                "如何申请 怎么补办 怎么报名"
            ),
        ),
        ("question", 1.8, "想问 问一下 请教"),
        ("question", 1.5, "想了解 想知道 怎么算 怎么规定"),
        ("question", 1.2, "哪个部门 什么证件"),
        ("question", 1.0, "是否可以 申请条件 找谁 什么好处 什么补贴"),
        ("question", 0.8, "可不可以 多少钱 在哪里 哪儿 几点 几月份"),
        ("question", 0.6, "是什么 想申请 能不能 怎么办 多少 多久"),
        ("question", 0.5, "有没有 如何 何时 什么时候"),
        ("question", 0.4, "是否 哪些"),
        ("question", 0.2, "补贴 津贴"),
        ("question", 0.3, "政策"),
        ("help", 2.5, "求助 帮帮我 救救 救命 求救"),
        ("help", 2.0, "帮帮 被困 求帮忙"),
        ("help", 1.5, "走投无路 无依无靠 无家可归 求求 救助 走丢"),
        ("help", 1.2, "撑不下去"),
        (
            "help",
            1.0,
            (
                "出不来 摔倒 滑倒 摔伤 起不来 站不起来 走失 交不起 买不起 行动不便 腿脚不便 "
                "腿脚不方便"
            ),
        ),
        ("help", 0.8, "帮忙 生活困难 急需 瘫痪 卧床 没钱 反锁 打不通 没人应"),
        ("help", 0.6, "照顾 低保 探望"),
        ("help", 0.5, "帮助 护理"),
        ("help", 0.4, "困难 担心"),
        ("help", 0.3, "志愿者 上门"),
        ("report", 2.5, "举报 检举"),
        ("report", 2.0, "揭发"),
        ("report", 1.5, "偷排 偷倒 假发票"),
        (
            "report",
            1.2,
            (
                "黑作坊 贪污 受贿 偷偷 黑车 冒充 诈骗 兜售 贩卖 走私 公款 好处费 回扣 童工 "
                "电鱼 地沟油 色情 高利贷"
            ),
        ),
        (
            "report",
            1.0,
            (
                "传销 无证经营 赌博 窝点 私自 擅自 无证 无照 无牌照 病死 过期药 违建 跑路 "
                "来路不明 没有资质"
            ),
        ),
        ("report", 0.8, "严查 被骗 违规 麻将馆 聚众 群租"),
        ("report", 0.6, "非法 涉嫌 假冒 禁用 处方药 未成年人"),
        ("report", 0.3, "超载 焚烧"),
        ("report", 0.5, "违法 骗"),
        ("report", 0.4, "许可"),
        ("praise", 2.5, "表扬"),
        ("praise", 2.0, "点赞 赞扬 称赞 锦旗 感谢信 表彰 竖大拇指"),
        ("praise", 1.5, "医术高明"),
        ("praise", 1.2, "好评 真心感谢 太感谢 敬佩 做得好 又快又好 越来越方便 态度很好 态度特别好"),
        ("praise", 1.0, "特别感谢 为民办实事 感动 贴心 和蔼 燃眉之急 人情味 非常热情"),
        ("praise", 0.9, "非常感谢"),
        ("praise", 0.8, "衷心感谢 辛苦了 热情 耐心 周到 用心 很辛苦 一尘不染 不用跑 已经修好"),
        ("praise", 0.6, "及时解决 实用 干干净净 值得 修好了"),
        ("praise", 0.5, "已经解决 得到解决 负责任 专业 出乎意料 恢复了"),
        ("praise", 0.4, "感谢 很快就 满意 换新"),
        ("praise", 0.2, "谢谢"),
        ("help", 0.8, "花光 医药费"),
        ("help", 0.6, "大病 癌症 积蓄"),
        ("praise", 0.8, "细心"),
    )
    for cue in cues.split()
)

# Phrases across words, matched like cues but kept out of the segmenter's vocabulary. A weight
# of 0 claims the characters without scoring: "之前投诉的" tells of an earlier complaint (often
# in praise of how it was handled), so its 投诉 must not count.
KIND_PHRASES: tuple[tuple[str, str, float], ...] = tuple(
    (kind, cue, weight)
    for kind, weight, cues in (
        ("complaint", 1.5, "到底有没有人管 还有没有人管"),
        ("complaint", 1.2, "有没有人管"),
        ("complaint", 1.0, "就是不管 也没人来修 没人来修 态度还很差"),
        ("complaint", 0.8, "到底有没有 也不理"),
        ("complaint", 0.5, "很不安全"),
        ("complaint", 0.3, "不安全"),
        ("complaint", 0.0, "之前投诉 上次投诉 我投诉的"),
        ("suggestion", 1.5, "有个想法 希望有关部门考虑 能不能在 能否在 能不能延长 能不能增加"),
        ("suggestion", 1.2, "提一条 可以增加 可以改成 可以换成 应该加装 能不能把"),
        ("suggestion", 1.0, "可以多 可以搞 可以提前 也可以试 希望在 应该在 多组织"),
        ("suggestion", 0.8, "提个 可以请 如果能 能否再 多建"),
        ("question", 1.5, "去哪里办 在哪儿办 怎么预约"),
        ("question", 1.2, "要去哪里"),
        ("question", 1.0, "要提前预约 认定标准"),
        ("question", 0.8, "可以领 能领 需要预约 可以网上"),
        ("question", 0.6, "有什么办法 要带"),
        ("question", 0.4, "能开"),
        ("help", 2.0, "请帮帮"),
        ("help", 1.8, "需要帮助 需要帮忙"),
        ("help", 1.5, "请帮忙 帮忙找 帮忙联系 帮忙去看看 派人帮忙 没钱看病"),
        (
            "help",
            1.2,
            ("得到帮助 帮忙疏通 来帮忙 没人照顾 照顾不过来 找个人照顾 没有地方住 没地方住"),
        ),
        (
            "help",
            1.0,
            (
                "派人来看 想想办法 去家里看 一个人在家 独自在家 家里没人 回不了家 被锁在 "
                "出不了门 下不了楼 胸口疼 担心出事"
            ),
        ),
        (
            "help",
            0.8,
            (
                "一个人住 不会弄 不知道怎么办 搬不动 打不到车 流血 肚子疼 高烧 有人来管一下 "
                "我们都在外地 我在外地"
            ),
        ),
        ("help", 0.6, "进不去 进不了 不会用 卡在"),
        ("help", 0.4, "没人来"),
        ("report", 1.2, "往河里排 排黑水 往雨水井里倒 卖假 进了自己口袋 没有办学许可"),
        ("report", 1.0, "有人往 有人非法 有人冒充 直接排放 不要处方 上门威胁"),
        ("report", 0.8, "有人在"),
        ("report", 0.6, "假的 收了钱 打掉了 承重墙 上班时间"),
        ("report", 0.5, "倒进"),
        ("praise", 2.5, "想表扬 值得表扬"),
        ("praise", 2.0, "点个赞 夸一夸"),
        ("praise", 1.5, "非常满意 ，赞"),
        ("praise", 1.2, "谢谢街道 谢谢学校 感谢政府 服务太周到 都认真改了"),
        ("praise", 1.0, "感谢她 感谢社区 就处理好了 就恢复了 效率很高"),
        ("praise", 0.8, "谢谢你们 很专业 找回了 不收一分钱"),
        ("praise", 0.4, "认真 讲得很"),
        ("praise", 1.0, "很实用"),
        ("complaint", 1.0, "建议尽快 希望尽快 建议尽快修复 建议尽快处理 建议尽快解决"),
        ("complaint", 0.8, "希望能让 难道 凭什么"),
        ("complaint", 0.6, "怎么能 就不能 依旧 还是没有 还没有修好 还没有解决"),
        ("complaint", 0.5, "依然 仍然 但是问题"),
        ("help", 0.6, "请帮我们"),
        ("praise", 0.8, "冒雨"),
        ("praise", 0.6, "帮我们 救了"),
        ("complaint", 0.0, "请教育"),
        ("question", 0.8, "的还是 流程是 标准是"),
        ("question", 1.0, "是多少 是怎样的 什么手续"),
    )
    for cue in cues.split()
)

# A question mark (or a clause-final 吗) in a short message is itself a cue for "question";
# a short message that ends in 吗/么/呢 asks more surely than one with a "？" inside (often
# rhetorical: "难道低人一等吗？" closes a longer complaint).
QUESTION_MARK_WEIGHT = 0.6
QUESTION_END_WEIGHT = 1.0
QUESTION_END_MAX_CHARS = 80
# Thanks that open a message are its point; thanks that close a complaint are politeness.
PRAISE_OPENINGS: tuple[str, ...] = ("感谢", "谢谢", "多谢", "非常感谢", "太感谢", "特别感谢")
PRAISE_OPENING_WEIGHT = 1.0
# ... unless the message turns ("感谢回复，但是灯还是没修好").
PRAISE_TURNS: tuple[str, ...] = ("但", "可是", "然而", "却", "不过")
