"""The pieces every fake Messaging API endpoint shares: the call, the answer and LINE's errors."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.message_rules import Detail
from simulator.state import SimulatorState


@dataclass(frozen=True)
class ApiResponse:
    """An answer of the fake API: JSON (a dict) or bytes with their content type."""

    status: int
    body: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class LineError(Exception):
    """An error answered in LINE's shape: `{"message": ..., "details": [...]}`."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[Detail] | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> ApiResponse:
        """Return the error as an API answer."""
        body: dict[str, Any] = {"message": self.message, **self.extra}
        if self.details:
            body["details"] = self.details
        return ApiResponse(self.status, body, self.headers)


def invalid_body(details: list[Detail]) -> LineError:
    """Return the 400 LINE answers when properties of the request body break its rules."""
    return LineError(400, f"The request body has {len(details)} error(s)", details)


@dataclass(frozen=True)
class ApiCall:
    """One request to the fake API, already authenticated."""

    state: SimulatorState
    params: Mapping[str, str]
    body: Any
    raw: bytes
    headers: Mapping[str, str]
    content_type: str
    request_id: str

    def json_object(self) -> dict[str, Any]:
        """Return the JSON body, which must be an object."""
        if not isinstance(self.body, dict):
            raise LineError(400, "The request body could not be parsed as JSON")
        return self.body


Handler = Callable[[ApiCall], ApiResponse]


@dataclass(frozen=True)
class Operation:
    """An endpoint: LINE's operationId (also its rate-limit key), its handler, its fault policy."""

    name: str
    handler: Handler
    faultable: bool = False


def ok(body: dict[str, Any] | None = None, status: int = 200) -> ApiResponse:
    """Return a JSON success answer (LINE answers `{}` where it has nothing to say)."""
    return ApiResponse(status, body if body is not None else {})
