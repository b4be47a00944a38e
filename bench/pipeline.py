"""End to end under a burst: from a resident's message to the answer reaching LINE, and after a crash.

Run `python bench/pipeline.py [--messages 1500] [--residents 100] [--concurrency 16]
[--latency-ms 100] [--small] [--no-crash]`. Described in bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import math
import os
import platform
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness import (
    SECRET,
    TEXTS,
    Bot,
    CpuMeter,
    Servers,
    children,
    command_of,
    control,
    last_pid,
    people,
    post_webhook,
    serve_baseline,
    serve_timed_simulator,
)

from simulator.events import follow_event, message_event, text_content, webhook_body
from simulator.ids import new_opaque_token
from simulator.signature import sign
from simulator.webhook import encode_body

UNANSWERED_AFTER = 30.0  # seconds: a resident who waited this long has given up on us
GOAL_P95_RATIO = 1.5
GOAL_RATE_RATIO = 2.0
GOAL_RECOVERY_SECONDS = 10.0
OPEN_LOOP_CONNECTIONS = 64


# --- the fake LINE, with a log of when each answer arrived ----------------------------------


# --- madoguchi as it is deployed: `madoguchi serve`, a real process -------------------------


# --- messages and the load ------------------------------------------------------------------


@dataclass
class Message:
    user: str
    token: str
    body: bytes
    signature: str
    posted: float = math.nan
    acknowledged: float = math.nan
    answered: float = math.nan
    via: str = ""


@dataclass
class Run:
    name: str
    messages: list[Message]
    errors: list[str] = field(default_factory=list)
    doubled: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process

    def e2e(self) -> list[float]:
        return sorted(m.answered - m.posted for m in self.messages if not math.isnan(m.answered))

    def percentile_ms(self, q: float) -> float:
        times = self.e2e()
        if not times:
            return math.nan
        return times[max(0, math.ceil(q * len(times)) - 1)] * 1000

    @property
    def unanswered(self) -> int:
        return sum(
            1
            for m in self.messages
            if math.isnan(m.answered) or m.answered - m.posted > UNANSWERED_AFTER
        )

    @property
    def per_second(self) -> float:
        answered = [m for m in self.messages if not math.isnan(m.answered)]
        if not answered:
            return 0.0
        first = min(m.posted for m in self.messages)
        return len(answered) / (max(m.answered for m in answered) - first)

    def by(self, via: str) -> int:
        return sum(1 for m in self.messages if m.via == via)


def make_messages(sim_port: int, residents: list[str], count: int, kind: str) -> list[Message]:
    """Signed single-event webhooks, residents taking turns, each with a reply token the fake
    LINE issued for that resident."""
    order = [residents[i % len(residents)] for i in range(count)]
    tokens = control(sim_port, "POST", "/bench/reply-tokens", {"userIds": order})["replyTokens"]
    destination = control(sim_port, "GET", "/simulator/control/config")["botUserId"]
    messages = []
    for number, (user, token) in enumerate(zip(order, tokens, strict=True)):
        if kind == "follow":
            event = follow_event(user, token, is_unblocked=False)
        else:
            content = text_content(
                str(468_200_000_000_000_000 + number),
                TEXTS[number % len(TEXTS)],
                new_opaque_token(),
            )
            event = message_event(user, token, content)
        body = encode_body(webhook_body(destination, [event]))
        messages.append(Message(user, token, body, sign(SECRET, body)))
    return messages


def post_all(
    port: int,
    messages: list[Message],
    concurrency: int,
    errors: list[str],
    keep_trying: bool = False,
    on_acknowledged: Any = None,
) -> None:
    """POST every message from `concurrency` keep-alive connections, each sending its next as
    soon as the last is acknowledged. With `keep_trying`, a refused request is sent again until
    it is acknowledged, as LINE redelivers (the same event, so the bot must not take it twice)."""
    next_index = itertools.count()

    def connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (index := next(next_index)) < len(messages):
            message = messages[index]
            message.posted = time.time()
            while True:
                status = _post(conn, message)
                if status == 200:
                    message.acknowledged = time.time()
                    if on_acknowledged is not None:
                        on_acknowledged()
                    break
                conn.close()
                if not keep_trying:
                    errors.append(f"HTTP {status}")
                    break
                time.sleep(0.05)
        conn.close()

    threads = [threading.Thread(target=connection) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def post_at_rate(port: int, messages: list[Message], rate: float, errors: list[str]) -> None:
    """Open loop, as residents write: message i goes at start + i / rate whether or not the
    earlier ones were answered, and its time counts from that moment even if every connection
    was still busy (LINE would have opened another)."""
    start = time.time() + 0.2
    for number, message in enumerate(messages):
        message.posted = start + number / rate
    next_index = itertools.count()

    def connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (index := next(next_index)) < len(messages):
            message = messages[index]
            wait = message.posted - time.time()
            if wait > 0:
                time.sleep(wait)
            status = _post(conn, message)
            if status == 200:
                message.acknowledged = time.time()
            else:
                conn.close()
                errors.append(f"HTTP {status}")
        conn.close()

    threads = [threading.Thread(target=connection) for _ in range(OPEN_LOOP_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _post(conn: http.client.HTTPConnection, message: Message) -> int | str:
    return post_webhook(conn, message.body, message.signature)


def settle(run: Run, sim_port: int, until: float) -> None:
    """Wait until every acknowledged message is answered (or `until`), then match answers:
    a reply by its token; a push to the earliest message of that resident not yet answered."""
    while True:
        log = control(sim_port, "GET", "/bench/answered")["answered"]
        _match(run, log)
        waiting = [m for m in run.messages if not math.isnan(m.acknowledged)]
        if all(not math.isnan(m.answered) for m in waiting) or time.time() > until:
            return
        time.sleep(0.25)


def _match(run: Run, log: list[dict[str, Any]]) -> None:
    by_token = {m.token: m for m in run.messages}
    pending: dict[str, list[Message]] = defaultdict(list)
    for message in run.messages:
        message.answered, message.via = math.nan, ""
    tokens_used: Counter[str] = Counter()
    pushes = []
    for entry in sorted(log, key=lambda e: e["t"]):
        if not 200 <= entry["status"] < 300:
            continue
        if entry["via"] == "reply":
            tokens_used[entry["token"]] += 1
            message = by_token.get(entry["token"])
            if message is not None and math.isnan(message.answered):
                message.answered, message.via = entry["t"], "reply"
        else:
            pushes.append(entry)
    for message in sorted(run.messages, key=lambda m: m.posted):
        if math.isnan(message.answered):
            pending[message.user].append(message)
    for entry in pushes:
        waiting = pending.get(entry["to"]) or []
        if waiting and waiting[0].posted <= entry["t"]:
            message = waiting.pop(0)
            message.answered, message.via = entry["t"], "push"
    run.doubled = sum(n - 1 for n in tokens_used.values() if n > 1)


# --- the runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    messages: int
    residents: int
    concurrency: int
    latency_ms: float
    rate: float
    steady_messages: int
    crash_residents: int
    crash_messages: int

    @property
    def counts(self) -> tuple[int, int]:
        return self.messages, self.steady_messages


def measure(
    name: str,
    port: int,
    sim_port: int,
    residents: list[str],
    count: int,
    processes: dict[str, int],
    post: Callable[[int, list[Message], list[str]], None],
) -> Run:
    """One load: `count` messages posted by `post`, answers awaited, CPU counted per process."""
    run = Run(name, make_messages(sim_port, residents, count, "text"))
    meter = CpuMeter(processes)
    meter.start()
    post(port, run.messages, run.errors)
    settle(run, sim_port, time.time() + UNANSWERED_AFTER)
    meter.stop()
    run.cpu = meter.used
    return run


def loads(options: Options) -> list[tuple[str, Callable[[int, list[Message], list[str]], None]]]:
    """The issue's burst (closed loop), then residents writing at a steady rate (open loop)."""

    def burst(port: int, messages: list[Message], errors: list[str]) -> None:
        post_all(port, messages, options.concurrency, errors)

    def steady(port: int, messages: list[Message], errors: list[str]) -> None:
        post_at_rate(port, messages, options.rate, errors)

    return [("burst", burst), (f"{options.rate:g}/s", steady)]


