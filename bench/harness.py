"""What the benchmarks share: the fake LINE in a process of its own, `madoguchi serve` as a real
process, the SDK-example baseline, and CPU accounting per process."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent
from sqlalchemy import func, select
from waitress import create_server

from simulator.app import create_app as create_simulator
from simulator.state import SimulatorState
from storage.db import Database
from storage.models import InboxEvent, OutboxMessage
from storage.spool import move_waiting

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
# LINE's webhook requests carry this agent; kept so the servers see what production sees.
USER_AGENT = "LineBotWebhook/2.0"
ROOT = Path(__file__).resolve().parent.parent
# What residents write in the benchmarks: requests, a search, a worry, check-in answers, chat.
TEXTS = (
    "ゴミ出しを手伝ってもらえますか",
    "近くのサロンを教えてください",
    "母のことで相談したいです",
    "元気です",
    "少し調子が悪い",
    "ありがとう",
    "こんにちは",
)


# --- servers, each in a child process --------------------------------------------------------


def _serve(build: Callable[[], Flask], threads: int, conn: Connection) -> None:
    """Serve the app `build()` returns with waitress on a free port, and send the port back."""
    # A closed-loop load deeper than the thread count queues by design; waitress would log
    # a warning for every queued request and the log writes would skew the figures.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        server = create_server(build(), host="127.0.0.1", port=0, threads=threads)
        conn.send(("ok", server.effective_port))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        raise
    server.run()


def serve_timed_simulator(latency_ms: float, threads: int, conn: Any) -> None:
    """Child process: the fake Messaging API with `latency_ms` on every call, plus bench routes:
    mint reply tokens, make people friends, and read when each reply or push was answered."""

    def build() -> Flask:
        state = SimulatorState(
            webhook_url="http://127.0.0.1:9/unused",
            channel_secret=SECRET,
            access_token=TOKEN,
            reply_token_ttl=3600.0,
            quota=None,
        )
        state.faults.configure(
            type(state.faults.config).from_json({"seed": 1, "latency_ms": latency_ms})
        )
        app = create_simulator(state)
        answered: list[dict[str, Any]] = []
        lock = threading.Lock()

        @app.before_request
        def arrived() -> None:
            g.arrived = time.time()

        @app.after_request
        def record(response: Response) -> Response:
            path = request.path
            if path.endswith("/message/reply") or path.endswith("/message/push"):
                body = request.get_json(silent=True) or {}
                entry = {
                    "t": time.time(),
                    "via": "reply" if path.endswith("reply") else "push",
                    "token": body.get("replyToken"),
                    "to": body.get("to"),
                    "status": response.status_code,
                }
                with lock:
                    answered.append(entry)
            return response

        @app.post("/bench/reply-tokens")
        def mint() -> Response:
            user_ids = request.get_json()["userIds"]
            return jsonify(replyTokens=[state.issue_reply_token(user) for user in user_ids])

        @app.post("/bench/friends")
        def befriend() -> Response:
            with state.lock:
                for user_id in request.get_json()["userIds"]:
                    state.personas[user_id].status = "friend"
            return jsonify({})

        @app.get("/bench/answered")
        def log() -> Response:
            with lock:
                return jsonify(answered=list(answered))

        return app

    _serve(build, threads, conn)


def serve_baseline(api_base_url: str, threads: int, conn: Connection) -> None:
    """Child process: line-bot-sdk's flask-kitchensink pattern, replying inside the request."""

    def build() -> Flask:
        app = Flask(__name__)
        configuration = Configuration(access_token=TOKEN, host=api_base_url)
        handler = WebhookHandler(SECRET)

        @app.post("/callback")
        def callback() -> str:
            signature = request.headers["X-Line-Signature"]
            body = request.get_data(as_text=True)
            try:
                handler.handle(body, signature)
            except InvalidSignatureError:
                abort(400)
            return "OK"

        @handler.add(MessageEvent, message=TextMessageContent)
        def handle_text_message(event: MessageEvent) -> None:
            # As the example does: a client per event, the reply sent before the 200.
            # The timeout is the one departure: the SDK's default waits forever.
            with ApiClient(configuration) as api_client:
                MessagingApi(api_client).reply_message(
                    ReplyMessageRequest(
                        reply_token=event.reply_token,
                        messages=[TextMessage(text=event.message.text)],
                    ),
                    _request_timeout=10,
                )

        return app

    _serve(build, threads, conn)


