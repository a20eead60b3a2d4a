"""What a resident is told to do at once when their message reports a danger to life.

One line per hazard code of :data:`nlu.urgency.HAZARDS`, in Chinese, written for a person who
may be frightened: the first thing to do, then whom to call. ``{gas}``, ``{power}`` and
``{water}`` are the district's utility lines from settings; 110/119/120 are national.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

HEADER = "【紧急提示】请先确保安全："
ADVICE: Mapping[str, str] = MappingProxyType(
    {
        "gas": (
            "闻到燃气味，请立即打开门窗、不要开关电器、不要点火或打电话于室内，"
            "人员撤到室外后拨打燃气抢修电话{gas}；有人不适请拨打120，起火请拨打119。"
        ),
        "fire": "发现起火或冒烟，请立即拨打119，有人被困时告诉接警员；撤离时不要乘电梯。",
        "medical": (
            "有人摔倒、受伤、昏迷或呼吸困难，请立即拨打120；"
            "进不了门、联系不上独居老人，请同时拨打110请民警协助。"
        ),
        "electric": (
            "请远离掉落或冒火花的电线、漏电的设备，不要触碰，提醒他人绕行；"
            "供电抢修电话{power}，有人触电请拨打120，起火请拨打119。"
        ),
        "flood": (
            "请先关闭进户总水阀，断开进水区域的电源，不要在积水中触碰电器；"
            "供水抢修电话{water}，有触电或倒塌危险请拨打119。"
        ),
        "violence": "如正在发生打架、持刀伤人、家暴或盗窃，请先到安全的地方并立即拨打110。",
    }
)
# After the advice, before the case's own reply.
FOOTER = "我们已按紧急件登记，并通知相关单位尽快处置。"
