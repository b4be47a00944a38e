"""POST /callback: signature, body limits, dedupe, and clear 4xx answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from builders import make_event, text_event
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database
from storage.models import InboxEvent

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


def stored(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent)) or 0


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


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"events": "nope"}', b'{"events": [1]}'])
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
    response = post(client, {"events": [make_event("somethingNew"), make_event("membership")]})
    assert response.status_code == 200
    assert stored(db) == 2


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
        settings.with_overrides(allow_clock=True), db=db, clock=clock
    ).test_client()
    response = allowed.post("/simulator/clock", json={"advance": "3h"})
    assert response.status_code == 200
    assert response.get_json()["offset_seconds"] == 3 * 3600
    assert allowed.post("/simulator/clock", json={"advance": "soon"}).status_code == 400
