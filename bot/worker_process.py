"""`serve`'s worker in a process of its own, woken through a pipe the moment a webhook is stored.

One Python process has one interpreter lock: the web threads acknowledging a burst and the
worker handling it took turns at it, and the worker fell behind. In a process of its own the
worker has a core to itself. The pipe carries wake-ups (any byte) and its end tells the worker
that `serve` is gone: the worker then finishes what it is sending and stops, so it never
outlives the process that started it. A worker that dies is started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)

RESTART_PAUSE = 1.0  # seconds before a worker that died is started again


class WorkerProcess:
    """Runs `madoguchi worker --wake-fd N` with `env`, restarting it if it dies."""

    def __init__(self, env: Mapping[str, str], log_level: str = "INFO") -> None:
        self._env = dict(env)
        self._log_level = log_level
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="madoguchi-worker-watch")
        self._watcher.daemon = True

    def start(self) -> None:
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
            process.terminate()
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the worker did not stop within %.0f s: killed", timeout)
                process.kill()
                code = process.wait()
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
        return code

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "bot", "--log-level", self._log_level, "worker"]
        with self._lock:
            self._process = subprocess.Popen(
                [*command, "--wake-fd", str(self._read)], env=self._env, pass_fds=(self._read,)
            )

    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error("the worker stopped unexpectedly (exit code %s); starting it again", code)
            time.sleep(RESTART_PAUSE)
            if not self._stopping.is_set():
                self._spawn()


def listen(fd: int, wake: threading.Event, stop: threading.Event) -> threading.Thread:
    """In the worker: set `wake` for every wake-up on `fd`; at its end (serve is gone), `stop`."""

    def read() -> None:
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                log.info("serve is gone: stopping")
                stop.set()
                wake.set()
                return
            wake.set()

    thread = threading.Thread(target=read, name="madoguchi-wake", daemon=True)
    thread.start()
    return thread
