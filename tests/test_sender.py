"""The outbox sender's rules: reply or push, never twice, retry what may succeed later."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fakes import ScriptedGateway
from line_spec import validate_api_request
from sqlalchemy import select

from bot import owners
from bot.clock import Clock
from bot.gateway import Outcome, Result
from bot.sender import Sender
from bot.settings import Settings
from storage import outbox, residents
from storage.db import Database
from storage.models import OutboxMessage

USER = "U" + "b" * 32
HELLO = [{"kind": "text", "body": "こんにちは"}]


def queue(
    db: Database,
    clock: Clock,
    reply: bool = True,
    fresh: bool = True,
    messages: list | None = None,
    to: str = USER,
) -> int:
    with db.transaction() as session:
        now = clock.now()
        rows = outbox.enqueue(
            session,
            to,
            messages or HELLO,
            now,
            reply_token="token-1" if reply else None,
            reply_until=now + (timedelta(seconds=50) if fresh else -timedelta(seconds=1)),
        )
        return rows[0].id


def row(db: Database, row_id: int) -> OutboxMessage:
    with db.transaction() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def sender(db: Database, clock: Clock, gateway: ScriptedGateway) -> Sender:
    return Sender(db, gateway, clock, rng=random.Random(1))


def drain(db: Database, clock: Clock, gateway: ScriptedGateway, passes: int = 10) -> None:
    """Run the sender until nothing is due, moving the clock past each backoff."""
    the_sender = sender(db, clock, gateway)
    for _ in range(passes):
        the_sender.send_due()
        clock.advance(timedelta(minutes=6))


def test_a_fresh_reply_token_is_used_and_costs_no_push(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway()
    row_id = queue(db, clock)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["reply"]
    assert (row(db, row_id).status, row(db, row_id).via) == ("sent", "reply")


def test_a_stale_token_is_never_tried_and_the_message_is_pushed(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway()
    row_id = queue(db, clock, fresh=False)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["push"]
    assert gateway.calls[0].retry_key == row(db, row_id).retry_key


def test_a_token_refused_on_its_first_try_falls_back_to_push(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway().then(Outcome.INVALID_REPLY_TOKEN)
    row_id = queue(db, clock)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["reply", "push"]
    assert row(db, row_id).status == "sent"


def test_an_ambiguous_reply_is_retried_with_the_same_token_and_never_pushed(
    db: Database, clock: Clock
) -> None:
    # The first reply timed out (it may have landed); the retry is told the token is used.
    gateway = ScriptedGateway().then(Outcome.RETRY, Outcome.INVALID_REPLY_TOKEN)
    row_id = queue(db, clock)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["reply", "reply"]
    assert gateway.calls[0].to == gateway.calls[1].to == "token-1"
    assert row(db, row_id).status == "sent"


def test_a_reply_attempt_counted_before_a_crash_is_never_pushed(db: Database, clock: Clock) -> None:
    row_id = queue(db, clock)
    with db.transaction() as session:
        # What a process killed during the reply call leaves behind.
        found = session.get(OutboxMessage, row_id)
        found.reply_attempts = 1
        found.reply_until = clock.now() - timedelta(seconds=1)
    gateway = ScriptedGateway().then(Outcome.INVALID_REPLY_TOKEN)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["reply"]
    assert row(db, row_id).status == "sent"


def test_push_409_means_delivered_before(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway().then(Outcome.RETRY, Outcome.ALREADY_ACCEPTED)
    row_id = queue(db, clock, reply=False)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["push", "push"]
    assert gateway.calls[0].retry_key == gateway.calls[1].retry_key
    assert row(db, row_id).status == "sent"


def test_5xx_backs_off_exponentially_and_honours_retry_after(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway().then(Result(Outcome.RETRY, status=500))
    row_id = queue(db, clock, reply=False)
    the_sender = sender(db, clock, gateway)
    the_sender.send_due()
    first = row(db, row_id)
    assert first.status == "pending" and first.attempts == 1
    first_wait = first.available_at - clock.now()
    assert timedelta(seconds=0.4) <= first_wait <= timedelta(seconds=0.7)
    the_sender.send_due()  # not due yet: nothing is sent
    assert gateway.endpoints == ["push"]
    clock.advance(first_wait)
    gateway.then(Result(Outcome.RETRY, status=503))
    the_sender.send_due()
    second_wait = row(db, row_id).available_at - clock.now()
    assert timedelta(seconds=0.9) <= second_wait <= timedelta(seconds=1.3)
    clock.advance(second_wait)
    gateway.then(Result(Outcome.RETRY, status=429, retry_after=30))
    the_sender.send_due()
    assert row(db, row_id).available_at - clock.now() >= timedelta(seconds=29)
    assert gateway.endpoints == ["push", "push", "push"]


def test_a_rejected_message_fails_without_retrying(db: Database, clock: Clock) -> None:
    gateway = ScriptedGateway().then(Result(Outcome.REJECTED, status=400, reason="bad"))
    row_id = queue(db, clock, reply=False)
    drain(db, clock, gateway)
    assert gateway.endpoints == ["push"]
    assert row(db, row_id).status == "failed"


def test_what_flows_wrote_goes_to_line_in_lines_format(db: Database, clock: Clock) -> None:
    tap = {"label": "はい", "postback": '{"flow":"language","ev":"chosen","v":"ja"}'}
    queue(
        db, clock, messages=[{"kind": "text", "body": "日本語でよろしいですか？", "buttons": [tap]}]
    )
    gateway = ScriptedGateway()
    drain(db, clock, gateway)
    (call,) = gateway.calls
    assert call.messages == [
        {
            "type": "text",
            "text": "日本語でよろしいですか？",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {
                            "type": "postback",
                            "label": "はい",
                            "data": tap["postback"],
                            "displayText": "はい",
                        },
                    }
                ]
            },
        }
    ]
    validate_api_request(
        "POST", "/v2/bot/message/reply", {"replyToken": "0" * 32, "messages": call.messages}
    )


def test_a_row_queued_in_lines_format_before_an_upgrade_still_goes(
    db: Database, clock: Clock
) -> None:
    # Rows written by the release before message values held LINE's JSON.
    written_before = [{"type": "text", "text": "こんにちは"}]
    row_id = queue(db, clock, messages=written_before)
    gateway = ScriptedGateway()
    drain(db, clock, gateway)
    assert [call.messages for call in gateway.calls] == [written_before]
    assert row(db, row_id).status == "sent"


def test_cards_line_would_refuse_for_their_size_fail_and_are_not_retried(
    db: Database, clock: Clock
) -> None:
    huge = {"text": "あ" * 12_000, "style": "plain"}
    cards = {"kind": "cards", "alt": "サロン", "cards": [{"lines": [huge], "buttons": []}]}
    row_id = queue(db, clock, reply=False, messages=[cards])
    gateway = ScriptedGateway()
    drain(db, clock, gateway)
    assert gateway.calls == []
    assert (row(db, row_id).status, row(db, row_id).last_error) == ("failed", "too large")


def test_a_resident_who_blocked_the_account_gets_no_push(db: Database, clock: Clock) -> None:
    with db.transaction() as session:
        resident, _ = residents.get_or_create(session, USER, clock.now())
        resident.following = False
    gateway = ScriptedGateway()
    row_id = queue(db, clock, reply=False)
    drain(db, clock, gateway)
    assert gateway.calls == []
    assert row(db, row_id).status == "dropped"


def test_more_than_five_messages_go_in_order_reply_first(db: Database, clock: Clock) -> None:
    messages = [{"kind": "text", "body": str(n)} for n in range(7)]
    queue(db, clock, messages=messages)
    gateway = ScriptedGateway()
    drain(db, clock, gateway)
    assert gateway.endpoints == ["reply", "push"]
    sent = [m["text"] for call in gateway.calls for m in call.messages]
    assert sent == [str(n) for n in range(7)]


def test_a_chats_later_message_waits_for_an_earlier_one_in_backoff(
    db: Database, clock: Clock
) -> None:
    first = queue(db, clock, reply=False, messages=[{"type": "text", "text": "1"}])
    second = queue(db, clock, reply=False, messages=[{"type": "text", "text": "2"}])
    gateway = ScriptedGateway().then(Outcome.RETRY)
    sender(db, clock, gateway).send_due()
    assert row(db, second).status == "pending" and len(gateway.calls) == 1
    drain(db, clock, gateway)
    assert [call.messages[0]["text"] for call in gateway.calls] == ["1", "1", "2"]
    assert row(db, first).status == row(db, second).status == "sent"


@pytest.mark.parametrize("lease_expired", [False, True])
def test_a_leased_row_is_not_sent_twice_until_its_lease_expires(
    db: Database, clock: Clock, lease_expired: bool
) -> None:
    row_id = queue(db, clock, reply=False)
    with db.transaction() as session:
        claimed = outbox.claim_due(session, clock.now(), timedelta(seconds=60))
        assert [r.id for r in claimed] == [row_id]
    if lease_expired:
        clock.advance(timedelta(seconds=61))
    with db.transaction() as session:
        again = outbox.claim_due(session, clock.now(), timedelta(seconds=60))
        assert [r.id for r in again] == ([row_id] if lease_expired else [])
    with db.transaction() as session:
        assert session.scalars(select(OutboxMessage)).one().status == "pending"


class GatedGateway(ScriptedGateway):
    """Answers at once, except pushes to `held`, which wait until `release` is set; calls come
    from several threads, so they are recorded under a lock."""

    def __init__(self, held: str = "", delay: float = 0.0) -> None:
        super().__init__()
        self.held = held
        self.delay = delay
        self.release = threading.Event()
        self.lock = threading.Lock()

    def push(
        self, to: str, messages: list[dict[str, Any]], retry_key: str, quiet: bool = False
    ) -> Result:
        if to == self.held:
            self.release.wait(10)
        time.sleep(self.delay * random.random())
        with self.lock:
            return super().push(to, messages, retry_key, quiet)


@contextmanager
def sending(the_sender: Sender) -> Iterator[threading.Event]:
    """The sender's loop on a thread, as `madoguchi sender` runs it; stopped at the end."""
    stop, wake = threading.Event(), threading.Event()
    thread = threading.Thread(target=the_sender.run_until, args=(stop, wake, 0.05))
    thread.start()
    try:
        yield wake
    finally:
        stop.set()
        wake.set()
        thread.join(15)
        assert not thread.is_alive(), "the sender did not stop"


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_slow_call_holds_up_nobody_else(db: Database, clock: Clock) -> None:
    slow, quick = "U" + "1" * 32, "U" + "2" * 32
    held = queue(db, clock, reply=False, to=slow)
    others = [queue(db, clock, reply=False, to=quick) for _ in range(3)]
    gateway = GatedGateway(held=slow)
    with sending(sender(db, clock, gateway)):
        # LINE has not answered for the first resident, and the second's three went anyway.
        wait_until(lambda: all(row(db, other).status == "sent" for other in others))
        assert row(db, held).status == "pending"
        gateway.release.set()
        wait_until(lambda: row(db, held).status == "sent")


