"""Every resident-facing string is in every shipped catalog, translated and current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import locales

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(path.name for path in (ROOT / "locales").iterdir() if path.is_dir())


def test_japanese_and_english_are_shipped() -> None:
    assert {"ja", "en"} <= set(SHIPPED)
    assert set(locales.LANGUAGES) <= set(SHIPPED)


def _extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "locales/babel.cfg",
            "-k",
            "_",
            "-k",
            "N_",
            "-k",
            "gettext:2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as file:
        return {message.id for message in read_po(file) if message.id}


@pytest.mark.parametrize("language", SHIPPED)
def test_every_string_in_the_code_is_translated(language: str, tmp_path: Path) -> None:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=language)
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = _extracted(tmp_path) - translated
    assert not missing, f"{language} lacks a translation for: {sorted(missing)}"


def test_placeholders_survive_translation() -> None:
    for language in SHIPPED:
        text = locales.gettext(
            language, "All right. From now on we will write in {language}.", language="X"
        )
        assert "X" in text and "{" not in text


def test_profile_languages_map_to_a_shipped_catalog() -> None:
    assert locales.supported("en-US") == "en"
    assert locales.supported("ja") == "ja"
    assert locales.supported("zh-Hant") == "ja"
    assert locales.supported(None) == "ja"
