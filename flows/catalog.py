"""Every conversation flow, named in one place.

The engine finds a conversation's flow through the turn (`Turn.flows`), which handlers fill
from here; nothing registers itself as a side effect of being imported.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows import consultation, help_request, language, salons, supporter_signup
from flows.engine import Flow
from flows.watch import enrolling, family_link

FLOWS: tuple[Flow, ...] = (
    consultation.FLOW,
    salons.FLOW,
    enrolling.FLOW,
    family_link.FLOW,
    language.FLOW,
    supporter_signup.FLOW,
    help_request.FLOW,
)
BY_NAME: Mapping[str, Flow] = {flow.name: flow for flow in FLOWS}
