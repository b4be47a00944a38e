"""Webhook fuzzing from LINE's own schema: events hypothesis-jsonschema makes from webhook.yml,
posted signed to /callback as LINE sends them, and spoiled one value at a time.

Whatever the events, the webhook never answers 5xx; a well-formed message event lands in the
inbox as it came; a spoiled one is refused alone, keeping no content. "Well-formed" is the
published schema (checked here by jsonschema, not by the bot's own compiled check) plus the
bot's documented storage rules: no NUL or lone surrogate, no NaN or infinity, a timestamp
between 1970 and 3000.
"""

from __future__ import annotations

import copy
import itertools
import math
import uuid
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from line_spec import SpecViolation, spec_dir, validate_webhook_body
from sqlalchemy import delete, select
from test_webhook import post

from bot.app import create_app
from bot.clock import Clock
from bot.event_check import LATEST_TIMESTAMP, schemas_of
from bot.settings import Settings
from storage import inbox
from storage.db import Database
from storage.models import InboxEvent
from storage.spool import move_waiting

OPENAPI_REF = "#/components/schemas/"
JSON_REF = "#/definitions/"
INTEGER_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
AUDIT_FIELDS = {"type", "webhookEventId", "mode", "timestamp", "source", "message"}
DESTINATION = "U" + "0" * 32

# hypothesis-jsonschema takes ~50 ms to make an event (it canonicalises each object's schema
# on every draw): 20 examples a test on each engine keep the file near 20 s.
# `database=None`: no example store left in the checkout. No shrinking: through those slow
# draws it takes minutes, and the example as generated says enough.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example empties the inbox itself
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,  # hypothesis-jsonschema's own filters, for some objects
    ],
)


