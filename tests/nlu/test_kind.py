from __future__ import annotations

import pytest

from config.lexicon import KIND_LABELS
from nlu import KIND_CODES, understand
from nlu.kind import detect_kind


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


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Praise without the word 表扬, of a teacher and of a grid worker.
        ("李老师对孩子们特别耐心，家长们都很感动，谢谢学校", "praise"),
        ("感谢网格员小孙，周末还来帮我们把楼道的杂物清走了", "praise"),
        ("之前投诉的油烟问题已经解决了，给城管的同志点个赞", "praise"),
        # Help for oneself or for a neighbour, with or without 求助.
        ("独居老人求助，家里没有人照顾，腿脚不便下不了楼", "help"),
        ("隔壁的老爷爷摔倒了起不来，家里没人，需要帮助", "help"),
        # Reports of wrongdoing by a third party.
        ("有人在政立路的空地上偷倒渣土，已经好几个晚上了", "report"),
        ("小区附近有家无证经营的黑诊所，医生没有资质", "report"),
        # Suggestions that do not say 建议; questions that do not say 请问.
        ("能不能在国权路小区门口增设一个公交站", "suggestion"),
        ("如果社区食堂能开到晚上八点就好了", "suggestion"),
        ("老年人免费乘车卡去哪里办", "question"),
        ("租房提取公积金需要什么手续", "question"),
        # Complaints that close with a wish, a suggestion, thanks or a rhetorical question.
        ("楼下饭店的油烟太大了，严重影响生活，希望有关部门管一管", "complaint"),
        ("小区门口的路面坑坑洼洼，下雨全是积水，建议尽快修复", "complaint"),
        ("感谢你们的回复，但是楼道的灯还是没有修好", "complaint"),
        ("楼道灯坏了三天了，非常感谢", "complaint"),
    ],
)
def test_kinds_without_the_label_words(text: str, kind: str) -> None:
    assert understand(text).kind == kind


def test_a_weightless_phrase_claims_its_characters_but_is_not_reported() -> None:
    guess = detect_kind("之前投诉的噪音问题已经解决了，给你们点个赞")
    assert guess.kind == "praise"
    assert "之前投诉" not in guess.cues and "投诉" not in guess.cues
    assert "点个赞" in guess.cues
