"""Webhook acknowledgement benchmark: madoguchi's `/callback` against the synchronous SDK pattern.

Run `python bench/ingest.py [--events 2000] [--concurrency 16] [--latency-ms 50] [--small]`.
Each server runs in its own process under waitress, so the load generator never shares a GIL
with what it measures.
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
from collections.abc import Callable
from dataclasses import dataclass, field

from harness import (
    SECRET,
    TEXTS,
    Bot,
    Servers,
    control,
    people,
    post_webhook,
    serve_baseline,
    serve_timed_simulator,
)

from simulator.events import message_event, text_content, webhook_body
from simulator.ids import new_opaque_token
from simulator.signature import sign
from simulator.webhook import encode_body

GOAL_EVENTS_PER_SECOND = 500.0
GOAL_P99_RATIO = 0.2


@dataclass(frozen=True)
class Options:
    """The size of a run, the same for both sides."""

    events: int
    warmup: int
    concurrency: int
    threads: int
    users: int
    latency_ms: float


@dataclass(frozen=True)
class Webhook:
    """One prepared webhook request: the exact bytes LINE would post and their signature."""

    body: bytes
    signature: str


@dataclass
class Run:
    """What one load run measured."""

    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the acknowledgement times, in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


# --- webhook requests --------------------------------------------------------------------------


def make_webhooks(destination: str, senders: list[tuple[str, str]]) -> list[Webhook]:
    """One signed single-event body per (userId, replyToken), in LINE's own event shape."""
    prepared = []
    for number, (user_id, reply_token) in enumerate(senders):
        message = text_content(
            str(468_100_000_000_000_000 + number), TEXTS[number % len(TEXTS)], new_opaque_token()
        )
        event = message_event(user_id, reply_token, message)
        body = encode_body(webhook_body(destination, [event]))
        prepared.append(Webhook(body, sign(SECRET, body)))
    return prepared


# --- the load generator ------------------------------------------------------------------------


def load(
    name: str,
    port: int,
    warmup: list[Webhook],
    timed: list[Webhook],
    options: Options,
    warm: Callable[[], None] = lambda: None,
) -> Run:
    """POST every webhook to `/callback` from `concurrency` keep-alive connections.

    Each worker sends its share of `warmup` first; the clock starts when all are sent and
    `warm()` has returned.
    """
    concurrency = options.concurrency
    run = Run(name, concurrency)
    started: list[float] = []

    def start() -> None:
        warm()
        started.append(time.perf_counter())

    # The timeout turns a worker that died before the start into an error, not a hang.
    barrier = threading.Barrier(concurrency, action=start, timeout=120)
    warm_slices = [warmup[i::concurrency] for i in range(concurrency)]
    next_index = itertools.count()  # next() on a count is atomic under the GIL
    finished: list[float] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        errors: list[str] = []
        for hook in warm_slices[number]:
            _post(conn, hook, errors)
        barrier.wait()
        while (index := next(next_index)) < len(timed):
            sent = time.perf_counter()
            if _post(conn, timed[index], errors):
                latencies.append(time.perf_counter() - sent)
            else:
                conn.close()  # a broken connection is reopened by the next request
        done = time.perf_counter()
        conn.close()
        with lock:
            run.latencies.extend(latencies)
            run.errors.extend(errors)
            finished.append(done)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not started or len(finished) != concurrency:
        raise RuntimeError(f"{name}: a load generator thread failed; see the traceback above")
    run.seconds = max(finished) - started[0]
    return run


def _post(conn: http.client.HTTPConnection, hook: Webhook, errors: list[str]) -> bool:
    """Send one webhook and read the answer; True on a 200."""
    status = post_webhook(conn, hook.body, hook.signature)
    if status != 200:
        errors.append(f"HTTP {status}" if isinstance(status, int) else status)
        return False
    return True


# --- the two phases ------------------------------------------------------------------------------


def tokens_for(sim_port: int, count: int, users: int) -> tuple[list[str], list[str], str]:
    """Residents who are friends of the account, the order they write in, and a reply token the
    fake LINE issued for each message (so both sides can answer for real)."""
    residents = people(sim_port, users)
    order = [residents[i % len(residents)] for i in range(count)]
    tokens = control(sim_port, "POST", "/bench/reply-tokens", {"userIds": order})["replyTokens"]
    destination = control(sim_port, "GET", "/simulator/control/config")["botUserId"]
    return order, tokens, destination


def answered(sim_port: int, count: int, within: float = 60.0) -> None:
    """Wait until the fake LINE has `count` answers: the worker and the sender are then past
    their start-up (which loads the safety model and the catalogs) and working, as deployed."""
    deadline = time.monotonic() + within
    while len(control(sim_port, "GET", "/bench/answered")["answered"]) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the warm-up's {count} messages were not answered in {within} s")
        time.sleep(0.05)


