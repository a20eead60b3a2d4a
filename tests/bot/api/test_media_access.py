"""Who may fetch a photo (bot.api.media): staff who may see its case, workers who may see it or
uploaded it, the resident who uploaded it or whose case's result it shows. Everyone else gets
401 (no credentials) or the very 404 of a key that does not exist. And the way a result photo
travels: a worker uploads it, finishes the case with it, the resident sees it in the case."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from PIL import Image

from handlers.staff.accounts import create_user, issue_api_token, start_session
from handlers.workflow.actions import issue_token
from models import Case, CaseEvent, MediaFile, Unit, Worker
from tests.bot.api.test_authorization import PASSWORD, pinned_case
from tests.bot.api.test_resident import jpeg_bytes
from tests.bot.api.test_schemathesis import add_resident_session
from tests.bot.conftest import ClientFactory

NOW = datetime.now(UTC)
UPLOADS = "/api/worker/uploads"
NO_SUCH_KEY = "Z" * 32


@dataclass
class Place:
    """The demo district with two cases: 国权路 (ST-WJC, 王芳's grid, resident o-photo-1) and
    开鲁新村 (ST-YX, 张敏's, resident o-photo-2), and credentials of every kind."""

    client: TestClient
    cases: dict[str, Case] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def upload(self, who: str, data: bytes | None = None) -> dict[str, Any]:
        response = await self.client.post(
            UPLOADS,
            data=data or jpeg_bytes(),
            headers={**self.bearer(who), "Content-Type": "image/jpeg"},
        )
        body = await response.json()
        assert response.status == 201, body
        return dict(body)

    async def act(self, who: str, case: str, action: str, body: dict[str, Any]) -> Any:
        number = self.cases[case].number
        response = await self.client.post(
            f"/api/worker/cases/{number}/{action}", json=body, headers=self.bearer(who)
        )
        return response.status, await response.json()

    async def fetch(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await self.client.get(url, headers=headers)
        return response.status, await response.read()


async def make_place(make_client: ClientFactory, tmp_path: Path) -> Place:
    client = await make_client(upload_dir=tmp_path / "uploads")
    place = Place(client)
    place.cases["wjc"] = await pinned_case(
        client, "o-photo-1", "国权路小区楼道堆物占用消防通道", "ST-WJC", "WJC-01", "wangfang"
    )
    place.cases["yx"] = await pinned_case(
        client, "o-photo-2", "开鲁新村门口垃圾没人清运", "ST-YX", "YX-01", "zhangmin"
    )
    for userid in ("wangfang", "zhangmin"):
        place.tokens[userid] = await issue_token(await Worker.get(wecom_userid=userid), NOW, "t")
    for name, role, unit in (
        ("p-admin", "admin", None),
        ("p-wjc", "unit", "ST-WJC"),
        ("p-yx", "unit", "ST-YX"),
    ):
        unit_id = (await Unit.get(code=unit)).id if unit else None
        user = await create_user(name, role, PASSWORD, NOW, unit_id=unit_id)
        place.tokens[name] = await issue_api_token(user, NOW, "t")
    for openid in ("o-photo-1", "o-photo-2"):
        place.tokens[openid] = f"jsr_test-{openid}"
        await add_resident_session(openid, place.tokens[openid], NOW)
    return place


async def test_a_progress_photo_is_served_to_those_who_may_see_the_case(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    place = await make_place(make_client, tmp_path)
    photo = await place.upload("wangfang")
    assert photo["url"] == f"/media/{photo['key']}"
    assert (await place.act("wangfang", "wjc", "sign", {}))[0] == 200
    status, body = await place.act(
        "wangfang", "wjc", "progress", {"text": "已到现场", "attachments": [{"url": photo["url"]}]}
    )
    assert status == 200, body
    row = await MediaFile.get(key=photo["key"])
    assert row.case_id == place.cases["wjc"].id and row.owner_type == "worker"

    missing = await place.client.get(f"/media/{NO_SUCH_KEY}", headers=place.bearer("zhangmin"))
    refused_body = await missing.read()
    assert missing.status == 404
    for url in (photo["url"], f"{photo['url']}/thumbnail"):
        for who in ("wangfang", "p-admin", "p-wjc"):
            status, data = await place.fetch(url, place.bearer(who))
            assert status == 200 and Image.open(io.BytesIO(data)).format == "JPEG", (url, who)
        # Another grid's worker, another unit's staff, a resident whose case it is not (and the
        # case's own resident: a progress photo is not a result photo): a key that is no key.
        for who in ("zhangmin", "p-yx", "o-photo-2", "o-photo-1"):
            status, data = await place.fetch(url, place.bearer(who))
            assert (status, data) == (404, refused_body), (url, who)
        for headers in ({}, {"Authorization": "Bearer nobody"}, {"Cookie": "jiesu_session=x"}):
            response = await place.client.get(url, headers=headers)
            assert response.status == 401, (url, headers)
            assert (await response.json())["error"]["code"] == "unauthorized"
    # The dashboard's session cookie goes by itself, as the case page's <img> needs.
    user = await create_user("p-cookie", "dispatcher", PASSWORD, NOW)
    session = await start_session(user, NOW)
    status, _ = await place.fetch(photo["url"], {"Cookie": f"jiesu_session={session.token}"})
    assert status == 200


async def test_finish_with_an_uploaded_photo_and_the_resident_sees_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    place = await make_place(make_client, tmp_path)
    photo = await place.upload("wangfang")
    assert (await place.act("wangfang", "wjc", "sign", {}))[0] == 200
    assert (await place.act("wangfang", "wjc", "contact", {"method": "phone"}))[0] == 200
    status, body = await place.act(
        "wangfang",
        "wjc",
        "finish",
        {"result": "已清理堆物", "attachments": [{"media_key": photo["key"]}]},
    )
    assert status == 200, body
    case = await Case.get(id=place.cases["wjc"].id)
    assert case.result_attachments == [
        {"type": "image", "media_key": photo["key"], "url": photo["url"]}
    ]
    response = await place.client.get(
        f"/api/resident/cases/{case.number}", headers=place.bearer("o-photo-1")
    )
    detail = await response.json()
    assert response.status == 200, detail
    assert detail["result_photos"] == [
        {"type": "image", "url": photo["url"], "media_key": photo["key"]}
    ]
    status, data = await place.fetch(photo["url"], place.bearer("o-photo-1"))
    assert status == 200 and Image.open(io.BytesIO(data)).format == "JPEG"
    assert (await place.fetch(photo["url"], place.bearer("o-photo-2")))[0] == 404


async def test_only_the_workers_own_uploads_go_with_a_case(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    place = await make_place(make_client, tmp_path)
    theirs = await place.upload("zhangmin")
    mine = await place.upload("wangfang")
    assert (await place.act("wangfang", "wjc", "sign", {}))[0] == 200
    assert (await place.act("zhangmin", "yx", "sign", {}))[0] == 200
    events = await CaseEvent.all().count()
    refused = [
        {"media_key": theirs["key"]},  # another worker's upload
        {"url": theirs["url"]},
        {"media_key": NO_SUCH_KEY},  # no upload at all
        {"url": "/media/../../etc/passwd"},
    ]
    for attachment in refused:
        status, body = await place.act(
            "wangfang", "wjc", "progress", {"text": "进展", "attachments": [attachment]}
        )
        assert status == 400, (attachment, body)
    # A photo that went with one case does not go with another, even for its uploader.
    status, _ = await place.act("zhangmin", "yx", "progress", {"attachments": [theirs]})
    assert status == 400  # the upload's answer has more than a reference: not a valid body
    status, _ = await place.act(
        "zhangmin", "yx", "progress", {"attachments": [{"media_key": theirs["key"]}]}
    )
    assert status == 200
    await Case.filter(id=place.cases["wjc"].id).update(worker_id=None)
    status, body = await place.act(
        "zhangmin", "yx", "progress", {"attachments": [{"media_key": mine["key"]}]}
    )
    assert status == 400
    assert await CaseEvent.all().count() == events + 1
    assert (await MediaFile.get(key=mine["key"])).case_id is None
    # A link elsewhere that merely looks like ours stays a link.
    status, _ = await place.act(
        "zhangmin",
        "yx",
        "progress",
        {"attachments": [{"url": f"https://elsewhere.example/media/{mine['key']}"}]},
    )
    assert status == 200
    assert (await MediaFile.get(key=mine["key"])).case_id is None
