"""Sign-in an IT department signs off (issue #17): two-factor, idle sessions, a lock-out that
slows the guesser and never the owner, and a password change that ends what the old one opened.

Everything here goes through real HTTP with Flask's test client, as a browser would.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from casework_data import NOW, Office, make_office
from click.testing import CliRunner
from console_client import PASSWORD, Browser, StoppedClock, console_app, give_password
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from bot.app import create_app
from bot.cli import main
from bot.settings import Settings
from console import throttle
from storage import staff_accounts
from storage.db import Database
from storage.models import ApiToken, AuditEntry, RecoveryCode, Staff

COOKIE = "madoguchi_console"
CODE_PAGE = "/console/sign-in/code"
ENROL_PAGE = "/console/account/two-factor"
RECOVERY = re.compile(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>")


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW)


def advance(app: Flask, by: timedelta) -> None:
    """Move the test's one clock (the bot's and the sign-ins')."""
    app.extensions["madoguchi"].clock.advance(by)


def now_of(app: Flask) -> float:
    return app.extensions["madoguchi"].session_clock.now().timestamp()


def code_now(app: Flask, secret: str) -> str:
    return pyotp.TOTP(secret).at(now_of(app))


def try_password(browser: Browser, email: str, password: str) -> TestResponse:
    """The password step; on success the browser lands on the page it is sent to, as a real one."""
    browser.get("/console/sign-in")
    answer = browser.post("/console/sign-in", {"email": email, "password": password})
    if answer.status_code == 302:
        # The session starts afresh at the password, and with it the CSRF token.
        browser.token = None
        browser.get(answer.headers["Location"])
    return answer


def staff_row(db: Database, staff_id: int) -> Staff:
    with db.transaction() as session:
        found = session.get(Staff, staff_id)
        assert found is not None
        session.expunge(found)
        return found


def enrol(app: Flask, browser: Browser, db: Database, staff_id: int) -> list[str]:
    """Set up two-factor from the enrolment page; returns the recovery codes it showed."""
    page = browser.get(ENROL_PAGE)
    assert page.status_code == 200, page.status_code
    secret = staff_row(db, staff_id).totp_pending_secret
    assert secret is not None
    done = browser.post(ENROL_PAGE, {"code": code_now(app, secret)})
    assert done.status_code == 200, done.text[:300]
    return RECOVERY.findall(done.text)


def secret_of(db: Database, staff_id: int) -> str:
    secret = staff_row(db, staff_id).totp_secret
    assert secret is not None
    return secret


# ---- The lock-out slows the guesser, never the owner -------------------------------------------


def test_five_wrong_passwords_from_one_address_do_not_stop_the_owner_elsewhere(
    app: Flask, db: Database, office: Office
) -> None:
    email = give_password(db, office.staff["aoki"])
    guesser = Browser.of(app, ip="198.51.100.7")
    guesser.get("/console/sign-in")
    for attempt in range(5):
        wrong = guesser.post("/console/sign-in", {"email": email, "password": f"guess {attempt}"})
        assert wrong.status_code == 401, attempt

    # Anyone who knows a colleague's address could otherwise keep them out of the console.
    owner = Browser.of(app, ip="192.0.2.44")
    assert owner.sign_in(email).status_code == 302
    assert owner.get("/console/queue").status_code == 200

    # From the guessing address even the right password waits, a minute after five failures …
    held = try_password(guesser, email, PASSWORD)
    assert held.status_code == 429
    assert "ログインの失敗が続いたため" in held.text and "1分後" in held.text
    # … and then works.
    advance(app, timedelta(minutes=1, seconds=1))
    assert guesser.sign_in(email).status_code == 302
    assert guesser.get("/console/queue").status_code == 200


def test_each_further_failure_doubles_the_wait_up_to_an_hour(
    app: Flask, db: Database, office: Office
) -> None:
    email = give_password(db, office.staff["aoki"])
    guesser = Browser.of(app, ip="198.51.100.8")
    guesser.get("/console/sign-in")
    for attempt in range(5):
        guesser.post("/console/sign-in", {"email": email, "password": f"guess {attempt}"})
    for minutes in (1, 2, 4, 8):
        refused = guesser.post("/console/sign-in", {"email": email, "password": "again"})
        assert refused.status_code == 429 and f"{minutes}分後" in refused.text, minutes
        advance(app, timedelta(minutes=minutes, seconds=1))
        wrong = guesser.post("/console/sign-in", {"email": email, "password": "again"})
        assert wrong.status_code == 401, minutes
    waits = [throttle.delay_after(count) for count in range(4, 14)]
    assert waits[0] is None
    assert [wait.total_seconds() // 60 for wait in waits[1:] if wait] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
        60,
    ]
    assert throttle.delay_after(10_000) == timedelta(hours=1), "no overflow, an hour at most"


