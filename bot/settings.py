"""Settings from the environment (and an optional .env), exactly as DESIGN.md's contracts name them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from bot.durations import parse_duration
from storage.care_net import BESIDE as CARE_NET_BESIDE
from storage.care_net import MODES as CARE_NET_MODES
from storage.retention import KINDS as RETENTION_KINDS
from storage.retention import Retention
from storage.supporters import OFFER_WAIT

DEFAULT_API_BASE_URL = "https://api.line.me"
SECRET_VARIABLE = "LINE_CHANNEL_SECRET"
TOKEN_VARIABLE = "LINE_CHANNEL_ACCESS_TOKEN"


class SettingsError(ValueError):
    """Settings the bot must not start with; the message names the variable to fix."""


@dataclass(frozen=True)
class Settings:
    channel_secret: str = ""
    channel_access_token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    # The account's LINE ID ("@123abcde"): with it, family get a link that opens the chat with
    # their code ready to send; without it they are told to find the account themselves.
    basic_id: str = ""
    database_url: str = ""
    secret_key: str = ""
    instance_path: Path = field(default_factory=lambda: Path("instance"))
    conversation_idle: timedelta = timedelta(hours=1)
    # A console session unused this long must sign in again (a console left open on a desk).
    console_idle: timedelta = timedelta(minutes=30)
    checkin_remind_after: timedelta = timedelta(hours=3)
    checkin_escalate_after: timedelta = timedelta(hours=3)
    sla_warn_before: timedelta = timedelta(hours=1)
    # When an unanswered check-in asks the resident's ケアネット neighbours to look in
    # (MADOGUCHI_CARE_NET): before (with the reminder), beside (with the family's alert), off.
    care_net: str = CARE_NET_BESIDE
    # How long a 生活応援隊 request offered to supporters waits for one of them to take it
    # before it goes back to the coordinators (MADOGUCHI_OFFER_WAIT).
    offer_wait: timedelta = OFFER_WAIT
    allow_clock: bool = False
    # Set our rich menu as the channel's default at start-up; off keeps one made elsewhere.
    rich_menu: bool = True
    # Set only by `serve`, when it runs the local simulator (asked for with --simulator, or no
    # LINE credential at all): never inferred from the environment, since a process given half
    # its credentials must stop rather than quietly become a demo with open test routes.
    simulator: bool = False
    # How long after LINE sent an event we still trust its reply token (LINE: about a minute).
    reply_token_fresh_for: timedelta = timedelta(seconds=50)
    # How many times a failing event is retried before it is parked for an operator.
    max_event_attempts: int = 3
    # A step running longer than this shows LINE's loading animation.
    loading_after: timedelta = timedelta(seconds=1)
    # How long a row being sent stays leased; by default as long as its calls may take (a reply
    # refused, then a push). A process killed mid-send has its leases released by the next
    # one to start on the same host; elsewhere they run out after this.
    outbox_lease: timedelta | None = None
    # Seconds a call to LINE may take before it counts as failed (and is retried).
    api_timeout: float = 10.0
    # Calls to LINE in flight at once, per sending process.
    send_concurrency: int = 32
    # Reverse proxies in front of the web (MADOGUCHI_TRUSTED_PROXIES): their X-Forwarded-*
    # headers are believed, so the audit log and the sign-in lock-out see the real address.
    # 0 believes none: anyone could write the header.
    trusted_proxies: int = 0
    worker_poll_interval: float = 0.2
    # How long each kind of record is kept (MADOGUCHI_KEEP_*; README, "Retention").
    retention: Retention = field(default_factory=Retention)

    @property
    def send_lease(self) -> timedelta:
        return self.outbox_lease or timedelta(seconds=2 * self.api_timeout + 5)

    @property
    def simulator_mode(self) -> bool:
        return self.simulator

    @property
    def clock_route_enabled(self) -> bool:
        return self.simulator_mode or self.allow_clock

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def missing_line_credentials(self) -> list[str]:
        """The LINE credential variables left unset, in the order the README names them."""
        given = {SECRET_VARIABLE: self.channel_secret, TOKEN_VARIABLE: self.channel_access_token}
        return [name for name, value in given.items() if not value]

    def require_line_credentials(self) -> None:
        """Stop a process that talks to LINE (worker, sender, the WSGI app) without both
        credentials: an empty secret would verify signatures made with an empty key."""
        missing = self.missing_line_credentials()
        if len(missing) == 1:
            raise SettingsError(half_credentials(missing[0]))
        if missing:
            raise SettingsError(
                f"{SECRET_VARIABLE} and {TOKEN_VARIABLE} are not set: this process talks to "
                "LINE and needs both (from the LINE Developers console). Only `madoguchi serve` "
                "runs without them, on the local simulator."
            )

    def wants_simulator(self, asked: bool) -> bool:
        """Whether `serve` runs the local simulator: when asked (--simulator), or when no LINE
        credential is set at all (a newcomer's `make run`). Exactly one set is a mistake, often a
        web process given only the secret: it stops start-up and names the missing one."""
        if asked:
            return True
        missing = self.missing_line_credentials()
        if len(missing) == 1:
            raise SettingsError(half_credentials(missing[0]))
        return len(missing) == 2

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None
    ) -> Settings:
        """Read the environment; a `.env` file fills in what the environment leaves unset."""
        env: dict[str, str] = {}
        dotenv_path = dotenv or Path(".env")
        if dotenv_path.is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        instance = Path(env.get("MADOGUCHI_INSTANCE_PATH", "instance"))
        values: dict[str, Any] = {
            "channel_secret": env.get("LINE_CHANNEL_SECRET", ""),
            "channel_access_token": env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            "api_base_url": env.get("LINE_API_BASE_URL", DEFAULT_API_BASE_URL).rstrip("/"),
            "database_url": env.get("DATABASE_URL")
            or f"sqlite:///{instance.resolve() / 'madoguchi.db'}",
            "secret_key": env.get("MADOGUCHI_SECRET_KEY", ""),
            "basic_id": basic_id(env.get("LINE_BOT_BASIC_ID", "")),
            "instance_path": instance,
            "allow_clock": env.get("MADOGUCHI_ALLOW_CLOCK", "") == "1",
            "rich_menu": env.get("MADOGUCHI_RICH_MENU", "1") != "0",
        }
        if env.get("MADOGUCHI_TRUSTED_PROXIES", "0") != "0":
            values["trusted_proxies"] = positive_int(
                env["MADOGUCHI_TRUSTED_PROXIES"], "MADOGUCHI_TRUSTED_PROXIES"
            )
        if env.get("MADOGUCHI_CARE_NET"):
            values["care_net"] = one_of(
                env["MADOGUCHI_CARE_NET"], CARE_NET_MODES, "MADOGUCHI_CARE_NET"
            )
        if env.get("MADOGUCHI_SEND_CONCURRENCY"):
            values["send_concurrency"] = positive_int(
                env["MADOGUCHI_SEND_CONCURRENCY"], "MADOGUCHI_SEND_CONCURRENCY"
            )
        for name in (
            "conversation_idle",
            "console_idle",
            "checkin_remind_after",
            "checkin_escalate_after",
            "sla_warn_before",
            "outbox_lease",
            "offer_wait",
        ):
            raw = env.get(f"MADOGUCHI_{name.upper()}")
            if raw:
                values[name] = parse_duration(raw)
        # Retention: MADOGUCHI_KEEP_INBOX_EVENTS, _OUTBOX, _ATTACHMENTS, _CLOSED_TICKETS, _AUDIT.
        kept = {
            kind: parse_duration(env[f"MADOGUCHI_KEEP_{kind.upper()}"])
            for kind in RETENTION_KINDS
            if env.get(f"MADOGUCHI_KEEP_{kind.upper()}")
        }
        values["retention"] = Retention(**kept)
        return cls(**values)


def half_credentials(missing: str) -> str:
    given = SECRET_VARIABLE if missing == TOKEN_VARIABLE else TOKEN_VARIABLE
    return (
        f"{missing} is not set, but {given} is: set both (from the LINE Developers console), "
        "or neither to run the local simulator with `madoguchi serve`."
    )


def positive_int(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, not {text!r}")
    return value


def one_of(text: str, choices: tuple[str, ...], name: str) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {text!r}")
    return value


def basic_id(text: str) -> str:
    """The account's LINE ID as LINE writes it, with its @ (people often leave it off)."""
    text = text.strip()
    return f"@{text.removeprefix('@')}" if text else ""
