"""The bot and the simulator as separate servers talking real HTTP, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from bot.app import create_app
from bot.clock import Clock
from bot.gateway import LineGateway
from bot.settings import Settings
from bot.worker import Worker, run_in_thread
from simulator.app import create_app as create_simulator
from simulator.state import SimulatorState
from storage.db import Database
from storage.sample_town import load_town
from storage.staff_accounts import create_staff

SECRET = "e2e-channel-secret"
TOKEN = "e2e-access-token"


def serve(app: Any) -> tuple[BaseWSGIServer, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


class Stack:
    """A running simulator and bot; the worker runs in a thread unless `worker=False`."""

    def __init__(self, db_url: str, worker: bool = True, **overrides: Any) -> None:
        self.state = SimulatorState(
            webhook_url="http://unset",
            channel_secret=SECRET,
            access_token=TOKEN,
            reply_token_ttl=60.0,
        )
        self._servers: list[BaseWSGIServer] = []
        simulator_server, self.sim_url = serve(create_simulator(self.state))
        self._servers.append(simulator_server)
        self.settings = Settings(
            channel_secret=SECRET,
            channel_access_token=TOKEN,
            api_base_url=f"{self.sim_url}/simulator/line",
            database_url=db_url,
            api_timeout=2.0,
            **overrides,
        )
        self.db = Database(db_url)
        self.clock = Clock()
        self.worker = Worker(
            self.db,
            LineGateway(self.settings.api_base_url, TOKEN, timeout=2.0),
            self.clock,
            self.settings,
        )
        app = create_app(self.settings, db=self.db, clock=self.clock, wake=self.worker.wake.set)
        bot_server, self.bot_url = serve(app)
        self._servers.append(bot_server)
        self.state.webhook_url = f"{self.bot_url}/callback"
        self._stop = threading.Event()
        self._worker_thread = run_in_thread(self.worker, self._stop) if worker else None
        self.http = requests.Session()

    def close(self) -> None:
        self._stop.set()
        self.worker.wake.set()
        for server in self._servers:
            server.shutdown()
        if self._worker_thread is not None:
            # Done before the database is closed: a last pass would open its files again.
            self._worker_thread.join(timeout=30)
        self.db.dispose()

    # The resident's side, through the simulator's control API.
    def control(self, method: str, path: str, **body: Any) -> dict[str, Any]:
        response = self.http.request(
            method, f"{self.sim_url}/simulator/control{path}", json=body or None, timeout=10
        )
        assert response.status_code < 300, response.text
        return response.json()

    def persona(self, name: str, language: str = "ja") -> str:
        return self.control("POST", "/users", displayName=name, language=language)["userId"]

    def act(self, user: str, action: str, **body: Any) -> dict[str, Any]:
        result = self.control("POST", f"/users/{user}/{action}", **body)
        assert result["status"] == 200, result
        return result

    def bot_messages(self, user: str) -> list[dict[str, Any]]:
        entries = self.control("GET", f"/users/{user}/transcript")["entries"]
        return [
            e for e in entries if e["from"] == "bot" and e["kind"] == "message" and e["delivered"]
        ]

    def bot_texts(self, user: str) -> list[str]:
        return [entry["message"].get("text", "") for entry in self.bot_messages(user)]

    def wait_for(self, check: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the bot")

    def wait_for_texts(self, user: str, count: int, timeout: float = 15.0) -> list[str]:
        self.wait_for(lambda: len(self.bot_texts(user)) >= count, timeout)
        return self.bot_texts(user)

    def process_env(self, instance: Path, **settings: str) -> dict[str, str]:
        """The environment of a real `madoguchi` process (worker, sender) talking to this
        stack's simulator and database; `settings` are more MADOGUCHI_… variables."""
        return dict(
            os.environ,
            DATABASE_URL=self.db.url,
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
            LINE_API_BASE_URL=self.settings.api_base_url,
            MADOGUCHI_INSTANCE_PATH=str(instance),
            **settings,
        )

    def api_requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "/requests")["requests"]


@contextmanager
def running(db_url: str, **kwargs: Any) -> Iterator[Stack]:
    stack = Stack(db_url, **kwargs)
    try:
        yield stack
    finally:
        stack.close()


# The staff member of the town's 子育て team that the end-to-end stories sign in as.
STAFF_EMAIL, STAFF_PASSWORD = "sato@example.jp", "a long enough password"


@contextmanager
def town_stack(db_url: str) -> Iterator[Stack]:
    """The stack with the sample town loaded and 佐藤 of 子育て支援 as staff."""
    with running(db_url) as stack:
        with stack.db.transaction() as session:
            load_town(session)
            create_staff(
                session,
                email=STAFF_EMAIL,
                name="佐藤",
                password=STAFF_PASSWORD,
                role="staff",
                team_slugs=["kosodate"],
                now=stack.clock.now(),
            )
        yield stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    tmp_path: Path, ready: str = "worker started"
) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    """`madoguchi serve` as the README starts it (no LINE credentials: the simulator is on),
    its log in `tmp_path`, once `ready` is in the log; killed at the end if still running. It
    leads a process group of its own, as in a terminal, so Ctrl-C can go to the whole group."""
    port = free_port()
    env = dict(os.environ, MADOGUCHI_INSTANCE_PATH=str(tmp_path))
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "DATABASE_URL"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while ready not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"serve did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield server, log, port
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
