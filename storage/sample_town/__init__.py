"""The sample town (modelled on Odawara): districts, teams, routing rules and salons, for demos.

The districts carry Odawara's real 連合自治会 names and approximate centre points; the teams,
phone numbers (0465-00-xxxx reaches nobody) and everything else are fictional.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import starter_replies
from storage.models import District, RoutingRule, Salon, Team
from storage.salon_csv import import_csv

HERE = Path(__file__).parent


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def load_town(session: Session) -> None:
    """Districts, teams (with their starter canned replies) and routing rules, unless the
    town is already there (idempotent)."""
    if session.scalar(select(District.id).limit(1)) is not None:
        return
    districts = {}
    for position, row in enumerate(_rows("districts.csv")):
        district = District(
            slug=row["slug"],
            name=row["name"],
            name_kana=row["name_kana"],
            area=row["area"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            position=position,
        )
        districts[district.slug] = district
        session.add(district)
    teams = {}
    for spec in json.loads((HERE / "teams.json").read_text(encoding="utf-8")):
        team = Team(**spec)
        teams[team.slug] = team
        session.add(team)
    session.flush()
    for team in teams.values():
        starter_replies.add_to_new_team(session, team)
    for row in _rows("routing.csv"):
        session.add(
            RoutingRule(
                position=int(row["position"]),
                category=row["category"] or None,
                district_id=districts[row["district"]].id if row["district"] else None,
                urgency=row["urgency"] or None,
                about=row["about"] or None,
                team_id=teams[row["team"]].id,
            )
        )
    session.flush()


def load_salons(session: Session, now: datetime | None = None) -> None:
    """The sample salons (after `load_town`), unless there are salons already (idempotent).

    Existing salons are left alone so a second load never overwrites what staff edited.
    """
    if session.scalar(select(Salon.id).limit(1)) is not None:
        return
    import_csv(session, (HERE / "salons.csv").read_bytes(), now or datetime.now(UTC))


def load(session: Session, now: datetime) -> None:
    """The whole sample town, for the demo: districts, teams, routing rules and salons."""
    load_town(session)
    load_salons(session, now)
