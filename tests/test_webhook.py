"""POST /callback: signature, body limits, dedupe, and clear 4xx answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
from typing import Any

import pytest
from builders import make_event, postback_event, text_event
from fakes import ScriptedGateway
from flask.testing import FlaskClient
from line_spec import spec_dir
from sqlalchemy import func, select

from bot import event_check, webhook
from bot.app import create_app
from bot.clock import Clock
from bot.services import services
from bot.settings import Settings
from bot.worker import Worker
from handlers import events
from storage import inbox
from storage.db import Database
from storage.models import InboxEvent
from storage.spool import move_waiting

SECRET = "test-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def client(settings: Settings, db: Database, clock: Clock) -> FlaskClient:
    return create_app(settings, db=db, clock=clock).test_client()


def post(
    client: FlaskClient,
    payload: Any,
    signature: str | None = None,
    header: str = "X-Line-Signature",
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    headers[header] = sign(body) if signature is None else signature
    return client.post("/callback", data=body, headers=headers)


def moved(db: Database) -> Database:
    """The database once the worker has moved what the webhook spooled into the inbox."""
    move_waiting(db)
    return db


def stored(db: Database) -> int:
    with moved(db).transaction() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent)) or 0


def statuses(db: Database) -> dict[str, str]:
    """Each stored event's status, by webhookEventId."""
    with moved(db).transaction() as session:
        rows = session.execute(select(InboxEvent.webhook_event_id, InboxEvent.status))
        return {event_id: status for event_id, status in rows}


def test_verify_button_with_no_events_is_ok(client: FlaskClient) -> None:
    assert post(client, {"destination": "U0", "events": []}).status_code == 200


def test_a_signed_event_is_stored_before_the_answer(client: FlaskClient, db: Database) -> None:
    response = post(client, {"destination": "U0", "events": [text_event("こんにちは")]})
    assert response.status_code == 200
    assert stored(db) == 1


@pytest.mark.parametrize("header", ["x-line-signature", "X-LINE-SIGNATURE"])
def test_the_signature_header_name_is_case_insensitive(
    client: FlaskClient, db: Database, header: str
) -> None:
    assert post(client, {"events": [text_event("a")]}, header=header).status_code == 200
    assert stored(db) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", sign(b"other body")])
def test_a_missing_or_wrong_signature_is_400_and_nothing_is_stored(
    client: FlaskClient, db: Database, signature: str
) -> None:
    response = post(client, {"events": [text_event("a")]}, signature=signature)
    assert response.status_code == 400
    assert "X-Line-Signature" in response.get_json()["reason"]
    assert stored(db) == 0


def test_a_signature_made_with_another_secret_is_refused(client: FlaskClient, db: Database) -> None:
    body = json.dumps({"events": [text_event("a")]}).encode()
    assert post(client, body, signature=sign(body, "someone-else")).status_code == 400
    assert stored(db) == 0


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"events": "nope"}', b'{"events": {}}', b"\xff\xfe{"]
)
def test_a_malformed_body_is_400_with_a_reason(client: FlaskClient, body: bytes) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert response.get_json()["reason"]


def test_a_body_over_one_mebibyte_is_413(client: FlaskClient, db: Database) -> None:
    event = text_event("x" * (1024 * 1024))
    response = post(client, {"events": [event]})
    assert response.status_code == 413
    assert stored(db) == 0


def test_a_redelivered_event_is_stored_once(client: FlaskClient, db: Database) -> None:
    event = text_event("もう一度")
    post(client, {"events": [event]})
    redelivery = dict(event, deliveryContext={"isRedelivery": True})
    assert post(client, {"events": [redelivery, event]}).status_code == 200
    assert stored(db) == 1


def test_unknown_event_types_are_stored_not_refused(client: FlaskClient, db: Database) -> None:
    membership = make_event(
        "membership", replyToken="r", membership={"type": "joined", "membershipId": 3}
    )
    unknown_message = make_event("message", message={"type": "hologram", "id": "9"})
    batch = [make_event("somethingNew"), membership, unknown_message]
    assert post(client, {"events": batch}).status_code == 200
    assert statuses(db) == {event["webhookEventId"]: inbox.PENDING for event in batch}


def test_the_wrong_method_is_a_4xx_with_a_reason(client: FlaskClient) -> None:
    response = client.get("/callback")
    assert response.status_code == 405
    assert response.get_json()["reason"]


