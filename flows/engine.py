"""The conversation engine: one module-level `transitions` machine per flow, state in the database.

A flow is data (states and transitions) plus two questions the engine asks it: what event does
this input mean here, and what do we ask in this state. The engine fires the event on the flow's
shared machine with a throw-away model bound to this turn, then saves the state back to the row.
Every turn runs inside the caller's database transaction, which is the rollback if anything fails.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session
from transitions import Machine

import locales
from flows.inputs import UserInput
from flows.messages import Message
from flows.moment import Moment
from flows.replies import odd_input, resume_choice, resume_offer
from storage import residents
from storage.models import Conversation, Resident

FINAL = "done"
# Set in a conversation's data while it waits for "continue or start again?" after a long pause.
PAUSED = "_paused"


@dataclass
class Turn(Moment):
    """One resident's event being handled: who, when, and what we will say back."""

    resident: Resident
    conversation: Conversation
    idle_after: timedelta
    # Every flow by name (flows.catalog.BY_NAME): where the conversation's flow is found.
    flows: Mapping[str, Flow]
    out: list[Message] = field(default_factory=list)
    # Set when danger was answered in this turn (numbers, or the safety question).
    alarmed: bool = False
    # The account's LINE ID ("@…"), when the settings give it.
    basic_id: str = ""

    def _(self, message: str, /, **params: object) -> str:
        """Translate into the resident's language as it is now (a flow may just have changed it)."""
        return locales.gettext(self.resident.language, message, **params)

    def say(self, *messages: Message) -> None:
        self.out.extend(messages)


class FlowModel:
    """The per-turn model the shared machine acts on; flows subclass it with their callbacks."""

    def __init__(self, turn: Turn, state: str) -> None:
        self.turn = turn
        self.state = state
        # The flow's answers, as a copy: a JSON column notices only a new value (not changes
        # inside the loaded one, which an autoflush mid-step may already have taken as saved),
        # so the engine stores this back whole once the step has moved.
        self.data: dict[str, Any] = copy.deepcopy(turn.conversation.data)


class Flow:
    """A conversation flow; subclasses set `name`, `states`, `transitions`, `model_class`."""

    name: ClassVar[str]
    states: ClassVar[list[str]]
    transitions: ClassVar[list[dict[str, Any]]]
    model_class: ClassVar[type[FlowModel]] = FlowModel
    machine: ClassVar[Machine]
    # A flow worth keeping over a long pause (a half-written consultation) offers to go on
    # instead of starting over, for this long after its last step; None starts over.
    resumable_for: ClassVar[timedelta | None] = None
    # States where whatever is typed is the answer itself (free writing, a phone number), so a
    # message that happens to be a menu word is not taken as a menu choice there.
    free_text_states: ClassVar[frozenset[str]] = frozenset()
    # States besides the first that `start` may begin in (with what is known already).
    other_entries: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # One machine per flow, shared by every resident (~8 µs a turn, no per-user memory).
        cls.machine = Machine(
            model=None,
            states=cls.states,
            transitions=cls.transitions,
            initial=cls.states[0],
            send_event=True,
            auto_transitions=False,
        )

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        """The event this input means in the model's state, with its arguments; None if none."""
        raise NotImplementedError

    def ask(self, model: FlowModel) -> list[Message]:
        """The question for the model's state, with its buttons."""
        raise NotImplementedError


def flow_of(turn: Turn) -> Flow | None:
    """The flow the resident's conversation is in, if any."""
    return turn.flows.get(turn.conversation.flow or "")


def start(
    turn: Turn, flow: Flow, state: str | None = None, data: dict[str, Any] | None = None
) -> None:
    """Begin `flow` from its first state (or `state`, with what is known in `data`) and ask
    that state's question."""
    conversation = turn.conversation
    conversation.flow = flow.name
    if state is not None and state not in flow.other_entries:
        raise ValueError(f"{flow.name} cannot start in {state}")
    conversation.state = state or flow.states[0]
    conversation.data = dict(data or {})
    conversation.updated_at = turn.now
    turn.say(*flow.ask(flow.model_class(turn, conversation.state)))


