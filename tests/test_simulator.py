"""Tests of the LINE platform simulator over real HTTP: webhook events, the fake Messaging API's
rules, retry keys, rate limits and injected faults, checked against LINE's OpenAPI files."""

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request
from line_spec import (
    SpecViolation,
    validate_api_request,
    validate_api_response,
    validate_webhook_body,
)
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import FollowEvent, MessageEvent, TextMessageContent
from rendered import rendered

from simulator.app import create_app
from simulator.background_server import BackgroundServer
from simulator.faults import FaultConfig, FaultInjector
from simulator.signature import sign
from simulator.state import SimulatorState

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
TIMEOUT = 5


@dataclass
class FakeBot:
    """A stand-in for the bot's /callback: records what LINE posts and answers `status`."""

    url: str
    received: list[tuple[bytes, str]] = field(default_factory=list)
    status: int = 200

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw, _ in self.received]

    def events(self) -> list[dict[str, Any]]:
        return [event for body in self.bodies() for event in body["events"]]


@pytest.fixture
def bot() -> Iterator[FakeBot]:
    app = Flask("fake_bot")
    fake = FakeBot(url="")
    lock = threading.Lock()

    @app.post("/callback")
    def callback() -> tuple[str, int]:
        with lock:
            fake.received.append((request.get_data(), request.headers.get("X-Line-Signature", "")))
        return "OK", fake.status

    with BackgroundServer(app) as server:
        fake.url = server.url + "/callback"
        yield fake


class Sim:
    """The simulator on a real port, with helpers for its control API and fake Messaging API."""

    def __init__(self, state: SimulatorState, url: str) -> None:
        self.state = state
        self.url = url
        self.api_base = url + "/simulator/line"
        self.http = requests.Session()

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(
            method, f"{self.url}/simulator/control{path}", timeout=TIMEOUT, **kwargs
        )

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> requests.Response:
        return self.http.request(
            method,
            self.api_base + path,
            json=body,
            timeout=timeout,
            headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})},
        )

    def user(self, name: str = "テスト 花子", follow: bool = True) -> str:
        user_id = self.control("POST", "/users", json={"displayName": name}).json()["userId"]
        if follow:
            assert self.control("POST", f"/users/{user_id}/follow").status_code == 200
        return user_id

    def say(self, user_id: str, text: str = "こんにちは") -> dict[str, Any]:
        answer = self.control("POST", f"/users/{user_id}/text", json={"text": text})
        assert answer.status_code == 200, answer.text
        return answer.json()["event"]

    def push(
        self, to: str, text: str = "お元気ですか", key: str | None = None, timeout: float = TIMEOUT
    ) -> requests.Response:
        headers = {"X-Line-Retry-Key": key} if key else {}
        return self.api(
            "POST",
            "/v2/bot/message/push",
            {"to": to, "messages": [{"type": "text", "text": text}]},
            headers=headers,
            timeout=timeout,
        )

    def transcript(self, user_id: str, after: int = 0) -> list[dict[str, Any]]:
        return self.control("GET", f"/users/{user_id}/transcript", params={"after": after}).json()[
            "entries"
        ]

    def bot_messages(self, user_id: str, *, delivered: bool = True) -> list[dict[str, Any]]:
        return [
            e
            for e in self.transcript(user_id)
            if e["from"] == "bot" and e["kind"] == "message" and e["delivered"] == delivered
        ]

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "/requests").json()["requests"]


@pytest.fixture
def sim(bot: FakeBot) -> Iterator[Sim]:
    state = SimulatorState(webhook_url=bot.url, channel_secret=SECRET, access_token=TOKEN)
    with BackgroundServer(create_app(state)) as server:
        harness = Sim(state, server.url)
        yield harness
        harness.http.close()


def assert_requests_follow_spec(sim: Sim) -> None:
    """Every accepted request the simulator recorded, and every answer, is as LINE specifies."""
    for record in sim.requests():
        validate_api_response(
            record["method"], record["path"], record["status"], record["response"]
        )
        if record["status"] < 400:
            validate_api_request(
                record["method"], record["path"], record["body"], record["headers"]
            )


# --- Webhook events -------------------------------------------------------------------------


def test_signature_is_what_the_line_sdk_verifies() -> None:
    body = '{"destination":"U0","events":[]}'
    assert WebhookParser(SECRET).signature_validator.validate(body, sign(SECRET, body.encode()))
    assert sign(SECRET, b"x") != sign("other", b"x")


