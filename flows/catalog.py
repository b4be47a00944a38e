"""Every conversation flow, named in one place.

The engine finds a conversation's flow through the turn (`Turn.flows`), which handlers fill
from here; nothing registers itself as a side effect of being imported.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows import (
    consultation,
    family_link,
    language,
    salons,
    supporter_signup,
    watch_enrolment,
)
from flows.engine import Flow

FLOWS: tuple[Flow, ...] = (
    consultation.FLOW,
    salons.FLOW,
    watch_enrolment.FLOW,
    family_link.FLOW,
    language.FLOW,
    supporter_signup.FLOW,
)
BY_NAME: Mapping[str, Flow] = {flow.name: flow for flow in FLOWS}
