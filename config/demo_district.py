"""A small demo district so that ``jiesu serve --demo`` works with no setup.

Names follow a real Shanghai district so the demo reads naturally; the grid boundaries are
illustrative rectangles, not surveyed lines. A deployment replaces all of this with its own data.
"""

from __future__ import annotations

from pathlib import Path

DISTRICT = "杨浦区"

# The units, grids, workers and place names are files in ``demo_district_files/`` (the same
# files a district imports with ``jiesu district import``); routing rules stay here. Its small
# knowledge base is ``demo_district_files/knowledge.csv`` (the knowledge import's columns).
FILES = Path(__file__).parent / "demo_district_files"

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