def test_events_are_signed_and_in_lines_shape(sim: Sim, bot: FakeBot) -> None:
    user_id = sim.user()
    sim.control("POST", f"/users/{user_id}/sticker", json={})
    sim.control("POST", f"/users/{user_id}/image")
    sim.control(
        "POST",
        f"/users/{user_id}/location",
        json={
            "title": "小田原市役所",
            "address": "神奈川県小田原市荻窪300",
            "latitude": 35.2645,
            "longitude": 139.1521,
        },
    )
    sim.control(
        "POST",
        f"/users/{user_id}/postback",
        json={"data": "action=pick&date=1", "params": {"date": "2025-01-01"}},
    )
    text_event = sim.say(user_id, "相談したいです")
    sim.control("POST", f"/users/{user_id}/unsend", json={})
    sim.control("POST", f"/users/{user_id}/unfollow")
    sim.control("POST", f"/users/{user_id}/follow")

    for raw, signature in bot.received:
        assert signature == sign(SECRET, raw)
    for body in bot.bodies():
        validate_webhook_body(body)
        assert body["destination"] == sim.state.bot_user_id
    events = bot.events()
    assert [e["type"] for e in events] == [
        "follow",
        "message",
        "message",
        "message",
        "postback",
        "message",
        "unsend",
        "unfollow",
        "follow",
    ]
    assert [e["message"]["type"] for e in events if e["type"] == "message"] == [
        "sticker",
        "image",
        "location",
        "text",
    ]
    for event in events:
        assert event["mode"] == "active"
        assert event["source"] == {"type": "user", "userId": user_id}
        assert ULID.match(event["webhookEventId"])
        assert event["deliveryContext"] == {"isRedelivery": False}
        assert ("replyToken" in event) == (event["type"] not in ("unfollow", "unsend"))
    assert len({e["webhookEventId"] for e in events}) == len(events)
    assert [e["follow"]["isUnblocked"] for e in events if e["type"] == "follow"] == [False, True]
    assert events[4]["postback"] == {"data": "action=pick&date=1", "params": {"date": "2025-01-01"}}
    assert events[5] == text_event and text_event["message"]["id"].isdigit()
    assert events[6]["unsend"] == {"messageId": text_event["message"]["id"]}
    assert events[1]["message"]["stickerResourceType"] == "STATIC"
    assert events[2]["message"]["contentProvider"] == {"type": "line"}


def test_the_line_sdk_parses_the_events(sim: Sim, bot: FakeBot) -> None:
    user_id = sim.user()
    sim.say(user_id, "ゴミ出しを手伝ってほしい")
    parser = WebhookParser(SECRET)
    parsed = [
        event for raw, signature in bot.received for event in parser.parse(raw.decode(), signature)
    ]
    assert isinstance(parsed[0], FollowEvent)
    assert isinstance(parsed[1], MessageEvent)
    assert isinstance(parsed[1].message, TextMessageContent)
    assert parsed[1].message.text == "ゴミ出しを手伝ってほしい"


def test_webhook_spec_check_applies_discriminators() -> None:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1,
        "replyToken": "r",
        "source": {"type": "user", "userId": "U" + "1" * 32},
        "webhookEventId": "01HZY0000000000000000000AA",
        "deliveryContext": {"isRedelivery": False},
        "message": {"type": "text", "id": "1", "text": "hi", "quoteToken": "q"},
    }
    validate_webhook_body({"destination": "U" + "0" * 32, "events": [event]})
    no_quote_token = {**event, "message": {"type": "text", "id": "1", "text": "hi"}}
    with pytest.raises(SpecViolation, match="quoteToken"):
        validate_webhook_body({"destination": "U" + "0" * 32, "events": [no_quote_token]})
    with pytest.raises(SpecViolation, match="follow"):
        validate_webhook_body(
            {"destination": "U" + "0" * 32, "events": [{**event, "type": "follow"}]}
        )


def test_postback_display_text_shows_as_the_persons_bubble(sim: Sim) -> None:
    user_id = sim.user()
    sim.control(
        "POST",
        f"/users/{user_id}/postback",
        json={"data": "answer=fine", "displayText": "元気です"},
    )
    last = sim.transcript(user_id)[-1]
    assert last["from"] == "user" and last["kind"] == "message"
    assert last["message"] == {"type": "text", "text": "元気です"}


