"""Uploads as an attacker sends them: files that are two files at once (an image followed by
HTML or PHP, a script in a JPEG comment), photos carrying the GPS position of a resident's home,
decompression bombs, bytes that only start like an image, and multipart bodies that are broken.

Every photo is decoded and encoded again before it is kept, so what ``/media/<key>`` serves is
only pixels; whatever cannot be decoded, or is too big to decode, is a 4xx with nothing kept.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import aiohttp
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from models import MediaFile
from tests.bot.api.test_resident import MakeMini, MiniApp, jpeg_bytes, png_bytes, webp_bytes
from tests.bot.api.test_resident import fake_mini as fake_mini  # fixtures
from tests.bot.api.test_resident import make_mini as make_mini

UPLOADS = "/api/resident/uploads"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PHP = b"<?php system($_GET['c']); ?>"
HOME = (31.0, 17.0, 42.5)  # the GPS latitude of somebody's home, in degrees, minutes, seconds


def stored_files(app: MiniApp) -> list[bytes]:
    if not app.upload_dir.exists():
        return []
    return [p.read_bytes() for p in sorted(app.upload_dir.rglob("*")) if p.is_file()]


async def nothing_kept(app: MiniApp) -> None:
    assert await MediaFile.all().count() == 0
    assert stored_files(app) == []


def jpeg_with_comment(comment: bytes) -> bytes:
    """The test JPEG with a COM segment after SOI: a comment browsers never show as HTML."""
    data = jpeg_bytes()
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


def photo_with_gps(fmt: str) -> bytes:
    """A small photo as a phone makes it: EXIF with the camera and where it was taken."""
    image = Image.new("RGB", (32, 24), (30, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: HOME,
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (121.0, 30.0, 7.25),
        }
    )
    out = io.BytesIO()
    extra: dict[str, Any] = {"exif": exif}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "GPS 31.295139 121.502014")
        extra["pnginfo"] = info
    if fmt == "JPEG":
        extra["comment"] = b"GPS 31.295139 121.502014"
    image.save(out, fmt, **extra)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo), "no GPS made"
    return data


def png_declaring(width: int, height: int, rows: int = 1) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with only ``rows`` rows sent."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * ((width + 1) * rows), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """The test JPEG with its frame header claiming ``width`` x ``height`` pixels."""
    data = jpeg_bytes()
    at = data.index(b"\xff\xc0") + 5  # SOF0: length (2), precision (1), then height, width
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


def corrupted(data: bytes, marker: bytes, offset: int) -> bytes:
    """``data`` with the byte ``offset`` bytes after ``marker`` flipped."""
    at = data.index(marker) + offset
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def ends_where_the_image_ends(data: bytes, kind: str) -> bool:
    """Nothing rides after the image's own end (EOI, IEND, the RIFF length)."""
    if kind == "image/jpeg":
        return data.endswith(b"\xff\xd9")
    if kind == "image/png":
        return data.endswith(b"IEND\xaeB`\x82")
    return len(data) == 8 + struct.unpack("<I", data[4:8])[0]


# Two files at once


POLYGLOTS = {
    "jpeg+html": jpeg_bytes() + HTML,
    "png+php": png_bytes() + PHP,
    "webp+html": webp_bytes() + HTML,
    "jpeg comment html": jpeg_with_comment(HTML),
    "png text php": png_bytes()[:-12]
    + struct.pack(">I", len(b"x\x00" + PHP))
    + b"tEXtx\x00"
    + PHP
    + struct.pack(">I", zlib.crc32(b"tEXtx\x00" + PHP))
    + png_bytes()[-12:],
}


@pytest.mark.parametrize("name", sorted(POLYGLOTS))
async def test_a_polyglot_is_kept_as_a_clean_image_only(make_mini: MakeMini, name: str) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-polyglot")
    status, body = await app.upload(headers, POLYGLOTS[name])
    if status != 201:  # refusing it is as good as cleaning it, if nothing is kept
        assert 400 <= status < 500 and body["error"]["code"]
        await nothing_kept(app)
        return
    response = await app.client.get(body["url"], headers=headers)
    served = await response.read()
    assert response.status == 200 and len(served) == body["size"]
    for payload in (b"<html", b"<script", b"<?php", b"system("):
        assert payload not in served, payload
        assert all(payload not in kept for kept in stored_files(app)), payload
    assert ends_where_the_image_ends(served, body["content_type"])
    decoded(served)  # a whole image


# What a photo says about where it was taken


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_exif_gps_is_not_served(make_mini: MakeMini, fmt: str) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-at-home")
    status, body = await app.upload(headers, photo_with_gps(fmt))
    assert status == 201, body
    response = await app.client.get(body["url"], headers=headers)
    served = await response.read()
    image = decoded(served)
    assert image.size == (32, 24)
    assert not image.getexif(), dict(image.getexif())
    assert b"Exif" not in served and b"PhoneMaker" not in served
    assert b"GPS" not in served and b"31.295139" not in served
    assert not {"exif", "comment", "Comment", "xmp", "XML:com.adobe.xmp"} & set(image.info)
    for kept in stored_files(app):
        assert b"PhoneMaker" not in kept and b"GPS" not in kept


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    """A phone's portrait photo is stored landscape with Orientation 6 (turn 90 degrees): the
    stored copy is turned, so dropping the tag does not lay the photo on its side."""
    from handlers.residents.images import clean_image

    image = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    cleaned = clean_image(out.getvalue(), "image/jpeg", max_pixels=10_000)
    assert decoded(cleaned).size == (20, 40)


