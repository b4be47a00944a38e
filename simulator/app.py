"""The simulator as a Flask blueprint (for the bot's own app) or as a standalone app."""

from typing import Any

from flask import Blueprint, Flask

from simulator.chat_page import create_chat_page_blueprint
from simulator.control_api import create_control_blueprint
from simulator.line_api import create_line_api_blueprint
from simulator.state import SimulatorState


def create_blueprint(state: SimulatorState) -> Blueprint:
    """Return the simulator's routes, to be registered with `url_prefix="/simulator"`."""
    blueprint = Blueprint("simulator", __name__)
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
    app.register_blueprint(create_blueprint(state), url_prefix="/simulator")
    return app
