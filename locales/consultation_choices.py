"""The consultation's choices that staff read too: what a worry is about, and when the
resident would like to be contacted. The resident taps these words in LINE and staff see the
same ones in the console, so both name a worry alike.

Each table is (value stored, label shown), in the order of the buttons.
"""

from __future__ import annotations

from locales import N_

CATEGORIES = [
    ("care", N_("Care and old age")),
    ("childcare", N_("Raising children")),
    ("disability", N_("Disability")),
    ("money", N_("Living and money")),
    ("housing", N_("Housing")),
    ("mind", N_("Mind / withdrawal")),
    ("errands", N_("A little help")),
    ("other", N_("Other / not sure")),
]
# The best time to contact the resident.
WHEN = [
    ("morning", N_("Morning")),
    ("afternoon", N_("Afternoon")),
    ("anytime", N_("Any time")),
]
