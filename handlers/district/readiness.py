"""Is the district set up? What start-up warns about, ``/healthz`` calls degraded and the
dashboard's overview lists until every step is done.

Without units, grids or a routing rule no case can reach anybody: each would wait in the
dispatch queue forever. Those three make the service degraded. Workers with an account we can
reach (WeCom userid or openid) and an official account are on the dashboard's checklist too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from config.settings import Settings, secret_problems
from models import Grid, RoutingRule, Unit, Worker

# key, what is missing and what follows from it (English, for the log and /healthz), how to add it
CORE_STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "units",
        "no units, so no case can be routed",
        "import them: jiesu district import DIR --apply (units.csv), "
        "or PUT /api/admin/units/{code}, or the dashboard's 组织架构 page",
    ),
    (
        "grids",
        "no grids, so no place is found and every case waits in the dispatch queue",
        "import them: jiesu district import DIR --apply (grids.geojson), "
        "or PUT /api/admin/grids/{code}, or the dashboard's 组织架构 page",
    ),
    (
        "routing",
        "no routing rule, so every case goes to the street office of its grid and a case "
        "without a place waits in the dispatch queue",
        "add rules on the dashboard's 派单规则 page (/dashboard/routing)",
    ),
)
LABELS = {
    "units": "承办单位（区职能部门、街道、居委）",
    "grids": "网格及其边界",
    "workers": "人员，且至少一位绑定了企业微信账号或微信 openid",
    "routing": "派单规则",
    "account": "公众号（AppID、AppSecret、Token）",
}
PAGES = {
    "units": "/dashboard/district",
    "grids": "/dashboard/district",
    "workers": "/dashboard/district",
    "routing": "/dashboard/routing",
    "account": "",
}


@dataclass(frozen=True)
class SetupStep:
    key: str
    label: str
    done: bool
    page: str


async def missing_core() -> list[tuple[str, str, str]]:
    """The core steps not yet done: (key, what is missing, how to add it)."""
    done = {
        "units": await Unit.filter(active=True).exists(),
        "grids": await Grid.filter(active=True).exists(),
        "routing": await RoutingRule.filter(active=True).exists(),
    }
    return [step for step in CORE_STEPS if not done[step[0]]]


async def setup_checklist(settings: Settings) -> list[SetupStep]:
    missing = {key for key, _, _ in await missing_core()}
    has_account = Q(wecom_userid__isnull=False) | Q(openid__isnull=False)
    reachable = await Worker.filter(has_account, active=True).exists()
    done = {
        "units": "units" not in missing,
        "grids": "grids" not in missing,
        "workers": reachable,
        "routing": "routing" not in missing,
        "account": not secret_problems(settings) and settings.outbound_mode == "wechat",
    }
    return [SetupStep(key, LABELS[key], done[key], PAGES[key]) for key in LABELS]