def test_the_clock_route_exists_only_for_the_simulator_or_when_allowed(
    settings: Settings, db: Database, clock: Clock
) -> None:
    real = create_app(settings, db=db, clock=clock).test_client()
    assert real.post("/simulator/clock", json={"advance": "3h"}).status_code == 404
    allowed = create_app(
        settings.with_overrides(allow_clock=True, secret_key="k"), db=db, clock=clock
    ).test_client()
    # There it answers a signed-in console admin only: tests/test_clock_route.py.
    assert allowed.post("/simulator/clock", json={"advance": "3h"}).status_code == 401


def _with(event: dict[str, Any], **message: Any) -> dict[str, Any]:
    return dict(event, message=dict(event["message"], **message))


SECRET_WORRY = "借金が470万円あります 090-0000-1234"
# Each was a 500 for the whole body (or a stored event that failed the worker later).
BAD_EVENTS = {
    "a string for the source object": lambda e: dict(e, source="U" + "0" * 32),
    "a string for the message object": lambda e: dict(e, message=SECRET_WORRY),
    "a timestamp of 1e20": lambda e: dict(e, timestamp=1e20),
    "a timestamp past year 9999": lambda e: dict(e, timestamp=9 * 10**18),
    "a number for the text": lambda e: _with(e, text=4_700_000),
    "a list for the message id": lambda e: _with(e, id=[1]),
    "a list for the event object": lambda e: [e],
    "a NUL in the text": lambda e: _with(e, text=SECRET_WORRY + "\x00"),
    "NaN beside the event's fields": lambda e: dict(e, extra=float("nan")),
}