def _converted(schema: Any) -> Any:
    """OpenAPI 3.0 into JSON Schema: refs to `definitions`, integer formats as bounds."""
    if isinstance(schema, list):
        return [_converted(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _converted(value) for key, value in schema.items() if key != "discriminator"}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace(OPENAPI_REF, JSON_REF)
    if schema.get("format") in INTEGER_BOUNDS:
        out["minimum"], out["maximum"] = INTEGER_BOUNDS[out.pop("format")]
    elif schema.get("format") == "double":
        out.pop("format")
    return out


def _definitions() -> dict[str, Any]:
    """LINE's schemas flattened for generation: every `allOf` merged into one object schema
    (hypothesis-jsonschema would otherwise generate from one part and filter by the others,
    rejecting most of what it makes), and each discriminated base an anyOf of its subtypes,
    each pinned to its own type."""
    with (spec_dir() / "webhook.yml").open(encoding="utf-8") as file:
        schemas = schemas_of(yaml.safe_load(file))
    converted = {name: _converted(schema) for name, schema in schemas.items()}
    # The bot's one rule on top of the schema's int64: a time LINE could send.
    converted["Event"]["properties"]["timestamp"].update(minimum=0, maximum=LATEST_TIMESTAMP - 1)

    def flat(schema: dict[str, Any]) -> dict[str, Any]:
        out = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema.get("allOf", []):
            if "$ref" in part:
                part = converted[part["$ref"].removeprefix(JSON_REF)]
            out = _merged(out, flat(part))
        return out

    definitions = {name: flat(schema) for name, schema in converted.items()}
    for name, schema in schemas.items():
        if "discriminator" in schema:
            field = schema["discriminator"]["propertyName"]
            definitions[name] = {
                "anyOf": [
                    _pinned(definitions[target.removeprefix(OPENAPI_REF)], field, value)
                    for value, target in schema["discriminator"]["mapping"].items()
                ]
            }
    return definitions


def _merged(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    merged = {**one, **other}
    properties = dict(one.get("properties", {}))
    for name, sub in other.get("properties", {}).items():
        properties[name] = {**properties.get(name, {}), **sub}
    if properties:
        merged["properties"] = properties
    required = [*one.get("required", []), *other.get("required", [])]
    if required:
        merged["required"] = sorted(set(required))
    return merged


def _inlined(schema: Any) -> Any:
    """Every `$ref` replaced by what it names: a schema without references is canonicalised
    once, where one with them costs hypothesis-jsonschema a resolution on every draw."""
    if isinstance(schema, list):
        return [_inlined(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(DEFINITIONS[schema["$ref"].removeprefix(JSON_REF)])
    return {key: _inlined(value) for key, value in schema.items()}


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema as a union of object schemas with no anyOf in their fields (a message
    event of each message type, from each kind of source): hypothesis-jsonschema then merges
    each alternative once, where an anyOf inside an object is merged again on every draw."""
    if "anyOf" in schema:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return [
            alternative
            for choice in schema["anyOf"]
            for alternative in _alternatives(_merged(rest, choice))
        ]
    options = [
        [(name, alternative) for alternative in _alternatives(sub)]
        for name, sub in schema.get("properties", {}).items()
    ]
    if not options:
        return [schema]
    return [{**schema, "properties": dict(fields)} for fields in itertools.product(*options)]


def _fields(schema: Any, every: bool) -> Any:
    """Every field LINE lists present, or only those it requires. hypothesis-jsonschema
    draws optional fields one name at a time and throws away most examples doing it (over
    90% of draws were invalid), so the examples come from these two ends instead."""
    if not isinstance(schema, dict):
        return schema
    out = {key: _fields(value, every) for key, value in schema.items() if key != "properties"}
    if "properties" in schema:
        required = set(schema.get("required", []))
        out["properties"] = {
            name: _fields(sub, every) if every or name in required else False
            for name, sub in schema["properties"].items()
        }
        out["required"] = sorted(schema["properties"] if every else required)
    if "anyOf" in schema:
        out["anyOf"] = [_fields(choice, every) for choice in schema["anyOf"]]
    return out


def _pinned(schema: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    return _merged(schema, {"properties": {field: {"const": value}}})


DEFINITIONS = _definitions()


def events_of(name: str, kind: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Events of the schema `name` (of type `kind`, when given), each with a fresh
    webhookEventId (the inbox's key)."""
    root = DEFINITIONS[name] if kind is None else _pinned(DEFINITIONS[name], "type", kind)
    alternatives = _alternatives(_inlined(root))
    schema = {"anyOf": [_fields(each, every) for every in (True, False) for each in alternatives]}
    return from_schema(schema, allow_x00=False, codec="utf-8").map(
        lambda event: {**_without_nul(event), "webhookEventId": uuid.uuid4().hex.upper()}
    )


def _without_nul(value: Any) -> Any:
    """hypothesis-jsonschema keeps NUL out of the strings LINE's schema describes, not out of
    the fields it adds beside them (names and values): LINE's never hold one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _storable(value: Any) -> bool:
    """No NUL, no lone surrogate, no NaN or infinity: what the bot refuses to store."""
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


@pytest.fixture
def client(settings: Settings, db: Database, clock: Clock) -> FlaskClient:
    return create_app(settings, db=db, clock=clock).test_client()


def empty_inbox(db: Database) -> None:
    """Each example starts from an empty inbox: a spoiled webhookEventId may repeat."""
    with db.transaction() as session:
        session.execute(delete(InboxEvent))


EVENTS = events_of("Event")
MESSAGE_EVENTS = events_of("MessageEvent", "message")


def stored(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """Every stored event's status and payload, in the order they were stored (once the worker
    has moved what the webhook spooled)."""
    move_waiting(db)
    with db.transaction() as session:
        rows = session.scalars(select(InboxEvent).order_by(InboxEvent.id))
        return [(row.status, row.payload) for row in rows]


@FUZZ
@given(events=st.lists(MESSAGE_EVENTS, min_size=1, max_size=3))
def test_well_formed_message_events_land_in_the_inbox_as_they_came(
    client: FlaskClient, db: Database, events: list[dict[str, Any]]
) -> None:
    empty_inbox(db)
    validate_webhook_body({"destination": DESTINATION, "events": events})  # the generator's
    response = post(client, {"destination": DESTINATION, "events": events})
    assert response.status_code == 200
    assert stored(db) == [(inbox.PENDING, event) for event in events]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: Python's json writes and reads them
    | st.text(st.characters(exclude_categories=())),  # lone surrogates included
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def spoiled(draw: st.DrawFn) -> Any:
    """Any kind of event LINE sends, one value in it (or the whole event) replaced."""
    event = draw(EVENTS)
    places = list(_places(event))
    path = draw(st.sampled_from(places))
    if not path:
        return draw(JSON_VALUES)
    event = copy.deepcopy(event)
    *parents, last = path
    container = event
    for step in parents:
        container = container[step]
    container[last] = draw(JSON_VALUES)
    return event


def _places(value: Any, path: tuple[Any, ...] = ()) -> Any:
    yield path
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _places(item, (*path, key))


@FUZZ
@given(good=MESSAGE_EVENTS, bad=spoiled(), later=MESSAGE_EVENTS)
def test_a_spoiled_event_is_refused_alone_and_never_a_5xx(
    client: FlaskClient, db: Database, good: dict[str, Any], bad: Any, later: dict[str, Any]
) -> None:
    empty_inbox(db)
    response = post(client, {"destination": DESTINATION, "events": [good, bad, later]})
    assert response.status_code == 200
    first, (status, payload), last = stored(db)
    assert (first, last) == ((inbox.PENDING, good), (inbox.PENDING, later))
    if _well_formed(bad):
        assert (status, payload) == (inbox.PENDING, bad)
    else:
        assert status == inbox.REFUSED
    if status == inbox.REFUSED:
        assert set(payload) <= AUDIT_FIELDS
        assert set(payload.get("message", {})) <= {"type", "id"}


def _well_formed(event: Any) -> bool:
    """Independent of the bot: LINE's schema by jsonschema, then the storage rules. A type
    the schema does not list (an event's, a message's, a source's) is one LINE added since:
    the base's rules are all it must meet, so that error alone does not count."""
    try:
        validate_webhook_body({"destination": DESTINATION, "events": [event]})
    except SpecViolation as violation:
        errors = str(violation).splitlines()[1:]
        if not all(error.endswith("is not one the specification knows") for error in errors):
            return False
    except TypeError:  # line_spec looks a discriminating value up: a list or object cannot be
        return False
    return 0 <= event["timestamp"] < LATEST_TIMESTAMP and _storable(event)


def test_the_fuzzing_reaches_every_event_type_lines_schema_lists() -> None:
    with (spec_dir() / "webhook.yml").open(encoding="utf-8") as file:
        mapping = yaml.safe_load(file)["components"]["schemas"]["Event"]["discriminator"]["mapping"]
    choices = DEFINITIONS["Event"]["anyOf"]
    assert [choice["properties"]["type"]["const"] for choice in choices] == list(mapping)
