"""Japanese phone numbers as residents type them: full-width digits, odd dashes, spaces."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Dashes people type between the groups, besides "-": the long vowel mark (ー) is the one
# Japanese keyboards offer first, and many older residents use it.
_DASHES = re.compile(r"[‐‑‒–—―−ｰー－]")
_ALLOWED = re.compile(r"^\+?[0-9()\- ]+$")


def normalised(typed: str) -> str | None:
    """The number written the usual way (090-1234-5678, 0465-22-1234), or None if it is not one.

    Validity comes from libphonenumber's Japanese numbering plan, so a digit too many or too
    few, or a prefix no Japanese number has, is turned down.
    """
    folded = _DASHES.sub("-", unicodedata.normalize("NFKC", typed)).strip()
    if not folded or len(folded) > 30 or not _ALLOWED.match(folded):
        return None
    try:
        number = phonenumbers.parse(folded, "JP")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 81 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
