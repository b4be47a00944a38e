"""Fetching what residents sent into ticket threads from LINE, before LINE lets it go.

A few pending attachments are claimed in one short transaction, fetched with no transaction
open (a slow LINE must not hold rows or connections), and settled in another. A fetch that
fails is tried again later and marked failed after a few tries; nothing else waits for it.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.gateway import Gateway
from storage import attachments
from storage.db import Database

log = logging.getLogger(__name__)

# Attachments claimed per round; a round runs with each scheduler sweep.
BATCH = 5


def fetch_due(db: Database, gateway: Gateway, clock: Clock, batch: int = BATCH) -> int:
    """Fetch and store up to `batch` pending attachments; returns how many were tried."""
    with db.transaction() as session:
        claimed = attachments.claim_due(session, clock.now(), batch)
    for attachment_id, message_id in claimed:
        try:
            fetched = gateway.message_content(message_id)
        except Exception:
            # Whatever went wrong, the row is settled below and the others still get their turn.
            log.exception("fetching attachment %s failed", attachment_id)
            fetched = None
        with db.transaction() as session:
            if fetched is None:
                attachments.missed(session, attachment_id, clock.now())
            else:
                content, content_type = fetched
                attachments.store(session, attachment_id, content, content_type, clock.now())
    return len(claimed)
