from __future__ import annotations

import pytest

from config.lexicon import KIND_LABELS
from nlu import KIND_CODES, understand


def test_kind_codes_and_labels() -> None:
    assert KIND_CODES == ("complaint", "suggestion", "question", "help", "report", "praise")
    labels = [KIND_LABELS[code] for code in KIND_CODES]
    assert labels == ["投诉", "建议", "咨询", "求助", "举报", "表扬"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("小区门口的垃圾三天没人清理，臭气熏天，我要投诉", "complaint"),
        ("楼上装修噪音太大，每天早上7点就开始，请尽快处理，谢谢", "complaint"),
        ("对上次的处理结果很不满意，问题没有得到解决", "complaint"),
        ("建议在五角场地铁站3号口增设非机动车停放点", "suggestion"),
        ("我们楼没有电梯，老人上下楼很困难，希望加装电梯", "suggestion"),
        ("请问独生子女证在哪里办理？需要哪些材料？", "question"),
        ("公租房的申请条件是什么", "question"),
        ("求助！我家老人摔倒在家里起不来，子女都不在身边，帮帮我们", "help"),
        ("举报：政通路一家饭店把污水偷排进雨水井", "report"),
        ("表扬五角场街道的网格员小李，楼道漏水的事第二天就解决了，非常感谢！", "praise"),
        ("为物业的王师傅点赞，半夜来帮我们修好了水管", "praise"),
    ],
)
def test_kind(text: str, kind: str) -> None:
    result = understand(text)
    assert result.kind == kind
    assert 0.0 <= result.kind_confidence <= 1.0


def test_plain_statement_defaults_to_complaint() -> None:
    result = understand("楼道灯坏了")
    assert result.kind == "complaint"
    assert result.kind_confidence <= 0.5