def test_redelivery_repeats_the_event_id_and_reply_token(sim: Sim, bot: FakeBot) -> None:
    user_id = sim.user()
    event = sim.say(user_id)
    answer = sim.control("POST", "/redeliver", json={"webhookEventId": event["webhookEventId"]})
    assert answer.status_code == 200
    again = bot.events()[-1]
    assert again["deliveryContext"] == {"isRedelivery": True}
    assert again["webhookEventId"] == event["webhookEventId"]
    assert again["replyToken"] == event["replyToken"]
    assert sim.control("POST", "/redeliver", json={"webhookEventId": "nope"}).status_code == 404


def test_raw_events_are_posted_as_given(sim: Sim, bot: FakeBot) -> None:
    odd = {
        "type": "somethingNew",
        "mode": "active",
        "timestamp": 1,
        "webhookEventId": "01HZY0000000000000000000AB",
        "deliveryContext": {"isRedelivery": False},
    }
    assert sim.control("POST", "/send", json={"events": [odd]}).json()["status"] == 200
    raw, signature = bot.received[-1]
    assert signature == sign(SECRET, raw)
    assert bot.events()[-1] == odd
    sim.control("POST", "/send", json={"events": [], "signature": "forged"})
    assert bot.received[-1][1] == "forged"


def test_the_bots_status_is_reported_and_an_unreachable_bot_is_a_502(
    sim: Sim, bot: FakeBot
) -> None:
    user_id = sim.user()
    bot.status = 500
    answer = sim.control("POST", f"/users/{user_id}/text", json={"text": "もしもし"})
    assert answer.status_code == 200 and answer.json()["status"] == 500
    sim.control("POST", "/config", json={"webhookUrl": "http://127.0.0.1:9/callback"})
    answer = sim.control("POST", f"/users/{user_id}/text", json={"text": "もしもし"})
    assert answer.status_code == 502
    assert answer.json()["error"].startswith("webhook delivery failed")
    assert answer.json()["event"]["message"]["text"] == "もしもし"


# --- Reply, push, multicast -------------------------------------------------------------------


def test_reply_tokens_are_single_use(sim: Sim) -> None:
    user_id = sim.user()
    token = sim.say(user_id)["replyToken"]
    reply = {"replyToken": token, "messages": [{"type": "text", "text": "はい"}]}
    first = sim.api("POST", "/v2/bot/message/reply", reply)
    assert first.status_code == 200
    assert [set(m) for m in first.json()["sentMessages"]] == [{"id", "quoteToken"}]
    second = sim.api("POST", "/v2/bot/message/reply", reply)
    assert second.status_code == 400
    assert second.json() == {"message": "Invalid reply token"}
    unknown = sim.api("POST", "/v2/bot/message/reply", {**reply, "replyToken": "0" * 32})
    assert unknown.json() == {"message": "Invalid reply token"}
    assert [m["message"]["text"] for m in sim.bot_messages(user_id)] == ["はい"]
    assert_requests_follow_spec(sim)


def test_reply_tokens_expire(sim: Sim) -> None:
    user_id = sim.user()
    sim.control("POST", "/config", json={"replyTokenTtl": 0.2})
    token = sim.say(user_id)["replyToken"]
    time.sleep(0.3)
    answer = sim.api(
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": token, "messages": [{"type": "text", "text": "遅い"}]},
    )
    assert answer.status_code == 400 and answer.json()["message"] == "Invalid reply token"
    assert sim.bot_messages(user_id) == []


def test_a_retry_key_is_accepted_once(sim: Sim) -> None:
    user_id = sim.user()
    key = str(uuid.uuid4())
    first = sim.push(user_id, key=key)
    assert first.status_code == 200
    again = sim.push(user_id, key=key)
    assert again.status_code == 409
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.json()["message"] == "The retry key is already accepted"
    assert again.json()["sentMessages"] == first.json()["sentMessages"]
    assert len(sim.bot_messages(user_id)) == 1
    assert sim.push(user_id, key="not-a-uuid").status_code == 400
    assert_requests_follow_spec(sim)


def test_concurrent_retries_with_one_key_deliver_once(sim: Sim) -> None:
    user_id = sim.user()
    key = str(uuid.uuid4())
    statuses: list[int] = []

    def attempt() -> None:
        with requests.Session() as http:
            answer = http.post(
                sim.api_base + "/v2/bot/message/push",
                json={"to": user_id, "messages": [TEXT]},
                headers={"Authorization": f"Bearer {TOKEN}", "X-Line-Retry-Key": key},
                timeout=TIMEOUT,
            )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert len(sim.bot_messages(user_id)) == 1


