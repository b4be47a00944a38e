"""The webhook's event check: each event LINE posts is judged on its own before it is stored.

One event of the wrong shape (a string where LINE's schema has an object, a timestamp no
clock can hold) must not cost the events beside it their place in the inbox, nor fail the
other requests that share its commit (`bot/group_commit.py`). So `unfit(event)` says of one
event whether it may be stored as it came and, if not, why: a path and a rule, never a
value, because the reason is logged and kept with the refused event.

The rules are LINE's webhook schema (`webhook.yml` of LINE's line/line-openapi repository,
Apache License 2.0), kept beside this module as `line_webhook_schema.json` because the bot
must not need `../shared` at run time; the tests check the copy against the published file,
and `python -m bot.event_check PATH/webhook.yml` writes it anew. The schema is compiled once
per process into plain closures, so an event costs a few microseconds: a general validator
(jsonschema) walks its schema objects for every event and costs tens of times more.

Where the schema leaves room the check does too, as LINE asks of bots: an event, message or
source `type` it does not list is checked against the base schema only (LINE adds types
without notice; the handlers skip what they do not know), and fields it does not list are
allowed. Beyond the schema, an event must be storable wherever the inbox lives: no string
with a NUL or a lone surrogate (PostgreSQL's text and UTF-8 cannot hold them), no NaN or
infinity (JSON has neither), and a timestamp in years that date arithmetic can reach.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from storage.storable import storable

SCHEMA_FILE = Path(__file__).with_name("line_webhook_schema.json")
EVENT = "Event"

# 3000-01-01T00:00:00Z in LINE's milliseconds: no event comes from later, and keeping far
# from datetime's year 9999 leaves room for every deadline and retention sum on event times.
LATEST_TIMESTAMP = 32_503_680_000_000

Check = Callable[[Any], str | None]
"""None when the value passes; else why not: a path inside the value, then `: rule`."""

_REF = "#/components/schemas/"
_ANNOTATIONS = frozenset({"description", "externalDocs", "example", "title"})
# Each keyword LINE's schema uses, and the _Compiler method that turns it into a check.
_KEYWORDS = {
    "$ref": "_reference",
    "allOf": "_all_of",
    "type": "_type",
    "format": "_format",
    "enum": "_enum",
    "required": "_required",
    "properties": "_properties",
    "additionalProperties": "_additional_properties",
    "items": "_items",
    "maxItems": "_max_items",
    "maxLength": "_max_length",
    "minLength": "_min_length",
    "pattern": "_pattern",
    "discriminator": "_discriminator",
}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def unfit(event: Any) -> str | None:
    """None for an event fit to store as it came; else why not (a path and a rule)."""
    reason = _event_check()(event) or _timestamp_out_of_range(event) or _unstorable(event)
    return None if reason is None else "event" + reason


@functools.cache
def _event_check() -> Check:
    """LINE's Event schema, compiled on first use and kept for the life of the process."""
    with SCHEMA_FILE.open(encoding="utf-8") as file:
        schemas = json.load(file)["schemas"]
    return _Compiler(schemas).ref(EVENT)


def _timestamp_out_of_range(event: dict[str, Any]) -> str | None:
    # The schema has made it an int64; the inbox turns it into a date and time.
    if 0 <= event["timestamp"] < LATEST_TIMESTAMP:
        return None
    return "/timestamp: not a time LINE could send (milliseconds from 1970 to 3000)"


def _unstorable(value: Any) -> str | None:
    """A value no database column can hold, anywhere in the event, fields LINE does not list
    included. No path in the reason: a key there could be anything the sender chose."""
    stack = [value]
    while stack:  # a loop, not recursion: the webhook has bounded the nesting, not Python
        item = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                return ": a string holds a NUL character or an unpaired surrogate"
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return ": a number is NaN or infinite"
    return None


