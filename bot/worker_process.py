"""`serve`'s worker and sender, each in a process of its own, woken through pipes.

One Python process has one interpreter lock: the web threads acknowledging a burst, the
worker handling it and the sender's calls to LINE took turns at it, and the answers fell
behind. In processes of their own they use both cores. The web wakes the worker through a pipe
the moment a webhook is stored, and the worker wakes the sender the same way. The end of the
pipe from `serve` tells a child that `serve` is gone: it finishes what it is sending and stops,
so it never outlives the process that started it. A child that dies is started again.

The first worker and sender are forked from `serve` once its imports are done, not started as
new interpreters: importing the bot again took three seconds or more, and after a crash every
resident who had written waited for it (the crash run of bench/pipeline.py). A forked child
waits for `serve` to say go (after the migration, the socket bound); the worker loads its
safety model while it waits. A child that dies later is started as a new interpreter: `serve`
has threads and open connections by then, which a fork would copy half-held.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing.process import BaseProcess
from typing import Protocol

import setproctitle

log = logging.getLogger(__name__)

RESTART_PAUSE = 1.0  # seconds before a child that died is started again

# Every pipe end made for `serve`'s children: a forked child inherits them all and keeps only
# its own, or a pipe would never end while a sibling holds a copy of its writing end.
_PIPE_ENDS: set[int] = set()

# What stops a worker or a sender: serve's SIGTERM, or Ctrl-C in the terminal.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def pipe() -> tuple[int, int]:
    """A pipe between `serve` and its children (its ends closed in children not named to keep them)."""
    read, write = os.pipe()
    _PIPE_ENDS.update((read, write))
    return read, write


def _close(end: int) -> None:
    """Close a pipe end made by `pipe`, which children forked later then need not close."""
    with contextlib.suppress(OSError):
        os.close(end)
    _PIPE_ENDS.discard(end)


class _Child(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...


class _Forked:
    """A forked child, waited for as a `subprocess.Popen` is: `serve`'s watcher thread and its
    stop both wait, so only one at a time collects the exit status."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process
        self._lock = threading.Lock()

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                self._process.join(0)
                code = self._process.exitcode
            if code is not None:
                return code
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self._process.name), timeout or 0)
            multiprocessing.connection.wait([self._process.sentinel], left)

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


class WorkerProcess:
    """Runs `madoguchi <command> --wake-fd N` with `env`, restarting it if it dies; `keep`
    are more descriptors the child inherits (named in `command`)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_level: str = "INFO",
        command: tuple[str, ...] = ("worker",),
        keep: tuple[int, ...] = (),
    ) -> None:
        self._env = dict(env)
        self._log_level = log_level
        self._command = command
        self._keep = keep
        self._read, self._write = pipe()
        os.set_blocking(self._write, False)
        self._process: _Child | None = None
        self._go: int | None = None  # set while a forked child waits to be told to start
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="madoguchi-worker-watch")
        self._watcher.daemon = True

    def prefork(
        self, run: Callable[[list[str]], object], prepare: Callable[[], object] = lambda: None
    ) -> None:
        """Fork the child now, with what this process has imported; it calls `prepare`, then
        waits for `start` and calls `run` with its command's arguments. If this process ends
        or calls `stop` first, the child exits 0 without running."""
        go_read, self._go = pipe()
        keep = {go_read, self._read, *self._keep}
        arguments = ["--log-level", self._log_level, *self._command, "--wake-fd", str(self._read)]
        process = multiprocessing.get_context("fork").Process(
            target=_forked,
            args=(run, prepare, arguments, go_read, keep, self._env),
            name=f"madoguchi {self._command[0]}",
            daemon=True,
        )
        process.start()
        _close(go_read)
        self._process = _Forked(process)

    def start(self) -> None:
        if self._go is not None:
            with contextlib.suppress(OSError):
                os.write(self._go, b"g")
            self._close_go()
        else:
            self._spawn()
        self._watcher.start()

    def wake(self) -> None:
        """Tell the worker there is work; never blocks (a full pipe has wake-ups enough)."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._write, b"\0")

    def stop(self, timeout: float = 30.0) -> int | None:
        """Ask the worker to stop (it finishes what is in flight) and wait; returns its exit code."""
        self._stopping.set()
        with self._lock:
            process = self._process
        code = None
        if process is not None:
            if self._go is not None:
                # Forked, never started: the end of its go pipe makes it exit 0 by itself.
                self._close_go()
            else:
                process.terminate()
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the %s did not stop within %.0f s: killed", self._command[0], timeout)
                process.kill()
                code = process.wait()
        for end in (self._read, self._write):
            _close(end)
        return code

    def _close_go(self) -> None:
        assert self._go is not None
        _close(self._go)
        self._go = None

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "bot", "--log-level", self._log_level, *self._command]
        # As in a forked child (_forked): the new interpreter inherits this thread's signal mask
        # through fork and exec, so a stop in the second it spends importing waits for its
        # handlers (cli._stop_on_signals unblocks them) rather than killing it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            with self._lock:
                self._process = subprocess.Popen(
                    [*command, "--wake-fd", str(self._read)],
                    env=self._env,
                    pass_fds=(self._read, *self._keep),
                )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error(
                "the %s stopped unexpectedly (exit code %s); starting it again",
                self._command[0],
                code,
            )
            time.sleep(RESTART_PAUSE)
            if not self._stopping.is_set():
                self._spawn()