def advance(turn: Turn, given: UserInput) -> None:
    """Feed the input to the active flow; unexpected input re-asks and leaves the state alone."""
    conversation = turn.conversation
    flow = turn.flows[conversation.flow or ""]
    model = flow.model_class(turn, conversation.state or flow.states[0])
    if is_paused(turn):
        _resume(turn, flow, model, given)
        return
    meaning = flow.interpret(model, given)
    moved = False
    if meaning is not None:
        event, arguments = meaning
        trigger = flow.machine.events.get(event)
        if trigger is not None and model.state in trigger.transitions:
            moved = trigger.trigger(model, **arguments)
    if not moved:
        # After an emergency answer, a "sorry, we could not use that" would be cold: just re-ask.
        sorry = [] if turn.alarmed else [odd_input(turn, given, in_flow=True)]
        turn.say(*sorry, *flow.ask(model))
        conversation.updated_at = turn.now
        return
    if conversation.flow != flow.name:
        # The step handed the conversation to another flow (`start` in a callback, as a filed
        # consultation hands on to 生活応援隊): that flow holds it now and has asked.
        return
    conversation.state = model.state
    conversation.data = model.data
    conversation.updated_at = turn.now
    if model.state == FINAL:
        finish(turn)
    else:
        turn.say(*flow.ask(model))


def ask_again(turn: Turn) -> None:
    """Repeat the active flow's question with its buttons, after something else was answered
    in between (a safety question); a flow held over a long pause offers to continue instead."""
    conversation = turn.conversation
    flow = flow_of(turn)
    if flow is None:
        return
    if is_paused(turn):
        turn.say(resume_offer(turn))
        return
    turn.say(*flow.ask(flow.model_class(turn, conversation.state or flow.states[0])))


def finish(turn: Turn) -> None:
    conversation = turn.conversation
    conversation.flow = None
    conversation.state = None
    conversation.data = {}
    conversation.updated_at = turn.now


def is_idle(turn: Turn) -> bool:
    conversation = turn.conversation
    return conversation.flow is not None and turn.now - conversation.updated_at > turn.idle_after


def forget_left_flows(
    session: Session, now: datetime, idle_after: timedelta, flows: Iterable[Flow]
) -> int:
    """Forget what residents answered in flows they left and can no longer go on with.

    A half-written consultation can hold health, disability or money; once it can neither be
    continued nor sent, nobody may read it, so it is not kept.
    """
    forgotten = 0
    for flow in flows:
        kept_for = max(idle_after, flow.resumable_for or idle_after)
        forgotten += residents.forget_answers(session, flow.name, now - kept_for)
    return forgotten


def can_resume(turn: Turn) -> bool:
    """Whether the idle flow is one that offers to go on, and is still within its time for that."""
    conversation = turn.conversation
    flow = flow_of(turn)
    if flow is None or flow.resumable_for is None:
        return False
    return turn.now - conversation.updated_at <= flow.resumable_for


def pause(turn: Turn) -> None:
    """Hold the flow where it was; its next input is first asked "continue or start again?"."""
    conversation = turn.conversation
    conversation.data = {**conversation.data, PAUSED: True}
    conversation.updated_at = turn.now


def is_paused(turn: Turn) -> bool:
    return bool(turn.conversation.data.get(PAUSED))


def understands(turn: Turn, given: UserInput) -> bool:
    """Whether the active flow can use this input where it is (an answer, a typed label)."""
    conversation = turn.conversation
    flow = flow_of(turn)
    if flow is None or is_paused(turn):
        return False
    model = flow.model_class(turn, conversation.state or flow.states[0])
    return flow.interpret(model, given) is not None


def takes_free_text(turn: Turn) -> bool:
    conversation = turn.conversation
    flow = flow_of(turn)
    return flow is not None and conversation.state in flow.free_text_states


def _resume(turn: Turn, flow: Flow, model: FlowModel, given: UserInput) -> None:
    conversation = turn.conversation
    conversation.updated_at = turn.now
    choice = resume_choice(given)
    if choice == "continue":
        conversation.data = {k: v for k, v in conversation.data.items() if k != PAUSED}
        turn.say(*flow.ask(model))
    elif choice == "restart":
        start(turn, flow)
    else:
        turn.say(resume_offer(turn))
