"""Checking and cleaning an uploaded photo before anything reads it (issue 19).

A photo is accepted when its *content* is a JPEG, PNG or WebP image (the name and the
declared type are not trusted) of at most `MAX_BYTES`, whose pixel count stays under a
decompression-bomb limit. It is then turned upright (the EXIF orientation a phone sets),
shrunk to at most `MAX_SIDE` pixels a side (enough for a report's digits, and it keeps
OCR and storage small), and re-encoded without any metadata: EXIF (with its GPS
position), XMP and ICC profiles are dropped because they are not copied.

Decoding runs in a worker thread (`clean_upload` is blocking): Pillow is CPU-bound.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from habitus.errors import AppError, FieldError, PayloadTooLarge, ValidationFailed

MAX_BYTES: Final = 10 * 1024 * 1024
# Pillow's own limit is ~89 MP with a warning and twice that as an error; a phone photo
# is 12-50 MP, so anything past this is refused rather than decoded.
MAX_PIXELS: Final = 64_000_000
MAX_SIDE: Final = 2000
ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# What is stored: JPEG at a quality that keeps small print legible.
STORED_CONTENT_TYPE: Final = "image/jpeg"
STORED_QUALITY: Final = 88


class TooLarge(Exception):
    """More than MAX_BYTES (413)."""


class NotAnImage(Exception):
    """Not a JPEG, PNG or WebP by its content (415)."""


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    image: Image.Image  # upright, RGB, at most MAX_SIDE a side
    data: bytes  # `image` encoded as STORED_CONTENT_TYPE, no metadata
    original_format: str  # "JPEG" | "PNG" | "WEBP"

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(MAX_BYTES, "The photo is larger than 10 MB.")


def unsupported() -> AppError:
    return AppError(
        "The file is not a JPEG, PNG or WebP photo.",
        status_code=415,
        code="unsupported-media-type",
        errors=[FieldError("file", "must be a JPEG, PNG or WebP image", rule="image_type")],
    )


def _unreadable(rule: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", message, rule=rule)])


def clean_upload(data: bytes) -> CleanPhoto:
    """The photo, upright and without metadata; TooLarge, NotAnImage, or a 422 naming
    `file` when it is an image that cannot be read (truncated, a bomb)."""
    if len(data) > MAX_BYTES:
        raise TooLarge
    if not data:
        raise _unreadable("empty", "the file is empty")
    with warnings.catch_warnings():
        # Past Image.MAX_IMAGE_PIXELS Pillow only warns; make that a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as opened:
                original_format = opened.format or ""
                if opened.width * opened.height > MAX_PIXELS:
                    raise _unreadable(
                        "too_many_pixels",
                        f"the image has more than {MAX_PIXELS // 1_000_000} million pixels",
                    )
                opened.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a smaller scale
                upright = ImageOps.exif_transpose(opened)
                upright.load()
        except UnidentifiedImageError as error:
            raise NotAnImage from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _unreadable("too_many_pixels", "the image is too large to decode") from error
        except (OSError, SyntaxError, ValueError) as error:
            raise _unreadable("unreadable", "the image is damaged or truncated") from error
    image = upright.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return CleanPhoto(image=image, data=encode(image), original_format=original_format)


def encode(image: Image.Image) -> bytes:
    """`image` as a JPEG with no metadata at all (nothing passed on: no exif, icc)."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=STORED_QUALITY, optimize=True)
    return out.getvalue()


def crop(data: bytes, box: tuple[int, int, int, int], *, margin: int = 24) -> bytes:
    """The stored photo cut around `box` (left, top, right, bottom) with a margin, as a
    JPEG: what the confirm wizard shows beside a value OCR found."""
    with Image.open(io.BytesIO(data), formats=("JPEG",)) as image:
        left, top, right, bottom = box
        area = (
            max(0, left - margin),
            max(0, top - margin),
            min(image.width, right + margin),
            min(image.height, bottom + margin),
        )
        if area[0] >= area[2] or area[1] >= area[3]:
            raise ValueError("the box lies outside the photo")
        return encode(image.crop(area).convert("RGB"))
