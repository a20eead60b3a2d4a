"""Photos: the real type from the bytes, the size limit with nothing kept, files named by random
keys, served at /media/{key} (to the resident, with their token) with their type and nosniff,
and a limit per resident and hour."""

from __future__ import annotations

import hashlib
import io

import aiohttp
import pytest
from PIL import Image

from config import resident_api
from models import MediaFile
from tests.bot.api.test_resident import (
    MakeMini,
    MiniApp,
    jpeg_bytes,
    png_bytes,
    webp_bytes,
)
from tests.bot.api.test_resident import fake_mini as fake_mini  # fixtures
from tests.bot.api.test_resident import make_mini as make_mini


def stored_files(app: MiniApp) -> list[str]:
    if not app.upload_dir.exists():
        return []
    return sorted(p.name for p in app.upload_dir.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("make", "kind"),
    [(png_bytes, "image/png"), (jpeg_bytes, "image/jpeg"), (webp_bytes, "image/webp")],
)
async def test_upload_and_fetch(make_mini: MakeMini, make: object, kind: str) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-photo")
    data = make()  # type: ignore[operator]
    status, body = await app.upload(headers, data, declared="application/octet-stream")
    assert status == 201 and body["content_type"] == kind and body["size"] > 0
    assert body["url"] == f"/media/{body['key']}" and len(body["key"]) >= 32
    row = await MediaFile.get(key=body["key"])
    assert row.owner_type == "resident" and row.case_id is None and row.content_type == kind
    # Named by the key, not by anything the client sent.
    assert [p for p in stored_files(app) if not p.startswith(".")] == [row.path.rsplit("/", 1)[-1]]
    assert "photo" not in row.path and row.path.split("/")[-1].startswith(body["key"])
    # Without the token, nothing (bot.api.media); with it, the resident's own photo.
    assert (await app.client.get(body["url"])).status == 401
    response = await app.client.get(body["url"], headers=headers)
    # What is kept and served is the photo encoded again (tests/bot/api/test_upload_attacks.py):
    # the same pixels, the same type, the size the answer said.
    served = await response.read()
    assert response.status == 200 and len(served) == body["size"] == row.size
    assert row.sha256 == hashlib.sha256(served).hexdigest()
    original, kept = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(served))
    assert kept.size == original.size and kept.get_format_mimetype() == kind
    assert response.headers["Content-Type"] == kind
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_declared_type_is_not_trusted(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-liar")
    status, body = await app.upload(headers, png_bytes(), declared="image/jpeg")
    assert status == 201 and body["content_type"] == "image/png"
    for data in (b"<html><script>alert(1)</script></html>", b"GIF89a" + b"\x00" * 20):
        status, body = await app.upload(headers, data, declared="image/png")
        assert status == 415 and body["error"]["code"] == "unsupported_type"
    assert await MediaFile.all().count() == 1 and len(stored_files(app)) == 1


async def test_only_the_configured_types(make_mini: MakeMini) -> None:
    app = await make_mini(upload_types=("image/jpeg",))
    headers = await app.sign_in("o-jpeg-only")
    status, body = await app.upload(headers, png_bytes())
    assert status == 415 and "JPEG" in body["error"]["message"]
    assert (await app.upload(headers, jpeg_bytes()))[0] == 201


async def test_too_large_is_413_and_nothing_is_kept(make_mini: MakeMini) -> None:
    app = await make_mini(upload_max_bytes=1000)
    headers = await app.sign_in("o-big")
    small = png_bytes()
    for size in (1500, 100_000):  # read until too big / refused by its Content-Length
        status, body = await app.upload(headers, small + b"\x00" * (size - len(small)))
        assert status == 413 and body["error"]["code"] == "too_large", size
    assert await MediaFile.all().count() == 0 and stored_files(app) == []
    assert (await app.upload(headers, small))[0] == 201


async def test_malformed_uploads(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-malformed")
    status, body, _ = await app.call(
        "POST",
        "/api/resident/uploads",
        {**headers, "Content-Type": "image/png"},
        data=png_bytes(),
    )
    assert status == 400 and body["error"]["code"] == "invalid_upload"
    form = aiohttp.FormData()
    form.add_field("picture", png_bytes(), filename="a.png", content_type="image/png")
    status, body, _ = await app.call("POST", "/api/resident/uploads", headers, data=form)
    assert status == 400 and body["error"]["code"] == "invalid_upload"
    form = aiohttp.FormData()
    form.add_field("file", b"", filename="a.png", content_type="image/png")
    status, body, _ = await app.call("POST", "/api/resident/uploads", headers, data=form)
    assert status == 400
    status, _, _ = await app.call(
        "POST",
        "/api/resident/uploads",
        {**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        data=b"not multipart at all",
    )
    assert status == 400
    assert (await app.upload({}, png_bytes()))[0] == 401
    assert await MediaFile.all().count() == 0


async def test_unknown_keys_are_404(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-photo")
    for key in ("A" * 32, "..%2F..%2Fetc%2Fpasswd", "short", "x" * 100):
        response = await app.client.get(f"/media/{key}", headers=headers)
        assert response.status == 404, key
        assert (await response.json())["error"]["code"] == "not_found"


async def test_uploads_per_hour(make_mini: MakeMini, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resident_api, "UPLOADS_PER_HOUR", 2)
    app = await make_mini()
    headers = await app.sign_in("o-many-photos")
    assert [(await app.upload(headers, png_bytes()))[0] for _ in range(2)] == [201, 201]
    form = aiohttp.FormData()
    form.add_field("file", png_bytes(), filename="a.png", content_type="image/png")
    status, body, response = await app.call("POST", "/api/resident/uploads", headers, data=form)
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) == 3600
    assert await MediaFile.all().count() == 2
