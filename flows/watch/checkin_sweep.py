"""The scheduler's handlers for watch-over deadlines: check-ins due, reminders, escalations,
pauses ending, weekly summaries. The scheduler has already marked each claimed deadline
fired in the same transaction; a handler re-arms the ones that come round again.

Check-ins come due by the thousand at 8:00, so their handler works in bulk: the enrolments
of a batch are read in one query, grouped by schedule and circumstance; the rounds that meet
the same fate go through the machine's `send` or `skip` together; and rounds, reminders and
next check-ins are written by a few set-based statements. Identical check-ins go out
together: one multicast row per language and 500 people.

Check-ins are made ahead (`make_ahead`): the scheduler fires their deadlines up to a minute
early, and the multicast waits in the outbox until the round's time, so 8:00's check-ins
leave at 8:00 however many there are. Until then the round is not open: an answer or a sign
of life does not count for it, and a pause, a stop, a block or a new schedule withdraws it
(flows/watch/checkin.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session
from transitions import EventData

from flows.watch import alerts, words
from flows.watch.checkin import Step, Timings, fire, model_of
from storage import deadlines, outbox
from storage.deadlines import Due
from storage.watch import enrolments, linking, rounds
from storage.watch.rounds import DueCheckins
from storage.watch.schedules import ESCALATE, REMIND, RESUME, ROUND, WEEKLY

Handler = Callable[[Session, list[Due], datetime], None]


class NewRounds:
    """The machine's model for the rounds of a batch that meet one fate: all sent, or all
    skipped for the same reason.

    The fate of a round being made depends only on its reason to skip, so the machine decides
    once per group and the group is written with a statement or two, not a row at a time.
    """

    def __init__(self, step: Step, send_at: datetime, remind_after: timedelta | None) -> None:
        self.step = step
        self.send_at = send_at
        self.remind_after = remind_after
        self.checkins: list[DueCheckins] = []
        self.state = "due"
        self.sent_at: datetime | None = None
        self.skip_reason: str | None = None

    def checkin_sent(self, event: EventData) -> None:
        self.sent_at = self.send_at
        for checkins in self.checkins:
            self.step.checkins[checkins.language, self.send_at].extend(checkins.line_user_ids)

    def record_skip(self, event: EventData) -> None:
        self.skip_reason = event.kwargs["reason"]

    def write(self) -> None:
        """The rounds, and for sent ones their reminders, each group in one INSERT … SELECT."""
        session, now = self.step.session, self.step.now
        ids = [deadline_id for checkins in self.checkins for deadline_id in checkins.deadline_ids]
        round_rows = rounds.make_rounds(
            session,
            ids,
            state=self.state,
            sent_at=self.sent_at,
            skip_reason=self.skip_reason,
            now=now,
        )
        if self.state == "sent" and self.remind_after is not None:
            rounds.schedule_reminders(session, round_rows, self.send_at + self.remind_after, now)


def make_ahead(sweep_every: timedelta) -> timedelta:
    """How early check-ins are made: four sweeps (100,000 take a few seconds to make), at most
    a minute, so that what decides a round (a pause, an open round) is as of its time."""
    return min(sweep_every * 4, timedelta(minutes=1))


def fire_rounds(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    """Make each due round, send it or skip it, and set the enrolment's next check-in.

    A round made ahead of its time is sent at its time: its check-in waits in the outbox, and
    its reminder counts from then.
    """
    step = Step(session, now, timings)
    next_due: dict[int, datetime] = {}
    fates: dict[tuple[str | None, timedelta | None, datetime], NewRounds] = {}
    for checkins in rounds.due_checkins(session, batch):
        if checkins.status == "ended":
            continue  # stays fired: no more check-ins
        # The next one is set from this one's scheduled time, so no scheduled round is skipped
        # after a clock jump or an outage: each comes due in turn and is sent or recorded.
        next_time = checkins.schedule().next_due(checkins.due_at)
        next_due.update(dict.fromkeys(checkins.deadline_ids, next_time))
        if checkins.made:
            continue  # made before (the schedule was moved back onto it): never twice
        reason = _reason_to_skip(checkins)
        remind_after = None if reason else timings.remind(checkins)
        send_at = max(now, checkins.due_at)
        fate = fates.get((reason, remind_after, send_at))
        if fate is None:
            fate = fates[reason, remind_after, send_at] = NewRounds(step, send_at, remind_after)
        fate.checkins.append(checkins)
    for (reason, _, _), fate in fates.items():
        if reason:
            fire(fate, "skip", reason=reason)
        else:
            fire(fate, "send")
        fate.write()
    _queue_checkins(step)
    # Last: the rounds and reminders above were made from these deadlines' current due times.
    deadlines.rearm_each(session, next_due, now)


def _reason_to_skip(checkins: DueCheckins) -> str | None:
    if checkins.status == "paused":
        return "paused"
    if not checkins.following:
        return "blocked"
    if checkins.waiting:
        # The last check-in is still waiting for its answer and has its own reminder coming.
        return "open"
    return None


def _queue_checkins(step: Step) -> None:
    """Identical check-ins go out together: one multicast row per language and 500 people."""
    for (language, send_at), recipients in step.checkins.items():
        message = words.checkin(language)
        for start in range(0, len(recipients), outbox.MAX_MULTICAST_RECIPIENTS):
            chunk = recipients[start : start + outbox.MAX_MULTICAST_RECIPIENTS]
            outbox.enqueue_multicast(step.session, chunk, [message], step.now, send_at)


def fire_reminders(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    """The wait is over and no answer came: ask once more, and set the escalation."""
    step = Step(session, now, timings)
    for deadline in batch:
        row = rounds.lock_round(session, deadline.subject_id)
        if row is not None and fire(model_of(step, row), "remind"):
            escalate_at = now + timings.escalate(row.enrolment)
            deadlines.rearm(session, [deadline.id], escalate_at, now, kind=ESCALATE)


def fire_escalations(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        row = rounds.lock_round(session, deadline.subject_id)
        if row is not None:
            fire(model_of(step, row), "escalate")


def fire_resumes(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        enrolment = enrolments.lock_enrolment(session, deadline.subject_id)
        if enrolment is None or enrolment.status != "paused":
            continue
        enrolments.resume(session, enrolment, now)
        alerts.tell_everyone(step, enrolment, alerts.resumed_words)


def fire_weekly_summaries(
    session: Session, batch: list[Due], now: datetime, timings: Timings
) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        link = linking.family_link(session, deadline.subject_id)
        if link is None or link.status != "linked" or link.summary != "weekly":
            continue
        deadlines.rearm(session, [deadline.id], linking.next_weekly_summary(deadline.due_at), now)
        if link.enrolment.is_running:
            step.tell(link.family, alerts.weekly_summary(step, link), quiet=True)


# Handlers that work a row at a time, and how many of their deadlines go in one transaction
# (check-ins are made in bulk and take the scheduler's full batch).
BATCH_SIZES = {REMIND: 50, ESCALATE: 20, RESUME: 50, WEEKLY: 50}


def handlers(timings: Timings) -> dict[str, Handler]:
    """The scheduler's handler per deadline kind, bound to the settings' waits."""
    table = {
        ROUND: fire_rounds,
        REMIND: fire_reminders,
        ESCALATE: fire_escalations,
        RESUME: fire_resumes,
        WEEKLY: fire_weekly_summaries,
    }
    return {kind: partial(handler, timings=timings) for kind, handler in table.items()}
