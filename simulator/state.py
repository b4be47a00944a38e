"""Everything the simulated LINE platform remembers, in memory and behind one lock.

The people (personas) may also be kept in a JSON file, so that a restarted simulator still
knows them by the same user ids, as the bot's database does; transcripts are not kept.
"""

import bisect
import itertools
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from simulator.faults import FaultInjector
from simulator.ids import new_opaque_token, new_reply_token, new_user_id
from simulator.rate_limit import DEFAULT_RATE_LIMITS, RateLimiter

FriendStatus = Literal["new", "friend", "blocked"]
Entry = dict[str, Any]

# LINE's message ids are 18-digit decimal strings.
_FIRST_MESSAGE_ID = 468_000_000_000_000_000


@dataclass
class Persona:
    """A simulated LINE user; `status` is "new" until the first follow."""

    user_id: str
    display_name: str
    language: str = "ja"
    picture_url: str | None = None
    status_message: str | None = None
    status: FriendStatus = "new"
    has_blocked: bool = False
    last_message_id: str | None = None
    read_up_to: int = 0

    def receives(self, via: str) -> bool:
        """Tell whether LINE would show a bot message sent this way to this person."""
        # A reply reaches anyone who wrote in; pushes and multicasts reach friends only.
        if self.status == "blocked":
            return False
        return via == "reply" or self.status == "friend"

    def profile(self) -> dict[str, Any]:
        """Return the body of LINE's get-profile response."""
        profile: dict[str, Any] = {
            "userId": self.user_id,
            "displayName": self.display_name,
            "language": self.language,
        }
        if self.picture_url:
            profile["pictureUrl"] = self.picture_url
        if self.status_message:
            profile["statusMessage"] = self.status_message
        return profile

    def to_json(self) -> dict[str, Any]:
        """Return the persona as the control API shows it."""
        return {**self.profile(), "status": self.status, "readUpTo": self.read_up_to}

    def to_stored(self) -> dict[str, Any]:
        """Return what a restarted simulator needs to know this person again."""
        return {**self.profile(), "status": self.status, "hasBlocked": self.has_blocked}

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> "Persona":
        status = stored.get("status", "new")
        return cls(
            user_id=str(stored["userId"]),
            display_name=str(stored["displayName"]),
            language=str(stored.get("language", "ja")),
            picture_url=stored.get("pictureUrl"),
            status_message=stored.get("statusMessage"),
            status=status if status in ("new", "friend", "blocked") else "new",
            has_blocked=bool(stored.get("hasBlocked", False)),
        )


@dataclass
class ReplyToken:
    """A reply token handed out with an event; single use and short-lived."""

    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class AcceptedRequest:
    """What a push or multicast answered, kept under its retry key to answer a 409."""

    request_id: str
    sent_messages: list[dict[str, Any]]


@dataclass
class RichMenus:
    """Rich menus the bot created, their images and the default one."""

    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    default_id: str | None = None


