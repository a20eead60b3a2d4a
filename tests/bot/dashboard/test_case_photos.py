"""The case page shows every photo of a case, whichever way it came, as a thumbnail that opens
the full image: an official account image (WeChat's PicUrl), a mini-program upload and a
worker's upload (``/media/<key>``, thumbnails made once and kept, without EXIF); a WeChat
media id alone is listed as such. Thumbnails are served to staff who may see the case only."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import ExifTags, Image

from bot.keys import MEDIA_STORE, SETTINGS
from handlers.residents.media_store import store_photo
from handlers.staff.accounts import create_user
from handlers.workflow.actions import issue_token
from models import Case, MediaFile, Unit, Worker
from tests.bot.api.test_authorization import pinned_case
from tests.bot.conftest import ClientFactory, Resident
from tests.bot.dashboard.test_pages import PASSWORD, sign_in

NOW = datetime.now(UTC)


def big_photo_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), (200, 80, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (31.0, 17.0, 42.5)}
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_the_case_page_shows_photos_from_every_channel(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await make_client(upload_dir=tmp_path / "uploads")
    openid = "o-photo-page"
    case = await pinned_case(
        client, openid, "国权路小区楼道堆物占用消防通道", "ST-WJC", "WJC-01", "wangfang"
    )
    resident = Resident(client, openid)
    # The official account: an image with WeChat's PicUrl, and one known by its media id only.
    for fields in (
        {"PicUrl": "http://mmbiz.example/oa.jpg", "MediaId": "oa-media-1"},
        {"MediaId": "oa-media-only"},
    ):
        status, _ = await resident.send("image", {**fields, "MsgId": resident.msg_id()})
        assert status == 200
    # The mini-program: an upload in our store, named by key with the case (as the API does).
    mini = await store_photo(
        client.app[MEDIA_STORE],
        big_photo_with_gps(),
        owner_type="resident",
        owner_id=case.resident_id or 0,
        now=NOW,
        settings=client.app[SETTINGS],
    )
    case = await Case.get(id=case.id)
    entry = {"type": "image", "media_key": mini.key, "url": f"/media/{mini.key}"}
    await Case.filter(id=case.id).update(attachments=[*case.attachments, entry])
    await MediaFile.filter(id=mini.id).update(case_id=case.id)
    # The worker: uploaded through the worker API, then a progress with it, then the result.
    token = await issue_token(await Worker.get(wecom_userid="wangfang"), NOW, "t")
    bearer = {"Authorization": f"Bearer {token}"}
    response = await client.post(
        "/api/worker/uploads",
        data=big_photo_with_gps(),
        headers={**bearer, "Content-Type": "image/jpeg"},
    )
    worker_photo = await response.json()
    base = f"/api/worker/cases/{case.number}"
    assert (await client.post(f"{base}/sign", json={}, headers=bearer)).status == 200
    progress = {"text": "现场", "attachments": [{"media_key": worker_photo["key"]}]}
    assert (await client.post(f"{base}/progress", json=progress, headers=bearer)).status == 200

    await create_user("photo-admin", "admin", PASSWORD, NOW)
    browser = await sign_in(client, "photo-admin")
    status, page = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200
    for key in (mini.key, worker_photo["key"]):
        assert f'href="/media/{key}"' in page and f'src="/media/{key}/thumbnail"' in page, key
    assert 'src="http://mmbiz.example/oa.jpg"' in page
    # Only the media id without a link is a placeholder (on the case and on its timeline).
    placeholders = page.count("微信素材，需在公众平台查看")
    assert placeholders >= 1 and placeholders == page.count("<code>oa-media-only</code>")

    # The thumbnails: small JPEGs without EXIF, made once and kept in the store.
    for key in (mini.key, worker_photo["key"]):
        response = await client.get(f"/media/{key}/thumbnail")
        small = await response.read()
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert "private" in response.headers["Cache-Control"]
        image = Image.open(io.BytesIO(small))
        assert image.size == (320, 240) and not image.getexif()
        assert b"GPS" not in small and b"PhoneMaker" not in small
        row = await MediaFile.get(key=key)
        assert row.thumbnail_path and (tmp_path / "uploads" / row.thumbnail_path).exists()
        again = await client.get(f"/media/{key}/thumbnail")
        assert await again.read() == small
        full = await (await client.get(f"/media/{key}")).read()
        assert Image.open(io.BytesIO(full)).size == (1200, 900) and b"GPS" not in full

    # Another unit's account sees neither the case nor its photos.
    unit = await Unit.get(code="ST-YX")
    await create_user("photo-yx", "unit", PASSWORD, NOW, unit_id=unit.id)
    client.session.cookie_jar.clear()
    other = await sign_in(client, "photo-yx")
    status, _ = await other.get(f"/dashboard/cases/{case.number}")
    assert status == 404
    for key in (mini.key, worker_photo["key"]):
        assert (await client.get(f"/media/{key}/thumbnail")).status == 404
        assert (await client.get(f"/media/{key}")).status == 404