def test_a_blocked_person_gets_nothing_and_costs_nothing(sim: Sim) -> None:
    user_id = sim.user()
    friend = sim.user("友だち 一郎")
    sim.control("POST", f"/users/{user_id}/unfollow")
    assert sim.push(user_id).status_code == 200
    multicast = sim.api(
        "POST",
        "/v2/bot/message/multicast",
        {"to": [user_id, friend], "messages": [{"type": "text", "text": "x"}]},
    )
    assert multicast.status_code == 200 and multicast.json() == {}
    assert sim.bot_messages(user_id) == []
    assert len(sim.bot_messages(user_id, delivered=False)) == 2
    assert len(sim.bot_messages(friend)) == 1
    assert sim.api("GET", f"/v2/bot/profile/{user_id}").status_code == 404
    usage = sim.api("GET", "/v2/bot/message/quota/consumption").json()
    assert usage == {"totalUsage": 1}
    assert sim.control("POST", f"/users/{user_id}/text", json={"text": "x"}).status_code == 409


def test_pushes_reach_friends_only_but_replies_reach_whoever_wrote(sim: Sim) -> None:
    stranger = sim.user(follow=False)
    token = sim.say(stranger)["replyToken"]
    sim.api(
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": token, "messages": [{"type": "text", "text": "返信"}]},
    )
    sim.push(stranger)
    assert [m["via"] for m in sim.bot_messages(stranger)] == ["reply"]
    assert [m["via"] for m in sim.bot_messages(stranger, delivered=False)] == ["push"]


def test_pushing_to_an_unknown_user_fails(sim: Sim) -> None:
    answer = sim.push("U" + "f" * 32)
    assert answer.status_code == 400
    assert answer.json() == {"message": "Failed to send messages"}