class SimulatorState:
    """In-memory state of the simulated platform; hold `lock` for every read or change."""

    def __init__(
        self,
        webhook_url: str,
        channel_secret: str,
        access_token: str,
        reply_token_ttl: float = 60.0,
        rate_limits: dict[str, float] | None = None,
        *,
        quota: int | None = 200,
        bot_user_id: str | None = None,
        webhook_timeout: float = 10.0,
        personas_file: Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.personas_file: Path | None = None
        self.webhook_url = webhook_url
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.reply_token_ttl = reply_token_ttl
        self.rate_limits: dict[str, float] = {**DEFAULT_RATE_LIMITS, **(rate_limits or {})}
        self.quota = quota
        self.bot_user_id = bot_user_id or new_user_id()
        self.webhook_timeout = webhook_timeout
        self.rate_limiter = RateLimiter()
        self.faults = FaultInjector()
        # Rich menus are channel settings the bot makes at start-up, so a reset keeps them.
        self.rich_menus = RichMenus()
        # Never restarted, not even by a reset: a chat page polling `after=<seq>` must not
        # miss entries, and a bot must not see a message id twice.
        self._seq = itertools.count(1)
        self._message_ids = itertools.count(_FIRST_MESSAGE_ID)
        self._clear()
        if personas_file is not None:
            self.keep_personas_in(personas_file)

    def _clear(self) -> None:
        self.personas: dict[str, Persona] = {}
        self.transcripts: dict[str, list[Entry]] = {}
        self.reply_tokens: dict[str, ReplyToken] = {}
        self.mark_as_read_tokens: dict[str, tuple[str, str]] = {}
        self.retry_keys: dict[str, AcceptedRequest] = {}
        self.sent_events: dict[str, dict[str, Any]] = {}
        self.images: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.quota_usage = 0
        self.webhooks = Counter[str]()

    def reset(self) -> None:
        """Forget people, transcripts, tokens, requests and usage; keep configuration."""
        with self.lock:
            self._clear()
            self.rate_limiter.clear()
            self.faults.restart()
            self.save_personas()

    def keep_personas_in(self, path: Path) -> None:
        """Keep the people in `path` from now on: those already there are known again (with
        empty transcripts), and every later change is written there."""
        with self.lock:
            self.personas_file = path
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                stored = {"personas": []}
            for item in stored.get("personas", []):
                persona = Persona.from_stored(item)
                if persona.user_id not in self.personas:
                    self.personas[persona.user_id] = persona
                    self.transcripts[persona.user_id] = []
            self.save_personas()

    def save_personas(self) -> None:
        """Write the people to the personas file, if there is one (whole, or not at all)."""
        with self.lock:
            if self.personas_file is None:
                return
            path = self.personas_file
            path.parent.mkdir(parents=True, exist_ok=True)
            body = {"personas": [persona.to_stored() for persona in self.personas.values()]}
            partial = path.with_name(f".{path.name}.tmp")
            partial.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(partial, path)

    def next_message_id(self) -> str:
        """Return a fresh numeric message id."""
        with self.lock:
            return str(next(self._message_ids))

    def next_seq(self) -> int:
        """Return the next number of the one sequence shared by transcripts and requests."""
        with self.lock:
            return next(self._seq)

    def add_persona(self, persona: Persona) -> Persona:
        """Add a person; raise ValueError if the user id is taken."""
        with self.lock:
            if persona.user_id in self.personas:
                raise ValueError("a persona with this userId exists")
            self.personas[persona.user_id] = persona
            self.transcripts[persona.user_id] = []
            self.save_personas()
            return persona

    def append(self, user_id: str, entry: Entry) -> Entry:
        """Add an entry to a person's transcript, numbering and time-stamping it."""
        with self.lock:
            stamped = {
                "seq": self.next_seq(),
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                **entry,
            }
            self.transcripts[user_id].append(stamped)
            return stamped

    def transcript(self, user_id: str, after: int = 0) -> list[Entry]:
        """Return a person's entries numbered above `after`."""
        with self.lock:
            entries = self.transcripts[user_id]
            start = bisect.bisect_right(entries, after, key=lambda entry: entry["seq"])
            return list(entries[start:])

    def issue_reply_token(self, user_id: str) -> str:
        """Hand out a reply token for an event from this person."""
        with self.lock:
            token = new_reply_token()
            self.reply_tokens[token] = ReplyToken(user_id, time.time())
            return token

    def take_reply_token(self, token: str) -> str | None:
        """Use up a reply token and return its person, or None if unknown, used or expired."""
        with self.lock:
            issued = self.reply_tokens.get(token)
            if issued is None or issued.used:
                return None
            if time.time() - issued.issued_at > self.reply_token_ttl:
                return None
            issued.used = True
            return issued.user_id

    def issue_mark_as_read_token(self, user_id: str, message_id: str) -> str:
        """Hand out the token that marks this person's messages up to `message_id` as read."""
        with self.lock:
            token = new_opaque_token()
            self.mark_as_read_tokens[token] = (user_id, message_id)
            return token

    def mark_read(self, user_id: str, up_to_message_id: str | None = None) -> None:
        """Mark a person's messages as read, all of them or those up to one message."""
        with self.lock:
            persona = self.personas[user_id]
            for entry in self.transcripts[user_id]:
                if entry["from"] == "user":
                    persona.read_up_to = max(persona.read_up_to, entry["seq"])
                if up_to_message_id is not None and entry.get("messageId") == up_to_message_id:
                    break

    def stats(self) -> dict[str, Any]:
        """Return delivery counts per person and per route, quota use and request counts."""
        with self.lock:
            per_user: dict[str, Counter[str]] = {}
            delivered = Counter[str]()
            undelivered = Counter[str]()
            for user_id, entries in self.transcripts.items():
                counts = per_user.setdefault(user_id, Counter())
                for entry in entries:
                    if entry["from"] != "bot" or entry["kind"] != "message":
                        continue
                    if entry["delivered"]:
                        counts[entry["via"]] += 1
                        delivered[entry["via"]] += 1
                    else:
                        undelivered[entry["via"]] += 1
            return {
                "deliveries": {user: dict(counts) for user, counts in per_user.items()},
                "byVia": dict(delivered),
                "undelivered": dict(undelivered),
                "quota": {"limit": self.quota, "totalUsage": self.quota_usage},
                "requests": dict(Counter(str(r["status"]) for r in self.requests)),
                "webhooks": dict(self.webhooks),
            }
