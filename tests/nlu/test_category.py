from __future__ import annotations

import pytest

from config.examples import EXAMPLES
from config.keyword_weights import STRONG_KEYWORDS, WEAK_KEYWORDS
from config.taxonomy import (
    FALLBACK_PATH,
    TAXONOMY,
    all_paths,
    first_level_names,
    is_valid_path,
)
from nlu import understand
from nlu.classify import classify, keyword_votes
from nlu.tokens import cut

MESSAGES = [
    ("小区物业不作为，楼道堆物没人清理，物业费照收", "城乡建设/物业管理"),
    ("政通路上的路灯坏了一个多月，晚上黑漆漆的", "城乡建设/市政设施"),
    ("我们楼从昨天开始停水，自来水公司也没通知", "城乡建设/供水供电供气"),
    ("老房子墙体开裂，担心会倒塌", "城乡建设/房屋安全"),
    ("公租房申请条件是什么", "城乡建设/住房保障"),
    ("小区里有人搭建违章建筑，占用公共绿地", "城乡建设/违章建筑"),
    ("楼下饭店油烟直排，熏得我们不敢开窗", "环境保护/大气水污染"),
    ("隔壁工地夜间施工，噪音吵得睡不着", "环境保护/噪声污染"),
    ("垃圾房三天没有清运，苍蝇蚊子到处飞", "城乡建设/环境卫生"),
    ("小区门口乱停车，车位被外来车辆占用", "交通运输/停车管理"),
    ("希望增加公交车班次，早高峰等车要半小时", "城乡建设/公交地铁"),
    ("孩子今年上小学，划片入学的学校太远", "教育文体/学校教育"),
    ("公司拖欠工资三个月，老板电话不接", "劳动和社会保障/劳动权益"),
    ("单位不给交社保，医保也断缴了", "劳动和社会保障/社会保险"),
    ("超市卖过期食品，店员态度还很差", "商贸旅游/食品安全"),
    ("某网店卖假货，消费者投诉无门，商家拒绝退款", "商贸旅游/市场监管"),
    ("社区医院挂号难，医生态度不好", "卫生计生/医疗服务"),
    ("我家老人想申请居家养老服务，社区有助餐吗", "民政/养老服务"),
    ("晚上楼下有人聚众赌博打架，派出所来了又走", "政法/治安"),
    ("家里宽带经常断网，运营商一直不来修", "科技与信息产业/通信网络"),
]


@pytest.mark.parametrize(("text", "path"), MESSAGES)
def test_category(text: str, path: str) -> None:
    result = understand(text)
    assert result.category == path
    assert 0.0 < result.category_confidence <= 1.0


def test_words_inside_place_names_do_not_vote() -> None:
    # 万达广场 is a shopping centre, not a square for 市政设施 to mend.
    assert understand("万达广场门口摆摊的太多").category == "城乡建设/城管执法"


def test_messages_cover_many_first_levels() -> None:
    assert len({path.split("/")[0] for _, path in MESSAGES}) >= 8


def test_title_line_counts_as_opening() -> None:
    # The caller may pass "title\ntext"; the title decides when the body wanders.
    text = "小区电梯经常故障\n上周三又坏了，我家老人腿脚不好，只能在家等，社区也来看过。"
    assert understand(text).category == "商贸旅游/质量技术监督"  # lifts are special equipment
    text = "物业不管楼道堆物\n上周三又有人堆了纸箱，我家老人腿脚不好，社区也来看过。"
    assert understand(text).category == "城乡建设/物业管理"


def test_fallback_is_valid_and_unsure() -> None:
    result = understand("嗯嗯")
    assert result.category == FALLBACK_PATH
    assert is_valid_path(result.category)
    assert result.category_confidence <= 0.1
    assert result.category_runner_up is None


def test_runner_up_is_valid_or_none() -> None:
    result = understand("楼下饭店油烟直排，噪音也很大")
    assert result.category_runner_up is None or is_valid_path(result.category_runner_up)
    assert result.category_runner_up != result.category


def test_taxonomy_shape() -> None:
    assert first_level_names() == (
        "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
        "农村农业", "民政", "政法", "党务政务", "经济管理", "国土资源", "纪检监察",
        "科技与信息产业",
    )  # fmt: skip
    required = """城乡建设/物业管理 城乡建设/市政设施 城乡建设/供水供电供气 城乡建设/房屋安全
        城乡建设/住房保障 城乡建设/违章建筑 环境保护/噪声污染 环境保护/市容环卫
        环境保护/大气水污染 交通运输/停车管理 交通运输/公共交通 交通运输/道路交通
        教育文体/学校教育 卫生计生/医疗服务 劳动和社会保障/劳动权益 劳动和社会保障/社会保险
        商贸旅游/市场监管 民政/养老服务 政法/治安""".split()
    assert all(is_valid_path(path) for path in required)
    assert is_valid_path(FALLBACK_PATH)
    assert not is_valid_path("城乡建设")
    assert not is_valid_path("城乡建设/不存在")
    assert len(all_paths()) == len(set(all_paths()))
    for name in first_level_names():
        assert 3 <= sum(path.startswith(f"{name}/") for path in all_paths()) <= 15


@pytest.mark.parametrize(("path", "text"), EXAMPLES)
def test_written_examples(path: str, text: str) -> None:
    assert understand(text).category == path


