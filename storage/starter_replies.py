"""The starter canned replies a new team gets, in every language residents write in.

A fresh install must not leave staff typing every answer from nothing: each team, when it is
created (the sample town's teams, or one an admin adds in the console), gets these short,
warm, plain replies, which its admins then edit or delete like any other. They are added at
the team's creation only, so they are never doubled and one an admin deleted never returns.

The words are Babel messages (English ids, Japanese in locales/ja), read here straight from
the catalogs: storage sits below the flows' translation helpers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy.orm import Session

from locales import N_, fill
from storage.models import CannedResponse, Team

LOCALES = Path(__file__).resolve().parents[1] / "locales"
# The languages residents write in (locales.LANGUAGES), each with its own set.
LANGUAGES = ("ja", "en")

# (title, body); {team} is the team's name in that language.
STARTERS: tuple[tuple[str, str], ...] = (
    (
        N_("Thank you for writing"),
        N_(
            "Thank you for writing to us. I am with {team}, and I have read your message. "
            "I will look into it and get back to you soon."
        ),
    ),
    (
        N_("A good time to call"),
        N_(
            "It would help to talk with you by phone. What day and time would suit you, and "
            "which number should we call?"
        ),
    ),
    (
        N_("Arranging a visit"),
        N_(
            "We would like to visit you at home and talk in person. Which days and times "
            "would suit you? A family member or someone you trust is welcome to be there too."
        ),
    ),
    (
        N_("Still looking into it"),
        N_(
            "We are still looking into this, and it is taking a little time. We will contact "
            "you as soon as we know more. Please write to us here at any time."
        ),
    ),
    (
        N_("Closing the consultation"),
        N_(
            "Thank you for talking with us. We will close this consultation for now. If "
            "anything else comes up, please write to us here at any time."
        ),
    ),
)


def add_to_new_team(session: Session, team: Team) -> list[CannedResponse]:
    """Give a team just created its starter replies, one set per language.

    Call it only where the team is created (in the same transaction): that is what keeps a
    deleted starter from coming back.
    """
    if team.id is None:
        session.flush()
    added = []
    for language in LANGUAGES:
        name = (team.name_en or team.name) if language == "en" else team.name
        for title, body in STARTERS:
            canned = CannedResponse(
                team_id=team.id,
                language=language,
                title=words(language, title),
                body=fill(words(language, body), {"team": name}),
            )
            session.add(canned)
            added.append(canned)
    session.flush()
    return added


def words(language: str, message: str) -> str:
    """`message` in `language`, or as written when the catalog lacks it."""
    return _catalog(language).get(message) or message


@cache
def _catalog(language: str) -> dict[str, str]:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.string, str) and message.string
    }