class Servers:
    """Child processes serving apps on 127.0.0.1; terminated, by handle, on close."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[multiprocessing.process.BaseProcess] = []

    def start(self, target: Callable[..., None], *args: Any) -> int:
        """Start `target(*args, conn)` in a child and return the port it serves on."""
        parent, child = self._context.Pipe()
        process = self._context.Process(target=target, args=(*args, child), daemon=True)
        process.start()
        self._processes.append(process)
        if not parent.poll(60):
            raise RuntimeError(f"{target.__name__} did not start within 60 s")
        status, value = parent.recv()
        if status != "ok":
            raise RuntimeError(f"{target.__name__} failed:\n{value}")
        return int(value)

    def close(self) -> None:
        """Terminate every child this started and wait for it."""
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.join(10)


def post_webhook(conn: http.client.HTTPConnection, body: bytes, signature: str) -> int | str:
    """POST one signed webhook body to /callback as LINE does; the status, or the error's name
    when the connection failed."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Line-Signature": signature,
        "User-Agent": USER_AGENT,
    }
    try:
        conn.request("POST", "/callback", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        return f"{type(error).__name__}: {error}"
    return response.status


def last_pid(servers: Servers) -> int:
    """The pid of the server `servers` started last."""
    return int(servers._processes[-1].pid or 0)


def control(port: int, method: str, path: str, body: Any = None) -> Any:
    """Call the simulator over HTTP and return its JSON answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)
    finally:
        conn.close()


# --- madoguchi as it is deployed: `madoguchi serve`, a real process -------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Bot:
    """`madoguchi serve` on a SQLite file, pointed at the fake LINE; it can be killed."""

    def __init__(self, workdir: str, api_port: int, name: str) -> None:
        self.url = f"sqlite:///{os.path.join(workdir, name + '.db')}"
        self.port = free_port()
        self.log_path = os.path.join(workdir, name + ".log")
        self.env = {
            **os.environ,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": f"http://127.0.0.1:{api_port}/simulator/line",
            "DATABASE_URL": self.url,
            "MADOGUCHI_SECRET_KEY": "bench",
            "MADOGUCHI_RICH_MENU": "0",
            "MADOGUCHI_INSTANCE_PATH": workdir,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start the process and wait until it answers; returns when it was started."""
        started = time.time()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "--log-level",
                    "WARNING",
                    "serve",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"madoguchi serve exited; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("madoguchi serve did not answer within 60 s")

    def kill(self) -> None:
        """kill -9 on `serve` and its worker at once, as a crash of the machine would."""
        assert self.process is not None
        for child in children(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def inbox_rows(self) -> int:
        """How many webhook events the bot stored (on SQLite, spooled ones moved in first, as
        the worker's next pass would)."""
        database = Database(self.url)
        try:
            move_waiting(database)
            with database.transaction() as session:
                return int(session.scalar(select(func.count()).select_from(InboxEvent)) or 0)
        finally:
            database.dispose()

    def sent_rows(self) -> int:
        """How many outbox rows the bot recorded as delivered."""
        database = Database(self.url)
        try:
            with database.transaction() as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == "sent")
                    )
                    or 0
                )
        finally:
            database.dispose()


def cpu_seconds(pid: int) -> float:
    """CPU time `pid` has used (user and system), from Linux's /proc; NaN elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Its child processes, started by any of its threads (Linux's /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def command_of(pid: int) -> str:
    """The `madoguchi` command a process runs (worker, sender), from Linux's /proc."""
    try:
        # A child forked from serve names its command in one retitled string (setproctitle).
        arguments = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()
    except OSError:
        return str(pid)
    return next((a for a in arguments if a in ("worker", "sender", "serve")), str(pid))


class CpuMeter:
    """CPU seconds each named process used between `start` and `stop`."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = processes
        self.used: dict[str, float] = {}
        self._before: dict[str, float] = {}

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self.processes.items()}

    def stop(self) -> None:
        self.used = {
            name: cpu_seconds(pid) - self._before[name] for name, pid in self.processes.items()
        }


def people(sim_port: int, count: int) -> list[str]:
    created = [
        control(sim_port, "POST", "/simulator/control/users", {"displayName": f"住民{n:03d}"})[
            "userId"
        ]
        for n in range(count)
    ]
    control(sim_port, "POST", "/bench/friends", {"userIds": created})
    return created
