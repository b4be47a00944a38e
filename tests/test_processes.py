"""The bot as it is deployed, in real processes: `serve` stops cleanly and never leaves its
worker or sender behind; two workers and two senders on PostgreSQL share a burst, each chat answered
once and in order."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from stack import running, serving

from storage.db import Database
from storage.models import Base, InboxEvent, OutboxMessage

pytestmark = pytest.mark.slow


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    """Its child processes, started by any of its threads (Linux's /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def _arguments(pid: int) -> list[str]:
    # A child forked from serve names its command in one retitled string, not in argv's parts.
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").split()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_serve_on_a_port_in_use_says_so_and_exits_1(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    with serving(first) as (_, _, port):
        env = dict(os.environ, MADOGUCHI_INSTANCE_PATH=str(tmp_path))
        for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "DATABASE_URL"):
            env.pop(name, None)
        second = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert "worker started" not in second.stderr + second.stdout


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_sigterm_and_ctrl_c(tmp_path: Path, stop: signal.Signals) -> None:
    with serving(tmp_path) as (server, log, port):
        children = _children(server.pid)
        assert len(children) == 2  # the worker and the sender
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        server.send_signal(stop)
        assert server.wait(30) == 0
    output = log.read_text()
    assert "Traceback" not in output and " ERROR " not in output, output
    assert "worker stopped" in output and "sender stopped" in output
    assert "madoguchi stopped" in output
    assert not any(_alive(child) for child in children)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_stopped_the_moment_it_starts_stops_cleanly(
    tmp_path: Path, stop: signal.Signals
) -> None:
    # The worker and the sender are still setting up (settings, database) when serve prints
    # its address; a stop then must not kill them by a signal's default action. Ctrl-C in a
    # terminal goes to the whole process group, the worker and the sender included.
    with serving(tmp_path, ready="madoguchi is running on") as (server, log, _):
        if stop == signal.SIGINT:
            os.killpg(server.pid, stop)
        else:
            server.send_signal(stop)
        assert server.wait(30) == 0
    output = log.read_text()
    assert "worker and sender exit codes 0, 0" in output, output
    assert "Traceback" not in output, output


def test_a_killed_serve_leaves_no_worker_behind(tmp_path: Path) -> None:
    with serving(tmp_path) as (server, _, _):
        children = _children(server.pid)
        server.kill()
        server.wait()
        # They see their wake-up pipes close, finish what they were sending and stop.
        _wait(lambda: not any(_alive(child) for child in children), 30, "the orphans to stop")


def _kill_the_worker_and_see_another_started(server: subprocess.Popen[str]) -> None:
    before = _children(server.pid)
    worker = next(pid for pid in before if "worker" in _arguments(pid))
    os.kill(worker, signal.SIGKILL)
    _wait(lambda: len(set(_children(server.pid)) - set(before)) == 1, 30, "a new worker")


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    with serving(tmp_path) as (server, log, _):
        _kill_the_worker_and_see_another_started(server)
        _wait(lambda: log.read_text().count("worker started") == 2, 60, "it to start")
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0


def test_serve_stopped_the_moment_a_worker_is_started_again_stops_cleanly(tmp_path: Path) -> None:
    # A worker started again after a crash is a new interpreter, a second or more importing
    # before it sets its handlers; a stop then must not kill it by SIGTERM's default action.
    with serving(tmp_path) as (server, log, _):
        _kill_the_worker_and_see_another_started(server)
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    output = log.read_text()
    assert "worker and sender exit codes 0, 0" in output, output
    assert "Traceback" not in output, output


@pytest.mark.postgres
def test_two_workers_and_two_senders_share_a_burst_each_chat_once_and_in_order(
    postgres_url: str, tmp_path: Path
) -> None:
    database = Database(postgres_url)
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    database.dispose()
    with running(postgres_url, worker=False) as stack:
        people = [stack.persona(f"住民{n}") for n in range(16)]
        for person in people:
            stack.act(person, "follow")
        # At most four calls in flight per sender: with sixteen chats, both must send.
        env = stack.process_env(tmp_path, MADOGUCHI_SEND_CONCURRENCY="4")
        commands = [["worker", "--no-send"]] * 2 + [["sender"]] * 2
        logs = [tmp_path / f"process{n}.log" for n in range(len(commands))]
        processes = []
        for command, log in zip(commands, logs, strict=True):
            with log.open("w") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot", *command],
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            for round_number in range(6):
                for person in people:
                    stack.act(
                        person,
                        "text",
                        text=("こんにちは", "メニュー", "ありがとう")[round_number % 3],
                    )

            def settled() -> bool:
                with stack.db.transaction() as session:
                    waiting = session.scalar(
                        select(func.count())
                        .select_from(InboxEvent)
                        .where(InboxEvent.status != "done")
                    )
                    unsent = session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == "pending")
                    )
                return waiting == 0 and unsent == 0

            _wait(settled, 90, "every event handled and every answer sent")
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            codes = [process.wait(30) for process in processes]
        outputs = [log.read_text() for log in logs]
        assert codes == [0, 0, 0, 0], outputs
        assert not any("Traceback" in output for output in outputs), outputs
        handled = [int(re.findall(r"(\d+) events handled", out)[0]) for out in outputs[:2]]
        sent = [int(re.findall(r"(\d+) outbox rows settled", out)[0]) for out in outputs[2:]]
        assert all(handled) and all(sent), (handled, sent)
        with stack.db.transaction() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            assert {row.status for row in rows} == {"sent"}
            tokens = [row.reply_token for row in rows if row.reply_token]
            assert len(tokens) == len(set(tokens)), "one event was answered twice"
            written = {person: [] for person in people}
            for row in rows:
                written[row.to] += [message.get("body", "") for message in row.messages]
        assert sum(handled) == 16 * 7  # a follow and six messages each
        for person in people:
            # What reached the phone is what the bot wrote, once, in the order it wrote it.
            assert stack.bot_texts(person) == written[person]
