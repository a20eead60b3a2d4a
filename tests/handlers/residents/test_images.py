"""handlers.residents.images: every kind of image a phone or an attacker sends comes out as a
clean file of its own type (the pixels and nothing else), or as a clear refusal."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from handlers.residents.images import TooManyPixels, UnreadableImage, clean_image

LIMIT = 1_000_000


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("mode", "fmt", "kind", "kept_mode"),
    [
        ("RGB", "JPEG", "image/jpeg", "RGB"),
        ("L", "JPEG", "image/jpeg", "L"),
        ("CMYK", "JPEG", "image/jpeg", "RGB"),
        ("RGBA", "PNG", "image/png", "RGBA"),
        ("LA", "PNG", "image/png", "LA"),
        ("I;16", "PNG", "image/png", "L"),
        ("1", "PNG", "image/png", "L"),
        ("P", "PNG", "image/png", "RGB"),
        ("RGBA", "WEBP", "image/webp", "RGBA"),
        ("RGB", "WEBP", "image/webp", "RGB"),
    ],
)
def test_every_mode_comes_out_in_a_plain_one(
    mode: str, fmt: str, kind: str, kept_mode: str
) -> None:
    data = encoded(Image.new(mode, (12, 7)), fmt)
    clean = opened(clean_image(data, kind, max_pixels=LIMIT))
    assert clean.format == fmt and clean.size == (12, 7) and clean.mode == kept_mode


def test_a_palette_with_transparency_keeps_it() -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    data = encoded(image, "PNG", transparency=1)
    assert opened(clean_image(data, "image/png", max_pixels=LIMIT)).mode == "RGBA"


def test_the_icc_profile_and_text_are_dropped() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (5, 5)), "PNG", icc_profile=profile)
    clean = clean_image(data, "image/png", max_pixels=LIMIT)
    assert b"iCCP" in data and b"iCCP" not in clean
    assert "icc_profile" not in opened(clean).info


def test_an_animation_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (6, 6), colour) for colour in ("red", "blue", "green")]
    for fmt, kind in (("PNG", "image/png"), ("WEBP", "image/webp")):
        data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
        clean = opened(clean_image(data, kind, max_pixels=LIMIT))
        assert getattr(clean, "n_frames", 1) == 1, fmt
        red, green, blue = clean.convert("RGB").getpixel((2, 2))  # type: ignore[misc]
        assert red > 240 and green < 16 and blue < 16, fmt  # WebP is encoded lossy again


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_broken_exif_block_costs_only_the_turn() -> None:
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"  # claims 65535 entries, holds none
    data = encoded(Image.new("RGB", (9, 4)), "JPEG", exif=exif)
    assert opened(clean_image(data, "image/jpeg", max_pixels=LIMIT)).size == (9, 4)


def test_the_pixel_limit_is_checked_from_the_header() -> None:
    data = encoded(Image.new("L", (101, 100)), "PNG")
    with pytest.raises(TooManyPixels) as refused:
        clean_image(data, "image/png", max_pixels=100 * 100)
    assert (refused.value.width, refused.value.height) == (101, 100)
    assert opened(clean_image(data, "image/png", max_pixels=101 * 100)).size == (101, 100)


def test_only_the_sniffed_type_is_decoded() -> None:
    """A PNG whose first bytes were taken for a JPEG is not decoded as a PNG after all."""
    with pytest.raises(UnreadableImage):
        clean_image(encoded(Image.new("RGB", (3, 3)), "PNG"), "image/jpeg", max_pixels=LIMIT)
