"""Words of messages that are not a report, read by :mod:`nlu.chatter`.

Data only. A message is chatter when, once WeChat emoji codes, emoji, punctuation and spaces are
set aside, nothing is left but these words: any other word may be the report, so the lists are
short on purpose and a message must consist of them, never merely contain them. English words
are compared in lower case with spaces removed ("Good morning" is "goodmorning").
"""

from __future__ import annotations

# Greetings and calls for attention.
GREETING_WORDS: tuple[str, ...] = tuple(
    (
        "尊敬的领导 尊敬的各位领导 各位领导 领导您好 领导你好 领导好 您好 你好 你们好 "
        "大家好 工作人员您好 工作人员 客服 小编 在吗 在不在 在么 在嘛 有人吗 有人在吗 "
        "有没有人 有人么 早上好 上午好 下午好 晚上好 早安 晚安 哈喽 嗨 喂 打扰了 打扰一下 "
        "麻烦一下 hello hi hey hallo there anyone anybody isanyonethere goodmorning "
        "goodafternoon goodevening"
    ).split()
)
# Words that announce a report without giving it ("我想反映个情况", "我有个问题想咨询一下").
FILLER_WORDS: tuple[str, ...] = tuple(
    (
        "我想 我要 想要 我有 我们 本人 想 要 有 请问 请教 问一下 问问 问 咨询 反映 投诉 "
        "举报 求助 建议 提个 提 留言 情况 问题 事情 事儿 事 个 一个 一件 一下 下 点 几个 "
        "帮忙 帮个忙 能不能 麻烦 请 您 你 你们 现在 这边 怎么 反馈 报 说 说一下 一些"
    ).split()
)
# A filler names what the resident wants to do: "我要投诉" is a filler, "你们" alone is not.
FILLER_ANCHORS: tuple[str, ...] = tuple(
    "请问 请教 问一下 问问 问 咨询 反映 投诉 举报 求助 建议 留言 反馈 帮忙 帮个忙".split()
)
# Test messages. A run of digits up to TEST_MAX_DIGITS long is a test too ("1", "123"); longer
# runs are phone or case numbers and are left to the conversation.
TEST_WORDS: tuple[str, ...] = tuple(
    "测试 测试一下 测一下 试试 试一下 试一试 测试消息 ceshi test testing".split()
)
TEST_MAX_DIGITS = 6
# Thanks and acknowledgements (the conversation may answer "谢谢" as a pleasantry first).
THANKS_WORDS: tuple[str, ...] = tuple(
    (
        "谢谢 谢谢你 谢谢您 谢谢你们 谢谢啦 谢了 多谢 感谢 非常感谢 太感谢了 感谢感谢 "
        "好的 好 好滴 好嘞 好吧 嗯 嗯嗯 哦 哦哦 收到 知道了 明白 明白了 了解 行 可以 "
        "辛苦了 辛苦 麻烦了 不用了 没事了 没有了 ok okay thanks thank thankyou thx"
    ).split()
)
# Sentence particles that may stand anywhere in chatter ("在吗呀", "好的呢").
PARTICLES: str = "的了吧啊呀呢吗哈么嘛哦噢喔哇啦"
# A longer message is never chatter (adverts aside): it says something.
CHATTER_MAX_CHARS = 40

# Adverts: a spam word together with a link or a request to add an account, and none of the
# words that make it a resident's report about such adverts ("有人在群里发刷单广告，加微信…").
AD_WORDS: tuple[str, ...] = tuple(
    (
        "代开发票 代开 刷单 兼职 日结 日赚 月入 贷款 网贷 套现 返利 返现 代办 办证 加盟 "
        "微商 彩票 博彩 娱乐城 免费领 免费送 领红包 赚钱 荐股 收益 点击领取 扫码领"
    ).split()
)
AD_CONTACTS: tuple[str, ...] = tuple(
    "加微信 加微 加v 加vx 加我 vx: vx： 微信号 qq: qq： 扫码 二维码 http:// https:// www.".split()
)
AD_NOT: tuple[str, ...] = tuple("举报 投诉 反映 有人 骗 小广告 骚扰 收到 短信 电话".split())
