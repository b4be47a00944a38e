"""What a resident sent, reduced to what flows care about."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from flows import postback
from flows.postback import FlowAnswer, Postback


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class UserInput:
    """kind is text, postback, location, sticker, image, video, audio, file or unknown."""

    kind: str
    text: str = ""
    # What a tap means; None for a tap whose data no button of ours sends.
    postback: Postback | None = None
    location: Location | None = None
    # LINE's id of the message, kept with what we store of it so an unsend can delete it.
    message_id: str | None = None

    @property
    def normalised(self) -> str:
        """Text folded for matching: full-width to half-width, case and spacing ignored."""
        return normalise(self.text)

    def answer_to(self, flow: str) -> FlowAnswer | None:
        """The tapped answer to a question of `flow`, if this is one."""
        tapped = self.postback
        return tapped if isinstance(tapped, FlowAnswer) and tapped.flow == flow else None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> UserInput:
        if event.get("type") == "postback":
            data = event.get("postback", {}).get("data", "")
            return cls(kind="postback", postback=postback.parse(str(data)))
        message = event.get("message") or {}
        kind = message.get("type", "unknown")
        message_id = str(message["id"]) if message.get("id") else None
        if kind == "text":
            return cls(kind="text", text=message.get("text", ""), message_id=message_id)
        if kind == "location":
            return cls(
                kind="location",
                message_id=message_id,
                location=Location(
                    latitude=float(message.get("latitude", 0.0)),
                    longitude=float(message.get("longitude", 0.0)),
                    title=message.get("title"),
                    address=message.get("address"),
                ),
            )
        if kind in ("sticker", "image", "video", "audio", "file"):
            return cls(kind=kind, message_id=message_id)
        return cls(kind="unknown")


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())