def _forked(
    run: Callable[[list[str]], object],
    prepare: Callable[[], object],
    arguments: list[str],
    go: int,
    keep: set[int],
    env: Mapping[str, str],
) -> None:
    """In a child forked by `WorkerProcess.prefork`: what a new `python -m bot` would have been."""
    # Until the command sets its handlers (cli._stop_on_signals, which unblocks these), a stop
    # must wait rather than kill: serve may be stopped the moment it has started us. Threads
    # started meanwhile inherit the block, so the main thread is the one that takes it.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    for end in _PIPE_ENDS - keep:
        with contextlib.suppress(OSError):
            os.close(end)
    # `ps` and the tests tell the worker from the sender by their command line. Retitled before
    # the environment changes: setproctitle moves the environment out of argv's way, and it
    # cannot once the environment was rewritten.
    setproctitle.setproctitle(" ".join(["madoguchi", *arguments]))
    os.environ.clear()
    os.environ.update(env)
    prepare()
    told = os.read(go, 1)
    os.close(go)
    if not told:
        return  # serve stopped before it started us
    run(arguments)


# How much lower the worker and the sender stand than the web for the CPU (nice(2) steps).
# A webhook must be acknowledged within LINE's 2 s whatever the backlog; answering it can wait
# the few milliseconds this costs, and when the web is idle the others have the CPU anyway.
# 10 rather than 5 since the web spools (storage/spool.py): it no longer waits for a lock the
# worker holds, so a worker pre-empted mid-transaction holds up no acknowledgement (at 10
# before the spool, it did, and the acknowledgement's p99 grew).
BELOW_THE_WEB = 10


def started_by_serve() -> None:
    """Give the web the CPU first (see BELOW_THE_WEB)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(BELOW_THE_WEB)


def forward(wake: threading.Event, fd: int, stop: threading.Event) -> threading.Thread:
    """In the worker: pass each `wake` on to the sender process through `fd`."""
    os.set_blocking(fd, False)

    def write() -> None:
        while not stop.is_set():
            wake.wait()
            wake.clear()
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(fd, b"\0")

    thread = threading.Thread(target=write, name="madoguchi-wake-sender", daemon=True)
    thread.start()
    return thread


def listen(fd: int, wake: threading.Event, stop: threading.Event | None = None) -> threading.Thread:
    """In a child: set `wake` for every wake-up on `fd`; at its end (serve is gone), set
    `stop` if given (the pipe from serve itself; the worker's pipe to the sender ends with it)."""

    def read() -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                if stop is not None:
                    log.info("serve is gone: stopping")
                    stop.set()
                    wake.set()
                return
            wake.set()

    thread = threading.Thread(target=read, name="madoguchi-wake", daemon=True)
    thread.start()
    return thread
