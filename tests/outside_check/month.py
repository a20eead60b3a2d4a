"""A month of a district, made through the public HTTP interfaces only.

This is the check an outsider makes of the figures (issue 16, "Done means"): they set up a new
district, live through November 2026 with cases whose events they choose, read back the figures
and the ranking, and compare them with what they work out by hand from the documented
definitions (README, "Figures"; ``handlers/figures/compute.py`` and ``ranking.py``). The
numbers they expect are literals in ``test_month.py``, each derived in a comment.

What the checker may use is what an outsider has:

- the official account's callback ``/wechat/mp``, signed as WeChat signs it, for residents who
  report, answer their survey (满意 / 基本满意 / 不满意) and withdraw a case (撤销 编号);
- the worker API (``/api/worker/…``) for the units' 签收, 先行联系, 办结, 退单 and 延期;
- the admin API (``/api/admin/…``) for the district's set-up (units, grids, workers), the
  centre's decisions (退单, 延期, 办结审核, 并案, 不予受理), a survey answer taken by phone or on
  a visit, the case details, the figures, the ranking and closing the month;
- credentials the operator hands out (``jiesu users token``, ``jiesu workers token``), made by
  the fixture (``conftest.py``) the way those commands make them.

No model import, no query, no handler call here. Time: the app's clock is injected and the
fixture moves it to each step's Shanghai time (``Outsider.move_to``), where a checker of a
running service would do each step on its real day. No sweep runs (the app starts without its
background jobs): survey rounds are answered in the chat right after 办结 (which the service
takes as the round's answer) or recorded by staff, so nothing depends on a sweep; a round nobody
answers stays open and counts nowhere, as it would until the sweep closed it as 未评价.

Every event happens inside November; the month is read on 1 December 09:00 (a Tuesday), then
closed through the API at that same moment, with nothing recorded in between, so a closed
month computed "at the close" and one computed "as it stood at the month's end" agree.

The month is lived once per backend and test run (``the_month``): its answers are kept and each
test reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from tests.bot.conftest import Resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-11"
NUMBER = re.compile(r"(?<![0-9])([0-9]{10})(?![0-9])")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Shanghai wall-clock time of November 2026 (or of ``month``), as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


START = at(1, 9)  # Sunday 1 November 2026, 09:00 in Shanghai


class Operator:
    """What the district's operator does outside the HTTP interfaces (see conftest)."""

    def move_to(self, when: datetime) -> None:
        raise NotImplementedError

    async def staff_token(self, username: str, role: str) -> str:
        raise NotImplementedError

    async def worker_token(self, worker_id: int) -> str:
        raise NotImplementedError