def test_a_success_clears_the_count_for_that_address(
    app: Flask, db: Database, office: Office
) -> None:
    email = give_password(db, office.staff["aoki"])
    owner = Browser.of(app, ip="192.0.2.60")
    for attempt in range(4):
        assert try_password(owner, email, f"typo {attempt}").status_code == 401
    assert owner.sign_in(email).status_code == 302
    owner.post("/console/sign-out")
    for attempt in range(4):
        assert try_password(owner, email, f"typo {attempt}").status_code == 401, attempt
    assert owner.sign_in(email).status_code == 302


# ---- Two-factor: enrolment ---------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_secret_and_turns_on_with_a_code(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, aoki)).status_code == 302
    account = browser.get("/console/account")
    assert account.status_code == 200 and "2段階認証" in account.text

    page = browser.get(ENROL_PAGE)
    assert page.status_code == 200
    assert "<svg" in page.text and "<path" in page.text, "the QR code, inline"
    pending = staff_row(db, aoki).totp_pending_secret
    assert pending is not None and staff_row(db, aoki).totp_secret is None
    shown = re.sub(r"\s", "", re.search(r'<code class="secret">([^<]+)</code>', page.text)[1])
    assert shown == pending, "the secret as text, for typing by hand"
    # The secret is kept on the server, not in the (readable, signed) cookie.
    cookie = browser.client.get_cookie(COOKIE)
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert pending not in str(serializer.loads(cookie.value))
    assert browser.get(ENROL_PAGE).text.count(pending[:4]) >= 1, "the same secret until confirmed"
    assert staff_row(db, aoki).totp_pending_secret == pending

    wrong = browser.post(ENROL_PAGE, {"code": "000000"})
    assert wrong.status_code == 400 and staff_row(db, aoki).totp_secret is None
    done = browser.post(ENROL_PAGE, {"code": code_now(app, pending)})
    assert done.status_code == 200
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert staff_row(db, aoki).totp_secret == pending
    with db.transaction() as session:
        stored = list(session.scalars(select(RecoveryCode.code_hash)))
        actions = list(session.scalars(select(AuditEntry.action)))
    assert len(stored) == 10 and not set(stored) & {code.replace("-", "") for code in codes}
    assert "two_factor_on" in actions
    # Shown once: the account page says how many are left, never the codes.
    after = browser.get("/console/account")
    assert not any(code in after.text for code in codes) and "回復コードの残り：10個" in after.text
    assert browser.get(ENROL_PAGE).status_code == 302, "already on"


def test_sign_in_asks_the_code_after_the_password(app: Flask, db: Database, office: Office) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    first = Browser.of(app)
    first.sign_in(email)
    enrol(app, first, db, aoki)
    secret = secret_of(db, aoki)

    browser = Browser.of(app, ip="192.0.2.70")
    asked = try_password(browser, email, PASSWORD)
    assert asked.status_code == 302 and asked.headers["Location"].startswith(CODE_PAGE)
    # The password alone opens nothing but the code page.
    assert browser.get("/console/queue").headers["Location"] == CODE_PAGE
    script = browser.get("/console/queue/live", headers={"X-Requested-With": "fetch"})
    assert script.status_code == 401
    assert browser.get("/console/account").status_code == 302
    page = browser.get(asked.headers["Location"])
    assert page.status_code == 200 and "認証アプリ" in page.text

    assert browser.post(CODE_PAGE, {"code": "123456"}).status_code == 401
    # The code used at enrolment, within the same 30 seconds, is not taken twice.
    assert browser.post(CODE_PAGE, {"code": code_now(app, secret)}).status_code == 401
    advance(app, timedelta(seconds=30))
    # Typed with full-width digits and a space, as a Japanese keyboard may.
    typed = code_now(app, secret).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    done = browser.post(CODE_PAGE, {"code": f"{typed[:3]} {typed[3:]}", "next": "/console/account"})
    assert done.status_code == 302 and done.headers["Location"] == "/console/account"
    browser.token = None
    assert browser.get("/console/queue").status_code == 200
    with db.transaction() as session:
        logins = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.staff_id == aoki, AuditEntry.action == "login"
            )
        ).all()
    assert len(logins) == 2, "a login is recorded when the code completes it"