def test_examples_cover_every_first_level() -> None:
    assert {path.split("/")[0] for path, _ in EXAMPLES} == set(first_level_names())
    assert all(is_valid_path(path) for path, _ in EXAMPLES)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # The standard taxonomy files city buses and metro, and street cleaning, under 城乡建设.
        ("7路公交车高峰期总是等不到，站台上挤满了人", "城乡建设/公交地铁"),
        ("街上的垃圾箱满了没人清理，环卫工好几天没来清扫", "城乡建设/环境卫生"),
        # Burning rubbish is pollution, not street cleaning.
        ("垃圾场每天晚上焚烧垃圾，烟雾刺鼻，熏得人喘不过气", "环境保护/大气水污染"),
        # Lifts are special equipment: a market-regulation matter when they fail.
        ("电梯经常困人，维保公司不来修，电梯年检已经过期", "商贸旅游/质量技术监督"),
        # A monopoly is a monopoly whatever the trade.
        ("本县液化气被一家公司垄断，价格一年涨了三次", "商贸旅游/市场监管"),
        ("去镇上的班车收费不合理，小孩抱在怀里也要买全票", "商贸旅游/市场监管"),
        # Teachers' pay is an education matter, a professional title in general a personnel one.
        ("代课教师工资太低，教了二十年书还没有编制", "教育文体/教师队伍"),
        ("会计中级职称评审结果为什么迟迟不公布", "劳动和社会保障/人事人才"),
        ("高铁站离城区太远，希望开通城际铁路", "交通运输/公共交通"),
    ],
)
def test_standard_taxonomy_conventions(text: str, path: str) -> None:
    assert understand(text).category == path


def test_parent_scores_cover_every_first_level() -> None:
    guess = classify(cut("楼上漏水，物业不管"), cut("楼上漏水"))
    assert tuple(guess.parent_scores) == first_level_names()
    assert max(guess.parent_scores, key=guess.parent_scores.__getitem__) == "城乡建设"
    assert guess.parent_scores["城乡建设"] > 0.0
    assert classify([], []).parent_scores["城乡建设"] == 0.0


def test_shared_and_weighted_cue_words() -> None:
    votes = keyword_votes()
    # Siblings share a cue at full weight; different first levels split it.
    teacher = {TAXONOMY[index].path: weight for index, weight in votes["教师"]}
    assert teacher["教育文体/学校教育"] == teacher["教育文体/教师队伍"] == 1.0
    rubbish = [weight for _, weight in votes["垃圾"]]
    assert rubbish == [0.5, 0.5]
    assert all(word in votes for word in WEAK_KEYWORDS | STRONG_KEYWORDS)
    assert not WEAK_KEYWORDS & STRONG_KEYWORDS
    assert votes["公司"][0][1] < votes["物业"][0][1] < votes["垄断"][0][1]


def test_digits_inside_a_phone_number_are_no_keyword() -> None:
    from nlu import understand

    result = understand("国权路小区3号楼楼道灯坏了一个星期，晚上很黑，电话13812345678")
    assert result.category == "城乡建设/物业管理"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # A parked car is a parking matter even when what it blocks is a fire lane: 违停 names
        # the wrong, 消防通道 the place it harms.
        ("小区门口违停车辆堵住消防通道", "交通运输/停车管理"),
        ("消防通道上天天有人违章停车，救护车都开不进来", "交通运输/停车管理"),
        ("我们楼下的消防通道被乱停乱放的私家车占满了", "交通运输/停车管理"),
    ],
)
def test_parking_on_a_fire_lane(text: str, path: str) -> None:
    assert understand(text).category == path


def test_a_fire_lane_blocked_by_things_is_no_parking_matter() -> None:
    # Without a car in it, a blocked fire lane stays with the estate or with safety.
    category = understand("楼道里堆满纸箱和旧家具，把消防通道都堵死了").category
    assert category in {"城乡建设/物业管理", "城乡建设/安全生产"}


@pytest.mark.parametrize(
    "text",
    [
        "网格员小王上门帮我修好了水管，特别感谢",
        "感谢我们社区的网格员，停电那天挨家挨户来问有没有困难",
    ],
)
def test_praise_of_a_grid_worker_follows_the_unit_praised(text: str) -> None:
    # The message names a utility only as what the worker helped with; the unit praised is the
    # community's grid, so the praise goes to community work, never to the utility's desk.
    result = understand(text)
    assert result.category == "民政/社区建设"
    assert result.category_runner_up is None or is_valid_path(result.category_runner_up)


@pytest.mark.parametrize(
    "text",
    [
        "The street light outside building 5 is broken",
        "Il y a un nid-de-poule devant l'école",
        "🙂🙂🙂",
    ],
)
def test_messages_without_chinese_cues_fall_back(text: str) -> None:
    result = understand(text)
    assert result.category == FALLBACK_PATH
    assert result.category_confidence <= 0.1


def test_added_cue_words_come_out_whole() -> None:
    # Multi-character cues reach the segmenter's dictionary, so they vote as one word.
    assert "网格员" in cut("网格员上门来了")
    assert "违停" in keyword_votes()
    assert all(0 < weight for votes in keyword_votes().values() for _, weight in votes)
