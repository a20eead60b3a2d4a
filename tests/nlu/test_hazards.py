"""Life-safety hazards: reported when happening now, never for a risk, a wish or the past."""

from __future__ import annotations

import pytest

from nlu import understand
from nlu.urgency import HAZARDS, life_safety


@pytest.mark.parametrize(
    ("text", "hazards"),
    [
        ("楼道里一股很浓的煤气味，不知道是哪家漏的", {"gas"}),
        ("3号楼二单元天然气味道很重，邻居都跑出来了", {"gas"}),
        ("闻到一股臭鸡蛋味，好像是隔壁家的燃气管漏气了", {"gas"}),
        ("对面楼6楼着火了，火苗从窗户窜出来，里面可能还有人", {"fire"}),
        ("有烟从隔壁家门缝里冒出来，敲门没人开", {"fire"}),
        ("楼道里全是烟，呛得睁不开眼", {"fire"}),
        ("我爸在家摔倒了起不来，我在外地赶不回去", {"medical"}),
        ("邻居独居老人好几天没出门了，敲门也不应，很担心", {"medical"}),
        ("我妈突然喘不上气，嘴唇发紫", {"medical"}),
        ("学校门口的电线在冒火花，孩子们马上放学了", {"electric"}),
        ("楼道配电箱在冒烟，还有啪啪的声音", {"electric"}),  # the switchboard's, not a fire
        ("台风把电线刮断了，掉在人行道上", {"electric"}),
        ("有人在小区里触电了，倒在地上不动", {"electric", "medical"}),
        ("家里水管爆了，水漫到客厅了，总阀关不掉", {"flood"}),
        ("暴雨倒灌，一楼家里进水已经没过脚踝了", {"flood"}),
        ("楼下有人打架，还拿着刀，快来", {"violence"}),
        ("有人正在撬我邻居家的门", {"violence"}),
        ("隔壁又在家暴，女的一直在喊救命", {"violence"}),
    ],
)
def test_hazard_now_is_urgent_with_its_words(text: str, hazards: set[str]) -> None:
    result = understand(text)
    assert set(result.hazards) == hazards
    assert result.urgency == "急"
    assert result.urgency_reasons  # the words that raised it, for the dispatcher


@pytest.mark.parametrize(
    "text",
    [
        "楼道里堆满杂物，存在消防隐患，希望物业清理",  # a risk
        "建议给独居老人家里加装烟感报警器",  # a wish
        "建议社区多关心独居老人，定期上门看看",  # 独居老人 alone is not urgent
        "老小区没有消防栓，万一着火怎么办",  # a supposition
        "楼梯太陡，老人上下楼容易摔倒，建议加装扶手",
        "上周3号楼着火的事，后续赔偿什么时候落实",  # the past
        "前天燃气泄漏修好了，现在已经没有煤气味了，谢谢燃气公司",  # over and negated
        "不是着火，是楼下烧烤店的油烟太大",
        "请问家里着火的话应该怎么逃生，社区有没有培训",  # a question about the rules
        "楼下烧烤摊天天冒烟，熏得窗户都不敢开",  # a nuisance's smoke
        "燃气灶打不着火，是不是要换电池了",
        "小区要做消防演练，什么时候开始",
        "表扬民警上周及时制止了一起打架",
    ],
)
def test_look_alikes_are_neither_hazards_nor_urgent(text: str) -> None:
    result = understand(text)
    assert result.hazards == ()
    assert result.urgency == "一般", result.urgency_reasons


def test_vulnerable_person_is_a_reason_beside_another() -> None:
    result = understand("煤气味很重，老人一个人在家")
    assert result.hazards == ("gas",)
    assert result.urgency_reasons == ("煤气味", "老人一个人")
    assert {"停电", "独居老人"} <= set(understand("独居老人家里停电两天了").urgency_reasons)


def test_vulnerable_person_in_need_is_urgent_without_a_hazard() -> None:
    result = understand("楼上的独居老人发烧了，联系不上家属")
    assert result.urgency == "急"
    assert result.hazards == ()


def test_hazards_come_in_the_order_of_hazards() -> None:
    found = life_safety("小区门口一群人在斗殴，有人被打得头破血流")
    assert found == tuple(code for code in HAZARDS if code in found)
    assert set(found) == {"medical", "violence"}


def test_hazards_are_read_in_the_opening_only() -> None:
    """A long letter recounting a fight is no fight now; its urgency triggers still count."""
    story = "我想反映物业公司的管理问题。" + "物业收费不透明，账目从不公开，" * 15
    assert life_safety(story + "当时双方还打架了") == ()
    assert life_safety("楼下有人打架，" + story) == ("violence",)
