"""Through real HTTP between the bot and the simulator: what a resident sees in LINE."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from line_spec import validate_api_request
from sqlalchemy import func, select
from stack import Stack, running

from storage.models import OutboxMessage

pytestmark = pytest.mark.slow


def assert_every_request_keeps_lines_spec(stack: Stack) -> None:
    recorded = stack.api_requests()
    assert recorded, "the bot made no API call"
    for record in recorded:
        validate_api_request(record["method"], record["path"], record["body"], record["headers"])


@pytest.fixture
def stack(db_url: str) -> Iterator[Stack]:
    with running(db_url) as the_stack:
        yield the_stack
        assert_every_request_keeps_lines_spec(the_stack)


def tap(stack: Stack, user: str, label: str) -> None:
    """Tap a quick reply under the bot's last message, as the LINE app posts it back."""
    last = stack.bot_messages(user)[-1]["message"]
    items = {item["action"]["label"]: item["action"] for item in last["quickReply"]["items"]}
    action = items[label]
    stack.act(user, "postback", data=action["data"], displayText=action.get("displayText"))


def test_follow_is_answered_with_a_greeting_by_reply(stack: Stack) -> None:
    hanako = stack.persona("山田花子")
    stack.act(hanako, "follow")
    texts = stack.wait_for_texts(hanako, 2)
    assert "社会福祉協議会のLINE窓口" in texts[0]
    vias = {entry["via"] for entry in stack.bot_messages(hanako)}
    assert vias == {"reply"}, "a fresh reply token must be used: replies cost no quota"


def test_the_language_flow_changes_every_later_message(stack: Stack) -> None:
    john = stack.persona("John", language="en")
    stack.act(john, "follow")
    assert "welfare council's LINE desk" in stack.wait_for_texts(john, 2)[0]
    tap(stack, john, "Language")
    stack.wait_for_texts(john, 3)
    tap(stack, john, "日本語")
    assert "これからは日本語でお送りします" in stack.wait_for_texts(john, 4)[-1]
    stack.act(john, "sticker")
    assert stack.wait_for_texts(john, 6)[-2].startswith("スタンプをありがとうございます")


def test_a_redelivered_event_is_handled_once(stack: Stack) -> None:
    user = stack.persona("佐藤")
    stack.act(user, "follow")
    stack.wait_for_texts(user, 2)
    sent = stack.act(user, "text", text="メニュー")
    stack.wait_for_texts(user, 3)
    again = stack.control("POST", "/redeliver", webhookEventId=sent["event"]["webhookEventId"])
    assert again["status"] == 200
    time.sleep(1.0)
    assert len(stack.bot_texts(user)) == 3


