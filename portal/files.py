"""Helpers for uploaded files shared by the apps: display names and checksums."""

import hashlib

from django.utils.text import get_valid_filename


def safe_display_name(name, default="file"):
    """The uploaded name without any path, reduced to safe characters, for display only."""
    base = get_valid_filename((name or default).replace("\\", "/").rsplit("/", 1)[-1])[:150]
    return base or default


def sha256_of(content):
    """The SHA-256 of an uploaded file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    return digest.hexdigest()