class _Compiler:
    """OpenAPI 3.0 schemas, as LINE writes them, into closures; a keyword it does not know
    is an error here, so a new kind of rule in LINE's schema cannot pass unchecked."""

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self._schemas = _split_bases(schemas)
        self._compiled: dict[str, Check] = {}

    def ref(self, name: str) -> Check:
        if name not in self._compiled:
            compiled = self._compiled
            # A cycle finds this stand-in, which calls the real check once it exists.
            compiled[name] = lambda value: compiled[name](value)
            compiled[name] = self._compile(self._schemas[name])
        return self._compiled[name]

    def _compile(self, schema: Mapping[str, Any]) -> Check:
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            method = _KEYWORDS.get(keyword)
            if method is None:
                raise ValueError(f"the event check does not know the keyword {keyword!r}")
            checks.append(getattr(self, method)(argument, schema))
        return _all(checks)

    def _reference(self, target: str, schema: Mapping[str, Any]) -> Check:
        return self.ref(target.removeprefix(_REF))

    def _all_of(self, parts: list[Any], schema: Mapping[str, Any]) -> Check:
        return _all([self._compile(part) for part in parts])

    def _type(self, name: str, schema: Mapping[str, Any]) -> Check:
        test = _TYPES[name]
        article = "an" if name[0] in "aeiou" else "a"
        failure = f": not {article} {name}"
        return lambda value: None if test(value) else failure

    def _format(self, name: str, schema: Mapping[str, Any]) -> Check:
        if name in _INT_RANGES:
            low, high = _INT_RANGES[name]
            failure = f": outside {name}"
            return lambda value: (
                failure if isinstance(value, int) and not low <= value <= high else None
            )
        if name == "double":
            return _passes  # `type: number` already refuses what a double cannot be
        if name == "uri":
            # Left to `type: string`, as general validators leave it: nothing in the bot
            # opens these URLs (content comes from LINE's data API, by message id).
            return _passes
        raise ValueError(f"the event check does not know the format {name!r}")

    def _enum(self, allowed: list[Any], schema: Mapping[str, Any]) -> Check:
        if not all(isinstance(each, str) for each in allowed):
            raise ValueError("the event check knows only enums of strings")
        members = frozenset(allowed)
        return lambda value: (
            ": not one of the listed values"
            if not (isinstance(value, str) and value in members)
            else None
        )

    def _required(self, names: list[str], schema: Mapping[str, Any]) -> Check:
        def check(value: Any) -> str | None:
            if isinstance(value, dict):
                for name in names:
                    if name not in value:
                        return f"/{name}: missing"
            return None

        return check

    def _properties(self, properties: Mapping[str, Any], schema: Mapping[str, Any]) -> Check:
        checks = [(name, self._compile(sub)) for name, sub in properties.items()]

        def check(value: Any) -> str | None:
            if isinstance(value, dict):
                for name, sub in checks:
                    if name in value:
                        reason = sub(value[name])
                        if reason is not None:
                            return f"/{name}{reason}"
            return None

        return check

    def _additional_properties(self, extra: Any, schema: Mapping[str, Any]) -> Check:
        if extra is True or extra == {}:
            return _passes
        if extra is False:
            raise ValueError("the event check does not expect closed objects in LINE's schema")
        listed = frozenset(schema.get("properties", {}))
        sub = self._compile(extra)

        def check(value: Any) -> str | None:
            if isinstance(value, dict):
                for name, item in value.items():
                    if name not in listed and (reason := sub(item)) is not None:
                        return f"/*{reason}"  # the key is the sender's: not repeated here
            return None

        return check

    def _items(self, item_schema: Mapping[str, Any], schema: Mapping[str, Any]) -> Check:
        sub = self._compile(item_schema)

        def check(value: Any) -> str | None:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    reason = sub(item)
                    if reason is not None:
                        return f"/{index}{reason}"
            return None

        return check

    def _max_items(self, limit: int, schema: Mapping[str, Any]) -> Check:
        failure = f": more than {limit} items"
        return lambda value: failure if isinstance(value, list) and len(value) > limit else None

    def _max_length(self, limit: int, schema: Mapping[str, Any]) -> Check:
        failure = f": longer than {limit} characters"
        return lambda value: failure if isinstance(value, str) and len(value) > limit else None

    def _min_length(self, limit: int, schema: Mapping[str, Any]) -> Check:
        failure = f": shorter than {limit} characters"
        return lambda value: failure if isinstance(value, str) and len(value) < limit else None

    def _pattern(self, pattern: str, schema: Mapping[str, Any]) -> Check:
        compiled = re.compile(pattern)
        return lambda value: (
            ": does not match its pattern"
            if isinstance(value, str) and not compiled.search(value)
            else None
        )

    def _discriminator(self, spec: Mapping[str, Any], schema: Mapping[str, Any]) -> Check:
        """The subtype the discriminating property names, beside the base's own rules (which
        the other keywords of this schema check). A value the mapping lacks is a type LINE
        added after this copy of its schema: the base's rules are all there is to check."""
        field = spec["propertyName"]
        subtypes = {
            value: self.ref(target.removeprefix(_REF))
            for value, target in spec.get("mapping", {}).items()
        }

        def check(value: Any) -> str | None:
            if isinstance(value, dict):
                kind = value.get(field)
                sub = subtypes.get(kind) if isinstance(kind, str) else None
                if sub is not None:
                    return sub(value)
            return None

        return check