def test_multicast_delivers_once_to_each_and_counts_the_quota(sim: Sim) -> None:
    people = [sim.user(f"住民 {n}") for n in range(3)]
    unknown = ["U" + f"{n:032x}" for n in range(497)]
    answer = sim.api(
        "POST",
        "/v2/bot/message/multicast",
        {"to": people + unknown, "messages": [{"type": "text", "text": "見守り"}]},
        headers={"X-Line-Retry-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 200
    assert all(len(sim.bot_messages(p)) == 1 for p in people)
    assert sim.control("GET", "/stats").json()["byVia"] == {"multicast": 3}
    assert sim.api("GET", "/v2/bot/message/quota/consumption").json() == {"totalUsage": 3}
    assert sim.api("GET", "/v2/bot/message/quota").json() == {"type": "limited", "value": 200}
    assert_requests_follow_spec(sim)


def test_the_monthly_quota_stops_pushes(sim: Sim) -> None:
    user_id = sim.user()
    sim.control("POST", "/config", json={"quota": 2})
    assert [sim.push(user_id).status_code for _ in range(3)] == [200, 200, 429]
    assert sim.push(user_id).json() == {"message": "You have reached your monthly limit."}


def test_the_access_token_is_required(sim: Sim) -> None:
    answer = sim.http.get(
        sim.api_base + "/v2/bot/message/quota",
        headers={"Authorization": "Bearer wrong"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 401
    assert answer.json()["message"].startswith("Authentication failed")
    assert sim.requests()[-1]["authorized"] is False


def test_unknown_endpoints_answer_in_lines_shape(sim: Sim) -> None:
    answer = sim.api("GET", "/v2/bot/followers/ids")
    assert answer.status_code == 404 and answer.json() == {"message": "Not found"}


# --- LINE's message rules ---------------------------------------------------------------------

TEXT = {"type": "text", "text": "はい"}


def quick_reply(count: int, label: str = "はい", data: str = "a=1") -> dict[str, Any]:
    action = {"type": "postback", "label": label, "data": data}
    return {**TEXT, "quickReply": {"items": [{"type": "action", "action": action}] * count}}


@pytest.mark.parametrize(
    ("messages", "prop", "spec_rejects"),
    [
        pytest.param([TEXT] * 6, "messages", True, id="6 messages"),
        pytest.param([], "messages", True, id="no messages"),
        pytest.param(
            [{"type": "text", "text": "あ" * 5001}], "messages[0].text", False, id="5,001-char text"
        ),
        pytest.param(
            [{"type": "text", "text": "😀" * 2501}],
            "messages[0].text",
            False,
            id="5,002 UTF-16 units of emoji",
        ),
        pytest.param([{"type": "text", "text": ""}], "messages[0].text", False, id="empty text"),
        pytest.param(
            [quick_reply(14)], "messages[0].quickReply.items[13]", True, id="14 quick replies"
        ),
        pytest.param(
            [quick_reply(1, label="あ" * 21)],
            "messages[0].quickReply.items[0].action.label",
            False,
            id="21-char label",
        ),
        pytest.param(
            [quick_reply(1, data="x" * 301)],
            "messages[0].quickReply.items[0].action.data",
            True,
            id="301-char postback data",
        ),
        pytest.param(
            [
                {
                    "type": "video",
                    "originalContentUrl": "https://example.com/v.mp4",
                    "previewImageUrl": "https://example.com/v.jpg",
                }
            ],
            "messages[0].type",
            False,
            id="video",
        ),
        pytest.param(
            [{"type": "flex", "contents": {"type": "bubble"}}],
            "messages[0].altText",
            True,
            id="flex without altText",
        ),
        pytest.param(
            [
                {
                    "type": "template",
                    "altText": "あ" * 401,
                    "template": {
                        "type": "confirm",
                        "text": "?",
                        "actions": [
                            {"type": "message", "label": "はい", "text": "はい"},
                            {"type": "message", "label": "いいえ", "text": "いいえ"},
                        ],
                    },
                }
            ],
            "messages[0].altText",
            False,
            id="401-char template altText",
        ),
    ],
)
def test_messages_breaking_lines_rules_are_refused(
    sim: Sim, messages: list[dict[str, Any]], prop: str, spec_rejects: bool
) -> None:
    user_id = sim.user()
    body = {"to": user_id, "messages": messages}
    answer = sim.api("POST", "/v2/bot/message/push", body)
    assert answer.status_code == 400
    assert prop in [d["property"] for d in answer.json()["details"]]
    assert answer.json()["message"].startswith("The request body has")
    assert sim.bot_messages(user_id) == []
    if spec_rejects:
        with pytest.raises(SpecViolation):
            validate_api_request("POST", "/v2/bot/message/push", body)


def test_messages_at_lines_limits_are_accepted(sim: Sim) -> None:
    user_id = sim.user()
    messages = [
        {"type": "text", "text": "あ" * 5000},
        {"type": "text", "text": "😀" * 2500},
        quick_reply(13, label="あ" * 20, data="x" * 300),
        {
            "type": "flex",
            "altText": "サロン一覧",
            "contents": {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [{"type": "text", "text": "早川サロン"}],
                },
            },
        },
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    ]
    answer = sim.api("POST", "/v2/bot/message/push", {"to": user_id, "messages": messages})
    assert answer.status_code == 200, answer.text
    assert len(sim.bot_messages(user_id)) == 5
    assert_requests_follow_spec(sim)


def test_the_safety_answers_with_call_buttons_are_accepted(sim: Sim) -> None:
    from flows import safety_words

    user_id = sim.user()
    messages = rendered(
        [
            safety_words.emergency("ja", ["suicide", "medical"], "スタッフにもすぐに伝えました。"),
            *safety_words.possible("ja", ("child_abuse",)),
        ]
    )
    answer = sim.api("POST", "/v2/bot/message/push", {"to": user_id, "messages": messages})
    assert answer.status_code == 200, answer.text
    assert len(sim.bot_messages(user_id)) == 3
    assert_requests_follow_spec(sim)


def test_multicast_takes_at_most_500_recipients(sim: Sim) -> None:
    body = {"to": ["U" + f"{n:032x}" for n in range(501)], "messages": [TEXT]}
    answer = sim.api("POST", "/v2/bot/message/multicast", body)
    assert answer.status_code == 400
    assert answer.json()["details"] == [
        {"message": "Size must be between 1 and 500", "property": "to"}
    ]
    with pytest.raises(SpecViolation):
        validate_api_request("POST", "/v2/bot/message/multicast", body)


# --- Rate limits and injected faults ------------------------------------------------------


def test_requests_over_the_rate_limit_get_429(sim: Sim) -> None:
    user_id = sim.user()
    sim.control("POST", "/rate-limits", json={"pushMessage": 3})
    statuses = [sim.push(user_id).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = sim.push(user_id)
    assert limited.json() == {"message": "The API rate limit has been exceeded. Try again later."}
    assert sim.api("GET", "/v2/bot/message/quota").status_code == 200
    assert len(sim.bot_messages(user_id)) == 3


def _run_with_faults(sim: Sim, user_id: str, seed: int) -> list[tuple[int, bool]]:
    """Push 40 messages under faults; return each status and whether it was delivered."""
    sim.control("POST", "/reset")
    sim.control("POST", "/users", json={"displayName": "再現 太郎", "userId": user_id})
    sim.control("POST", f"/users/{user_id}/follow")
    sim.control("POST", "/faults", json={"seed": seed, "error_rate": 0.3, "rate_limit_rate": 0.2})
    outcomes = []
    for n in range(40):
        status = sim.push(user_id, text=f"#{n}").status_code
        delivered = {m["message"]["text"] for m in sim.bot_messages(user_id)}
        outcomes.append((status, f"#{n}" in delivered))
    return outcomes


def test_faults_are_deterministic_for_a_seed(sim: Sim) -> None:
    user_id = "U" + "a" * 32
    first = _run_with_faults(sim, user_id, seed=7)
    assert first == _run_with_faults(sim, user_id, seed=7)
    assert first != _run_with_faults(sim, user_id, seed=8)
    statuses = [status for status, _ in first]
    assert {200, 429, 500} <= set(statuses)
    errors = [delivered for status, delivered in first if status == 500]
    assert True in errors and False in errors, "some 500s must be ambiguous, some not"
    assert all(delivered for status, delivered in first if status == 200)
    assert not any(delivered for status, delivered in first if status == 429)


def _seed_whose_first_error(delivers: bool) -> int:
    """Return a seed whose first injected 500 does (or does not) deliver before failing."""
    injector = FaultInjector()
    for seed in range(100):
        injector.configure(FaultConfig(seed=seed, error_rate=1.0))
        fault = injector.draw()
        if fault is not None and fault.deliver == delivers:
            return seed
    raise AssertionError("no such seed")


@pytest.mark.parametrize("delivered_before_failing", [True, False])
def test_a_failed_push_retried_with_its_key_arrives_once(
    sim: Sim, delivered_before_failing: bool
) -> None:
    user_id = sim.user()
    seed = _seed_whose_first_error(delivers=delivered_before_failing)
    sim.control("POST", "/faults", json={"seed": seed, "error_rate": 1.0})
    key = str(uuid.uuid4())
    assert sim.push(user_id, key=key).status_code == 500
    sim.control("DELETE", "/faults")
    assert sim.push(user_id, key=key).status_code == (409 if delivered_before_failing else 200)
    assert len(sim.bot_messages(user_id)) == 1


def test_an_ambiguous_failed_reply_has_used_its_token(sim: Sim) -> None:
    user_id = sim.user()
    token = sim.say(user_id)["replyToken"]
    sim.control(
        "POST", "/faults", json={"seed": _seed_whose_first_error(delivers=True), "error_rate": 1.0}
    )
    reply = {"replyToken": token, "messages": [TEXT]}
    assert sim.api("POST", "/v2/bot/message/reply", reply).status_code == 500
    sim.control("DELETE", "/faults")
    retried = sim.api("POST", "/v2/bot/message/reply", reply)
    assert retried.json() == {"message": "Invalid reply token"}
    assert len(sim.bot_messages(user_id)) == 1


def test_injected_429s_carry_retry_after(sim: Sim) -> None:
    user_id = sim.user()
    sim.control("POST", "/faults", json={"seed": 1, "rate_limit_rate": 1.0})
    answer = sim.push(user_id)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    assert sim.api("GET", "/v2/bot/message/quota").status_code == 200, "quota is not faultable"
    assert sim.control("GET", "/stats").status_code == 200, "the control API is never faulty"


def test_a_hang_makes_the_client_time_out(sim: Sim) -> None:
    user_id = sim.user()
    sim.control("POST", "/faults", json={"seed": 3, "hang_rate": 1.0, "hang_seconds": 1.0})
    with pytest.raises(requests.Timeout):
        sim.push(user_id, timeout=0.3)
    assert sim.requests()[-1]["fault"].startswith("hang")


def test_latency_is_added(sim: Sim) -> None:
    sim.control("POST", "/faults", json={"latency_ms": 200})
    started = time.monotonic()
    sim.api("GET", "/v2/bot/message/quota")
    assert time.monotonic() - started >= 0.2


# --- Profile, loading, read marks, content, rich menu --------------------------------------


def test_profile_loading_read_marks_and_content(sim: Sim) -> None:
    user_id = sim.user("小田原 花子")
    profile = sim.api("GET", f"/v2/bot/profile/{user_id}").json()
    assert profile == {"userId": user_id, "displayName": "小田原 花子", "language": "ja"}
    loading = sim.api(
        "POST", "/v2/bot/chat/loading/start", {"chatId": user_id, "loadingSeconds": 10}
    )
    assert loading.status_code == 202 and loading.json() == {}
    assert sim.transcript(user_id)[-1]["kind"] == "loading"
    bad = sim.api("POST", "/v2/bot/chat/loading/start", {"chatId": user_id, "loadingSeconds": 7})
    assert bad.status_code == 400

    text = sim.say(user_id)["message"]
    read = sim.api("POST", "/v2/bot/chat/markAsRead", {"markAsReadToken": text["markAsReadToken"]})
    assert read.status_code == 200
    read_up_to = sim.control("GET", f"/users/{user_id}/transcript").json()["readUpTo"]
    assert read_up_to == sim.transcript(user_id)[-1]["seq"]

    image = sim.control("POST", f"/users/{user_id}/image").json()["event"]["message"]
    content = sim.api("GET", f"/v2/bot/message/{image['id']}/content")
    assert content.headers["Content-Type"] == "image/png"
    assert content.content.startswith(b"\x89PNG")
    assert sim.api("GET", f"/v2/bot/message/{text['id']}/content").status_code == 404
    assert_requests_follow_spec(sim)


def test_transcript_polling_returns_entries_after_a_seq(sim: Sim) -> None:
    user_id = sim.user()
    sim.say(user_id, "一")
    seen = sim.transcript(user_id)
    sim.say(user_id, "二")
    newer = sim.transcript(user_id, after=seen[-1]["seq"])
    assert [e["message"]["text"] for e in newer] == ["二"]
    seqs = [e["seq"] for e in sim.transcript(user_id)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_reset_keeps_configuration(sim: Sim) -> None:
    sim.user()
    sim.control("POST", "/rate-limits", json={"pushMessage": 5})
    sim.control("POST", "/reset")
    assert sim.control("GET", "/users").json() == {"users": []}
    assert sim.requests() == []
    assert sim.control("GET", "/rate-limits").json()["pushMessage"] == 5


# --- People kept across restarts ---------------------------------------------------------------


def test_people_kept_in_a_file_are_known_again_after_a_restart(
    bot: FakeBot, tmp_path: Path
) -> None:
    kept = tmp_path / "people.json"
    state = SimulatorState(
        webhook_url=bot.url, channel_secret=SECRET, access_token=TOKEN, personas_file=kept
    )
    with BackgroundServer(create_app(state)) as server:
        sim = Sim(state, server.url)
        hanako = sim.user("山田花子")
        taro = sim.user("山田太郎", follow=False)
        john = sim.control("POST", "/users", json={"displayName": "John", "language": "en"}).json()[
            "userId"
        ]
        assert sim.control("POST", f"/users/{john}/follow").status_code == 200
        assert sim.control("POST", f"/users/{john}/unfollow").status_code == 200
        sim.http.close()

    again = SimulatorState(
        webhook_url=bot.url, channel_secret=SECRET, access_token=TOKEN, personas_file=kept
    )
    with BackgroundServer(create_app(again)) as server:
        sim = Sim(again, server.url)
        users = {u["userId"]: u for u in sim.control("GET", "/users").json()["users"]}
        assert list(users) == [hanako, taro, john], "the same people, the same ids, in order"
        assert users[hanako]["displayName"] == "山田花子"
        assert [users[u]["status"] for u in (hanako, taro, john)] == ["friend", "new", "blocked"]
        assert users[john]["language"] == "en"
        # A blocked person unblocks as LINE says so (isUnblocked), and a friend can talk at once.
        assert sim.control("POST", f"/users/{john}/follow").status_code == 200
        assert bot.events()[-1]["follow"] == {"isUnblocked": True}
        sim.say(hanako)
        assert sim.transcript(taro) == []
        sim.control("POST", "/reset")
        sim.http.close()
    assert json.loads(kept.read_text(encoding="utf-8")) == {"personas": []}, "a reset forgets"


def test_mounted_on_the_bots_app_the_people_live_in_its_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from simulator.app import PERSONAS_FILE, create_blueprint

    monkeypatch.setenv("MADOGUCHI_INSTANCE_PATH", str(tmp_path))
    ids = []
    for _ in range(2):  # `madoguchi serve`, stopped and started again
        state = SimulatorState(
            webhook_url="http://unset", channel_secret=SECRET, access_token=TOKEN
        )
        app = Flask("the_bot")
        app.register_blueprint(create_blueprint(state), url_prefix="/simulator")
        client = app.test_client()
        if not client.get("/simulator/control/users").json["users"]:
            client.post("/simulator/control/users", json={"displayName": "山田花子"})
        users = client.get("/simulator/control/users").json["users"]
        assert [u["displayName"] for u in users] == ["山田花子"]
        ids.append(users[0]["userId"])
    assert ids[0] == ids[1], "the second start knows her by the same id"
    assert (tmp_path / PERSONAS_FILE).exists()
    # Standalone (tests, benchmarks) nothing is written.
    create_app(
        SimulatorState(webhook_url="http://unset", channel_secret=SECRET, access_token=TOKEN)
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [PERSONAS_FILE]


# --- The LINE SDK against the simulator -------------------------------------------------------


def test_the_line_sdk_works_against_the_simulator(sim: Sim) -> None:
    user_id = sim.user("SDK 次郎")
    token = sim.say(user_id)["replyToken"]
    config = Configuration(host=sim.api_base, access_token=TOKEN)
    with ApiClient(config) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        answer = api.reply_message(
            ReplyMessageRequest(
                reply_token=token,
                messages=[
                    TextMessage(
                        text="ご用件をどうぞ",
                        quick_reply=QuickReply(
                            items=[
                                QuickReplyItem(
                                    action=PostbackAction(
                                        label="相談", data="flow=consult", display_text="相談したい"
                                    )
                                )
                            ]
                        ),
                    )
                ],
            ),
            _request_timeout=TIMEOUT,
        )
        assert len(answer.sent_messages) == 1

        key = str(uuid.uuid4())
        push = PushMessageRequest(to=user_id, messages=[TextMessage(text="お元気ですか")])
        pushed = api.push_message(push, x_line_retry_key=key, _request_timeout=TIMEOUT)
        with pytest.raises(ApiException) as conflict:
            api.push_message(push, x_line_retry_key=key, _request_timeout=TIMEOUT)
        assert conflict.value.status == 409
        assert conflict.value.headers["x-line-accepted-request-id"]

        assert api.get_profile(user_id, _request_timeout=TIMEOUT).display_name == "SDK 次郎"
        api.show_loading_animation(
            ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=5),
            _request_timeout=TIMEOUT,
        )
        assert api.get_message_quota_consumption(_request_timeout=TIMEOUT).total_usage == 1

        menu = api.create_rich_menu(
            RichMenuRequest(
                size=RichMenuSize(width=2500, height=843),
                selected=True,
                name="madoguchi",
                chat_bar_text="メニュー",
                areas=[
                    RichMenuArea(
                        bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
                        action=PostbackAction(label="相談", data="flow=consult"),
                    )
                ],
            ),
            _request_timeout=TIMEOUT,
        )
        blob.set_rich_menu_image(
            menu.rich_menu_id,
            body=b"\x89PNG fake",
            _headers={"Content-Type": "image/png"},
            _request_timeout=TIMEOUT,
        )
        api.set_default_rich_menu(menu.rich_menu_id, _request_timeout=TIMEOUT)
        assert [
            m.rich_menu_id for m in api.get_rich_menu_list(_request_timeout=TIMEOUT).richmenus
        ] == [menu.rich_menu_id]

    assert [m["via"] for m in sim.bot_messages(user_id)] == ["reply", "push"]
    assert pushed.sent_messages[0].id == sim.bot_messages(user_id)[-1]["messageId"]
    shown = sim.control("GET", "/richmenu").json()
    assert shown["richMenu"]["chatBarText"] == "メニュー" and shown["hasImage"]
    assert sim.control("GET", "/richmenu/image").content == b"\x89PNG fake"
    assert_requests_follow_spec(sim)
