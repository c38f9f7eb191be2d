"""Incident attachments: the type is read from the content; photos lose their metadata."""

import io

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from agreements.uploads import detect_document_type

PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
MAX_PIXELS = 40_000_000


def _photo_format(upload):
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return image_format if image_format in PHOTO_FORMATS else None


def strip_photo(upload, image_format):
    """Re-encode the picture from its pixels only: EXIF (GPS, camera, owner) and text chunks go."""
    upload.seek(0)
    with Image.open(upload) as opened:
        if opened.width * opened.height > MAX_PIXELS:
            raise ValueError("too many pixels")
        image = ImageOps.exif_transpose(opened)
        if image_format == "JPEG" and image.mode not in {"RGB", "L"}:
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    return ContentFile(buffer.getvalue())


def inspect(upload):
    """(extension, content type, is_photo) for an accepted file, or None."""
    image_format = _photo_format(upload)
    if image_format:
        extension, content_type = PHOTO_FORMATS[image_format]
        return extension, content_type, True
    detected = detect_document_type(upload)
    if detected:
        return (*detected, False)
    return None