def run_baseline(servers: Servers, options: Options) -> list[Run]:
    sim_port = servers.start(serve_timed_simulator, options.latency_ms, 32)
    simulator = last_pid(servers)
    api = f"http://127.0.0.1:{sim_port}/simulator/line"
    port = servers.start(serve_baseline, api, 8)
    processes = {"bot": last_pid(servers), "LINE": simulator, "load": os.getpid()}
    residents = people(sim_port, options.residents)
    return [
        measure(f"baseline {load}", port, sim_port, residents, count, processes, post)
        for (load, post), count in zip(loads(options), options.counts, strict=True)
    ]


def warm_up(bot: Bot, sim_port: int, residents: list[str], concurrency: int) -> None:
    """Every resident adds the account and is greeted before the clock starts."""
    follows = Run("follows", make_messages(sim_port, residents, len(residents), "follow"))
    post_all(bot.port, follows.messages, concurrency, follows.errors)
    settle(follows, sim_port, time.time() + 60)
    if follows.unanswered or follows.errors:
        raise RuntimeError(
            f"warm-up: {follows.unanswered} follows not answered; see {bot.log_path}"
        )


def run_madoguchi(servers: Servers, workdir: str, options: Options) -> list[Run]:
    sim_port = servers.start(serve_timed_simulator, options.latency_ms, 32)
    simulator = last_pid(servers)
    bot = Bot(workdir, sim_port, "burst")
    bot.start()
    runs = []
    try:
        residents = people(sim_port, options.residents)
        warm_up(bot, sim_port, residents, options.concurrency)
        assert bot.process is not None
        processes = {"web": bot.process.pid, "LINE": simulator, "load": os.getpid()}
        for child in children(bot.process.pid):
            processes[command_of(child)] = child
        for (load, post), count in zip(loads(options), options.counts, strict=True):
            before = mark(bot, sim_port)
            run = measure(
                f"madoguchi {load}", bot.port, sim_port, residents, count, processes, post
            )
            _check_doubles(run, bot, sim_port, before)
            runs.append(run)
    finally:
        bot.stop()
    return runs


