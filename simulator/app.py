"""The simulator as a Flask blueprint (for the bot's own app) or as a standalone app."""

import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from simulator.chat_page import create_chat_page_blueprint
from simulator.control_api import create_control_blueprint
from simulator.line_api import create_line_api_blueprint
from simulator.state import SimulatorState

# Where `madoguchi serve` keeps the simulator's people: its instance folder, beside the bot's
# database (MADOGUCHI_INSTANCE_PATH, as the bot reads it), so both remember the same user ids.
PERSONAS_FILE = "simulator_personas.json"


def personas_file() -> Path:
    return Path(os.environ.get("MADOGUCHI_INSTANCE_PATH", "instance")) / PERSONAS_FILE


def create_blueprint(state: SimulatorState, *, keep_personas: bool = True) -> Blueprint:
    """Return the simulator's routes, to be registered with `url_prefix="/simulator"`.

    Mounted on the bot's own app, the people are kept in the instance folder (unless the state
    keeps them elsewhere already), so a restart finds them again."""
    blueprint = Blueprint("simulator", __name__)
    if keep_personas:

        def keep(_setup: object) -> None:
            if state.personas_file is None:
                state.keep_personas_in(personas_file())

        blueprint.record_once(keep)
    blueprint.register_blueprint(create_line_api_blueprint(state), url_prefix="/line")
    blueprint.register_blueprint(create_control_blueprint(state), url_prefix="/control")
    blueprint.register_blueprint(create_chat_page_blueprint())
    return blueprint


def create_app(state: SimulatorState | None = None, **state_kwargs: Any) -> Flask:
    """Return a standalone app serving the simulator under `/simulator`.

    Pass a `SimulatorState`, or the arguments to make one.
    """
    if state is None:
        state = SimulatorState(**state_kwargs)
    elif state_kwargs:
        raise TypeError("pass either a SimulatorState or the arguments to make one, not both")
    app = Flask(__name__)
    # Kept on the app so whoever starts it can reach the state it serves.
    app.extensions["simulator_state"] = state
    # Standalone (tests, benchmarks), the people live in memory only, unless the state
    # was given a file.
    app.register_blueprint(create_blueprint(state, keep_personas=False), url_prefix="/simulator")
    return app
