"""Uploaded photos made safe to serve: decoded and encoded again, so that only pixels are kept.

A file whose first bytes say JPEG may go on as HTML, or carry PHP in a comment or a text chunk,
and a phone's photo carries EXIF with the GPS position of where it was taken, often a resident's
home. :func:`clean_image` decodes the photo with Pillow (only as the type its bytes said) and
writes a new file of that type from the pixels alone: no EXIF, XMP, comments, text chunks or
ICC profile, nothing after the image's end. The EXIF orientation is applied first, so a portrait
photo stays upright when the tag is gone; an animation keeps its first frame.

The pixel count is checked against the limit from the header, before any pixel is decoded: a
few hundred bytes can claim 60,000 x 60,000 pixels (a decompression bomb). What Pillow cannot
decode (truncated, corrupt, not the type it claimed) is :class:`UnreadableImage`.

It is CPU work, run by the caller off the event loop (``handlers.residents.media_store``).
"""

from __future__ import annotations

import io
import logging
from typing import Any

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

# Pillow's format for each content type we accept, and how each is written again.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90},
    "PNG": {},
    "WEBP": {"quality": 90},
}
GREY = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
ALPHA = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})


class UnreadableImage(ValueError):
    """The bytes do not decode as the image type they claim to be."""


class TooManyPixels(ValueError):
    """The image's header claims more pixels than we decode."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        super().__init__(f"{width}x{height} pixels, more than {limit}")
        self.width = width
        self.height = height
        self.limit = limit


def _mode_for(image: Image.Image, fmt: str) -> str:
    """The mode the clean copy is written in: grey or colour, with alpha where the format has it."""
    grey = image.mode in GREY
    if fmt == "JPEG":
        return "L" if grey else "RGB"
    alpha = image.mode in ALPHA or "transparency" in image.info
    if fmt == "PNG" and grey:
        return "LA" if alpha else "L"
    return "RGBA" if alpha else "RGB"


def _upright(image: Image.Image) -> None:
    """Turn the pixels as the EXIF orientation says; a broken EXIF block is ignored."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception as problem:  # EXIF is the uploader's: any defect only costs the turn
        logger.info("ignored an unreadable EXIF orientation: %s", type(problem).__name__)


def clean_image(data: bytes, content_type: str, *, max_pixels: int) -> bytes:
    """``data`` (sniffed as ``content_type``) as a new file of that type holding only pixels.

    Raises :class:`TooManyPixels` past ``max_pixels`` (before decoding) and
    :class:`UnreadableImage` for what does not decode.
    """
    fmt = FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise UnreadableImage("an image without pixels")
            if width * height > max_pixels:
                raise TooManyPixels(width, height, max_pixels)
            image.load()  # every pixel of the first frame, or an error
            _upright(image)
            mode = _mode_for(image, fmt)
            pixels = image if image.mode == mode else image.convert(mode)
            pixels.info = {}  # comments, ICC profile, EXIF: what save() would carry over
            out = io.BytesIO()
            pixels.save(out, fmt, **SAVE_OPTIONS[fmt])
    except (TooManyPixels, UnreadableImage):
        raise
    except Image.DecompressionBombError as bomb:  # Pillow's own limit, if ours is higher
        logger.info("refused a decompression bomb: %s", bomb)
        raise TooManyPixels(0, 0, max_pixels) from None
    except Exception as problem:  # a decoder's refusal of hostile bytes, whatever its class
        logger.info("an upload did not decode as %s: %s", fmt, type(problem).__name__)
        raise UnreadableImage(f"not a readable {fmt}") from None
    return out.getvalue()
