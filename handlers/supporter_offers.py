"""A supporter's 引き受ける / 今回は無理 on a 生活応援隊 offer, from any state.

An offer arrives whatever the supporter is doing, so its answer is taken before any flow
reads the tap, and the conversation they were in stays where it was. The words and the
steps are in flows/supporter_offers.py.
"""

from __future__ import annotations

from flows import supporter_offers
from flows.engine import Turn
from flows.inputs import UserInput
from flows.postback import OfferAnswer


def intercept(turn: Turn, given: UserInput) -> bool:
    """Answer an offer; True if the tap was one (nothing else should then see it)."""
    tapped = given.postback
    if not isinstance(tapped, OfferAnswer):
        return False
    supporter_offers.answer(turn, tapped)
    return True
