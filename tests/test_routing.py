"""Routing: which team's queue a consultation lands in, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import routing
from storage.db import Database
from storage.models import District, RoutingRule, Team
from storage.sample_town import load_town


def _district(session: Session, slug: str) -> int:
    district_id = session.scalar(select(District.id).where(District.slug == slug))
    assert district_id is not None
    return district_id


def _team(session: Session, slug: str) -> Team:
    team = session.scalar(select(Team).where(Team.slug == slug))
    assert team is not None
    return team


def _route(session: Session, *categories: str, district: str | None = None, **kw: str) -> str:
    team = routing.route(
        session,
        categories=categories,
        district_id=_district(session, district) if district else None,
        urgency=kw.get("urgency", "soon"),
        about=kw.get("about", "self"),
    )
    return team.slug


def test_each_single_category_goes_to_its_team_in_the_sample_town(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        assert _route(session, "care") == "kourei"
        assert _route(session, "childcare") == "kosodate"
        assert _route(session, "disability") == "shougai"
        assert _route(session, "money") == "seikatsu"
        assert _route(session, "housing") == "seikatsu"
        assert _route(session, "mind") == "kokoro"
        assert _route(session, "errands") == "tasukeai"


def test_no_match_goes_to_the_marugoto_team(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        assert _route(session, "other") == "marugoto"
        assert _route(session) == "marugoto"


def test_several_categories_go_to_the_marugoto_team_which_coordinates(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        assert _route(session, "care", "money") == "marugoto"
        # The same category twice is still one worry.
        assert _route(session, "care", "care") == "kourei"


def test_first_match_wins_and_empty_columns_match_anything(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        session.add_all(
            [
                # Before the general care rule (position 10): urgent care of a family member.
                RoutingRule(
                    position=5,
                    category="care",
                    urgency="today",
                    about="family",
                    team_id=_team(session, "mimamori").id,
                ),
                # A catch-all with every column empty, after all the others.
                RoutingRule(position=1000, team_id=_team(session, "tasukeai").id),
            ]
        )
        session.flush()
        assert _route(session, "care", urgency="today", about="family") == "mimamori"
        # Not all columns of the first rule match, so the general care rule takes it.
        assert _route(session, "care", urgency="today", about="self") == "kourei"
        assert _route(session, "care", urgency="soon", about="family") == "kourei"
        # The catch-all now takes what no category rule claims.
        assert _route(session, "other") == "tasukeai"


def test_a_district_rule_beats_a_general_one_that_comes_later(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        session.add(
            RoutingRule(
                position=1,
                category="care",
                district_id=_district(session, "midori"),
                team_id=_team(session, "mimamori").id,
            )
        )
        session.flush()
        assert _route(session, "care", district="midori") == "mimamori"
        assert _route(session, "care", district="aratama") == "kourei"
        assert _route(session, "care") == "kourei"


def test_rules_are_tried_by_position_not_by_insertion(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        # Added last but placed first.
        session.add(RoutingRule(position=0, category="money", team_id=_team(session, "kokoro").id))
        session.flush()
        assert _route(session, "money") == "kokoro"


def test_without_a_marugoto_team_routing_says_what_is_missing(db: Database) -> None:
    with db.transaction() as session, pytest.raises(LookupError, match="marugoto"):
        routing.route(session, categories=["other"], district_id=None, urgency="soon", about=None)
