"""Every user-facing string has a Swedish translation, and the catalogue is up to date.

The test re-extracts messages from the whole source tree into a copy of the Swedish
catalogue, so a new string without a translation fails here, naming the string.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["config", "frontoffice", "templates", "static"]
IGNORE = [".venv/*", "var/*", "bench/*", "node_modules/*", "test-artifacts/*", "docs/*"]


def _problems(po: polib.POFile) -> list[str]:
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.values()):
                problems.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(
                f"untranslated: {entry.msgid!r} ({', '.join(f for f, _ in entry.occurrences[:2])})"
            )
    return problems


def test_swedish_catalogue_is_complete():
    assert CATALOGUE.exists(), "locale/sv/LC_MESSAGES/django.po is missing"
    problems = _problems(polib.pofile(str(CATALOGUE)))
    assert problems == [], "Untranslated Swedish strings:\n" + "\n".join(problems)


@pytest.mark.slow_extraction
def test_every_string_in_the_source_is_in_the_swedish_catalogue(tmp_path, monkeypatch):
    # Extract in a scratch tree of symlinks so the real catalogue is never written to.
    src = tmp_path / "src"
    (src / "locale" / "sv" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE, src / "locale" / "sv" / "LC_MESSAGES" / "django.po")
    for name in SOURCE_DIRS:
        (src / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(src)
    with override_settings(LOCALE_PATHS=[src / "locale"]):
        call_command(
            "makemessages",
            locale=["sv"],
            ignore_patterns=IGNORE,
            no_obsolete=True,
            symlinks=True,
            verbosity=0,
        )
    problems = _problems(polib.pofile(str(src / "locale" / "sv" / "LC_MESSAGES" / "django.po")))
    assert problems == [], (
        "Strings missing from locale/sv (run `make messages` and translate):\n" + "\n".join(problems)
    )


def test_swedish_is_served():
    with translation.override("sv"):
        assert translation.gettext("Customers") == "Kunder"