def test_many_chats_at_once_each_in_its_own_order(db: Database, clock: Clock) -> None:
    chats = [f"U{n:032d}" for n in range(12)]
    for number in range(4):
        for chat in chats:
            queue(db, clock, reply=False, to=chat, messages=[{"type": "text", "text": str(number)}])
    gateway = GatedGateway(delay=0.02)
    the_sender = Sender(db, gateway, clock, rng=random.Random(1), concurrency=8)
    with sending(the_sender):
        wait_until(lambda: len(gateway.calls) == 48)
    for chat in chats:
        texts = [call.messages[0]["text"] for call in gateway.calls if call.to == chat]
        assert texts == ["0", "1", "2", "3"]
    with db.transaction() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sent"}


def test_a_killed_senders_rows_go_out_at_once_when_a_sender_starts(
    db: Database, clock: Clock
) -> None:
    """Its leases name it; it is gone, so they are released instead of waited out."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    holders = {
        "U" + "d" * 32: f"{host}:{gone.pid}:1",  # killed: released at once
        "U" + "a" * 32: owners.this_process(),  # still running (this test): waits
        "U" + "e" * 32: "another-host:1:1",  # cannot be checked from here: waits
    }
    ids = {}
    for user, holder in holders.items():
        ids[user] = queue(db, clock, reply=False, to=user)
        with db.transaction() as session:
            outbox.claim_due(session, clock.now(), timedelta(seconds=25), 1, holder)
    gateway = ScriptedGateway()
    the_sender = sender(db, clock, gateway)
    the_sender.release_dead()
    the_sender.send_due()
    assert [call.to for call in gateway.calls] == ["U" + "d" * 32]
    clock.advance(timedelta(seconds=26))  # the others' leases run out
    the_sender.send_due()
    assert {row(db, row_id).status for row_id in ids.values()} == {"sent"}


def test_a_sender_killed_while_another_runs_has_its_rows_taken_over_soon(
    db: Database, clock: Clock
) -> None:
    """Two senders share the load; one is killed: the other takes over its rows within
    seconds, not when their 25 s leases run out."""
    gateway = ScriptedGateway()
    the_sender = sender(db, clock, gateway)
    # The lease must be taken after the sender's release at start, or that release (not the
    # periodic one this test is about) frees it: on a loaded machine the thread starts late.
    released_at_start = threading.Event()
    release_dead = the_sender.release_dead

    def release_and_tell() -> None:
        release_dead()
        released_at_start.set()

    the_sender.release_dead = release_and_tell  # type: ignore[method-assign]
    with sending(the_sender) as wake:
        assert released_at_start.wait(10)
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        row_id = queue(db, clock, reply=False)
        with db.transaction() as session:
            holder = f"{socket.gethostname()}:{gone.pid}:1"
            outbox.claim_due(session, clock.now(), timedelta(seconds=25), 1, holder)
        wake.set()
        time.sleep(0.2)
        assert gateway.calls == []  # leased by the killed sender: not yet looked at again
        clock.advance(timedelta(seconds=6))
        wake.set()
        wait_until(lambda: row(db, row_id).status == "sent")
    assert len(gateway.calls) == 1


def test_a_sender_killed_and_not_yet_reaped_is_dead() -> None:
    """kill -9 of `serve` and its children leaves the children zombies for a moment: a sender
    restarted in that moment must still release their leases, not wait them out."""
    program = "import os, time\nprint(os.fork() or 0, flush=True)\ntime.sleep(30)"
    with subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE) as parent:
        assert parent.stdout is not None
        # The parent prints the child's pid, the child 0, in either order.
        child = max(int(parent.stdout.readline()), int(parent.stdout.readline()))
        holder = f"{socket.gethostname()}:{child}:{owners._started(child)}"
        try:
            assert not owners.is_dead(holder)
            os.kill(child, signal.SIGKILL)
            wait_until(lambda: (owners._stat(child) or (b"",))[0] == b"Z")
            assert owners.is_dead(holder)  # a zombie: its parent is alive and not reaping it
        finally:
            parent.kill()


def test_a_lease_lasts_as_long_as_its_calls_may_take(db: Database, clock: Clock) -> None:
    settings = Settings(api_timeout=4.0)
    row_id = queue(db, clock, reply=False)
    the_sender = Sender(db, GatedGateway(), clock, lease=settings.send_lease)
    before = clock.now()
    _, calls = the_sender._record_and_lease([], 1)
    leased = row(db, row_id)
    # A refused reply and then a push, each up to the timeout, and a margin: 13 s, not a minute.
    assert timedelta(seconds=13) <= leased.lease_until - before < timedelta(seconds=14)
    assert leased.lease_owner == owners.this_process()
    assert [call.row_id for call in calls] == [row_id]