@dataclass
class Crash:
    run: Run
    acknowledged_before_kill: int = 0
    recovery: float = (
        math.nan
    )  # from the restart to the last message acknowledged before the kill answered


def run_crash(servers: Servers, workdir: str, options: Options) -> Crash:
    """kill -9 under load, restart at once; LINE keeps redelivering what was not acknowledged."""
    sim_port = servers.start(serve_timed_simulator, options.latency_ms, 32)
    bot = Bot(workdir, sim_port, "crash")
    bot.start()
    try:
        residents = people(sim_port, options.crash_residents)
        warm_up(bot, sim_port, residents, options.concurrency)
        before = mark(bot, sim_port)
        run = Run("crash", make_messages(sim_port, residents, options.crash_messages, "text"))
        crash = Crash(run)
        acknowledged = itertools.count(1)
        kill_at = options.crash_messages // 3
        killed = threading.Event()
        restarted: list[float] = []

        def maybe_kill() -> None:
            if next(acknowledged) == kill_at and not killed.is_set():
                killed.set()
                threading.Thread(target=kill_and_restart).start()

        def kill_and_restart() -> None:
            bot.kill()
            crash.acknowledged_before_kill = sum(
                not math.isnan(m.acknowledged) for m in run.messages
            )
            restarted.append(bot.start())

        post_all(bot.port, run.messages, options.concurrency, run.errors, True, maybe_kill)
        while not restarted:
            time.sleep(0.05)
        settle(run, sim_port, time.time() + UNANSWERED_AFTER)
        cut = restarted[0]
        early = [m for m in run.messages if m.acknowledged < cut]
        if early and all(not math.isnan(m.answered) for m in early):
            crash.recovery = max(m.answered for m in early) - cut
        _check_doubles(run, bot, sim_port, before)
    finally:
        bot.stop()
    return crash


@dataclass(frozen=True)
class Mark:
    """Where the counts stood when the clock started."""

    log: int
    rows: int


def mark(bot: Bot, sim_port: int) -> Mark:
    return Mark(len(control(sim_port, "GET", "/bench/answered")["answered"]), bot.sent_rows())


def _check_doubles(run: Run, bot: Bot, sim_port: int, before: Mark) -> None:
    """Every delivery LINE took must be one outbox row marked sent: more means one went twice."""
    log = control(sim_port, "GET", "/bench/answered")["answered"]
    taken = sum(1 for entry in log[before.log :] if 200 <= entry["status"] < 300)
    rows = bot.sent_rows() - before.rows
    run.doubled += max(0, taken - rows)


# --- report -------------------------------------------------------------------------------------