def test_the_half_done_cookie_stops_working_when_the_sign_in_completes(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    first = Browser.of(app)
    first.sign_in(email)
    enrol(app, first, db, aoki)
    browser = Browser.of(app, ip="192.0.2.71")
    try_password(browser, email, PASSWORD)
    half = browser.client.get_cookie(COOKIE)
    assert half is not None
    advance(app, timedelta(seconds=30))
    browser.post(CODE_PAGE, {"code": code_now(app, secret_of(db, aoki))})
    copy = app.test_client()
    copy.set_cookie(COOKIE, half.value)
    assert copy.get("/console/queue").status_code == 302, "a new token at completion"


def test_a_recovery_code_works_once(app: Flask, db: Database, office: Office) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    first = Browser.of(app)
    first.sign_in(email)
    codes = enrol(app, first, db, aoki)

    browser = Browser.of(app, ip="192.0.2.72")
    try_password(browser, email, PASSWORD)
    assert browser.post(CODE_PAGE, {"code": codes[3].upper()}).status_code == 302
    browser.token = None
    assert browser.get("/console/queue").status_code == 200
    browser.post("/console/sign-out")

    try_password(browser, email, PASSWORD)
    assert browser.post(CODE_PAGE, {"code": codes[3]}).status_code == 401, "used already"
    assert browser.post(CODE_PAGE, {"code": codes[4]}).status_code == 302
    browser.token = None
    assert "回復コードの残り：8個" in browser.get("/console/account").text


def test_wrong_codes_end_the_half_done_sign_in_and_count_as_failures(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    first = Browser.of(app)
    first.sign_in(email)
    enrol(app, first, db, aoki)

    browser = Browser.of(app, ip="203.0.113.40")
    try_password(browser, email, PASSWORD)
    for attempt in range(4):
        assert browser.post(CODE_PAGE, {"code": f"00000{attempt}"}).status_code == 401
    ended = browser.post(CODE_PAGE, {"code": "000009"})
    assert ended.status_code == 302 and ended.headers["Location"] == "/console/sign-in"
    assert "コードの誤りが続いた" in browser.follow(ended).text
    assert browser.get(CODE_PAGE).status_code == 302
    # Five wrong codes slow that address like five wrong passwords; the owner elsewhere is fine.
    assert try_password(browser, email, PASSWORD).status_code == 429
    owner = Browser.of(app, ip="192.0.2.73")
    try_password(owner, email, PASSWORD)
    advance(app, timedelta(seconds=30))
    assert owner.post(CODE_PAGE, {"code": code_now(app, secret_of(db, aoki))}).status_code == 302


def test_an_admin_requires_two_factor_of_a_role_and_its_members_enrol_after_the_password(
    app: Flask, db: Database, office: Office
) -> None:
    admin = Browser.of(app)
    admin.sign_in(give_password(db, office.staff["boss"]))
    page = admin.get("/console/admin/two-factor")
    assert page.status_code == 200 and "2段階認証" in page.text
    saved = admin.post("/console/admin/two-factor", {"roles": ["staff"]})
    assert saved.status_code == 302
    assert admin.post("/console/admin/two-factor", {"roles": ["nobody"]}).status_code == 400

    staff = Browser.of(app, ip="192.0.2.80")
    assert staff.get("/console/admin/two-factor").status_code == 302
    email = give_password(db, office.staff["aoki"])
    sent = try_password(staff, email, PASSWORD)
    assert sent.status_code == 302 and sent.headers["Location"].startswith(ENROL_PAGE)
    assert staff.get("/console/queue").headers["Location"] == ENROL_PAGE
    assert staff.get(CODE_PAGE).status_code == 302
    page = staff.get(sent.headers["Location"])
    assert page.status_code == 200 and "ログインを完了" in page.text
    secret = staff_row(db, office.staff["aoki"]).totp_pending_secret
    assert secret is not None
    done = staff.post(ENROL_PAGE, {"code": code_now(app, secret)})
    assert done.status_code == 200 and len(RECOVERY.findall(done.text)) == 10
    assert "ログアウト" in done.text, "signed in now"
    staff.token = None
    assert staff.get("/console/queue").status_code == 200
    assert staff.get("/console/admin/two-factor").status_code == 403
    # Their role requires it: it cannot be turned off by them.
    advance(app, timedelta(seconds=30))
    off = staff.post("/console/account/two-factor/off", {"code": code_now(app, secret)})
    assert off.status_code == 400 and staff_row(db, office.staff["aoki"]).totp_secret

    # Admins were not required: the admin's own sign-in is a password, as before.
    assert Browser.of(app, ip="192.0.2.81").sign_in(
        give_password(db, office.staff["boss"])
    ).headers["Location"] == ("/console/queue")

    # A lost phone: an admin resets it, and the next sign-in asks to set it up again.
    listed = admin.get("/console/admin/two-factor")
    assert "リセット" in listed.text
    assert admin.post(f"/console/admin/two-factor/{office.staff['aoki']}/reset").status_code == 302
    assert staff_row(db, office.staff["aoki"]).totp_secret is None
    again = try_password(Browser.of(app, ip="192.0.2.82"), email, PASSWORD)
    assert again.headers["Location"].startswith(ENROL_PAGE)


def test_two_factor_off_and_new_recovery_codes_need_a_code(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    browser = Browser.of(app)
    browser.sign_in(give_password(db, aoki))
    old = enrol(app, browser, db, aoki)
    secret = secret_of(db, aoki)
    advance(app, timedelta(seconds=30))
    assert (
        browser.post("/console/account/two-factor/recovery-codes", {"code": "1"}).status_code == 400
    )
    renewed = browser.post("/console/account/two-factor/recovery-codes", {"code": old[0]})
    fresh = RECOVERY.findall(renewed.text)
    assert renewed.status_code == 200 and len(fresh) == 10 and not set(fresh) & set(old)
    assert browser.post("/console/account/two-factor/off", {"code": old[1]}).status_code == 400
    off = browser.post("/console/account/two-factor/off", {"code": code_now(app, secret)})
    assert off.status_code == 302 and staff_row(db, aoki).totp_secret is None
    with db.transaction() as session:
        assert session.scalar(select(RecoveryCode.id)) is None


def test_a_lost_phone_is_reset_from_the_command_line(
    app: Flask, db: Database, db_url: str, office: Office
) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    browser = Browser.of(app)
    browser.sign_in(email)
    enrol(app, browser, db, aoki)
    result = CliRunner().invoke(
        main, ["staff", "reset-two-factor", email], env={"DATABASE_URL": db_url}
    )
    assert result.exit_code == 0, result.output
    assert staff_row(db, aoki).totp_secret is None
    assert Browser.of(app, ip="192.0.2.90").sign_in(email).status_code == 302


def test_no_code_or_secret_reaches_the_log(
    app: Flask, db: Database, office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    browser = Browser.of(app)
    browser.sign_in(email)
    codes = enrol(app, browser, db, aoki)
    secret = secret_of(db, aoki)
    used = [code_now(app, secret)]
    other = Browser.of(app, ip="192.0.2.91")
    try_password(other, email, PASSWORD)
    other.post(CODE_PAGE, {"code": "654321"})
    advance(app, timedelta(seconds=30))
    used.append(code_now(app, secret))
    other.post(CODE_PAGE, {"code": used[-1]})
    logged = caplog.text
    for secret_text in [secret, PASSWORD, "654321", *used, *codes]:
        assert secret_text not in logged


# ---- Idle sessions -----------------------------------------------------------------------------


def test_a_session_idle_for_thirty_minutes_ends(app: Flask, db: Database, office: Office) -> None:
    browser = Browser.of(app)
    browser.sign_in(give_password(db, office.staff["aoki"]))
    advance(app, timedelta(minutes=29))
    assert browser.get("/console/queue").status_code == 200, "still there: it was in use"
    advance(app, timedelta(minutes=29))
    assert browser.get("/console/queue").status_code == 200
    advance(app, timedelta(minutes=30, seconds=1))
    left = browser.get("/console/queue")
    assert left.status_code == 302 and left.headers["Location"].startswith("/console/sign-in")


def test_the_queue_refreshing_itself_does_not_keep_a_session_alive(
    app: Flask, db: Database, office: Office
) -> None:
    browser = Browser.of(app)
    browser.sign_in(give_password(db, office.staff["aoki"]))
    live = {"X-Requested-With": "fetch", "Accept": "text/html"}
    for _tick in range(3):
        advance(app, timedelta(minutes=9))
        assert browser.get("/console/queue/live", headers=live).status_code == 200
    advance(app, timedelta(minutes=4))
    assert browser.get("/console/queue/live", headers=live).status_code == 401
    assert browser.get("/console/queue").status_code == 302


@dataclass(frozen=True)
class ShortIdle(Settings):
    """Settings with the console's idle limit set, as `MADOGUCHI_CONSOLE_IDLE=5m` would."""

    console_idle: timedelta = timedelta(minutes=5)


def test_the_idle_limit_is_a_setting(db: Database, office: Office) -> None:
    settings = ShortIdle(
        channel_secret="console-secret",
        channel_access_token="console-token",
        database_url=db.url,
        secret_key="console-test-key",
    )
    clock = StoppedClock(NOW)
    app = create_app(settings, db=db, clock=clock)
    browser = Browser.of(app)
    browser.sign_in(give_password(db, office.staff["aoki"]))
    clock.advance(timedelta(minutes=4))
    assert browser.get("/console/queue").status_code == 200
    clock.advance(timedelta(minutes=5, seconds=1))
    assert browser.get("/console/queue").status_code == 302


# ---- A new password ends what the old one opened -----------------------------------------------


def api_status(app: Flask, token: str) -> int:
    answer = app.test_client().get("/api/v1/teams", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


def test_changing_ones_password_revokes_api_tokens_and_other_sessions(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    with db.transaction() as session:
        token = staff_accounts.issue_token(session, session.get(Staff, aoki), NOW)
    assert api_status(app, token) == 200
    here, elsewhere = Browser.of(app), Browser.of(app, ip="192.0.2.100")
    here.sign_in(email)
    elsewhere.sign_in(email)
    new = "a brand new passphrase"
    form = {"current_password": PASSWORD, "new_password": new, "repeat_password": new}

    wrong = here.post("/console/account/password", {**form, "current_password": "not it"})
    assert wrong.status_code == 400 and "現在のパスワードが違います" in wrong.text
    differ = here.post("/console/account/password", {**form, "repeat_password": new + "!"})
    assert differ.status_code == 400
    short = here.post(
        "/console/account/password",
        {**form, "new_password": "short", "repeat_password": "short"},
    )
    assert short.status_code == 400 and "10文字以上" in short.text
    assert api_status(app, token) == 200, "nothing changed yet"

    changed = here.post("/console/account/password", form)
    assert changed.status_code == 302
    assert "他のログインとAPIトークンは無効" in here.follow(changed).text
    assert here.get("/console/queue").status_code == 200, "the session it was changed from stays"
    assert elsewhere.get("/console/queue").status_code == 302
    assert api_status(app, token) == 401
    assert try_password(Browser.of(app, ip="192.0.2.101"), email, PASSWORD).status_code == 401
    assert Browser.of(app, ip="192.0.2.102").sign_in(email, new).status_code == 302


def test_an_admin_setting_a_password_revokes_the_accounts_tokens(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = office.staff["aoki"]
    email = give_password(db, aoki)
    with db.transaction() as session:
        token = staff_accounts.issue_token(session, session.get(Staff, aoki), NOW)
    theirs = Browser.of(app, ip="192.0.2.110")
    theirs.sign_in(email)
    admin = Browser.of(app)
    admin.sign_in(give_password(db, office.staff["boss"]))
    saved = admin.post(
        f"/console/admin/staff/{aoki}",
        {
            "name": "青木",
            "role": "staff",
            "teams": ["marugoto"],
            "active": "1",
            "password": "set by the admin today",
        },
    )
    assert saved.status_code == 302, saved.text[:500]
    assert api_status(app, token) == 401
    assert theirs.get("/console/queue").status_code == 302
    with db.transaction() as session:
        revoked = session.scalars(select(ApiToken.revoked_at)).one()
    assert revoked is not None
