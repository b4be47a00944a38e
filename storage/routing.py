"""Which team takes a consultation: the routing rules, tried by position, first match wins."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import RoutingRule, Team

# 福祉まるごと相談: takes whatever no rule claims, and coordinates worries of several kinds.
DEFAULT_TEAM = "marugoto"
# 見守り: every watch-over ticket is filed in this team's queue, and so its staff (with admins)
# are the ones who see and change residents' enrolments.
WATCH_TEAM = "mimamori"


def route(
    session: Session,
    *,
    categories: Sequence[str],
    district_id: int | None,
    urgency: str,
    about: str | None,
) -> Team:
    """The team for a consultation; an empty column of a rule matches anything."""
    kinds = list(dict.fromkeys(categories))
    if len(kinds) > 1:
        # Several worries at once need one team that sees them all and brings others in.
        return default_team(session)
    category = kinds[0] if kinds else None
    for rule in rules(session):
        if (
            _matches(rule.category, category)
            and _matches(rule.district_id, district_id)
            and _matches(rule.urgency, urgency)
            and _matches(rule.about, about)
        ):
            return rule.team
    return default_team(session)


def rules(session: Session) -> list[RoutingRule]:
    """Every rule in the order they are tried."""
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def rule_by_id(session: Session, rule_id: int) -> RoutingRule | None:
    return session.get(RoutingRule, rule_id)


def add_rule(session: Session, rule: RoutingRule) -> RoutingRule:
    """Keep a rule an admin filled in; it has its id on return."""
    session.add(rule)
    session.flush()
    return rule


def delete_rule(session: Session, rule: RoutingRule) -> None:
    session.delete(rule)


def team_by_id(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def team_by_slug(session: Session, slug: str) -> Team | None:
    """The team with this id (its slug), if there is one."""
    return session.scalar(select(Team).where(Team.slug == slug[:40]))


def new_team(session: Session, slug: str, name: str) -> Team:
    """A team with nothing set yet (no phone, hours or rules: an admin fills them in next);
    it has its id on return."""
    team = Team(
        slug=slug,
        name=name,
        name_en="",
        phone="",
        hours=[[] for _day in range(7)],
        open_on_holidays=False,
        sla_hours={},
        auto_assign=False,
        max_open_per_staff=10,
    )
    session.add(team)
    session.flush()
    return team


def default_team(session: Session) -> Team:
    """The 福祉まるごと相談 team; every town must have one."""
    team = team_by_slug(session, DEFAULT_TEAM)
    if team is None:
        raise LookupError(f"no team {DEFAULT_TEAM!r}: load the town's teams first")
    return team


def _matches(wanted: str | int | None, given: str | int | None) -> bool:
    # A blank left by an editor means "any", like NULL.
    return wanted is None or wanted == "" or wanted == given
