"""A suggestion's photos (人民建议): staff who may read the suggestion may open them (the office,
the centre's dispatchers, a department once it was adopted for it); another department gets the
404 of a key that does not exist. The suggestion's page shows them."""

from __future__ import annotations

import uuid

from models import Unit
from tests.bot.api.test_resident import MakeMini, fake_mini, make_mini, png_bytes  # noqa: F401
from tests.bot.api.test_resident_suggestions import IDEA
from tests.bot.dashboard.test_pages import NOW, PASSWORD, sign_in
from tests.bot.test_suggestion_life import bearer


async def test_who_may_read_a_suggestion_may_open_its_photos(make_mini: MakeMini) -> None:  # noqa: F811
    app = await make_mini()
    headers = await app.sign_in("o-sg-photo")
    status, photo = await app.upload(headers, png_bytes())
    assert status == 201
    key = photo["key"]
    body = {"request_id": str(uuid.uuid4()), "text": IDEA, "photos": [key]}
    status, answer, _ = await app.call("POST", "/api/resident/suggestions", headers, json=body)
    assert status == 201, answer
    number = answer["suggestion"]["number"]

    office = await bearer("jianyi", "suggestions")
    dispatcher = await bearer("d1", "dispatcher")
    traffic = await bearer("jtw", "unit", "TRAFFIC")
    other = await bearer("street", "unit", "ST-WJC")

    async def fetch(who: dict[str, str], path: str = f"/media/{key}") -> int:
        response = await app.client.get(path, headers=who)
        await response.read()
        return response.status

    assert await fetch(office) == 200 and await fetch(dispatcher) == 200
    assert await fetch(office, f"/media/{key}/thumbnail") == 200
    assert await fetch(traffic) == 404  # not (yet) adopted for the traffic committee
    assert await fetch(headers) == 200  # the proposer's own upload
    status, _, _ = await app.call(
        "POST", f"/api/admin/suggestions/{number}/adopt", office, json={"units": ["TRAFFIC"]}
    )
    assert status == 200
    assert await fetch(traffic) == 200 and await fetch(other) == 404
    assert await Unit.exists(code="ST-WJC")

    from handlers.staff.accounts import create_user

    await create_user("office-page", "suggestions", PASSWORD, NOW)
    browser = await sign_in(app.client, "office-page")
    status, page = await browser.get(f"/dashboard/suggestions/{number}")
    assert status == 200 and 'id="suggestion-photos"' in page
    assert f'src="/media/{key}/thumbnail"' in page
