"""A fresh install is usable: every team starts with canned replies, in Japanese and English,
on SQLite and PostgreSQL — once, never doubled, and never back after an admin deletes one."""

from __future__ import annotations

import pytest
from casework_data import NOW, Office, make_office
from console_client import Browser, console_app, give_password
from sqlalchemy import func, select

from storage import casework, starter_replies
from storage.db import Database
from storage.models import CannedResponse, Staff, Team
from storage.sample_town import load_town


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def _titles(db: Database, slug: str, language: str) -> list[str]:
    with db.transaction() as session:
        team = session.scalar(select(Team).where(Team.slug == slug))
        assert team is not None
        return [canned.title for canned in casework.canned_responses(session, team, language)]


def test_every_sample_team_starts_with_the_starters_in_japanese_and_english(
    db: Database, office: Office
) -> None:
    count = len(starter_replies.STARTERS)
    with db.transaction() as session:
        for team in session.scalars(select(Team)):
            ja = casework.canned_responses(session, team, "ja")
            en = casework.canned_responses(session, team, "en")
            assert len(ja) == len(en) == count, team.slug
            # Japanese words in Japanese, the team named in each language.
            assert "ご連絡のお礼" in [canned.title for canned in ja]
            assert any(team.name in canned.body for canned in ja)
            assert any(team.name_en in canned.body for canned in en)
            for canned in ja:
                assert not canned.title.isascii() and not canned.body.isascii(), canned.title
            for canned in en:
                assert canned.title.isascii() and canned.body.isascii(), canned.title
                assert "{" not in canned.body
    assert "Arranging a visit" in _titles(db, "mimamori", "en")


def test_loading_the_town_again_neither_doubles_them_nor_brings_a_deleted_one_back(
    db: Database, office: Office
) -> None:
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(CannedResponse))
        team = session.get(Team, office.teams["marugoto"])
        boss = session.get(Staff, office.staff["boss"])
        assert team is not None and boss is not None
        deleted = casework.canned_responses(session, team, "ja")[0]
        deleted_title = deleted.title
        casework.delete_canned_response(session, boss, deleted, NOW)
    with db.transaction() as session:
        load_town(session)
    with db.transaction() as session:
        after = session.scalar(select(func.count()).select_from(CannedResponse))
    assert after == before - 1
    assert deleted_title not in _titles(db, "marugoto", "ja")


def test_a_team_an_admin_adds_starts_with_them_too_and_they_edit_like_any_other(
    db: Database, office: Office
) -> None:
    app = console_app(db, NOW)
    admin = Browser.of(app)
    assert admin.sign_in(give_password(db, office.staff["boss"])).status_code == 302
    made = admin.post("/console/admin/teams/new", {"slug": "shien", "name": "生活困窮支援"})
    assert made.status_code == 302
    ja = _titles(db, "shien", "ja")
    assert len(ja) == len(starter_replies.STARTERS)
    assert len(_titles(db, "shien", "en")) == len(starter_replies.STARTERS)

    listed = admin.get("/console/canned?team=shien")
    assert listed.status_code == 200 and "訪問の日程" in listed.text
    with db.transaction() as session:
        canned_id = session.scalar(
            select(CannedResponse.id)
            .where(CannedResponse.title == "訪問の日程", CannedResponse.language == "ja")
            .join(Team, Team.id == CannedResponse.team_id)
            .where(Team.slug == "shien")
        )
    admin.post(
        f"/console/canned/{canned_id}",
        {"language": "ja", "title": "訪問のご相談", "body": "ご自宅にうかがいます。"},
    )
    assert "訪問のご相談" in _titles(db, "shien", "ja")
    admin.post(f"/console/canned/{canned_id}/delete")
    assert "訪問の日程" not in _titles(db, "shien", "ja")
    assert "訪問のご相談" not in _titles(db, "shien", "ja")
