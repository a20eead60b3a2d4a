"""A small demo district so that ``jiesu serve --demo`` works with no setup.

Names follow a real Shanghai district so the demo reads naturally; the grid boundaries are
illustrative rectangles, not surveyed lines. A deployment replaces all of this with its own data.
"""

from __future__ import annotations

DISTRICT = "杨浦区"

# code, name, kind, street
UNITS: list[tuple[str, str, str, str | None]] = [
    ("CENTER", "区城市运行管理中心", "center", None),
    ("ST-WJC", "五角场街道办事处", "street", "五角场街道"),
    ("ST-YX", "殷行街道办事处", "street", "殷行街道"),
    ("ST-KJL", "控江路街道办事处", "street", "控江路街道"),
    ("ST-CB", "长白新村街道办事处", "street", "长白新村街道"),
    ("HOUSING", "区房屋管理局", "department", None),
    ("GREEN", "区绿化和市容管理局", "department", None),
    ("URBAN", "区城管执法局", "department", None),
    ("CONSTRUCT", "区建设和管理委员会", "department", None),
    ("TRAFFIC", "区交通委员会", "department", None),
    ("ECO", "区生态环境局", "department", None),
    ("EDU", "区教育局", "department", None),
    ("HEALTH", "区卫生健康委员会", "department", None),
    ("HR", "区人力资源和社会保障局", "department", None),
    ("CIVIL", "区民政局", "department", None),
    ("MARKET", "区市场监督管理局", "department", None),
    ("POLICE", "公安杨浦分局", "department", None),
    ("UTIL", "区公用事业服务中心", "utility", None),
]


def _box(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north]]


# code, name, street, compounds/roads/POIs, aliases, boundary, street-office unit code
GRIDS: list[dict[str, object]] = [
    {
        "code": "WJC-01",
        "name": "国权路网格",
        "street": "五角场街道",
        "compounds": ["国权路小区", "复旦第九宿舍", "国权北路", "政通路"],
        "aliases": ["国权新村", "复旦九舍"],
        "boundary": _box(121.500, 31.295, 121.512, 31.305),
        "unit": "ST-WJC",
    },
    {
        "code": "WJC-02",
        "name": "大学路网格",
        "street": "五角场街道",
        "compounds": ["创智坊", "大学路", "五角场地铁站", "万达广场"],
        "aliases": ["五角场广场", "大学路步行街"],
        "boundary": _box(121.512, 31.295, 121.524, 31.305),
        "unit": "ST-WJC",
    },
    {
        "code": "YX-01",
        "name": "开鲁新村网格",
        "street": "殷行街道",
        "compounds": ["开鲁新村", "开鲁路", "殷行路"],
        "aliases": ["开鲁一村", "开鲁二村"],
        "boundary": _box(121.520, 31.318, 121.532, 31.328),
        "unit": "ST-YX",
    },
    {
        "code": "YX-02",
        "name": "市光路网格",
        "street": "殷行街道",
        "compounds": ["市光一村", "市光路", "国和路"],
        "aliases": ["市光新村"],
        "boundary": _box(121.532, 31.318, 121.544, 31.328),
        "unit": "ST-YX",
    },
    {
        "code": "KJL-01",
        "name": "凤城新村网格",
        "street": "控江路街道",
        "compounds": ["凤城新村", "凤城一村", "控江路", "鞍山路"],
        "aliases": ["凤城"],
        "boundary": _box(121.520, 31.270, 121.532, 31.280),
        "unit": "ST-KJL",
    },
    {
        "code": "KJL-02",
        "name": "控江二村网格",
        "street": "控江路街道",
        "compounds": ["控江二村", "控江中学", "延吉中路"],
        "aliases": ["控江新村"],
        "boundary": _box(121.532, 31.270, 121.544, 31.280),
        "unit": "ST-KJL",
    },
    {
        "code": "CB-01",
        "name": "长白二村网格",
        "street": "长白新村街道",
        "compounds": ["长白二村", "长白新村", "长白路"],
        "aliases": ["228街坊", "长白228"],
        "boundary": _box(121.532, 31.283, 121.544, 31.293),
        "unit": "ST-CB",
    },
    {
        "code": "CB-02",
        "name": "延吉东路网格",
        "street": "长白新村街道",
        "compounds": ["延吉东路", "安图路", "军工路"],
        "aliases": ["延吉东"],
        "boundary": _box(121.544, 31.283, 121.556, 31.293),
        "unit": "ST-CB",
    },
]

# name, role, unit code, grid code, WeCom userid, phone (demo numbers)
WORKERS: list[tuple[str, str, str, str | None, str, str]] = [
    ("王芳", "grid_worker", "ST-WJC", "WJC-01", "wangfang", "13800000101"),
    ("李强", "grid_worker", "ST-WJC", "WJC-02", "liqiang", "13800000102"),
    ("张敏", "grid_worker", "ST-YX", "YX-01", "zhangmin", "13800000103"),
    ("刘洋", "grid_worker", "ST-YX", "YX-02", "liuyang", "13800000104"),
    ("陈静", "grid_worker", "ST-KJL", "KJL-01", "chenjing", "13800000105"),
    ("杨磊", "grid_worker", "ST-KJL", "KJL-02", "yanglei", "13800000106"),
    ("赵丽", "grid_worker", "ST-CB", "CB-01", "zhaoli", "13800000107"),
    ("黄伟", "grid_worker", "ST-CB", "CB-02", "huangwei", "13800000108"),
    ("周涛", "supervisor", "ST-WJC", None, "zhoutao", "13800000201"),
    ("吴刚", "supervisor", "ST-YX", None, "wugang", "13800000202"),
    ("徐艳", "supervisor", "ST-KJL", None, "xuyan", "13800000203"),
    ("孙杰", "supervisor", "ST-CB", None, "sunjie", "13800000204"),
    ("马骏", "unit_head", "CENTER", None, "majun", "13800000301"),
    ("朱婷", "dispatcher", "CENTER", None, "zhuting", "13800000302"),
]

# priority, category prefix, unit code (None = the street office of the case's grid)
ROUTING_RULES: list[tuple[int, str, str | None]] = [
    (10, "城乡建设/违章建筑", "URBAN"),
    (20, "城乡建设/供水供电供气", "UTIL"),
    (30, "城乡建设/住房保障", "HOUSING"),
    (40, "城乡建设/市政设施", "CONSTRUCT"),
    (41, "城乡建设/公交地铁", "TRAFFIC"),
    (42, "城乡建设/环境卫生", "GREEN"),
    (50, "环境保护/噪声污染", "ECO"),
    (51, "环境保护/大气水污染", "ECO"),
    (52, "环境保护/市容环卫", "GREEN"),
    (60, "交通运输/停车管理", None),
    (61, "交通运输", "TRAFFIC"),
    (70, "教育文体", "EDU"),
    (80, "卫生计生", "HEALTH"),
    (90, "劳动和社会保障", "HR"),
    (100, "民政", "CIVIL"),
    (110, "商贸旅游", "MARKET"),
    (120, "政法", "POLICE"),
]
