"""Chatter is named only when the whole message is chatter; anything else may be a report."""

from __future__ import annotations

import pytest

from nlu.chatter import read_chatter


@pytest.mark.parametrize(
    ("text", "chatter"),
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("在吗", "greeting"),
        ("在吗？", "greeting"),
        ("有人吗", "greeting"),
        ("喂，有人吗", "greeting"),
        ("你好，在吗？", "greeting"),
        ("领导好", "greeting"),
        ("早上好呀", "greeting"),
        ("hello", "greeting"),
        ("Hello!", "greeting"),
        ("Hi there", "greeting"),
        ("Is anyone there?", "greeting"),
        ("在吗[微笑]", "greeting"),
        ("我想反映个情况", "filler"),
        ("我要投诉", "filler"),
        ("我有个问题想咨询一下", "filler"),
        ("请问一下", "filler"),
        ("您好，我想咨询一下", "filler"),
        ("你好我想反映一下", "filler"),
        ("领导好，我要举报", "filler"),
        ("可以问个问题吗", "filler"),
        ("有个事情想反映", "filler"),
        ("测试", "test"),
        ("测试一下", "test"),
        ("test", "test"),
        ("TEST 123", "test"),
        ("1", "test"),
        ("123", "test"),
        ("👍", "emoji"),
        ("😀😀😀", "emoji"),
        ("[微笑]", "emoji"),
        ("[强][抱拳]", "emoji"),
        ("？？？", "emoji"),
        ("。。。", "emoji"),
        ("...", "emoji"),
        ("谢谢", "thanks"),
        ("好的谢谢", "thanks"),
        ("好的，谢谢！", "thanks"),
        ("谢谢你们[抱拳]", "thanks"),
        ("收到", "thanks"),
        ("嗯嗯", "thanks"),
        ("OK", "thanks"),
        ("Thank you!", "thanks"),
        ("加微信abc123，代开发票，http://example.cn", "ad"),
        ("刷单兼职日结300，加vx：abc888", "ad"),
        ("网贷秒批，点击领取 https://example.com/x", "ad"),
    ],
)
def test_chatter(text: str, chatter: str) -> None:
    assert read_chatter(text) == chatter


@pytest.mark.parametrize(
    "text",
    [
        "你好，楼下路灯坏了",
        "在吗？楼道里有煤气味",
        "测试一下这个路灯为什么不亮",
        "您好，我想反映国权路小区的噪音问题",
        "我要投诉物业",
        "请问高龄津贴怎么申请",
        "路灯坏了",
        "漏水",
        "救命",
        "求救！",
        "不满意",
        "谢谢你们，问题解决了",
        "好的，地址是国权路5号",
        "好的，电话13800000000",
        "13800000000",
        "2612070001",
        "12号楼",
        "有人在小区门口发代开发票的小广告，加微信的那种",
        "天天收到刷单的骚扰短信，加vx：abc888，有没有人管",
        "The street lamp at No. 88 Antu Road is broken",
        "你好👍楼下垃圾三天没人收",
        "[微笑]楼上太吵了",
        "",
        "   ",
    ],
)
def test_anything_that_may_carry_a_report_is_not_chatter(text: str) -> None:
    assert read_chatter(text) is None


def test_a_long_message_is_never_chatter_even_made_of_chatter_words() -> None:
    assert read_chatter("你好" * 30) is None
