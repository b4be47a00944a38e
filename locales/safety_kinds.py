"""The kinds of danger the safety check reads in a message, named as staff see them: in
notes, thread entries, the console and the team's LINE group alerts."""

from __future__ import annotations

from collections.abc import Mapping

from locales import N_

NAMES: Mapping[str, str] = {
    "suicide": N_("suicidal thoughts"),
    "medical": N_("sudden illness or injury"),
    "fire": N_("fire"),
    "gas": N_("gas leak or carbon monoxide"),
    "violence": N_("violence or a threat"),
    "child_abuse": N_("child abuse"),
    "elder_abuse": N_("abuse or neglect of an older person"),
    "distress": N_("a call for help"),
}