def _passes(value: Any) -> None:
    return None


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _passes
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> str | None:
        for each in checks:
            reason = each(value)
            if reason is not None:
                return reason
        return None

    return check


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _integer,
    "number": lambda value: _integer(value) or (isinstance(value, float) and math.isfinite(value)),
}


def _split_bases(schemas: Mapping[str, Any]) -> dict[str, Any]:
    """Untangle LINE's discriminators, whose subtypes `allOf` their base again.

    Each subtype's reference to its base goes to `Name__base`, the base without its
    discriminator: a subtype named directly (a member list's `UserSource`) checks the base's
    rules without dispatching on its type again, which would loop back to the subtype. And
    the discriminator maps to `Subtype__alone`, the subtype without the base, whose rules the
    base has checked already.
    """
    split = dict(schemas)
    for name in [name for name, schema in schemas.items() if "discriminator" in schema]:
        schema = split[name]
        base = f"{_REF}{name}__base"
        alone: dict[str, str] = {}
        split[f"{name}__base"] = {k: v for k, v in schema.items() if k != "discriminator"}
        for value, target in schema["discriminator"].get("mapping", {}).items():
            subtype_name = target.removeprefix(_REF)
            subtype = split[subtype_name]
            parts = [
                {"$ref": base} if part == {"$ref": _REF + name} else part
                for part in subtype.get("allOf", [])
            ]
            split[subtype_name] = {**subtype, "allOf": parts}
            split[f"{subtype_name}__alone"] = {
                **subtype,
                "allOf": [part for part in parts if part != {"$ref": base}],
            }
            alone[value] = f"{_REF}{subtype_name}__alone"
        split[name] = {**schema, "discriminator": {**schema["discriminator"], "mapping": alone}}
    return split


def schemas_of(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The schemas of LINE's webhook.yml as the event check keeps them: annotations dropped."""
    return {name: _rules(schema) for name, schema in openapi["components"]["schemas"].items()}


def _rules(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_rules(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    kept = {}
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "properties":  # names of fields here, not keywords: keep them all
            kept[keyword] = {name: _rules(sub) for name, sub in argument.items()}
        else:
            kept[keyword] = _rules(argument)
    return kept


def write_schema_file(webhook_yml: Path, target: Path = SCHEMA_FILE) -> None:
    """Copy the rules of LINE's webhook.yml into the file the event check reads."""
    import yaml  # only here: the bot reads the JSON copy

    with webhook_yml.open(encoding="utf-8") as file:
        openapi = yaml.safe_load(file)
    document = {
        "source": (
            "The component schemas of webhook.yml in LINE's line/line-openapi repository "
            "(Apache License 2.0), descriptions and examples dropped. "
            "Written by `python -m bot.event_check PATH/webhook.yml`."
        ),
        "schemas": schemas_of(openapi),
    }
    with target.open("w", encoding="utf-8") as file:
        json.dump(document, file, indent=1, ensure_ascii=False)
        file.write("\n")


if __name__ == "__main__":
    write_schema_file(Path(sys.argv[1]))
