"""The bot's clock (issue #17, finding 3): moved only by a signed-in console admin, by a bounded
amount, reversibly; an offset out of range in the database never makes a webhook fail."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from builders import text_event
from casework_data import Office, make_office
from click.testing import CliRunner
from console_client import Browser, give_password
from flask import Flask
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli import main
from bot.clock import MAX_MOVE, MAX_OFFSET, Clock, ClockOutOfRange
from bot.scheduler import Scheduler
from bot.services import services
from bot.settings import Settings
from simulator.signature import sign
from storage import deadlines
from storage.db import Database
from storage.models import AuditEntry, ClockOffset, InboxEvent
from storage.spool import move_waiting

SECRET = "clock-secret"
DAY = 86400


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def bot_app(db: Database, **overrides: Any) -> Flask:
    """The app as `serve` runs it: the clock shared through the database, sign-ins on real time."""
    values: dict[str, Any] = {
        "channel_secret": SECRET,
        "channel_access_token": "clock-token",
        "database_url": db.url,
        "secret_key": "clock-test-key",
        "allow_clock": True,
    }
    settings = Settings(**{**values, **overrides})
    return create_app(settings, db=db, clock=Clock.shared(db, refresh=0.0), session_clock=Clock())


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return bot_app(db)


class Admin:
    """A console session moving the clock as the chat page does: token first, then the move."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    def move(self, body: Any, token: bool = True) -> Any:
        headers = {"X-CSRFToken": self.token()} if token else {}
        return self.browser.client.post("/simulator/clock", json=body, headers=headers)

    def token(self) -> str:
        answer = self.browser.client.get("/simulator/clock")
        assert answer.status_code == 200, answer.text
        return answer.get_json()["csrf_token"]


def signed_in(app: Flask, db: Database, office: Office, who: str) -> Admin:
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, office.staff[who])).status_code == 302
    return Admin(browser)


def offset_days(db: Database) -> float:
    with db.transaction() as session:
        return deadlines.clock_offset(session).total_seconds() / DAY


def store_offset(db: Database, seconds: float) -> None:
    """What an older version (or a hand in the database) left behind."""
    with db.transaction() as session:
        deadlines.advance_clock(session, timedelta(0))
        session.get(ClockOffset, deadlines.CLOCK_ROW).offset_seconds = seconds


def webhook(app: Flask, text: str = "こんにちは") -> Any:
    body = json.dumps({"destination": "U0", "events": [text_event(text)]}).encode()
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(SECRET, body)}
    return app.test_client().post("/callback", data=body, headers=headers)


# ---- Who may move it --------------------------------------------------------------------------


def test_without_the_simulator_or_the_test_flag_there_is_no_clock_route(
    db: Database, office: Office
) -> None:
    client = bot_app(db, allow_clock=False).test_client()
    assert client.post("/simulator/clock", json={"advance": "3h"}).status_code == 404
    assert client.get("/simulator/clock").status_code == 404


def test_anonymous_callers_are_refused_with_a_reason(app: Flask, db: Database) -> None:
    client = app.test_client()
    for answer in (
        client.post("/simulator/clock", json={"advance": "3h"}),
        client.post("/simulator/clock", json={"reset": True}),
        client.get("/simulator/clock"),
    ):
        assert answer.status_code == 401
        assert answer.get_json()["reason"] == "Sign in to the console as an admin first."
        assert answer.get_json()["message"], "in the caller's language too"
    assert offset_days(db) == 0


def test_staff_who_are_not_admins_get_403(app: Flask, db: Database, office: Office) -> None:
    staff = signed_in(app, db, office, "aoki")
    answer = staff.browser.client.post("/simulator/clock", json={"advance": "3h"})
    assert answer.status_code == 403
    assert "admin" in answer.get_json()["reason"]
    assert offset_days(db) == 0


