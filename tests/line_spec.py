"""Validation of requests and webhook bodies against LINE's published OpenAPI specifications.

The specs live in `../shared/line-openapi` beside the checkout (override with
`LINE_OPENAPI_DIR`). LINE's schemas use discriminators on base schemas whose subtypes
`allOf` the base again; jsonschema ignores discriminators, so they are applied here.
"""

import copy
import functools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

MESSAGING_API = "messaging-api.yml"
WEBHOOK = "webhook.yml"
_SCHEMAS = "#/components/schemas/"


class SpecViolation(AssertionError):
    """A request or body that LINE's specification does not allow."""


def spec_dir() -> Path:
    """Return the folder holding LINE's OpenAPI files."""
    override = os.environ.get("LINE_OPENAPI_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "line-openapi"


def _discriminator(
    validator: Any, discriminator: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """Validate an object against the subtype its discriminating property names."""
    if not isinstance(instance, dict):
        return
    name = discriminator["propertyName"]
    value = instance.get(name)
    target = discriminator.get("mapping", {}).get(value)
    if target is None:
        yield ValidationError(f"{name} {value!r} is not one the specification knows")
        return
    yield from validator.descend(instance, {"$ref": target})


_Validator = extend(OAS30Validator, {"discriminator": _discriminator})


def _split_bases(spec: dict[str, Any]) -> dict[str, Any]:
    """Point subtypes' `allOf` at discriminator-free copies of their bases, ending the loop."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    for name, schema in list(schemas.items()):
        if "discriminator" not in schema:
            continue
        base = {key: value for key, value in schema.items() if key != "discriminator"}
        schemas[f"{name}__base"] = base
        for target in schema["discriminator"].get("mapping", {}).values():
            subtype = schemas[target.removeprefix(_SCHEMAS)]
            for part in subtype.get("allOf", []):
                if part.get("$ref") == _SCHEMAS + name:
                    part["$ref"] = f"{_SCHEMAS}{name}__base"
    return spec


@dataclass(frozen=True)
class _Spec:
    document: dict[str, Any]
    uri: str
    registry: Registry

    def validator(self, pointer: str) -> Any:
        return _Validator(
            {"$ref": f"{self.uri}#{pointer}"},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )


@functools.cache
def _load(name: str) -> _Spec:
    with (spec_dir() / name).open(encoding="utf-8") as file:
        document = _split_bases(yaml.safe_load(file))
    uri = f"urn:line-openapi:{name}"
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    return _Spec(document, uri, Registry().with_resource(uri, resource))


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Return (regex, template) for every path, static paths before templated ones."""
    templates = list(_load(MESSAGING_API).document["paths"])
    templates.sort(key=lambda template: template.count("{"))
    return [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$"), t) for t in templates]


def _raise_errors(validator: Any, instance: Any, what: str) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise SpecViolation(f"{what} breaks LINE's specification:\n" + "\n".join(lines))


def validate_api_request(
    method: str, path: str, body: Any, headers: Mapping[str, str] | None = None
) -> str:
    """Check a Messaging API request (path as `/v2/bot/...`) and return its operationId."""
    spec = _load(MESSAGING_API)
    template = next((t for pattern, t in _path_patterns() if pattern.match(path)), None)
    if template is None:
        raise SpecViolation(f"{path} is not a Messaging API path")
    operation = spec.document["paths"][template].get(method.lower())
    if operation is None:
        raise SpecViolation(f"{method} {path} is not a Messaging API operation")
    pointer = f"/paths/{_escape(template)}/{method.lower()}"
    for index, parameter in enumerate(operation.get("parameters", [])):
        if parameter["in"] == "header" and headers and parameter["name"] in headers:
            _raise_errors(
                spec.validator(f"{pointer}/parameters/{index}/schema"),
                headers[parameter["name"]],
                f"header {parameter['name']}",
            )
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        _raise_errors(
            spec.validator(f"{pointer}/requestBody/content/application~1json/schema"),
            body,
            f"the body of {method} {path}",
        )
    return str(operation["operationId"])


def validate_api_response(method: str, path: str, status: int, body: Any) -> None:
    """Check a Messaging API answer against the specification; errors it does not list
    for the operation must still have LINE's common error shape."""
    spec = _load(MESSAGING_API)
    template = next(t for pattern, t in _path_patterns() if pattern.match(path))
    method = method.lower()
    responses = spec.document["paths"][template][method]["responses"]
    if str(status) in responses:
        if "application/json" not in responses[str(status)].get("content", {}):
            return
        pointer = (
            f"/paths/{_escape(template)}/{method}/responses/{status}"
            "/content/application~1json/schema"
        )
    elif status >= 400:
        pointer = "/components/schemas/ErrorResponse"
    else:
        raise SpecViolation(f"{method.upper()} {path} has no {status} answer in the specification")
    _raise_errors(spec.validator(pointer), body, f"the {status} answer to {method.upper()} {path}")


def validate_webhook_body(body: Any) -> None:
    """Check a webhook request body (destination and events) against LINE's webhook.yml."""
    _raise_errors(
        _load(WEBHOOK).validator("/components/schemas/CallbackRequest"), body, "the webhook body"
    )
