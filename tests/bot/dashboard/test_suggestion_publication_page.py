"""公开发布 on a suggestion's page: refused without the proposer's consent, the anonymised wording
offered for editing, published and taken down through the forms; nothing for a department."""

from __future__ import annotations

import re

from handlers.staff.accounts import create_user
from models import AuditEvent, Suggestion, Unit
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import NOW, PASSWORD, sign_in

WORDS = "建议在控江路1000弄门口增设一个公交站，附近居民出行太不方便了，电话13812345678"


async def test_the_office_publishes_and_takes_down_from_the_page(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    resident = Resident(client, "o-pub-page")
    found = re.search(r"JY\d+", await resident.say(WORDS))
    assert found
    number = found.group(0)
    await create_user("jianyi", "suggestions", PASSWORD, NOW)
    traffic = await Unit.get(code="TRAFFIC")
    await create_user("jtw", "unit", PASSWORD, NOW, unit_id=traffic.id)
    office = await sign_in(client, "jianyi")
    page_path = f"/dashboard/suggestions/{number}"

    status, page = await office.get(page_path)
    assert status == 200 and 'id="suggestion-publication"' not in page  # not adopted yet
    await office.post(f"{page_path}/adopt", {"units": "TRAFFIC"})
    status, page = await office.get(page_path)
    assert 'id="publication-refusal"' in page and 'id="publish-form"' not in page
    status, _, page = await office.post(f"{page_path}/publish", {"title": "", "text": ""})
    assert status == 409 and "没有同意公开" in page

    assert "已记录" in await resident.say("同意公开")
    status, page = await office.get(page_path)
    assert 'id="publish-form"' in page and "已同意公开（匿名）" in page
    assert "13812345678" not in page.split('id="suggestion-publication"')[1].split("</section>")[0]
    status, location, _ = await office.post(
        f"{page_path}/publish", {"title": "控江路增设公交站", "text": ""}
    )
    assert status == 303 and location == f"{page_path}?done=publish"
    status, page = await office.get(location)
    assert 'data-published="1"' in page and 'id="unpublish-form"' in page
    public = await (await client.get(f"/public/suggestions/{number}")).text()
    assert "控江路增设公交站" in public and "13812345678" not in public and "1000弄" not in public
    assert await AuditEvent.exists(action="suggestion.publish", target_id=number)

    client.session.cookie_jar.clear()
    department = await sign_in(client, "jtw")
    status, page = await department.get(page_path)
    assert status == 200 and 'id="suggestion-publication"' not in page
    status, _, _ = await department.post(f"{page_path}/unpublish", {"reason": "x"})
    assert status == 403

    client.session.cookie_jar.clear()
    office = await sign_in(client, "jianyi")
    await office.get(page_path)
    status, location, _ = await office.post(f"{page_path}/unpublish", {"reason": "核实中"})
    assert status == 303 and location == f"{page_path}?done=unpublish"
    assert (await Suggestion.get(number=number)).published_at is None
    assert (await client.get(f"/public/suggestions/{number}")).status == 404
