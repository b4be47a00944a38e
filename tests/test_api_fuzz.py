"""/api/v1 fuzzed from its own OpenAPI document (schemathesis): whatever a client sends, valid
or not, the answer is never a 5xx, its status is one the document lists, and its body matches
the document's schema for that status.

Half of the generated ticket references are swapped for a real ticket's, so the fuzzing
reaches past "not found" into claim, reply, transfer and close; half of the requests are
built to break the document (wrong types, missing fields), which must be refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from casework_data import NOW, Office, make_office, make_ticket, staff
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from bot.app import create_app
from bot.clock import Clock
from bot.settings import Settings
from console import openapi
from storage import staff_accounts
from storage.db import Database

MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def fuzzed(db: Database, settings: Settings) -> Iterator[tuple[Flask, str, list[str]]]:
    """The app, a token of aoki (福祉まるごと相談) and the references of tickets aoki can reach."""
    office: Office = make_office(db)
    with db.transaction() as session:
        token = staff_accounts.issue_token(session, staff(session, office.staff["aoki"]), NOW)
        references = [make_ticket(session, office.teams["marugoto"]).reference for _ in range(3)]
    app = create_app(settings, db=db, clock=Clock(offset=NOW - datetime.now(UTC)))
    yield app, token, references


def _operations() -> list[Any]:
    document = schemathesis.openapi.from_dict(openapi.document("http://localhost"))
    return [result.ok() for result in document.get_all_operations()]


OPERATIONS = _operations()


# Modes: documented inputs and inputs that break the document (wrong types, missing fields).
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    operation: Any, fuzzed: tuple[Flask, str, list[str]], data: st.DataObject
) -> None:
    app, token, references = fuzzed
    case = data.draw(operation.as_strategy(generation_mode=data.draw(st.sampled_from(MODES))))
    if "reference" in (case.path_parameters or {}) and data.draw(st.booleans()):
        case.path_parameters["reference"] = data.draw(st.sampled_from(references))
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
