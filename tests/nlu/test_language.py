"""Language by script: Chinese, or mostly Chinese, is "zh"; digits, links and emoji tell nothing."""

from __future__ import annotations

import pytest

from nlu import understand
from nlu.language import CHINESE, ENGLISH, _counts, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("楼道灯坏了", "zh"),
        ("我家WiFi坏了", "zh"),
        ("B座电梯坏了", "zh"),
        ("请问parking permit怎么办", "zh"),
        ("喜欢の店门口垃圾很多", "zh"),
        ("路灯坏了 https://example.com/a/very/long/link/to/a/photo", "zh"),
        ("13800000000", "zh"),
        ("👍👍", "zh"),
        ("", "zh"),
        ("ok", "zh"),
        ("The street lamp outside No. 88 Antu Road is broken", "en"),
        ("Hello, the street lamp at 国权路 has been broken for a week", "en"),
        ("Bonjour, le lampadaire est cassé", "en"),
        ("こんにちは、街灯が壊れています", "ja"),
        ("駅前の街灯が壊れています", "ja"),
        ("안녕하세요 가로등이 고장났어요", "ko"),
        ("Здравствуйте, фонарь не работает", "ru"),
        ("مرحبا المصباح مكسور", "ar"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_understand_reads_an_english_message_without_failing() -> None:
    result = understand(
        "Hello, the street lamp outside No. 88 Antu Road has been broken for a week"
    )
    assert result.language == "en"
    assert result.kind == "complaint"
    assert result.title


def test_understand_keeps_the_chinese_place_in_a_mixed_message() -> None:
    result = understand("The street lamp at 国权路39弄 is broken, please fix it")
    assert result.language == "en"
    assert result.place.text is not None and "国权路" in result.place.text


def test_an_email_address_does_not_swallow_the_chinese_after_it() -> None:
    # Python's \w matches Chinese: a pattern like \S+@\S+\.\w+ took the whole message with it.
    counts = _counts("我的邮箱是 abc@qq.com，小区门口路灯坏了")
    assert counts == {"han": 13}


def test_a_long_letter_with_links_is_still_chinese() -> None:
    text = "见 http://example.com/a?b=1 和 a.b@c.org。" + "小区门口路灯坏了，晚上很黑。" * 200
    assert detect_language(text) == CHINESE
    assert detect_language("My e-mail is tom@example.com, the street lamp is broken") == ENGLISH