@dataclass
class Outsider:
    client: TestClient
    operator: Operator
    backend: str
    tokens: dict[str, str] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)

    def move_to(self, when: datetime) -> None:
        self.operator.move_to(when)

    async def call(
        self,
        method: str,
        path: str,
        who: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        expect: int | tuple[int, ...] = 200,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = await self.client.request(
            method, path, json=body, params=params, headers=headers
        )
        wanted = expect if isinstance(expect, tuple) else (expect,)
        text = await response.text()
        assert response.status in wanted, (method, path, response.status, text)
        if response.content_type == "application/json":
            return await response.json()
        return text

    async def say(self, openid: str, text: str) -> str:
        resident = self.residents.setdefault(openid, Resident(self.client, openid))
        return await resident.say(text)

    async def report(self, openid: str, text: str) -> str:
        """A resident writes to the official account; the number the reply names."""
        reply = await self.say(openid, text)
        found = NUMBER.search(reply)
        assert found, reply
        return found.group(1)


# The district, as a new one sets itself up through the admin API (README, "Setting up a
# district"): a centre, two street offices with a grid each, a department, and a street office
# whose grid gets no case this month.
UNITS = {
    "CENTER": {"name": "区12345中心", "kind": "center"},
    "ST-A": {"name": "甲街道办事处", "kind": "street", "street": "甲街道"},
    "ST-B": {"name": "乙街道办事处", "kind": "street", "street": "乙街道"},
    "ST-C": {"name": "丙街道办事处", "kind": "street", "street": "丙街道"},
    "DEPT-H": {"name": "区房屋管理局", "kind": "department"},
}
GRIDS = {
    "GA": {"name": "甲一网格", "street": "甲街道", "unit": "ST-A", "compounds": ["幸福小区"]},
    "GB": {"name": "乙一网格", "street": "乙街道", "unit": "ST-B", "compounds": ["和平小区"]},
    "GC": {"name": "丙一网格", "street": "丙街道", "unit": "ST-C", "compounds": ["安康小区"]},
}
WORKERS = {
    "wa": {"name": "甲网格员", "role": "grid_worker", "unit": "ST-A", "grids": ["GA"]},
    "wb": {"name": "乙网格员", "role": "grid_worker", "unit": "ST-B", "grids": ["GB"]},
    "wc": {"name": "丙网格员", "role": "grid_worker", "unit": "ST-C", "grids": ["GC"]},
    "wh": {"name": "房管承办", "role": "unit_staff", "unit": "DEPT-H", "grids": []},
}


@dataclass
class Month:
    """What the checker read back after the month (every answer as the API gave it)."""

    numbers: dict[str, str] = field(default_factory=dict)  # our names -> case numbers
    cases: dict[str, Any] = field(default_factory=dict)  # our names -> GET /api/admin/cases/N
    followups: dict[str, Any] = field(default_factory=dict)  # -> GET …/followup
    live: dict[str, Any] = field(default_factory=dict)  # district figures before the close
    live_units: dict[str, Any] = field(default_factory=dict)  # per unit (&unit=CODE)
    ranking_live: dict[str, Any] = field(default_factory=dict)
    closed: dict[str, Any] = field(default_factory=dict)  # POST close-month's answer
    frozen: dict[str, Any] = field(default_factory=dict)  # district figures after the close
    frozen_units: dict[str, Any] = field(default_factory=dict)
    ranking: dict[str, Any] = field(default_factory=dict)  # after the close
    ranking_csv: str = ""
    figures_csv: str = ""
    definitions: dict[str, Any] = field(default_factory=dict)
    late_extension: dict[str, Any] = field(default_factory=dict)  # the 409 of the late 延期
    contract: dict[str, Any] = field(default_factory=dict)  # GET /api/openapi.json


async def set_up_district(o: Outsider) -> None:
    o.tokens["admin"] = await o.operator.staff_token("admin", "admin")
    o.tokens["centre"] = await o.operator.staff_token("zhuting", "dispatcher")
    for code, unit in UNITS.items():
        await o.call("PUT", f"/api/admin/units/{code}", "admin", unit)
    for code, grid in GRIDS.items():
        await o.call("PUT", f"/api/admin/grids/{code}", "admin", grid)
    for key, worker in WORKERS.items():
        made = await o.call("POST", "/api/admin/workers", "admin", worker, expect=201)
        o.tokens[key] = await o.operator.worker_token(made["worker"]["id"])


class Script:
    """The month's steps, each at its Shanghai time; ``o`` is the checker's connection."""

    def __init__(self, o: Outsider, month: Month) -> None:
        self.o = o
        self.month = month

    def n(self, case: str) -> str:
        return self.month.numbers[case]

    async def report(self, when: datetime, case: str, openid: str, text: str) -> None:
        self.o.move_to(when)
        self.month.numbers[case] = await self.o.report(openid, text)

    async def worker(
        self, when: datetime, who: str, case: str, action: str, body: Any = None, **kw: Any
    ) -> Any:
        self.o.move_to(when)
        path = f"/api/worker/cases/{self.n(case)}/{action}"
        return await self.o.call("POST", path, who, body if body is not None else {}, **kw)

    async def centre(self, when: datetime, case: str, action: str, body: Any, **kw: Any) -> Any:
        self.o.move_to(when)
        path = f"/api/admin/cases/{self.n(case)}/{action}"
        return await self.o.call("POST", path, "centre", body, **kw)

    async def resident(self, when: datetime, openid: str, text: str) -> str:
        self.o.move_to(when)
        return await self.o.say(openid, text)

    async def handled(
        self, case: str, who: str, signed: datetime, contacted: datetime, finished: datetime | None
    ) -> None:
        await self.worker(signed, who, case, "sign", expect=(200, 201))
        await self.worker(contacted, who, case, "contact", {"method": "phone"}, expect=(200, 201))
        if finished is not None:
            body = {"result": "已处理完毕"}
            await self.worker(finished, who, case, "finish", body, expect=(200, 201))


async def live_the_month(o: Outsider) -> Month:
    month = Month()
    s = Script(o, month)
    await set_up_district(o)

    # A1 (甲): contacted and finished in time; the resident answers 满意 in the chat.
    await s.report(at(2, 10), "A1", "r1", "幸福小区3号楼门口路灯坏了，晚上很黑")
    await s.handled("A1", "wa", at(2, 10, 30), at(2, 11), at(4, 10))
    await s.resident(at(4, 10, 5), "r1", "满意")
    # A2 (甲): contacted late (due 3 Nov 14:00), finished in time; staff take 满意 by phone.
    await s.report(at(2, 14), "A2", "r2", "幸福小区5号楼旁边的垃圾桶满了好几天没人清运")
    await s.handled("A2", "wa", at(2, 15), at(4, 9), at(6, 10))
    await s.centre(
        at(6, 11), "A2", "survey-answers", {"answer": "satisfied", "channel": "phone"},
        expect=(200, 201),
    )  # fmt: skip
    # A3 (甲): in time; 不满意 in the chat reopens it (重办); finished again, reviewed and
    # passed by the centre, then 满意.
    await s.report(at(3, 9), "A3", "r3", "幸福小区东门的路面坑坑洼洼，一下雨就积水")
    await s.handled("A3", "wa", at(3, 9, 30), at(3, 10), at(5, 10))
    await s.resident(at(5, 10, 5), "r3", "不满意，路面还是坑坑洼洼")
    await s.worker(at(9, 10), "wa", "A3", "finish", {"result": "已重新铺平"}, expect=(200, 201))
    await s.centre(at(9, 11), "A3", "review", {"decision": "pass"})
    await s.resident(at(9, 11, 5), "r3", "满意")
    # A4 (甲): 延期 asked before the deadline (13 Nov 17:30), approved to 20 Nov; finished on
    # 18 Nov: in time against the extended deadline. Nobody answers its survey.
    await s.report(at(4, 10), "A4", "r4", "幸福小区8号楼楼道里的灯不亮了")
    await s.handled("A4", "wa", at(4, 10, 30), at(4, 11), None)
    asked = await s.worker(
        at(10, 10), "wa", "A4", "extension",
        {"new_due_at": at(20, 17, 30).isoformat(), "reason": "需采购灯具"}, expect=201,
    )  # fmt: skip
    extension = asked["extension"]["id"]
    await s.centre(at(10, 14), "A4", f"extensions/{extension}/decide", {"approve": True})
    await s.worker(at(18, 10), "wa", "A4", "finish", {"result": "已更换灯具"}, expect=(200, 201))
    # A5 (甲 -> 房管局): signed, 退单 asked at once, approved by the centre to DEPT-H, whose own
    # deadlines run from then; 房管局 contacts in time, finishes late; 基本满意 in the chat.
    await s.report(at(5, 10), "A5", "r5", "幸福小区2号楼门口的井盖松动了，踩上去会晃")
    await s.worker(at(5, 10, 20), "wa", "A5", "sign", expect=(200, 201))
    back = await s.worker(
        at(5, 10, 30), "wa", "A5", "return",
        {"reason": "井盖属房管局管理", "suggested_unit": "DEPT-H"}, expect=201,
    )  # fmt: skip
    request = back["return_request"]["id"]
    await s.centre(
        at(5, 12), "A5", f"returns/{request}/decide", {"approve": True, "unit": "DEPT-H"}
    )
    await s.handled("A5", "wh", at(5, 13), at(5, 14), at(18, 10))
    await s.resident(at(18, 10, 5), "r5", "基本满意")
    # A6 (甲): 退单 asked and refused by the centre (不合理退单); contacted late (due 7 Nov
    # 10:00); 延期 asked after the deadline (17 Nov 17:30): refused as late; finished late;
    # staff record 基本满意 from a visit.
    await s.report(at(6, 10), "A6", "r6", "幸福小区9号楼前的健身器材坏了")
    await s.worker(at(6, 10, 30), "wa", "A6", "sign", expect=(200, 201))
    back = await s.worker(
        at(6, 11), "wa", "A6", "return",
        {"reason": "应由房管局处理", "suggested_unit": "DEPT-H"}, expect=201,
    )  # fmt: skip
    request = back["return_request"]["id"]
    await s.centre(
        at(6, 15), "A6", f"returns/{request}/decide",
        {"approve": False, "note": "健身器材属街道管理，请继续办理"},
    )  # fmt: skip
    await s.worker(at(9, 10), "wa", "A6", "contact", {"method": "visit"}, expect=(200, 201))
    month.late_extension = await s.worker(
        at(18, 9), "wa", "A6", "extension",
        {"new_due_at": at(25, 17, 30).isoformat(), "reason": "厂家配件未到"}, expect=409,
    )  # fmt: skip
    await s.worker(at(20, 10), "wa", "A6", "finish", {"result": "已修复"}, expect=(200, 201))
    await s.centre(
        at(20, 15), "A6", "survey-answers", {"answer": "basically", "channel": "visit"},
        expect=(200, 201),
    )  # fmt: skip
    # B1 (乙): contacted in time, never finished: overdue since 18 Nov 17:30.
    await s.report(at(9, 10), "B1", "r7", "和平小区1号楼门口路灯坏了")
    await s.handled("B1", "wb", at(9, 10, 30), at(9, 11), None)
    # B2 (乙) and B3 (another resident, another spot): the centre merges B3 into B2 (集中诉求).
    # B2 contacted late (due 10 Nov 11:00), finished in time, 满意.
    await s.report(at(9, 11), "B2", "r8", "和平小区4号楼楼下共享单车乱停乱放")
    await s.report(at(9, 15), "B3", "r9", "和平小区西门外人行道被电动车占满了")
    await s.centre(at(9, 16), "B3", "merge", {"into": s.n("B2"), "reason": "同一问题"})
    await s.handled("B2", "wb", at(9, 11, 30), at(10, 15), at(12, 10))
    await s.resident(at(12, 10, 5), "r8", "满意")
    # B4 (乙): 不予受理 by the centre.
    await s.report(at(10, 10), "B4", "r10", "和平小区6号楼前草坪上有很多狗屎")
    await s.centre(at(10, 11), "B4", "invalidate", {"reason": "out_of_scope"})
    # B5 (乙): withdrawn by its resident before anyone signed.
    await s.report(at(10, 14), "B5", "r11", "和平小区7号楼门口的快递柜坏了")
    await s.resident(at(10, 14, 10), "r11", f"撤销 {s.n('B5')}")
    # A1R (甲): r1 writes again about the lamp of A1, closed on 4 Nov: a 重复诉求 linked to A1.
    await s.report(at(12, 10), "A1R", "r1", "幸福小区3号楼门口的路灯不亮了，晚上很黑")
    await s.handled("A1R", "wa", at(12, 10, 30), at(12, 11), at(16, 10))
    await s.resident(at(16, 10, 5), "r1", "基本满意")

    # The month is over: read everything back on 1 December, 09:00 (a Tuesday), then close it.
    o.move_to(at(1, 9, month=12))
    await read_back(o, month)
    return month


async def read_back(o: Outsider, month: Month) -> None:
    period = {"from": "2026-11-01", "to": "2026-12-01"}
    response = await o.client.get("/api/openapi.json")
    assert response.status == 200
    month.contract = await response.json()
    for case, number in month.numbers.items():
        month.cases[case] = (await o.call("GET", f"/api/admin/cases/{number}", "admin"))["case"]
        month.followups[case] = await o.call("GET", f"/api/admin/cases/{number}/followup", "admin")
    month.definitions = await o.call("GET", "/api/admin/figures/definitions", "admin")
    month.live = await o.call("GET", "/api/admin/figures", "admin", params=period)
    for code in UNITS:
        month.live_units[code] = await o.call(
            "GET", "/api/admin/figures", "admin", params={**period, "unit": code}
        )
    month.ranking_live = await o.call("GET", "/api/admin/ranking", "admin", {"month": MONTH})
    month.closed = await o.call(
        "POST", "/api/admin/figures/close-month", "admin", {"month": MONTH}, expect=(200, 201)
    )
    month.frozen = await o.call("GET", "/api/admin/figures", "admin", params=period)
    for code in UNITS:
        month.frozen_units[code] = await o.call(
            "GET", "/api/admin/figures", "admin", params={**period, "unit": code}
        )
    month.ranking = await o.call("GET", "/api/admin/ranking", "admin", params={"month": MONTH})
    month.ranking_csv = await o.call(
        "GET", "/api/admin/ranking.csv", "admin", params={"month": MONTH}
    )
    month.figures_csv = await o.call("GET", "/api/admin/figures.csv", "admin", params=period)


MONTHS: dict[str, Month] = {}


async def the_month(o: Outsider) -> Month:
    """The month on ``o``'s backend, lived once per backend and test run."""
    if o.backend not in MONTHS:
        MONTHS[o.backend] = await live_the_month(o)
    return MONTHS[o.backend]
