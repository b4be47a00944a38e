"""What the web app and the worker share: settings, database, clock, signature check, wake-up,
and the flow steps the console runs for staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from linebot.v3.webhook import SignatureValidator

from bot.clock import Clock
from bot.group_commit import InboxWriter
from bot.resident_actions import ResidentActions
from bot.settings import Settings
from console.context import EXTENSION
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    signature: SignatureValidator
    inbox_writer: InboxWriter
    wake: Callable[[], None] = field(default=lambda: None)
    # Console sign-ins last in real time: moving the demo's clock forward 3 h to see a
    # reminder go out must not sign staff out. Tests that move time move this one too.
    session_clock: Clock = field(default_factory=Clock)
    # Staff actions the console runs as flow steps (console.context.ResidentActions).
    resident_actions: ResidentActions = field(default_factory=ResidentActions)
    # The link (and QR code) that opens the chat with 生活応援隊 typed in, for the council's
    # leaflets; empty without the account's LINE ID (LINE_BOT_BASIC_ID).
    supporter_sign_up_link: str = ""


def services(app: Flask) -> Services:
    return app.extensions[EXTENSION]
