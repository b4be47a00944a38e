"""Behind a reverse proxy, the audit log and the sign-in lock-out see the resident-facing
client's address only when the council says how many proxies to believe; otherwise anyone
could write X-Forwarded-For and be whoever they like."""

from __future__ import annotations

import pytest
from casework_data import NOW, Office, make_office
from console_client import Browser, console_app, give_password
from sqlalchemy import select

from bot.settings import Settings
from storage.db import Database
from storage.models import AuditEntry

PROXY, CLIENT = "10.0.0.2", "203.0.113.7"


def signed_in_ip(db: Database, office: Office, trusted_proxies: int) -> str | None:
    app = console_app(db, NOW, trusted_proxies=trusted_proxies)
    browser = Browser.of(app, ip=PROXY)
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = CLIENT
    assert browser.sign_in(give_password(db, office.staff["aoki"])).status_code == 302
    with db.transaction() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        return entry.ip


def test_the_client_behind_a_trusted_proxy_is_the_one_audited(db: Database) -> None:
    assert signed_in_ip(db, make_office(db), trusted_proxies=1) == CLIENT


def test_without_trusted_proxies_a_forwarded_header_is_not_believed(db: Database) -> None:
    assert signed_in_ip(db, make_office(db), trusted_proxies=0) == PROXY


def test_the_number_of_proxies_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"MADOGUCHI_TRUSTED_PROXIES": "2"})
    assert settings.trusted_proxies == 2
    assert Settings.from_env({}).trusted_proxies == 0
    with pytest.raises(ValueError, match="MADOGUCHI_TRUSTED_PROXIES"):
        Settings.from_env({"MADOGUCHI_TRUSTED_PROXIES": "many"})
