"""Topic words: paraphrases of one problem share a signature, unrelated problems do not."""

from __future__ import annotations

from itertools import combinations

from nlu import understand
from nlu.topics import canonical, parts, signatures, topic_similarity, topic_words


def _topic(text: str) -> tuple[str, ...]:
    understood = understand(text)
    place = understood.place
    name = place.compound or place.road or place.poi or ""
    return topic_words(understood.keywords, understood.title, [name] if name else [])


SUBSIDY = (
    "人才购房补贴申请通不过，系统一直提示社保记录不全",
    "我是去年落户的硕士，申请人才购房补贴被驳回了，说没有社保缴纳记录",
    "为什么人才购房补贴审核一直通不过？材料都交齐了",
    "购房补贴申请提交三次都被退回，人才认定没问题，请问什么原因",
    "硕士毕业生首次购房，人才补贴申请被拒，理由是社保不连续",
)
NOISE_SHOPS = (
    "晨光小区临街商铺半夜还在营业，噪音扰民严重",
    "晨光小区底层门店开到凌晨，各种噪声吵得睡不着",
    "晨光小区一楼被改成商业门面，每天晚上噪音很大",
)
UNRELATED = (
    "人才购房补贴申请通不过，系统一直提示社保记录不全",
    "学校强制学生寒假去工厂实习，不去就不给毕业证",
    "菜市场门口的下水道堵了，污水流到马路上",
    "公交车司机开车太猛，老人上车还没坐稳就起步",
    "物业把消防通道划成收费车位，消防车进不来",
    "楼上装修电钻声从早响到晚，周末也不停",
    "药店卖的保健品说能治高血压，骗老人买了好几千",
    "医院挂号要排三个小时，能不能多开几个窗口",
)


def _linked(topics: list[tuple[str, ...]]) -> bool:
    """Whether the topics form one group when those sharing a signature are joined."""
    group = {0}
    changed = True
    while changed:
        changed = False
        keys = {key for index in group for key in signatures(topics[index])}
        for index, words in enumerate(topics):
            if index not in group and keys & set(signatures(words)):
                group.add(index)
                changed = True
    return len(group) == len(topics)


def test_paraphrases_of_one_problem_share_their_first_words() -> None:
    topics = [_topic(text) for text in SUBSIDY]
    assert all({"购房", "补贴"} <= set(words[:4]) for words in topics), topics
    assert all("补贴|购房" in signatures(words) for words in topics)


def test_shops_noise_written_three_ways_is_one_group() -> None:
    topics = [_topic(text) for text in NOISE_SHOPS]
    assert all("门面" in words and "噪音" in words for words in topics), topics
    assert _linked(topics)


def test_unrelated_problems_share_no_signature() -> None:
    topics = [_topic(text) for text in UNRELATED]
    for first, second in combinations(topics, 2):
        assert not set(signatures(first)) & set(signatures(second)), (first, second)


def test_generic_words_places_and_coded_cities_are_no_topic() -> None:
    words = topic_words(
        ["小区", "问题", "A市", "A5区", "希望", "业主", "魅力", "油烟味", "什么时候"],
        "A5区劳动东路魅力之城小区油烟扰民",
        ["劳动东路魅力之城小区"],
    )
    assert words == ("油烟", "扰民")


def test_equivalent_words_are_spelt_one_way() -> None:
    assert canonical("噪声") == ("噪音",)
    assert canonical("噪音扰民") == ("噪音", "扰民")
    assert canonical("施工扰民") == ("施工", "扰民")
    assert canonical("停车问题") == ("停车",)
    for shop in ("商铺", "店面", "门店", "临街门面", "商业门面"):
        assert canonical(shop) == ("门面",)
    assert canonical("A市") == canonical("西地省") == canonical("小区") == ()


def test_title_words_come_first_and_common_words_last() -> None:
    words = topic_words(["生活", "工作", "电梯", "物业"], "电梯又坏了")
    assert words[0] == "电梯"
    assert words.index("物业") < words.index("生活")


def test_at_most_six_words_and_no_duplicates() -> None:
    words = topic_words(["噪声", "噪音", "噪音扰民", "扰民", *(f"词{i}语" for i in range(9))])
    assert len(words) == 6
    assert len(set(words)) == 6
    assert words[:2] == ("噪音", "扰民")


def test_empty_input_gives_an_empty_topic() -> None:
    assert topic_words([], "") == ()
    assert signatures(()) == ()
    assert signatures(("电梯",)) == ()


def test_similarity_is_between_zero_and_one() -> None:
    same = ("购房", "补贴", "人才")
    assert topic_similarity(same, same) == 1.0
    assert topic_similarity(same, ()) == 0.0
    assert topic_similarity(same, ("噪音", "扰民")) == 0.0
    near = topic_similarity(same, ("购房", "补贴", "社保"))
    far = topic_similarity(same, ("社保", "人才", "医保"))
    assert 0.0 < far < near < 1.0


def test_compound_words_are_taken_as_the_words_residents_also_write() -> None:
    # A kind-of-thing ending: 健身卡 and 健身房 are both about 健身; 医保卡 is 医保.
    assert parts("健身房") == parts("健身卡") == ("健身",)
    assert canonical("医保卡") == canonical("医保") == ("医保",)
    # Two words in one: each made canonical in turn (人员 is generic, 养老金 is 养老保险).
    assert canonical("异地就医") == ("异地", "就医")
    assert canonical("异地结算") == ("异地", "结算")
    assert canonical("退休人员") == ("退休",)
    assert canonical("养老金调整") == ("养老保险", "调整")
    # Kept whole: terms that name a trouble, the tables' own spellings, idioms, plain words.
    assert canonical("飞线充电") == ("飞线充电",)
    assert canonical("养老保险") == canonical("居民养老保险") == ("养老保险",)
    assert canonical("水泄不通") == ("水泄不通",)
    assert canonical("人行道") == ("人行道",)


def test_function_words_are_no_topic() -> None:
    for word in ("为何", "迟迟", "一家", "上个月", "里面", "三万元", "每个"):
        assert canonical(word) == (), word
    # Time words our tables hold are kept (夜间施工 is a problem of its own).
    assert canonical("夜间") == ("夜间",)


def test_one_problem_written_with_different_compounds_shares_its_words() -> None:
    clinic = _topic("我在外地住院，医保卡异地结算一直失败，医院说备案没通过")
    again = _topic("请问异地就医医保结算为什么不成功？已经备案两个月了")
    assert {"医保", "异地", "结算"} <= set(clinic) & set(again)
    gym = _topic("办了两年的健身卡，健身房突然关门老板跑路了")
    other = _topic("又一家健身房跑路，上个月刚充值三千，现在人去楼空")
    assert {"健身", "跑路"} <= set(gym) & set(other)
