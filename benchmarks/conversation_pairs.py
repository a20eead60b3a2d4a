"""Conversation pairs for measuring :func:`nlu.sameness.compare` (data only, written for jiesu).

Each pair is a resident's report (``earlier``, the text of the open case) and a message the same
resident sends within the conversation (``later``). Groups:

- ``a``: the same matter: detail (when, how bad, a phone, the place), a follow-up, a photo
  caption, or the same problem in other words. Expected ``same``.
- ``b``: another problem at the same place (or with no place named, so read as the same place).
  Expected ``different``.
- ``c``: another problem at another place, or the same kind of problem at a clearly other place.
  Expected ``different``.

``acceptable`` lists the verdicts that count as right. A few genuinely ambiguous (a) pairs also
accept ``unclear`` (asking the resident is then fair). Every third pair of each group (see
:func:`held_out`) is held out: the thresholds of :mod:`config.duplicates` were tuned on the others.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConversationPair:
    earlier: str
    later: str
    group: str  # "a", "b" or "c"
    acceptable: tuple[str, ...]


LAMP = "楼下路灯坏了，晚上很黑"
LEAK = "国权路小区5号楼楼道漏水，墙面都湿了"
GARBAGE = "开鲁新村12号楼垃圾箱房好几天没人清运，臭气熏天"
BBQ = "大学路有家烧烤店每天晚上露天烧烤，油烟很大"
LIFT = "市光一村3号楼电梯坏了，停运两天了"
MANHOLE = "凤城新村门口控江路上的窨井盖缺了一块，晚上很危险"
SITE = "创智坊附近工地夜里施工打桩，噪音太大睡不着"
BIKES = "政通路上共享单车乱停，把盲道都占了"
PARKING = "复旦第九宿舍楼下有人把车停在消防通道上"
BRANCH = "殷行路上一棵行道树的树枝断了挂在半空"
DRAIN = "鞍山路菜市场门口下水道堵了，污水冒出来"
RENOVATION = "我家楼上每天半夜装修，电钻声吵得没法睡"
SHELTER = "国和路公交站台的顶棚坏了，下雨天等车全淋湿"
VEGETABLES = "小区绿化带被人挖了种菜，还浇粪水，很臭"
FLOODING = "万达广场地下车库出口一下雨就积水"
WATER = "我们小区自来水发黄，有铁锈味"
DOGS = "开鲁路上有流浪狗追着咬人，小孩很害怕"
CLUTTER = "国权路小区8号楼楼道里堆满了杂物，消防通道堵了"
FUMES = "市光路上一家餐馆油烟直排，对着居民楼窗户"
GATE = "凤城新村小区门禁坏了，外人随便进出"

SAME = ("same",)
SAME_OR_ASK = ("same", "unclear")
DIFFERENT = ("different",)


def _a(earlier: str, later: str, acceptable: tuple[str, ...] = SAME) -> ConversationPair:
    return ConversationPair(earlier, later, "a", acceptable)


def _b(earlier: str, later: str) -> ConversationPair:
    return ConversationPair(earlier, later, "b", DIFFERENT)


def _c(earlier: str, later: str) -> ConversationPair:
    return ConversationPair(earlier, later, "c", DIFFERENT)


PAIRS: tuple[ConversationPair, ...] = (
    _a(LAMP, "已经一个星期了"),
    _a(LAMP, "晚上根本看不见路"),
    _a(LAMP, "电话13800000000"),
    _a(LAMP, "国权路小区5号楼"),
    _a(LAMP, "还是没人来修"),
    _a(LAMP, "麻烦尽快"),
    _a(LAMP, "路灯一直不亮，老人晚上出门摔了一跤"),
    _b(LAMP, "另外小区门口烧烤店每天晚上很吵"),
    _c(LAMP, "还有开鲁路上的窨井盖也没了，很危险"),
    _a(LEAK, "从上周开始漏的"),
    _a(LEAK, "现在渗水越来越厉害了，墙皮都掉了"),
    _a(LEAK, "[图片]这是现场拍的照片"),
    _b(LEAK, "还有楼道里的灯也坏了"),
    _b(LEAK, "另外我们楼的电梯经常困人"),
    _c(LEAK, "顺便反映一下，大学路上的烧烤摊油烟很大"),
    _a(GARBAGE, "今天还是没人来收"),
    _a(GARBAGE, "垃圾都堆到外面了，招了好多老鼠"),
    _a(GARBAGE, "联系电话13912345678，姓王"),
    _b(GARBAGE, "小区里还有人养鸽子，粪便弄得到处都是"),
    _b(GARBAGE, "另外12号楼的楼道灯也不亮"),
    _c(GARBAGE, "殷行路上有棵树快倒了"),
    _a(BBQ, "每天都要烤到凌晨一两点"),
    _a(BBQ, "油烟呛得我们窗户都不敢开"),
    _a(BBQ, "就在大学路和政立路路口那家"),
    _b(BBQ, "大学路上共享单车也停得乱七八糟"),
    _b(BBQ, "还有大学路上很多车乱停在人行道上"),
    _c(BBQ, "我们小区电梯也坏了，在市光一村3号楼"),
    _a(LIFT, "家里有老人，下不了楼"),
    _a(LIFT, "到现在还没修好"),
    _a(LIFT, "电梯一直停着不动，物业说要等零件"),
    _b(LIFT, "另外3号楼楼道里堆满了杂物"),
    _b(LIFT, "小区门口还有人摆摊卖菜，很吵"),
    _c(LIFT, "控江路上的路灯也坏了好几天"),
    _a(MANHOLE, "我怕有人掉下去"),
    _a(MANHOLE, "井盖到现在还没补上"),
    _a(MANHOLE, "就在凤城新村大门往东二十米"),
    _b(MANHOLE, "控江路上还有很多违章停车"),
    _b(MANHOLE, "另外凤城新村门口的垃圾桶满了没人倒"),
    _c(MANHOLE, "鞍山路小学门口有流动摊贩卖三无零食"),
    _a(SITE, "昨天晚上一直打到两点"),
    _a(SITE, "请管一管夜间施工"),
    _a(SITE, "今晚又开始了，吵死了"),
    _b(SITE, "工地的渣土车也不盖篷布，路上全是泥"),
    _b(SITE, "创智坊门口的路面还塌了一个坑"),
    _c(SITE, "另外开鲁新村的垃圾好几天没清运了"),
    _a(BIKES, "盲人根本没法走"),
    _a(BIKES, "单车堆得越来越多了"),
    _a(BIKES, "在政通路靠近国权路那一段"),
    _b(BIKES, "政通路上还有餐馆把桌子摆到人行道上"),
    _b(BIKES, "政通路的路灯也有好几盏不亮"),
    _c(BIKES, "另外我家楼上漏水到我家了，在国权路小区5号楼"),
    _a(PARKING, "那辆车已经停了三天了"),
    _a(PARKING, "万一着火消防车根本进不来"),
    _a(PARKING, "车牌号沪A12345"),
    _b(PARKING, "楼下的垃圾箱也好久没人清理了"),
    _b(PARKING, "复旦第九宿舍的门卫晚上经常不在岗"),
    _c(PARKING, "还有一件事，凤城新村的门禁坏了"),
    _a(BRANCH, "刮风的时候晃得很厉害"),
    _a(BRANCH, "下面就是人行道，随时会砸到人"),
    _a(BRANCH, "树枝还挂在那里没人管"),
    _b(BRANCH, "殷行路人行道的地砖也松了好几块"),
    _b(BRANCH, "殷行路上还有人乱倒建筑垃圾"),
    _c(BRANCH, "另外国和路公厕关门一个多月了"),
    _a(DRAIN, "臭得路过都要捂鼻子"),
    _a(DRAIN, "都冒了两天了"),
    _a(DRAIN, "麻烦快点来疏通"),
    _b(DRAIN, "菜市场门口还有很多摊贩占道经营"),
    _b(DRAIN, "鞍山路菜市场里卖的肉没有检疫章"),
    _c(DRAIN, "控江路上有个工地晚上施工很吵"),
    _a(RENOVATION, "每天晚上十一点以后开始"),
    _a(RENOVATION, "跟他们说了也不听，还是天天装"),
    _a(RENOVATION, "我家在市光一村7号楼"),
    _b(RENOVATION, "楼上还往下扔垃圾"),
    _b(RENOVATION, "楼上那家还在阳台养了好多鸡"),
    _c(RENOVATION, "还有小区对面的万达广场停车场收费太贵"),
    _a(SHELTER, "老人孩子等车都淋湿了"),
    _a(SHELTER, "站台顶棚漏雨，一下雨就滴水"),
    _a(SHELTER, "就是国和路政立路那个站"),
    _b(SHELTER, "那个站的公交车也经常不准点，等半个小时"),
    _b(SHELTER, "站台旁边还有人乱扔垃圾"),
    _c(SHELTER, "另外我们小区的自来水发黄"),
    _a(VEGETABLES, "味道太大了，夏天根本不敢开窗"),
    _a(VEGETABLES, "绿化都被毁了，种满了菜"),
    _a(VEGETABLES, "是开鲁新村，3号楼前面那块"),
    _b(VEGETABLES, "小区里还有人私拉电线给电动车充电"),
    _b(VEGETABLES, "另外小区的健身器材坏了好久"),
    _c(VEGETABLES, "顺便问一下，控江路上那个工地什么时候完工"),
    _a(FLOODING, "水都没过轮胎了"),
    _a(FLOODING, "车开不出来，排水沟好像堵了"),
    _a(FLOODING, "每次下大雨都这样"),
    _b(FLOODING, "万达广场停车场收费乱，多收了钱"),
    _b(FLOODING, "车库里的灯一半都不亮"),
    _c(FLOODING, "另外大学路那家烧烤店油烟很大"),
    _a(WATER, "烧开了还有沉淀"),
    _a(WATER, "在市光一村，好几栋楼都这样"),
    _a(WATER, "水龙头一打开就是黄的，不敢喝"),
    _b(WATER, "小区的水压也很低，高层经常没水"),
    _b(WATER, "还有小区里的下水道经常堵"),
    _c(WATER, "还有个事，开鲁路上流浪狗很多"),
    _a(DOGS, "已经咬伤过一个老人了"),
    _a(DOGS, "有五六只，天天在路口转"),
    _a(DOGS, "孩子上学都不敢走那条路"),
    _b(DOGS, "开鲁路上还有人遛狗不牵绳"),
    _b(DOGS, "开鲁路上的路灯晚上也不亮"),
    _c(DOGS, "另外鞍山路菜市场门口下水道堵了"),
    _a(CLUTTER, "都是纸箱和旧家具"),
    _a(CLUTTER, "物业说了好几次都不清理"),
    _a(CLUTTER, "万一着火人都跑不出去", SAME_OR_ASK),
    _b(CLUTTER, "8号楼的电梯也经常困人"),
    _b(CLUTTER, "另外我们楼楼顶漏水"),
    _c(CLUTTER, "复旦第九宿舍那边的路灯也坏了"),
    _a(FUMES, "油烟味道很重，窗户上都是油"),
    _a(FUMES, "中午和晚上做饭的时候最厉害"),
    _a(FUMES, "店名叫老王家常菜"),
    _b(FUMES, "那家餐馆还把泔水倒进下水道"),
    _b(FUMES, "这家餐馆的空调外机晚上噪音也很大"),
    _c(FUMES, "国和路那个公交站的顶棚也坏了"),
    _a(GATE, "门一直开着关不上"),
    _a(GATE, "物业说坏了两个月了也不修"),
    _a(GATE, "晚上有陌生人进来，我们很担心安全"),
    _b(GATE, "小区里的路灯也坏了好几盏"),
    _b(GATE, "小区里电动车乱停乱放，堵住通道"),
    _c(GATE, "另外开鲁新村那边垃圾没人清运"),
    _a(LAMP, "我们这里路灯不亮好几天了，物业不管", SAME),
    _a(LEAK, "楼道渗水很严重，地上都是水"),
    _a(GARBAGE, "垃圾箱房的垃圾满了，没人运走"),
    _a(BBQ, "那家烧烤店又在外面烤了，烟很大"),
    _a(LIFT, "电梯停了，老人上不去下不来"),
    _a(MANHOLE, "那个井盖缺口越来越大了"),
    _a(SITE, "打桩声音太响了，孩子哭了一晚上"),
    _a(BIKES, "自行车还是停满了盲道"),
    _a(PARKING, "消防通道还是被那辆车堵着"),
    _c(LAMP, "国和路公交站台顶棚也坏了"),
    _c(LEAK, "市光一村3号楼的楼道也在漏水"),
    _c(GARBAGE, "凤城新村9号楼的垃圾箱房也没人清运"),
    _c(LIFT, "开鲁新村12号楼电梯也坏了"),
    _c(BIKES, "大学路上的共享单车也乱停"),
    _c(DRAIN, "开鲁路菜市场门口的下水道也堵了"),
    _b(LAMP, "楼下那家超市卖过期食品"),
    _b(SITE, "工地的工人在路边随地大小便"),
    _b(WATER, "小区物业费又涨价了，也没有公示"),
    _b(GATE, "小区里有人养了一条大狗不拴绳"),
    _c(FUMES, "另外鞍山路上有个小学门口交通很堵"),
    _c(DOGS, "控江路凤城新村门口的窨井盖也缺了"),
)


def held_out(pairs: tuple[ConversationPair, ...] = PAIRS) -> list[bool]:
    """For each pair, whether it is held out: the third, sixth, ... pair of its group."""
    seen: dict[str, int] = {}
    flags: list[bool] = []
    for pair in pairs:
        seen[pair.group] = seen.get(pair.group, 0) + 1
        flags.append(seen[pair.group] % 3 == 0)
    return flags
