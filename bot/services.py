"""What the web app and the worker share: settings, database, clock, signature check, wake-up,
and the flow steps the console runs for staff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from linebot.v3.webhook import SignatureValidator
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.group_commit import InboxWriter
from bot.resident_actions import WatchActions
from bot.settings import Settings
from console.context import EXTENSION
from flows import supporter_offers
from storage.db import Database
from storage.models import HelpOffer, HelpRequest, Supporter

OfferHelp = Callable[[Session, HelpRequest, Sequence[Supporter], datetime], list[HelpOffer]]


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
    resident_actions: WatchActions = field(default_factory=WatchActions)
    # The console's 声をかける: puts a 生活応援隊 request to supporters and sends each the LINE
    # offer (flows' own step, handed over so the console imports no flows).
    offer_help: OfferHelp = field(default=supporter_offers.send)


def services(app: Flask) -> Services:
    return app.extensions[EXTENSION]
