"""What a resident is told about their ticket by the people handling it: who is writing, and
when it moves to another team, to an outside agency, or is closed."""

from __future__ import annotations

from locales import gettext


def staff_header(language: str, name: str, reference: str) -> str:
    """The first line of a staff reply, so a person is told apart from the bot."""
    return gettext(
        language, "From {name} at the welfare council ({reference})", name=name, reference=reference
    )


def transferred(language: str, team: str, reference: str) -> str:
    return gettext(
        language,
        "Your consultation ({reference}) is now with our {team} staff, who can help with it "
        "best. They will be in touch.",
        reference=reference,
        team=team,
    )


def referred(language: str, agency: str, reference: str) -> str:
    return gettext(
        language,
        "We have passed your consultation ({reference}) on to {agency}. They will contact you.",
        reference=reference,
        agency=agency,
    )


def closed(language: str, reference: str) -> str:
    return gettext(
        language,
        "Your consultation ({reference}) is now closed. Thank you for telling us. If anything "
        "comes up again, write to us here at any time.",
        reference=reference,
    )
