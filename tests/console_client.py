"""The console through Flask's test client: a signed-in browser stand-in that carries CSRF tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casework_data import Office
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.clock import Clock
from bot.settings import Settings
from storage import staff_accounts
from storage.db import Database
from storage.models import Staff

PASSWORD = "correct horse battery"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class StoppedClock(Clock):
    """Time that moves only when a test moves it (`advance`)."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self._at = at

    def now(self) -> datetime:
        return self._at + self.offset


def console_app(
    db: Database, now: datetime, session_clock: Clock | None = None, **overrides: Any
) -> Flask:
    """The whole app (console included) on `db`, its clock showing `now`; sign-ins on the same
    clock unless `session_clock` is given."""
    values: dict[str, Any] = {
        "channel_secret": "console-secret",
        "channel_access_token": "console-token",
        "database_url": db.url,
        "secret_key": "console-test-key",
    }
    settings = Settings(**{**values, **overrides})
    return create_app(settings, db=db, clock=StoppedClock(now), session_clock=session_clock)


def give_password(db: Database, staff_id: int, password: str = PASSWORD) -> str:
    """Let a test staff member sign in; returns their email."""
    with db.transaction() as session:
        staff = session.get(Staff, staff_id)
        assert staff is not None
        staff.password_hash = staff_accounts.hash_password(password)
        return staff.email


def signed_in(app: Flask, db: Database, office: Office, who: str) -> Browser:
    """A browser signed in as `who` of the office (given a password first)."""
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, office.staff[who])).status_code == 302
    return browser


@dataclass
class Browser:
    """Keeps the cookie and the last CSRF token a page handed out, as a browser's forms do."""

    client: FlaskClient
    ip: str = "192.0.2.10"
    token: str | None = None
    pages: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, app: Flask, ip: str = "192.0.2.10") -> Browser:
        return cls(app.test_client(), ip)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, environ_base={"REMOTE_ADDR": self.ip}, **kwargs)
        self._remember(response)
        return response

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
        response = self.client.post(
            path, data=form, environ_base={"REMOTE_ADDR": self.ip}, **kwargs
        )
        self._remember(response)
        return response

    def csrf(self) -> str:
        if self.token is None:
            # Signed in, the sign-in page redirects; the queue page has forms too.
            self.get("/console/sign-in")
            if self.token is None:
                self.get("/console/queue")
        assert self.token, "no page handed out a CSRF token"
        return self.token

    def sign_in(self, email: str, password: str = PASSWORD) -> TestResponse:
        self.get("/console/sign-in")
        response = self.post("/console/sign-in", {"email": email, "password": password})
        if response.status_code == 302:
            # The session starts afresh at sign-in, and with it the CSRF token.
            self.token = None
            self.get("/console/queue")
        return response

    def follow(self, response: TestResponse) -> TestResponse:
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        return self.get(response.headers["Location"])

    def _remember(self, response: TestResponse) -> None:
        if response.mimetype == "text/html":
            found = TOKEN_FIELD.search(response.get_data(as_text=True))
            if found:
                self.token = found.group(1)