def test_a_move_without_the_sessions_csrf_token_is_refused(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    answer = admin.move({"advance": "3h"}, token=False)
    assert answer.status_code == 400
    assert "CSRF" in answer.get_json()["reason"]
    assert offset_days(db) == 0


def test_without_a_secret_key_nobody_can_sign_in_so_the_route_says_why(
    db: Database, office: Office
) -> None:
    answer = bot_app(db, secret_key="").test_client().post("/simulator/clock", json={})
    assert answer.status_code == 503
    assert "MADOGUCHI_SECRET_KEY" in answer.get_json()["reason"]


# ---- Bounded, reversible, recorded ------------------------------------------------------------


def test_an_admin_moves_it_forward_and_resets_it_and_the_audit_log_says_so(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    answer = admin.move({"advance": "3h"})
    assert answer.status_code == 200, answer.text
    assert answer.get_json()["offset_seconds"] == 3 * 3600
    assert offset_days(db) == pytest.approx(3 / 24)

    answer = admin.move({"reset": True})
    assert answer.status_code == 200, answer.text
    assert answer.get_json()["offset_seconds"] == 0
    assert offset_days(db) == 0

    with db.transaction() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [(entry.action, entry.staff_id) for entry in entries if "clock" in entry.action]
    assert actions == [("clock_moved", office.staff["boss"]), ("clock_reset", office.staff["boss"])]


def test_advancing_3_000_000_days_is_a_400_and_webhooks_go_on(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    answer = admin.move({"advance": "3000000d"})
    assert answer.status_code == 400
    assert answer.get_json()["reason"] == (
        "One move of the clock is at most 400 days; this one is 3,000,000."
    )
    assert (
        answer.get_json()["message"]
        == "時計を一度に進められるのは 400 日までです（今回は 3,000,000 日）。"
    )
    assert offset_days(db) == 0
    assert webhook(app).status_code == 200


def test_the_total_offset_is_bounded_too(app: Flask, db: Database, office: Office) -> None:
    admin = signed_in(app, db, office, "boss")
    assert admin.move({"advance": "400d"}).status_code == 200
    assert admin.move({"advance": "400d"}).status_code == 200
    answer = admin.move({"advance": "400d"})
    assert answer.status_code == 400
    assert f"at most {MAX_OFFSET.days} days ahead" in answer.get_json()["reason"]
    assert offset_days(db) == 800, "the refused move is rolled back"
    assert admin.move({"reset": True}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": "soon"},
        {"advance": 3},
        {"advance": "-3h"},
        {"advance": "99999999999999999999d"},
        {"reset": "yes"},
        {"reset": True, "advance": "1h"},
        ["advance", "3h"],
        "3h",
    ],
)
def test_malformed_moves_are_400_with_a_reason(
    app: Flask, db: Database, office: Office, body: Any
) -> None:
    admin = signed_in(app, db, office, "boss")
    answer = admin.move(body)
    assert answer.status_code == 400, answer.text
    assert answer.get_json()["reason"]
    assert offset_days(db) == 0


def test_the_bounds_hold_for_the_clock_itself(db: Database) -> None:
    for clock in (Clock(), Clock.shared(db, refresh=0.0)):
        with pytest.raises(ClockOutOfRange):
            clock.advance(MAX_MOVE + timedelta(seconds=1))
        clock.advance(MAX_MOVE)
        clock.advance(MAX_MOVE)
        with pytest.raises(ClockOutOfRange):
            clock.advance(MAX_MOVE)
        assert clock.offset == 2 * MAX_MOVE
        assert clock.reset() == 2 * MAX_MOVE.total_seconds()
        assert clock.offset == timedelta(0)


# ---- An offset out of range already in the database -----------------------------------------


@pytest.mark.parametrize("seconds", [3_000_000 * DAY, -3_000_000 * DAY, 1e20, float("inf")])
def test_a_running_bot_ignores_an_offset_out_of_range_and_webhooks_are_stored(
    app: Flask, db: Database, seconds: float, caplog: pytest.LogCaptureFixture
) -> None:
    store_offset(db, seconds)
    assert webhook(app).status_code == 200
    move_waiting(db)  # what the worker does with what the webhook spooled
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 1
    assert "madoguchi clock reset" in caplog.text


@pytest.mark.parametrize("seconds", [3_000_000 * DAY, -3_000_000 * DAY, 1e20])
def test_with_an_offset_out_of_range_a_move_is_refused_and_a_reset_mends_it(
    app: Flask, db: Database, office: Office, seconds: float
) -> None:
    admin = signed_in(app, db, office, "boss")
    store_offset(db, seconds)
    answer = admin.move({"advance": "1h"})
    assert answer.status_code == 400, answer.text
    assert "Reset it first" in answer.get_json()["reason"]
    assert admin.move({"reset": True}).status_code == 200
    assert offset_days(db) == 0


def test_an_offset_out_of_range_stops_start_up_until_clock_reset(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_offset(db, 3_000_000 * DAY)
    env = {
        "DATABASE_URL": db.url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "clock-token",
        "MADOGUCHI_SECRET_KEY": "k",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The WSGI app (create_app without settings), the worker and the sender refuse, saying how.
    with pytest.raises(ClockOutOfRange, match="madoguchi clock reset"):
        create_app()
    runner = CliRunner()
    for command in (["worker"], ["sender"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, result.output
        assert "3,000,000 days ahead" in result.output
        assert "madoguchi clock reset" in result.output

    result = runner.invoke(main, ["clock", "reset"])
    assert result.exit_code == 0, result.output
    assert "back to real time" in result.output
    assert offset_days(db) == 0
    started = create_app()
    assert started.test_client().get("/healthz").status_code == 200
    services(started).db.dispose()
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "clock_reset")).one()
    assert entry.staff_id is None and entry.detail["was_seconds"] == 3_000_000 * DAY


def test_clock_reset_clears_even_a_value_no_timedelta_can_hold(db: Database) -> None:
    store_offset(db, 1e20)
    with pytest.raises(ClockOutOfRange):
        Clock.shared(db).check()
    assert Clock.shared(db).reset() == 1e20
    Clock.shared(db).check()
    assert offset_days(db) == 0


def test_a_reset_elsewhere_reaches_a_running_worker_whose_sweeps_go_on(db: Database) -> None:
    """The worker's clock follows a reset made by the web process, and its scheduler, whose
    next sweeps were reckoned in the moved time, sweeps at once rather than in two days."""
    web, worker = Clock.shared(db, refresh=0.0), Clock.shared(db, refresh=0.0)
    scheduler = Scheduler(db, worker, handlers={})
    web.advance(timedelta(days=2))
    assert worker.offset == timedelta(days=2)
    scheduler.sweep()
    assert not scheduler.due()
    web.reset()
    assert worker.offset == timedelta(0)
    assert scheduler.due()