def test_with_30_percent_of_calls_failing_every_message_arrives_exactly_once(db_url: str) -> None:
    with running(db_url) as stack:
        stack.control("POST", "/faults", seed=30, error_rate=0.3)
        people = [stack.persona(f"住民{n}") for n in range(5)]
        for person in people:
            stack.act(person, "follow")
        for person in people:
            stack.act(person, "text", text="メニュー")
        for person in people:
            stack.wait_for_texts(person, 3, timeout=60)
        time.sleep(1.0)  # room for a wrongly doubled message to show up
        for person in people:
            texts = stack.bot_texts(person)
            assert len(texts) == 3, texts
            assert "社会福祉協議会" in texts[0] and "ボタンを押してください" in texts[2]
        faults = [r for r in stack.api_requests() if r.get("fault")]
        assert faults, "the simulator injected no failure: the test proved nothing"
        assert_every_request_keeps_lines_spec(stack)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _madoguchi(
    *args: str, env: dict[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[str]:
    """Start the real `madoguchi` command; its output goes to `log` (kept as a test artifact)."""
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=env,
            text=True,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )


def test_a_worker_killed_mid_event_loses_nothing_and_doubles_nothing(
    db_url: str, tmp_path: Path
) -> None:
    with running(db_url, worker=False) as stack:
        env = stack.process_env(tmp_path, MADOGUCHI_OUTBOX_LEASE="2s")
        user = stack.persona("鈴木")
        # Every API call now takes 1.5 s, so the worker is surely inside one when it is killed.
        stack.control("POST", "/faults", seed=1, latency_ms=1500)
        stack.act(user, "follow")
        worker = _madoguchi("worker", env=env, log=tmp_path / "worker.log")
        try:
            stack.wait_for(
                lambda: any(r["path"].endswith("/message/reply") for r in stack.api_requests()),
                timeout=20,
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        stack.control("DELETE", "/faults")
        restarted = _madoguchi("worker", env=env, log=tmp_path / "worker.log")
        try:
            texts = stack.wait_for_texts(user, 2, timeout=30)
            time.sleep(3.0)  # past the lease: a doubled send would land now
            texts = stack.bot_texts(user)
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=10)
        assert len(texts) == 2, texts
        assert "社会福祉協議会のLINE窓口" in texts[0]


def test_a_worker_that_does_not_send_leaves_the_answer_to_a_sender_process(
    db_url: str, tmp_path: Path
) -> None:
    """The split for 100,000 check-ins at 8:00: workers make, one sender process sends."""
    with running(db_url, worker=False) as stack:
        env = stack.process_env(tmp_path)
        user = stack.persona("高橋")
        stack.act(user, "follow")
        worker = _madoguchi("worker", "--no-send", env=env, log=tmp_path / "worker.log")
        sender = None
        try:
            # The greeting is made and queued, but this worker never sends it.
            stack.wait_for(lambda: _outbox_rows(stack) > 0, timeout=20)
            time.sleep(1.0)
            assert stack.bot_texts(user) == []
            sender = _madoguchi("sender", env=env, log=tmp_path / "sender.log")
            texts = stack.wait_for_texts(user, 2, timeout=20)
        finally:
            for process in (worker, sender):
                if process is not None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=10)
        assert "社会福祉協議会のLINE窓口" in texts[0]
        assert worker.returncode == 0 and sender is not None and sender.returncode == 0


def _outbox_rows(stack: Stack) -> int:
    with stack.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_serve_starts_the_bot_with_the_simulator_and_prints_where(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, MADOGUCHI_INSTANCE_PATH=str(tmp_path))
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "DATABASE_URL"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    server = _madoguchi("serve", "--port", str(port), env=env, log=log, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "/simulator/" not in log.read_text():
            time.sleep(0.1)
        assert f"{base}/callback" in log.read_text()
        user = requests.post(
            f"{base}/simulator/control/users", json={"displayName": "花子"}, timeout=10
        ).json()["userId"]
        requests.post(f"{base}/simulator/control/users/{user}/follow", timeout=10)
        deadline = time.monotonic() + 15
        texts: list[str] = []
        while time.monotonic() < deadline and len(texts) < 2:
            entries = requests.get(
                f"{base}/simulator/control/users/{user}/transcript", timeout=10
            ).json()["entries"]
            texts = [
                e["message"].get("text", "")
                for e in entries
                if e["from"] == "bot" and e["kind"] == "message"
            ]
            time.sleep(0.1)
        assert "社会福祉協議会のLINE窓口" in texts[0]
        assert (tmp_path / "madoguchi.db").exists()
        # The sample town is there on first start, and a staff login is printed for the console.
        assert re.search(r"Staff console: \S+/console  login: \S+@\S+ / \S+", log.read_text())
        with sqlite3.connect(tmp_path / "madoguchi.db") as connection:
            (teams,) = connection.execute("SELECT count(*) FROM teams").fetchone()
            (salons,) = connection.execute("SELECT count(*) FROM salons").fetchone()
        assert teams == 8 and salons >= 60
        # The rich menu is there for the resident too, its first tile starting a consultation.
        deadline = time.monotonic() + 10
        menu = None
        while time.monotonic() < deadline and menu is None:
            menu = requests.get(f"{base}/simulator/control/richmenu", timeout=10).json()["richMenu"]
            time.sleep(0.1)
        assert menu is not None
        assert menu["areas"][0]["action"]["displayText"] == "相談する"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
