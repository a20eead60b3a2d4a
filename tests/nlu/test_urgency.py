from __future__ import annotations

import pytest

from nlu import understand


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("家里天花板漏水，楼上没人在家", {"漏水"}),
        ("楼道里有很重的煤气味，大家都不敢开灯", {"煤气味"}),
        ("隔壁独居老人家里停电两天了，敲门也没人应", {"独居老人", "停电"}),
        ("小区消防通道被堵，车子停满了", {"消防通道被堵"}),
        ("3号楼电梯困人，已经半小时了", {"电梯困人"}),
        ("政通路上井盖缺失，晚上很危险", {"井盖缺失"}),
        ("有个小孩被困在电梯里出不来", {"困在电梯", "小孩被困"}),
        ("老房子的阳台塌陷了一块", {"塌陷"}),
    ],
)
def test_urgent_with_reasons(text: str, reasons: set[str]) -> None:
    result = understand(text)
    assert result.urgency == "急"
    assert reasons <= set(result.urgency_reasons)


@pytest.mark.parametrize(
    "text",
    [
        "家里没有漏水，只是墙面有点发霉，想问下怎么处理",  # negated
        "上次说的问题已经修好了，现在不再漏水了",  # negated with a filler word
        "我们这栋楼没有电梯，老人上下楼不方便",  # 没有电梯 is not 没有电
        "楼道里电动车飞线充电，存在火灾隐患",  # a risk, not a fire
        "落水管破了，下雨天水溅到墙上",  # 落水管 is a downpipe
        "我的孩子在学校被老师批评了",  # a child, but no danger
        "小区绿化带里的树太高，挡住了阳光",
    ],
)
def test_not_urgent(text: str) -> None:
    result = understand(text)
    assert result.urgency == "一般"
    assert result.urgency_reasons == ()


def test_difficult_with_reasons() -> None:
    result = understand("这个问题多次反映，物业、居委、城管互相推诿，至今没人管")
    assert result.difficult
    assert {"多次反映", "互相推诿", "涉及多个单位"} <= set(result.difficulty_reasons)


def test_difficult_history_and_expropriation() -> None:
    assert understand("旧改征收的补偿标准不合理，几百户居民有意见").difficult
    assert "历史遗留" in understand("产证办不下来是历史遗留问题").difficulty_reasons


def test_not_difficult() -> None:
    result = understand("楼道灯坏了，麻烦物业来修一下")
    assert not result.difficult
    assert result.difficulty_reasons == ()
