"""Kinds on a sample of the labelled set of ``benchmarks/kind_set.py``, so regressions show.

The sample is taken from the part of the set the cue tables were tuned on (every sixth message,
short ones); the whole set is measured by ``benchmarks/kinds.py``. Praise routed as a complaint
would send a thank-you to a unit as a task, so that is checked over the whole set.
"""

from __future__ import annotations

import pytest

from benchmarks.kind_set import KIND_SET
from nlu import understand
from nlu.kind import detect_kind
from nlu.summary import lead_length


def _kind(text: str) -> str:
    return detect_kind(text, lead_length(text)).kind


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("complaint", "小区门口的垃圾桶好几天没人清运了，臭得不行"),
        ("complaint", "长海路人行道上全是共享单车，轮椅和婴儿车都过不去"),
        ("complaint", "对上次反映的噪音问题处理结果不满意，晚上依旧很吵"),
        ("complaint", "幼儿园门口每天接送孩子的车乱停，堵得水泄不通，谢谢"),
        ("complaint", "车库入口的减速带坏了，车开过去咣咣响，晚上吵人"),
        ("complaint", "社区医院排队挂号要等两个小时，工作人员态度还很差"),
        ("complaint", "我家楼下空调外机滴水，正好滴在我家的雨棚上，滴答滴答一夜都睡不好"),
        ("suggestion", "希望小区里能加装几张休息的长椅，老人散步走累了没地方坐"),
        ("suggestion", "可以考虑在控江路公交站加个遮雨棚，下雨天等车全身湿透"),
        ("suggestion", "希望在社区服务中心开设周末窗口，上班族平时没时间办事"),
        ("suggestion", "建议把小区门口的垃圾箱往里面挪一挪，现在正对着幼儿园"),
        ("suggestion", "推荐在社区设立四点半课堂，解决双职工家庭孩子放学没人管的问题"),
        ("suggestion", "对于河道治理我有一个建议，可以请周边居民当河长志愿者"),
        ("suggestion", "可否在公园里划出一块宠物活动区，遛狗的人和散步的人分开，大家都方便"),
        ("question", "公租房的申请条件是什么"),
        ("question", "办理残疾证要带什么证件"),
        ("question", "大件垃圾怎么预约清运，收费吗？"),
        ("question", "疫苗接种点在哪里，需要预约吗"),
        ("question", "社保卡丢了怎么补办"),
        ("question", "想知道困难家庭的认定标准"),
        ("help", "求助！我家老人摔倒在家里起不来，子女都不在身边，帮帮我们"),
        ("help", "老伴住院了，我一个人在家腿摔伤了，买菜做饭都成问题"),
        ("help", "我被困在电梯里了，国权路小区8号楼，按警铃没人应"),
        ("help", "房东突然要我们今天搬走，带着孩子没有地方住"),
        ("help", "腿脚不方便，每次去医院配药都要下五层楼，想申请上门送药服务"),
        ("help", "小区里一只狗被卡在下水道口出不来了，叫了半天没人来"),
        ("help", "帮忙联系一下我舅舅，他一个人住在殷行街道，电话一直打不通，我们很担心"),
        ("report", "控江路188号有一家无证经营的小诊所，医生没有资质"),
        ("report", "路边有人兜售假发票，还在电线杆上贴小广告"),
        ("report", "有个施工队在夜里偷偷把建筑垃圾倒进绿化带"),
        ("report", "一家培训机构没有办学许可，在居民楼里给孩子上课"),
        ("report", "举报一家按摩店，有色情服务"),
        ("report", "有一辆无牌照的渣土车天天在这条路上跑，还超载"),
        ("report", "检举某街道工作人员上班时间在办公室打牌"),
        ("praise", "我们想给社区卫生服务中心的刘医生送一面锦旗，感谢她对我母亲的照顾"),
        ("praise", "12345的接线员态度特别好，耐心听我讲了半个小时"),
        ("praise", "对这次的处理结果非常满意，工作人员很专业"),
        ("praise", "太感谢了，昨天反映的停水今天一早就恢复了"),
        ("praise", "街道组织的老年人手机培训班很实用，老师讲得很细，我终于学会视频通话了"),
        ("praise", "为物业的王师傅点赞，半夜来帮我们修好了水管"),
        ("praise", "之前投诉的噪音问题解决了，城管的同志很耐心，给你们点个赞"),
    ],
)
def test_kind_on_sample(kind: str, text: str) -> None:
    assert _kind(text) == kind


def test_set_is_balanced_and_large_enough() -> None:
    counts = {kind: sum(1 for label, _ in KIND_SET if label == kind) for kind, _ in KIND_SET}
    assert len(KIND_SET) >= 200
    assert min(counts.values()) >= 33 and len(counts) == 6


def test_praise_is_never_read_as_a_complaint() -> None:
    misread = [text for kind, text in KIND_SET if kind == "praise" and _kind(text) == "complaint"]
    assert misread == []


def test_understand_reads_the_same_kind() -> None:
    text = "为物业的王师傅点赞，半夜来帮我们修好了水管"
    assert understand(text).kind == "praise" == _kind(text)
