"""Resident-facing words: Babel catalogs from locales/, compiled in memory so they are never stale."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from storage.refusals import fill

LOCALES = Path(__file__).resolve().parents[1] / "locales"
DEFAULT_LANGUAGE = "ja"
# Offered in the language flow, each named in its own language.
LANGUAGES: dict[str, str] = {"ja": "日本語", "en": "English"}
# How a list in a message is written out (a param given as a list or tuple).
LIST_SEPARATORS = {"ja": "、"}


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is used."""
    return message


def supported(language: str | None) -> str:
    """The catalog to use for a LINE profile language such as "en-US" or "zh-Hant"."""
    if not language:
        return DEFAULT_LANGUAGE
    base = language.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    """Compile locales/<language>/LC_MESSAGES/messages.po once per process."""
    po_path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str, /, **params: object) -> str:
    text = translations(supported(language)).gettext(message)
    return fill(text, params, LIST_SEPARATORS.get(language, ", "))
