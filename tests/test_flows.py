"""Every flow's machine: each transition fires, and each callback name resolves on its model."""

from __future__ import annotations

import pytest

from flows import catalog, engine


@pytest.mark.parametrize("name", sorted(catalog.BY_NAME))
def test_every_callback_name_resolves_on_the_model(name: str) -> None:
    flow = catalog.BY_NAME[name]
    for event in flow.machine.events.values():
        for transitions in event.transitions.values():
            for transition in transitions:
                names = [*transition.prepare, *transition.before, *transition.after]
                names += [condition.func for condition in transition.conditions]
                for callback in names:
                    if isinstance(callback, str):
                        assert callable(getattr(flow.model_class, callback, None)), (
                            f"{name}: {event.name} names {callback!r}, which the model lacks"
                        )


@pytest.mark.parametrize("name", sorted(catalog.BY_NAME))
def test_every_state_is_reachable_and_the_flow_can_finish(name: str) -> None:
    flow = catalog.BY_NAME[name]
    reached = {flow.states[0], *flow.other_entries}
    frontier = list(reached)
    while frontier:
        state = frontier.pop()
        for event in flow.machine.events.values():
            for transition in event.transitions.get(state, []):
                if transition.dest and transition.dest not in reached:
                    reached.add(transition.dest)
                    frontier.append(transition.dest)
    assert reached == set(flow.states)
    assert engine.FINAL in reached
