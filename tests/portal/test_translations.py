"""Every user-facing string has a French translation, and the compiled catalog is current."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What `makemessages` reads, in a copy: the settings' own files, every app of the project (a
# directory with an `apps.py`, so a new app is never left out), the templates and the catalogs.
APPS = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))
SOURCES = ["manage.py", "pyproject.toml", *APPS, "templates", "locale"]


@pytest.mark.services
def test_every_string_has_a_french_translation(tmp_path):
    require(shutil.which("xgettext") and shutil.which("msgmerge"), "GNU gettext (xgettext, msgmerge)")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "DEBUG": "1", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    merged = polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in merged if not entry.obsolete and not entry.translated()]
    assert not missing, "untranslated or fuzzy French strings (run `make messages`, then translate):\n" + "\n".join(
        missing
    )


def test_compiled_catalog_matches_the_source():
    po = polib.pofile(str(CATALOG))
    mo = polib.mofile(str(CATALOG.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"not compiled: {entry.msgid!r} (run `make messages`)"
        assert compiled[key] == (entry.msgstr, tuple(sorted(entry.msgstr_plural.items()))), entry.msgid


def test_pages_follow_the_chosen_language(client, db):
    response = client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")}, follow=True)
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Se connecter" in body
