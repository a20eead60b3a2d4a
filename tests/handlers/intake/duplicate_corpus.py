"""Messages for measuring duplicate detection, written for the demo district.

``REPEATS``: a later message about the same problem at the same place as an earlier one; the
later case should join the earlier. ``LOOKALIKES``: a later message that resembles an earlier one
(same place and a neighbouring problem, the same problem elsewhere, the same resident about
something else) and must never join it. All originals are reported first, then all later
messages, so a later message may also wrongly join another pair's original: that counts as a
false merge too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.context import HandlerContext
from handlers.intake.report import report_case
from models import Case, Resident


@dataclass(frozen=True)
class Pair:
    first: str
    later: str
    same_resident: bool = False


REPEATS: tuple[Pair, ...] = (
    Pair(
        "国权路小区5号楼楼道灯坏了一个多星期，晚上一片漆黑，老人上下楼很危险，请物业尽快修理。",
        "国权路小区5号楼的楼道灯到现在还是不亮，晚上上楼黑漆漆的，希望赶紧来修一下楼道灯。",
    ),
    Pair(
        "政通路和国权北路路口的窨井盖缺了一块，晚上骑车经过差点摔倒，太危险了。",
        "政通路国权北路路口有个窨井盖破了一个大口子，电动车经过很容易摔，请尽快更换井盖。",
    ),
    Pair(
        "大学路步行街有家烧烤店每天晚上在店外露天烧烤，油烟很大，楼上住户窗户都不敢开。",
        "大学路那家烧烤店天天晚上在门外摆摊露天烧烤，油烟呛人，住在楼上根本没法开窗。",
    ),
    Pair(
        "开鲁新村12号楼前面的垃圾箱房好几天没人清运，垃圾堆到外面，臭气熏天还招老鼠。",
        "开鲁新村12号楼垃圾箱房的垃圾又满出来了，好几天都没有清运，味道很臭，老鼠到处跑。",
    ),
    Pair(
        "市光一村小区里的电梯故障停运三天了，住在高层的老人没法下楼买菜看病。",
        "市光一村的电梯坏了好几天一直停运，家里老人住十几楼，下不了楼，请督促物业修电梯。",
    ),
    Pair(
        "凤城新村门口控江路上的路灯不亮已经两周了，晚上路口很黑，行人过马路很危险。",
        "凤城新村门口那段控江路的路灯一直不亮，晚上特别黑，过马路看不清，请修一下路灯。",
        True,
    ),
    Pair(
        "鞍山路上有一段人行道地砖松动翘起来了，下雨天一踩一脚泥水，老人容易绊倒。",
        "鞍山路人行道的地砖翘起松动，踩上去溅一身泥水，好几个老人差点绊倒，请修复人行道。",
    ),
    Pair(
        "创智坊附近工地晚上十一点以后还在施工打桩，噪音太大，吵得孩子睡不着觉。",
        "创智坊旁边的工地半夜还在打桩施工，噪音特别大，孩子根本睡不着，请管一管夜间施工。",
    ),
    Pair(
        "复旦第九宿舍3号楼顶楼漏水，下雨天雨水顺着天花板往下滴，屋里墙面都发霉了。",
        "复旦第九宿舍3号楼顶楼还在漏水，一下雨天花板就滴水，墙面发霉，报修多次没人来修漏水。",
        True,
    ),
    Pair(
        "万达广场地下车库出口的排水沟堵了，一下雨就积水，车开出来水没过轮胎。",
        "万达广场地下车库出口又积水了，排水沟堵塞，下雨后积水很深，车都开不出来。",
    ),
    Pair(
        "国权北路上共享单车乱停乱放，把盲道和人行道都占满了，行人只能走到机动车道上。",
        "国权北路共享单车乱停放太严重，人行道和盲道全被单车占了，行人没法走。",
    ),
    Pair(
        "开鲁路菜市场门口的下水道堵塞，污水冒出来流了一地，气味难闻。",
        "开鲁路菜市场门口下水道又堵了，污水往外冒，满地都是脏水，臭得很。",
    ),
    Pair(
        "殷行路上一棵行道树的大树枝断了挂在半空，刮风随时可能掉下来砸到人。",
        "殷行路那棵行道树断掉的大树枝还挂在上面，风一吹晃得厉害，很怕掉下来砸人，请尽快修剪。",
        True,
    ),
    Pair(
        "国和路上的公共厕所已经关门一个多月了，附近摆摊的和过路的人都找不到地方上厕所。",
        "国和路公共厕所关了一个多月也不开门，过路的人找不到厕所，希望尽快恢复开放公厕。",
    ),
)

LOOKALIKES: tuple[Pair, ...] = (
    # Same place, another problem of the same category.
    Pair(
        "国权路小区8号楼的电梯经常困人，上周又把人关在里面半小时，物业一直不维修保养。",
        "国权路小区8号楼楼道里堆满了纸箱和旧家具，消防通道都堵住了，物业也不清理。",
    ),
    Pair(
        "市光一村小区大门的门禁坏了，外来人员随便进出，居民觉得很不安全。",
        "市光一村小区的绿化好几年没人修剪，树枝都伸进居民家窗户里了。",
    ),
    # The same problem at another place.
    Pair(
        "大学路和政立路路口的路灯坏了，晚上路口很黑。",
        "开鲁路和嫩江路路口的路灯坏了，晚上路口很黑。",
    ),
    Pair(
        "凤城新村9号楼垃圾箱房好几天没有清运，垃圾都堆到外面了。",
        "市光一村9号楼垃圾箱房好几天没有清运，垃圾都堆到外面了。",
    ),
    Pair(
        "复旦第九宿舍6号楼楼顶漏水，下雨天房间里滴水。",
        "复旦第九宿舍11号楼楼顶漏水，下雨天房间里滴水。",
    ),
    # The same resident, about something else.
    Pair(
        "政通路上的餐馆油烟直排，对着居民楼窗户，呛得人咳嗽。",
        "政通路人行道上的地砖坏了好几块，走路容易崴脚。",
        True,
    ),
    Pair(
        "开鲁新村小区里有人饲养鸽子，鸽子粪便弄得晾的衣服上都是。",
        "开鲁新村小区车库里有人私拉电线给电动车充电，存在火灾隐患。",
        True,
    ),
    # Same place, same first-level category, different matter.
    Pair(
        "控江路上的公交站台顶棚坏了，下雨天等车的人全淋湿了。",
        "控江路上的违章停车太多，公交车进站都很困难，经常堵车。",
    ),
    Pair(
        "创智坊附近的共享单车堆成一片，挡住了人行道。",
        "创智坊附近的出租车司机拒载、绕路，打车很难。",
    ),
    Pair(
        "万达广场里有家健身房突然关门跑路了，会员卡里还有几千元没退。",
        "万达广场一楼的奶茶店食品卫生有问题，喝完拉肚子。",
    ),
    Pair(
        "鞍山路上的小学门口放学时很多家长车辆乱停，交通拥堵。",
        "鞍山路上的小学门口有流动摊贩卖三无零食给孩子。",
    ),
    Pair(
        "开鲁新村12号楼楼道灯坏了，晚上上下楼很黑，请物业修一下。",
        "开鲁新村12号楼楼道的窗户玻璃碎了，碎玻璃掉在楼梯上，请物业处理一下。",
    ),
    Pair(
        "万达广场门口的路面塌陷了一个大坑，车开过去很颠。",
        "万达广场门口的路灯坏了好几个，晚上很暗。",
    ),
    Pair(
        "市光一村3号楼下水道堵了，污水从地漏倒灌进家里。",
        "市光一村3号楼自来水水压太低，住高层的家里经常没水。",
    ),
    Pair(
        "国和路上有个工地晚上施工噪音很大。",
        "国和路上有个工地渣土车不盖篷布，扬尘很大，路面都是泥。",
    ),
)


@dataclass
class CorpusResult:
    repeats: int = 0
    found: int = 0
    false_merges: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.repeats if self.repeats else 1.0


async def run_corpus(
    ctx: HandlerContext,
    repeats: tuple[Pair, ...] = REPEATS,
    lookalikes: tuple[Pair, ...] = LOOKALIKES,
) -> CorpusResult:
    """Report every pair's first message, then every later one; compare the merges made.

    Pairs may share their first message (a paraphrase and a look-alike of one report): it is
    reported once, by one resident.
    """
    result = CorpusResult()
    pairs = [(pair, True) for pair in repeats] + [(pair, False) for pair in lookalikes]
    reported: dict[str, tuple[Resident, Case]] = {}
    for index, (pair, _) in enumerate(pairs):
        if pair.first in reported:
            continue
        resident = await Resident.create(openid=f"o-corpus-first-{index}")
        report = await report_case(resident, pair.first, ctx)
        if report.case.duplicate_of_id is not None:
            result.false_merges.append(f"first message {index} joined another: {pair.first}")
        reported[pair.first] = (resident, report.case)
    for index, (pair, is_repeat) in enumerate(pairs):
        first_resident, first_case = reported[pair.first]
        resident = (
            first_resident
            if pair.same_resident
            else await Resident.create(openid=f"o-corpus-later-{index}")
        )
        report = await report_case(resident, pair.later, ctx)
        joined = report.case.duplicate_of_id
        if is_repeat:
            result.repeats += 1
            if joined == first_case.id:
                result.found += 1
            elif joined is None:
                result.missed.append(pair.later)
            else:
                result.false_merges.append(f"joined the wrong case: {pair.later}")
        elif joined is not None:
            result.false_merges.append(f"look-alike joined: {pair.later}")
    return result