@pytest.mark.parametrize("spoil", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_a_bad_event_is_refused_without_its_content_and_the_rest_goes_on(
    client: FlaskClient, db: Database, spoil: Any, caplog: pytest.LogCaptureFixture
) -> None:
    before, bad, after = text_event("前"), text_event(SECRET_WORRY), text_event("後")
    body = {"destination": "U" + "0" * 32, "events": [before, spoil(bad), after]}
    with caplog.at_level(logging.INFO):
        response = post(client, body)
    assert response.status_code == 200
    with moved(db).transaction() as session:
        rows = {row.webhook_event_id: row for row in session.scalars(select(InboxEvent))}
        good = [rows[before["webhookEventId"]], rows[after["webhookEventId"]]]
        assert [(row.status, row.payload) for row in good] == [
            (inbox.PENDING, before),
            (inbox.PENDING, after),
        ]
        [refused] = inbox.refused(session)
        assert refused.last_error.startswith("event")
        kept = json.dumps(refused.payload, ensure_ascii=False)
    assert len(rows) == 3
    assert "借金" not in kept and "1234" not in kept and "4700000" not in kept
    assert set(refused.payload.get("message", {})) <= {"type", "id"}
    assert set(refused.payload) <= {
        "type",
        "webhookEventId",
        "mode",
        "timestamp",
        "source",
        "message",
    }
    assert "借金" not in caplog.text and "1234" not in caplog.text


def test_what_a_refused_event_keeps_finds_it_again(client: FlaskClient, db: Database) -> None:
    bad = _with(text_event(SECRET_WORRY), text=300)
    assert post(client, {"events": [bad]}).status_code == 200
    with moved(db).transaction() as session:
        [refused] = inbox.refused(session)
        assert refused.payload == {
            "type": "message",
            "webhookEventId": bad["webhookEventId"],
            "mode": "active",
            "timestamp": bad["timestamp"],
            "source": bad["source"],
            "message": {"type": "text", "id": bad["message"]["id"]},
        }
        assert (refused.source_key, refused.message_id) == (
            bad["source"]["userId"],
            bad["message"]["id"],
        )
        assert refused.last_error == "event/message/text: not a string"
    # LINE redelivers what did not work: the refusal is kept once.
    assert post(client, {"events": [bad]}).status_code == 200
    assert stored(db) == 1


# JSON that parses, into values no column can hold: each once failed its whole commit.
UNSTORABLE = {
    "a lone surrogate in the user id": ("source", {"type": "user", "userId": "@@"}, rb'"\ud800"'),
    "NaN in a field LINE does not list": ("extra", "@@", b"NaN"),
    "-Infinity in a field LINE does not list": ("extra", "@@", b"-Infinity"),
    "1e400, which parses as infinity": ("extra", "@@", b"1e400"),
    "a timestamp over int64": ("timestamp", "@@", str(2**64).encode()),
}


@pytest.mark.parametrize(("field", "value", "raw"), UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_values_no_database_can_hold_refuse_only_their_event(
    client: FlaskClient, db: Database, field: str, value: Any, raw: bytes
) -> None:
    good, bad = text_event("よろしく"), text_event("x")
    template = json.dumps({"events": [good, {**bad, field: value}]}).encode()
    assert post(client, template.replace(b'"@@"', raw)).status_code == 200
    assert statuses(db) == {
        good["webhookEventId"]: inbox.PENDING,
        bad["webhookEventId"]: inbox.REFUSED,
    }


def test_the_good_events_beside_a_refused_one_are_handled_as_usual(
    client: FlaskClient,
    db: Database,
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handled: list[str] = []
    monkeypatch.setattr(events, "handle", lambda context, event: handled.append(event["type"]))
    good = [make_event("follow"), text_event("こんにちは"), postback_event("menu")]
    bad = dict(text_event(SECRET_WORRY), source="U" + "0" * 32)
    assert post(client, {"events": [good[0], bad, *good[1:]]}).status_code == 200
    Worker(db, ScriptedGateway(), clock, settings).run_once()
    assert handled == ["follow", "message", "postback"]
    assert set(statuses(db).values()) == {inbox.DONE, inbox.REFUSED}


def test_a_bad_event_fails_no_other_request_in_its_group_commit(
    settings: Settings, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request A holds the writer; B (one bad event) and C queue and share the next commit."""
    app = create_app(settings, db=db, clock=clock)
    writer = services(app).inbox_writer
    real_keep, release, rounds = writer._keep, threading.Event(), []

    def keep(batch: list[dict[str, Any]]) -> None:
        rounds.append(len(batch))
        if len(rounds) == 1:
            assert release.wait(10)
        real_keep(batch)

    monkeypatch.setattr(writer, "_keep", keep)
    bad = dict(text_event(SECRET_WORRY), timestamp=9 * 10**18)
    bodies = {
        "A": [text_event("a")],
        "B": [text_event("b1"), bad, text_event("b2")],
        "C": [text_event("c")],
    }
    answers: dict[str, int] = {}

    def send(name: str) -> None:
        answers[name] = post(app.test_client(), {"events": bodies[name]}).status_code

    threads = {name: threading.Thread(target=send, args=(name,)) for name in bodies}
    threads["A"].start()
    _wait_until(lambda: len(rounds) == 1)
    threads["B"].start()
    threads["C"].start()
    # Private, but the only sign that B and C both wait for the next round.
    _wait_until(lambda: len(writer._waiting) == 2)
    release.set()
    for thread in threads.values():
        thread.join(10)
    assert answers == {"A": 200, "B": 200, "C": 200}
    assert rounds == [1, 4]
    assert list(statuses(db).values()).count(inbox.PENDING) == 4
    assert statuses(db)[bad["webhookEventId"]] == inbox.REFUSED


def _wait_until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("timed out")


@pytest.mark.parametrize("levels", [webhook.MAX_DEPTH, 100_000])
def test_deeply_nested_json_is_400_with_a_reason(
    client: FlaskClient, db: Database, levels: int
) -> None:
    nested = b"[" * levels + b"]" * levels
    body = b'{"events": [{"type": "message", "deep": ' + nested + b"}]}"
    response = post(client, body)
    assert response.status_code == 400
    assert "nests deeper than" in response.get_json()["reason"]
    assert stored(db) == 0


def test_lines_deepest_event_is_well_inside_the_depth_limit(
    client: FlaskClient, db: Database
) -> None:
    mention = {"mentionees": [{"type": "user", "index": 0, "length": 4, "userId": "U1"}]}
    event = _with(text_event("@あなた こんにちは"), mention=mention)
    assert post(client, {"events": [event]}).status_code == 200
    assert statuses(db) == {event["webhookEventId"]: inbox.PENDING}


def test_more_events_than_the_limit_is_413_with_a_reason(client: FlaskClient, db: Database) -> None:
    batch = [text_event(f"{n}") for n in range(webhook.MAX_EVENTS + 1)]
    response = post(client, {"events": batch})
    assert response.status_code == 413
    assert str(webhook.MAX_EVENTS) in response.get_json()["reason"]
    assert stored(db) == 0
    assert post(client, {"events": batch[:-1]}).status_code == 200
    assert stored(db) == webhook.MAX_EVENTS


def test_the_bots_copy_of_lines_webhook_schema_matches_the_published_one() -> None:
    """If this fails, LINE's webhook.yml changed: write the copy anew with
    `python -m bot.event_check ../shared/line-openapi/webhook.yml` and read the diff."""
    import yaml

    with (spec_dir() / "webhook.yml").open(encoding="utf-8") as file:
        published = event_check.schemas_of(yaml.safe_load(file))
    with event_check.SCHEMA_FILE.open(encoding="utf-8") as file:
        assert json.load(file)["schemas"] == published


def test_the_event_check_refuses_a_schema_keyword_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="oneOf"):
        event_check._Compiler({"Event": {"oneOf": []}}).ref("Event")
