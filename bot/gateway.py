"""The LINE gateway: every call the bot makes to LINE, with timeouts, rate limits and plain outcomes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.ratelimit import LINE_LIMITS, TokenBucket

log = logging.getLogger(__name__)

LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"
# A larger photo or file is not kept: the console shows it as not fetched.
MAX_CONTENT_BYTES = 10 * 1024 * 1024


class Outcome(Enum):
    DELIVERED = "delivered"
    ALREADY_ACCEPTED = "already_accepted"  # 409: this retry key went through before
    INVALID_REPLY_TOKEN = "invalid_reply_token"
    RETRY = "retry"  # 5xx, 429, timeout, dropped connection
    REJECTED = "rejected"  # any other 4xx: retrying would not help


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None = None
    retry_after: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str | None
    language: str | None


class Gateway(Protocol):
    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> Result: ...
    def push(
        self, to: str, messages: list[dict[str, Any]], retry_key: str, quiet: bool = False
    ) -> Result: ...
    def multicast(
        self, to: list[str], messages: list[dict[str, Any]], retry_key: str
    ) -> Result: ...
    def profile(self, user_id: str) -> Profile | None: ...
    def show_loading(self, user_id: str, seconds: int = 5) -> None: ...
    def message_content(self, message_id: str) -> tuple[bytes, str] | None: ...


class LineGateway:
    """The real gateway on line-bot-sdk v3; `base_url` is LINE or the local simulator."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        timeout: float = 10.0,
        limits: dict[str, float] | None = None,
        connections: int = 32,
    ) -> None:
        configuration = Configuration(host=base_url, access_token=access_token)
        # The sender decides about retries: urllib3 must not resend a POST on its own.
        configuration.retries = urllib3.Retry(total=0, redirect=0, raise_on_status=False)
        # One kept-alive connection per call the sender has in flight, or urllib3 opens and
        # throws away a connection for each call beyond its default of ten.
        configuration.connection_pool_maxsize = connections
        self._api = MessagingApi(ApiClient(configuration))
        # Message content lives on LINE's data host; an override (the simulator) moves both.
        data_url = LINE_DATA_API if base_url.rstrip("/") == LINE_API else base_url
        blob_configuration = Configuration(host=data_url, access_token=access_token)
        blob_configuration.retries = urllib3.Retry(total=0, redirect=0, raise_on_status=False)
        self._blob = MessagingApiBlob(ApiClient(blob_configuration))
        self._timeout = timeout
        self._buckets = {name: TokenBucket(rate) for name, rate in (limits or LINE_LIMITS).items()}

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> Result:
        body = {"replyToken": reply_token, "messages": messages}
        return self._send("reply", "/v2/bot/message/reply", body)

    def push(
        self, to: str, messages: list[dict[str, Any]], retry_key: str, quiet: bool = False
    ) -> Result:
        """`quiet`: delivered without a sound or a banner (LINE's notificationDisabled)."""
        body = {"to": to, "messages": messages, "notificationDisabled": quiet}
        return self._send("push", "/v2/bot/message/push", body, retry_key)

    def multicast(self, to: list[str], messages: list[dict[str, Any]], retry_key: str) -> Result:
        body = {"to": to, "messages": messages}
        return self._send("multicast", "/v2/bot/message/multicast", body, retry_key)

    def profile(self, user_id: str) -> Profile | None:
        """The LINE profile, or None when LINE does not give it (blocked, unknown, outage)."""
        self._buckets["profile"].take()
        try:
            found = self._api.get_profile(user_id, _request_timeout=self._timeout)
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            log.info("profile unavailable: %s", type(error).__name__)
            return None
        return Profile(user_id=user_id, display_name=found.display_name, language=found.language)

    def show_loading(self, user_id: str, seconds: int = 5) -> None:
        """Best effort: a missed loading animation is cosmetic, so failures are only logged."""
        self._buckets["loading"].take()
        request = ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=seconds)
        try:
            self._api.show_loading_animation(request, _request_timeout=self._timeout)
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            log.info("loading animation not shown: %s", type(error).__name__)

    def message_content(self, message_id: str) -> tuple[bytes, str] | None:
        """A photo or file a resident sent, with its content type; None if LINE does not give it
        (expired, unknown, outage) or it is larger than we keep."""
        try:
            response = self._blob.get_message_content_with_http_info(
                message_id, _request_timeout=self._timeout
            )
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            log.info("message content unavailable: %s", type(error).__name__)
            return None
        content = bytes(response.data or b"")
        if len(content) > MAX_CONTENT_BYTES:
            log.info("message content not kept: %d bytes", len(content))
            return None
        headers = response.headers or {}
        content_type = headers.get("Content-Type") or "application/octet-stream"
        return content, content_type.split(";")[0].strip()

    def _send(
        self, endpoint: str, path: str, body: dict[str, Any], retry_key: str | None = None
    ) -> Result:
        """Reply, push and multicast go through the SDK's client (its host, token and errors)
        but not its request models: the messages are LINE's JSON already, and checking every
        bubble with the models' validators cost 2 ms of CPU a call, more than all the rest of
        sending. The simulator and the tests check the JSON against LINE's spec instead."""
        self._buckets[endpoint].take()
        headers = {"Content-Type": "application/json"}
        if retry_key is not None:
            headers["X-Line-Retry-Key"] = retry_key
        try:
            response = self._api.api_client.call_api(
                path,
                "POST",
                header_params=headers,
                body=body,
                auth_settings=["Bearer"],
                response_types_map={},
                _return_http_data_only=False,
                _request_timeout=self._timeout,
            )
        except ApiException as error:
            return _classify(error)
        except urllib3.exceptions.HTTPError as error:
            # Timeouts and dropped connections: the request may or may not have landed.
            return Result(Outcome.RETRY, reason=type(error).__name__)
        return Result(Outcome.DELIVERED, status=response.status_code)


def _classify(error: ApiException) -> Result:
    status = error.status or 0
    reason = _line_message(error.body)
    if status == 409:
        return Result(Outcome.ALREADY_ACCEPTED, status=status, reason=reason)
    if status == 400 and "reply token" in reason.lower():
        return Result(Outcome.INVALID_REPLY_TOKEN, status=status, reason=reason)
    if status == 429 or status >= 500:
        return Result(
            Outcome.RETRY, status=status, retry_after=_retry_after(error.headers), reason=reason
        )
    return Result(Outcome.REJECTED, status=status, reason=reason)


def _line_message(body: Any) -> str:
    """LINE's own error text ("Invalid reply token"); it never echoes message content."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        return str(json.loads(body).get("message", ""))[:200]
    except (TypeError, ValueError, AttributeError):
        return ""


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