def bench_madoguchi(servers: Servers, workdir: str, options: Options) -> tuple[Run, list[str]]:
    """Acknowledgement by `madoguchi serve` as deployed: its worker process handles the events
    and its sender answers them through the fake LINE while the acknowledgements are timed."""
    sim_port = servers.start(serve_timed_simulator, options.latency_ms, 32)
    bot = Bot(workdir, sim_port, "ingest")
    bot.start()
    try:
        sent = options.warmup + options.events
        order, tokens, destination = tokens_for(sim_port, sent, options.users)
        hooks = make_webhooks(destination, list(zip(order, tokens, strict=True)))
        warmup, timed = hooks[: options.warmup], hooks[options.warmup :]
        run = load(
            "madoguchi", bot.port, warmup, timed, options, lambda: answered(sim_port, len(warmup))
        )
        stored = bot.inbox_rows()
    finally:
        bot.stop()
    problems = []
    if stored != sent:
        problems.append(f"madoguchi: {stored} events in the inbox, {sent} sent")
    return run, problems


def bench_baseline(servers: Servers, options: Options) -> tuple[Run, list[str]]:
    """The SDK example's pattern against the simulator with injected API latency."""
    # The simulator must never be the queue: it gets at least two threads per baseline thread.
    sim_port = servers.start(
        serve_timed_simulator, options.latency_ms, max(16, 2 * options.threads)
    )
    api_base = f"http://127.0.0.1:{sim_port}/simulator/line"
    port = servers.start(serve_baseline, api_base, options.threads)
    sent = options.warmup + options.events
    order, tokens, destination = tokens_for(sim_port, sent, options.users)
    hooks = make_webhooks(destination, list(zip(order, tokens, strict=True)))
    run = load("baseline", port, hooks[: options.warmup], hooks[options.warmup :], options)
    replies = control(sim_port, "GET", "/simulator/control/stats")["byVia"].get("reply", 0)
    problems = []
    if replies != sent:
        problems.append(f"baseline: {replies} replies reached the simulator, {sent} sent")
    return run, problems


# --- report ------------------------------------------------------------------------------------


def report(madoguchi: Run, baseline: Run, options: Options) -> None:
    """Print the table, the ratios and whether each goal is met."""
    print(
        f"ingest benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, waitress threads={options.threads}, keep-alive HTTP/1.1, "
        "127.0.0.1"
    )
    print(
        "  madoguchi: `madoguchi serve`: POST /callback -> verify, spool row (SQLite), commit, 200, "
        "while its worker process handles and answers the events"
    )
    print(
        f"  baseline:  line-bot-sdk flask-kitchensink pattern, reply inside the request, "
        f"simulator API latency {options.latency_ms:g} ms"
    )
    print()
    header = f"{'':<10} {'events':>7} {'conc':>5} {'p50 ms':>8} {'p99 ms':>8} {'events/s':>9}"
    print(header)
    for run in (madoguchi, baseline):
        print(
            f"{run.name:<10} {run.events:>7} {run.concurrency:>5} "
            f"{run.percentile_ms(0.50):>8.1f} {run.percentile_ms(0.99):>8.1f} "
            f"{run.per_second:>9.0f}"
        )
    print()
    p99_ratio = madoguchi.percentile_ms(0.99) / baseline.percentile_ms(0.99)
    rate_ratio = madoguchi.per_second / baseline.per_second if baseline.per_second else math.nan
    print(f"p99 madoguchi / baseline:       {p99_ratio:.3f}")
    print(f"events/s madoguchi / baseline:  {rate_ratio:.1f}")
    met = "met" if madoguchi.per_second >= GOAL_EVENTS_PER_SECOND else "NOT met"
    rate = f"{madoguchi.per_second:.0f}"
    print(f"goal >= {GOAL_EVENTS_PER_SECOND:.0f} events/s:           {met} ({rate})")
    limit = baseline.percentile_ms(0.99) * GOAL_P99_RATIO
    met = "met" if p99_ratio <= GOAL_P99_RATIO else "NOT met"
    print(
        f"goal p99 <= baseline p99 / 5:   {met} "
        f"({madoguchi.percentile_ms(0.99):.1f} ms against {limit:.1f} ms)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run both sides and report; 1 if any request failed or a check after a run did not hold."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="timed events per side")
    parser.add_argument("--concurrency", type=int, default=16, help="load generator connections")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="simulator API latency")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per server")
    parser.add_argument("--users", type=int, default=200, help="distinct LINE users")
    parser.add_argument("--small", action="store_true", help="a quick CI-sized run (300 events)")
    args = parser.parse_args(argv)
    events = 300 if args.small else args.events
    if events < 1 or args.concurrency < 1 or args.threads < 1 or args.users < 1:
        parser.error("--events, --concurrency, --threads and --users must be positive")
    options = Options(
        events=events,
        # Two per connection: opens every connection and runs each code path before timing.
        warmup=2 * args.concurrency,
        concurrency=args.concurrency,
        threads=args.threads,
        users=args.users,
        latency_ms=args.latency_ms,
    )
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as workdir:
        servers = Servers()
        try:
            madoguchi, problems = bench_madoguchi(servers, workdir, options)
            baseline, more = bench_baseline(servers, options)
        finally:
            # Before the temporary directory goes: madoguchi's process holds its database.
            servers.close()
    problems += more
    report(madoguchi, baseline, options)
    sys.stdout.flush()  # the table first, then any errors on stderr
    for run in (madoguchi, baseline):
        if run.errors:
            problems.append(f"{run.name}: {len(run.errors)} failed requests, e.g. {run.errors[0]}")
    for problem in problems:
        print(f"ERROR {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
