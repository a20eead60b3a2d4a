"""POST /api/worker/uploads: only real photos are kept, as clean copies; everything else is a
clear 4xx with nothing kept (too big, not an image, SVG, HTML, a decompression bomb, a polyglot
that carries a script), multipart and raw bodies alike."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from handlers.workflow.actions import issue_token
from models import MediaFile, Worker
from tests.bot.api.test_resident import jpeg_bytes, png_bytes
from tests.bot.api.test_upload_attacks import (
    HTML,
    POLYGLOTS,
    jpeg_declaring,
    photo_with_gps,
    png_declaring,
)
from tests.bot.conftest import ClientFactory

NOW = datetime.now(UTC)
UPLOADS = "/api/worker/uploads"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


async def worker_client(make_client: ClientFactory, tmp_path: Path, **settings: Any) -> Any:
    client = await make_client(upload_dir=tmp_path / "uploads", **settings)
    token = await issue_token(await Worker.get(wecom_userid="wangfang"), NOW, "test")
    return client, {"Authorization": f"Bearer {token}"}


async def send(
    client: TestClient, headers: dict[str, str], data: bytes, declared: str, raw: bool
) -> tuple[int, Any]:
    if raw:
        response = await client.post(
            UPLOADS, data=data, headers={**headers, "Content-Type": declared}
        )
    else:
        form = aiohttp.FormData()
        form.add_field("file", data, filename="photo.jpg", content_type=declared)
        response = await client.post(UPLOADS, data=form, headers=headers)
    return response.status, await response.json()


def files_in(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "uploads"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "multipart"])
async def test_a_photo_is_kept_clean_as_the_workers(
    make_client: ClientFactory, tmp_path: Path, raw: bool
) -> None:
    client, headers = await worker_client(make_client, tmp_path)
    status, body = await send(client, headers, photo_with_gps("JPEG"), "image/jpeg", raw)
    assert status == 201, body
    row = await MediaFile.get(key=body["key"])
    worker = await Worker.get(wecom_userid="wangfang")
    assert (row.owner_type, row.owner_id, row.case_id) == ("worker", worker.id, None)
    assert body["url"] == f"/media/{row.key}" and body["content_type"] == "image/jpeg"
    response = await client.get(body["url"], headers=headers)
    served = await response.read()
    assert response.status == 200
    assert b"GPS" not in served and b"PhoneMaker" not in served
    assert not Image.open(io.BytesIO(served)).getexif()


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "multipart"])
async def test_what_is_no_photo_is_refused_and_nothing_kept(
    make_client: ClientFactory, tmp_path: Path, raw: bool
) -> None:
    client, headers = await worker_client(make_client, tmp_path, upload_max_bytes=200_000)
    refused = {
        "too big": (jpeg_bytes() + b"\x00" * 200_001, "image/jpeg", 413),
        "not an image": (b"just some words, not a photo at all", "image/png", 415),
        "svg": (SVG, "image/png", 415),
        "html": (HTML, "image/jpeg", 415),
        "png bomb": (png_declaring(60_000, 60_000), "image/png", 413),
        "jpeg bomb": (jpeg_declaring(50_000, 50_000), "image/jpeg", 413),
        "truncated": (png_bytes()[:40], "image/png", 400),
        "empty": (b"", "image/png", 400),
    }
    for name, (data, declared, expected) in refused.items():
        status, body = await send(client, headers, data, declared, raw)
        assert status == expected, (name, body)
        assert body["error"]["code"] and body["error"]["message"], name
    assert await MediaFile.all().count() == 0
    assert files_in(tmp_path) == []


async def test_bodies_that_are_neither_form_nor_image_are_415(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client, headers = await worker_client(make_client, tmp_path)
    for declared in ("image/svg+xml", "text/html", "application/json", "text/plain"):
        status, body = await send(client, headers, png_bytes(), declared, raw=True)
        assert (status, body["error"]["code"]) == (415, "unsupported_type"), declared
    # Without a token nothing is read at all.
    response = await client.post(UPLOADS, data=png_bytes(), headers={"Content-Type": "image/png"})
    assert response.status == 401
    assert await MediaFile.all().count() == 0


@pytest.mark.parametrize("name", sorted(POLYGLOTS))
async def test_a_polyglot_is_kept_only_as_a_clean_image(
    make_client: ClientFactory, tmp_path: Path, name: str
) -> None:
    client, headers = await worker_client(make_client, tmp_path)
    status, body = await send(client, headers, POLYGLOTS[name], "image/jpeg", raw=True)
    if status != 201:
        assert 400 <= status < 500 and await MediaFile.all().count() == 0
        return
    served = await (await client.get(body["url"], headers=headers)).read()
    for payload in (b"<html", b"<script", b"<?php", b"system("):
        assert payload not in served, payload
        assert all(payload not in p.read_bytes() for p in files_in(tmp_path)), payload
