"""A supporter's 引き受ける / 今回は無理 on a 生活応援隊 offer, their report afterwards, and the
person helped's word on it: taps from any state.

These messages arrive whatever the resident is doing, so their answers are taken before any
flow reads the tap, and the conversation they were in stays where it was. The words and the
steps are in flows/supporter_offers.py and flows/supporter_visits.py.
"""

from __future__ import annotations

from flows import supporter_offers, supporter_visits
from flows.engine import Turn
from flows.inputs import UserInput
from flows.postback import HelpFeedback, HelpReport, OfferAnswer


def intercept(turn: Turn, given: UserInput) -> bool:
    """Answer an offer, a report or a word on help given; True if the tap was one (nothing
    else should then see it)."""
    tapped = given.postback
    if isinstance(tapped, OfferAnswer):
        supporter_offers.answer(turn, tapped)
    elif isinstance(tapped, HelpReport):
        supporter_visits.report(turn, tapped)
    elif isinstance(tapped, HelpFeedback):
        supporter_visits.feedback(turn, tapped)
    else:
        return False
    return True