# Bombs and bytes that only look like an image


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(make_mini: MakeMini) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-bomb")
    # 60,000 x 60,000 greyscale: 3.6 GB of pixels from a few hundred bytes.
    for bomb in (png_declaring(60_000, 60_000), jpeg_declaring(65_000, 65_000)):
        assert len(bomb) < 1000
        status, body = await app.upload(headers, bomb)
        assert status == 413 and body["error"]["code"] == "too_large", body
        assert "像素" in body["error"]["message"]
    await nothing_kept(app)


async def test_the_pixel_limit_is_a_setting(make_mini: MakeMini) -> None:
    app = await make_mini(upload_max_pixels=16 * 16)
    headers = await app.sign_in("o-pixels")
    status, body = await app.upload(headers, png_bytes(17, 16))
    assert status == 413 and body["error"]["code"] == "too_large"
    await nothing_kept(app)
    assert (await app.upload(headers, png_bytes(16, 16)))[0] == 201


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + b"not a jpeg at all" * 4, id="jpeg magic, no jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + HTML, id="png magic, html"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 " + PHP, id="webp magic, php"),
        pytest.param(png_bytes(8, 8)[:-30], id="truncated png"),
        pytest.param(jpeg_bytes()[:-6], id="truncated jpeg"),
        pytest.param(corrupted(png_bytes(8, 8), b"IDAT", 6), id="png with a corrupt IDAT"),
        pytest.param(corrupted(png_bytes(), b"IHDR", 17), id="png with a wrong IHDR CRC"),
    ],
)
async def test_what_does_not_decode_is_refused(make_mini: MakeMini, data: bytes) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-broken-photo")
    status, body = await app.upload(headers, data)
    assert status == 400 and body["error"]["code"] == "invalid_upload", body
    assert "照片" in body["error"]["message"]
    await nothing_kept(app)


# Broken multipart bodies


def part(name: str | None, data: bytes, boundary: bytes = b"b", **headers: str) -> bytes:
    lines = [b"--" + boundary]
    if name is not None:
        lines.append(f'Content-Disposition: form-data; name="{name}"; filename="a.png"'.encode())
    lines += [f"{key.replace('_', '-')}: {value}".encode() for key, value in headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + data + b"\r\n"


FORM = "multipart/form-data; boundary=b"
PNG = png_bytes()
MALFORMED: dict[str, tuple[str, bytes]] = {
    "a header line that is no header": (FORM, b"--b\r\nnot a header\r\n\r\n" + PNG + b"\r\n--b--"),
    "no closing boundary": (FORM, part("file", PNG).removesuffix(b"\r\n")),
    "cut inside the file": (FORM, part("file", PNG)[:-20]),
    "cut inside the headers": (FORM, b"--b\r\nContent-Disposition: form-data; na"),
    "a part without a name": (FORM, part(None, PNG) + b"--b--\r\n"),
    "the file twice": (FORM, part("file", PNG) + part("file", PNG) + b"--b--\r\n"),
    "a multipart inside the file": (
        FORM,
        part(
            "file", b"--c\r\n\r\n" + PNG + b"\r\n--c--", Content_Type="multipart/mixed; boundary=c"
        )
        + b"--b--\r\n",
    ),
    "no boundary parameter": ("multipart/form-data", part("file", PNG) + b"--b--\r\n"),
    "another boundary": ("multipart/form-data; boundary=zz", part("file", PNG) + b"--b--\r\n"),
    "a boundary too long": (
        "multipart/form-data; boundary=" + "x" * 100,
        part("file", PNG, b"x" * 100) + b"--" + b"x" * 100 + b"--\r\n",
    ),
    "not form-data": ("multipart/mixed; boundary=b", part("file", PNG) + b"--b--\r\n"),
    "too many parts": (FORM, b"".join(part(f"f{i}", b"x") for i in range(50)) + b"--b--\r\n"),
    "an empty body": (FORM, b""),
}


@pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")
@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_a_malformed_multipart_is_a_4xx_and_nothing_is_kept(
    make_mini: MakeMini, name: str
) -> None:
    app = await make_mini()
    headers = await app.sign_in("o-malformed-body")
    content_type, data = MALFORMED[name]
    status, body, _ = await app.call(
        "POST", UPLOADS, {**headers, "Content-Type": content_type}, data=data
    )
    assert status == 400, (status, body)
    assert body["error"]["code"] == "invalid_upload" and body["error"]["message"]
    await nothing_kept(app)


async def test_a_well_formed_upload_with_other_fields_still_works(make_mini: MakeMini) -> None:
    """wx.uploadFile may send formData beside the file: a few small fields are fine."""
    app = await make_mini()
    headers = await app.sign_in("o-form-data")
    form = aiohttp.FormData()
    form.add_field("note", "门口")
    form.add_field("file", PNG, filename="a.png", content_type="image/png")
    form.add_field("after", "x")
    status, body, _ = await app.call("POST", UPLOADS, headers, data=form)
    assert status == 201, body
