"""Reading survey replies: digits, words, comments, and what is not an answer at all."""

from __future__ import annotations

import pytest

from nlu.satisfaction import read_satisfaction


@pytest.mark.parametrize(
    ("text", "answer", "comment"),
    [
        ("1", "satisfied", ""),
        ("2", "basically", ""),
        ("3", "unsatisfied", ""),
        (" 3 ", "unsatisfied", ""),
        ("3 路灯还是不亮", "unsatisfied", "路灯还是不亮"),
        ("3，晚上还是黑的", "unsatisfied", "晚上还是黑的"),
        ("1、谢谢你们", "satisfied", "谢谢你们"),
        ("满意", "satisfied", ""),
        ("非常满意！", "satisfied", ""),
        ("满意，谢谢", "satisfied", "谢谢"),
        ("基本满意", "basically", ""),
        ("基本满意，就是慢了点", "basically", "就是慢了点"),
        ("还行吧", "basically", "吧"),
        ("不满意", "unsatisfied", ""),
        ("不满意，垃圾还在", "unsatisfied", "垃圾还在"),
        ("很不满意，根本没人来", "unsatisfied", "根本没人来"),
        ("不太满意", "unsatisfied", ""),
        ("我觉得很满意", "satisfied", ""),
        ("问题还在，没人管", "unsatisfied", "没人管"),
        ("还是不太满意", "unsatisfied", "还是不太满意"),
        ("谢谢", "satisfied", ""),
    ],
)
def test_answers(text: str, answer: str, comment: str) -> None:
    reading = read_satisfaction(text)
    assert reading is not None, text
    assert (reading.answer, reading.comment) == (answer, comment)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "3号楼楼道灯坏了",
        "1楼漏水了",
        "12345热线打不通",
        "2026年的事",
        "楼下又有人乱停车了，已经好几天了",
        "小区门口的路灯坏了，晚上一片漆黑，希望尽快修理，谢谢",
        "我的诉求",
        "4",
    ],
)
def test_not_answers(text: str) -> None:
    assert read_satisfaction(text) is None


def test_unsatisfied_is_never_read_as_satisfied() -> None:
    for text in ("不满意", "很不满意", "不太满意", "非常不满意", "不大满意"):
        reading = read_satisfaction(text)
        assert reading is not None and reading.answer == "unsatisfied", text
