"""A resident talking to the bot through the real handlers, without HTTP: each event is one
transaction, and what the bot says is read back from the outbox it wrote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from builders import RESIDENT, make_event, postback_event, text_event
from rendered import readable, rendered
from sqlalchemy import select

from bot.clock import Clock
from handlers import events
from storage.db import Database
from storage.models import OutboxMessage


class Said:
    """What the bot answered to one event: its texts and the labels of its buttons."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        # A Flex message reads as its texts, in order.
        self.texts = [readable(message) for message in messages]
        # The numbers its call buttons dial (tel: URIs), in order.
        self.calls = [
            action["uri"]
            for message in messages
            for action in _actions(message.get("contents"))
            if action.get("type") == "uri" and action["uri"].startswith("tel:")
        ]
        last = messages[-1] if messages else {}
        self.buttons = [
            item["action"]["label"] for item in (last.get("quickReply") or {}).get("items", [])
        ]
        self.postbacks = {
            item["action"]["label"]: item["action"].get("data", "")
            for item in (last.get("quickReply") or {}).get("items", [])
        }
        # Buttons that open LINE's location picker rather than post back.
        self.location_buttons = [
            item["action"]["label"]
            for item in (last.get("quickReply") or {}).get("items", [])
            if item["action"].get("type") == "location"
        ]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def _actions(node: Any) -> list[dict[str, Any]]:
    """Every action inside a Flex container, depth first."""
    if isinstance(node, list):
        return [action for child in node for action in _actions(child)]
    if not isinstance(node, dict):
        return []
    found = [node["action"]] if isinstance(node.get("action"), dict) else []
    return found + [action for key, v in node.items() if key != "action" for action in _actions(v)]


class Dialogue:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        user: str = RESIDENT,
        idle_after: timedelta = timedelta(minutes=30),
        profile_language: str | None = None,
        basic_id: str = "",
    ) -> None:
        self.db = db
        self.clock = clock
        self.user = user
        self.idle_after = idle_after
        self.profile_language = profile_language
        self.basic_id = basic_id
        self.last_event: dict[str, Any] = {}

    def send(self, event: dict[str, Any]) -> Said:
        self.last_event = event
        with self.db.transaction() as session:
            before = (
                session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
                or 0
            )
            context = events.Context(
                session=session,
                now=self.clock.now(),
                idle_after=self.idle_after,
                reply_until=None,
                profile_language=self.profile_language,
                basic_id=self.basic_id,
            )
            events.handle(context, event)
            # What this person got: not a staff group's alert written in the same step.
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id > before, OutboxMessage.to == self.user)
                .order_by(OutboxMessage.id)
            ).all()
            return Said(rendered([message for row in rows for message in row.messages]))

    def follow(self) -> Said:
        return self.send(make_event("follow", self.user))

    def unfollow(self) -> Said:
        return self.send(make_event("unfollow", self.user))

    def say(self, text: str) -> Said:
        return self.send(text_event(text, self.user))

    def tap(self, said: Said, label: str) -> Said:
        """Tap a quick-reply button from the bot's last answer, as LINE would post it back."""
        assert label in said.postbacks, f"no button {label!r} in {said.buttons}"
        return self.send(postback_event(said.postbacks[label], self.user))

    def sticker(self) -> Said:
        return self.send(
            make_event(
                "message",
                self.user,
                message={
                    "type": "sticker",
                    "id": "1",
                    "packageId": "446",
                    "stickerId": "1988",
                    "stickerResourceType": "STATIC",
                    "quoteToken": "q",
                },
            )
        )

    def image(self) -> Said:
        return self.send(
            make_event(
                "message",
                self.user,
                message={
                    "type": "image",
                    "id": "2",
                    "contentProvider": {"type": "line"},
                    "quoteToken": "q",
                },
            )
        )

    def odd(self, kind: str, stale_postback: str = "flow=old&ev=gone") -> Said:
        """Input a flow cannot use: a sticker, an image, 3,000 characters, emoji, nothing, a
        message type LINE may add later, or a tap on a button from a conversation long gone."""
        if kind == "sticker":
            return self.sticker()
        if kind == "image":
            return self.image()
        if kind == "long":
            return self.say("あ" * 3000)
        if kind == "emoji":
            return self.say("👍😀")
        if kind == "empty":
            return self.say("")
        if kind == "unknown-type":
            return self.send(
                make_event("message", self.user, message={"type": "hologram", "id": "9"})
            )
        assert kind == "stale-button", kind
        return self.send(postback_event(stale_postback, self.user))

    @property
    def last_message_id(self) -> str:
        """LINE's id of the message last sent, as an unsend event would name it."""
        return str(self.last_event["message"]["id"])

    def photo(self, message_id: str) -> Said:
        return self.send(
            make_event(
                "message",
                self.user,
                message={
                    "type": "image",
                    "id": message_id,
                    "contentProvider": {"type": "line"},
                    "quoteToken": "q",
                },
            )
        )

    def location(self, latitude: float, longitude: float, title: str = "") -> Said:
        return self.send(
            make_event(
                "message",
                self.user,
                message={
                    "type": "location",
                    "id": str(abs(hash((latitude, longitude, title))) % 10**12),
                    "title": title,
                    "address": "",
                    "latitude": latitude,
                    "longitude": longitude,
                },
            )
        )

    def unsend(self, message_id: str) -> Said:
        return self.send(make_event("unsend", self.user, unsend={"messageId": message_id}))
