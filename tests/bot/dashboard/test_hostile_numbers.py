"""Numbers typed into the dashboard's forms and paths: every odd one is refused or ignored,
never a 500, and nothing odd is kept.

``"²".isdigit()`` is true but ``int("²")`` fails; 5,000 digits overflow every column (and
``int`` refuses them); ``float("nan")`` passes every comparison, so a NaN time limit would have
made every deadline of its grade fail.
"""

from __future__ import annotations

import pytest

from models import RoutingRule, SlaRule
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import admin

ODD = ("²", "٣", "３", "1_0", "9" * 5000, "99999999999999999999", "-1", "1e3", "nan", "inf")


@pytest.mark.parametrize("raw", ODD)
async def test_paths_and_choices_take_plain_digits_only(
    make_client: ClientFactory, raw: str
) -> None:
    client = await make_client()
    browser = await admin(client)
    for path in (f"/dashboard/routing/{raw}", f"/dashboard/hot?days={raw}"):
        status, text = await browser.get(path)
        assert status in (200, 400, 404), (path, status, text[:300])


async def test_odd_numbers_in_the_rule_editors_are_refused(make_client: ClientFactory) -> None:
    client = await make_client()
    browser = await admin(client)
    for raw in ODD:
        status, _, text = await browser.post(
            "/dashboard/sla", {"kind": "", "grade": "急", "sign_amount": raw}
        )
        assert status in (303, 400), (raw, status, text[:300])
        status, _, text = await browser.post(
            "/dashboard/routing",
            {"priority": raw, "category_prefix": "城乡建设", "unit": "", "grid": ""},
        )
        assert status in (303, 400), (raw, status, text[:300])
    for rule in await SlaRule.all():
        for name in ("sign", "first_contact", "completion"):
            hours = getattr(rule, f"{name}_hours")
            assert hours is None or hours == hours, "a NaN time limit was kept"
    assert all(0 <= r.priority < 10**9 for r in await RoutingRule.all())