def report(
    baselines: list[Run], ours: list[Run], crash: Crash | None, options: Options
) -> list[str]:
    print(
        f"pipeline benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; {options.residents} residents; LINE (simulator) "
        f"latency {options.latency_ms:g} ms"
    )
    print("  madoguchi: `madoguchi serve` (web, worker, sender), the answer through the outbox")
    print("  baseline:  line-bot-sdk flask-kitchensink pattern, reply inside the request")
    print(
        f"  burst:     {options.messages} messages on {options.concurrency} connections, each "
        "sending its next as soon as the last is acknowledged (closed loop)"
    )
    print(
        f"  {options.rate:g}/s:    {options.steady_messages} messages, {options.rate:g} a second "
        "whatever the answers (open loop: residents do not wait for each other)"
    )
    print()
    print(
        f"{'e2e':<16} {'answered':>9} {'reply':>6} {'push':>5} {'>30s':>5} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'answered/s':>11}"
    )
    for run in [*ours, *baselines]:
        print(
            f"{run.name:<16} {len(run.e2e()):>9} {run.by('reply'):>6} {run.by('push'):>5} "
            f"{run.unanswered:>5} {run.percentile_ms(0.5):>8.0f} {run.percentile_ms(0.95):>8.0f} "
            f"{run.percentile_ms(0.99):>8.0f} {run.per_second:>11.0f}"
        )
    print()
    madoguchi, baseline = ours[0], baselines[0]
    p95 = madoguchi.percentile_ms(0.95) / baseline.percentile_ms(0.95)
    rate = madoguchi.per_second / baseline.per_second if baseline.per_second else math.nan
    print(f"burst: e2e p95 madoguchi / baseline:     {p95:.2f}  (goal <= {GOAL_P95_RATIO})")
    print(f"burst: answered/s madoguchi / baseline:  {rate:.2f}  (goal >= {GOAL_RATE_RATIO})")
    steady = ours[1].percentile_ms(0.95) / baselines[1].percentile_ms(0.95)
    print(f"{options.rate:g}/s: e2e p95 madoguchi / baseline:   {steady:.2f}")
    every = all(run.unanswered == 0 and run.by("push") == 0 for run in ours)
    print(f"every message answered, by reply:        {'yes' if every else 'NO'}")
    print()
    print("CPU per message answered (ms), by process; the machine has", os.cpu_count(), "cores")
    for run in [*ours, *baselines]:
        answered = len(run.e2e()) or 1
        shares = ", ".join(
            f"{name} {seconds * 1000 / answered:.1f}" for name, seconds in run.cpu.items()
        )
        total = sum(run.cpu.values()) * 1000 / answered
        print(f"  {run.name:<16} {shares}; all {total:.1f}")
    problems = []
    for run in [*baselines, *ours]:
        if run.errors:
            problems.append(f"{run.name}: {len(run.errors)} failed requests")
        lost = sum(1 for m in run.messages if math.isnan(m.answered))
        if lost:
            problems.append(f"{run.name}: {lost} messages never answered")
        if run.doubled:
            problems.append(f"{run.name}: {run.doubled} answers delivered twice")
    if crash is not None:
        run = crash.run
        print()
        print(
            f"crash: kill -9 after {crash.acknowledged_before_kill} of {len(run.messages)} "
            f"messages from {options.crash_residents} residents were acknowledged, restarted at once"
        )
        print(
            f"  last message acknowledged before the kill answered {crash.recovery:.1f} s after "
            f"the restart (goal < {GOAL_RECOVERY_SECONDS:g} s); answered twice: {run.doubled}"
        )
        lost = sum(1 for m in run.messages if math.isnan(m.answered))
        if lost:
            problems.append(f"crash: {lost} acknowledged messages never answered")
        if run.doubled:
            problems.append(f"crash: {run.doubled} answers delivered twice")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rate", type=float, default=60.0, help="messages a second, open loop")
    parser.add_argument("--small", action="store_true", help="a CI-sized run")
    parser.add_argument("--no-crash", action="store_true", help="skip the kill -9 run")
    args = parser.parse_args(argv)
    options = Options(
        messages=300 if args.small else args.messages,
        residents=40 if args.small else args.residents,
        concurrency=args.concurrency,
        latency_ms=args.latency_ms,
        rate=args.rate,
        steady_messages=150 if args.small else 900,
        crash_residents=20 if args.small else 60,
        crash_messages=150 if args.small else 600,
    )
    with tempfile.TemporaryDirectory(prefix="madoguchi-pipeline-") as workdir:
        servers = Servers()
        try:
            baseline = run_baseline(servers, options)
            madoguchi = run_madoguchi(servers, workdir, options)
            crash = None if args.no_crash else run_crash(servers, workdir, options)
        finally:
            servers.close()
    problems = report(baseline, madoguchi, crash, options)
    sys.stdout.flush()
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
