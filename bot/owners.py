"""Who holds a lease: this process by host, pid and start time, and whether a holder is dead.

A sender killed mid-send leaves leases on the rows it was sending. Waiting them out would keep
residents waiting, so a starting sender releases the leases of holders it can prove dead: on
its own host, a pid that no longer runs, or that now runs a process started at another time
(the pid was reused, as a restarted container's first process reuses pid 1). A holder on
another host cannot be checked from here; its leases run out on their own.
"""

from __future__ import annotations

import os
import socket
from functools import cache


@cache
def this_process() -> str:
    """This process as a lease holder: `host:pid:start`, at most 120 characters."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_started(pid) or 0}"


def is_dead(owner: str) -> bool:
    """True only when `owner` certainly no longer runs."""
    try:
        host, pid_text, started_text = owner.rsplit(":", 2)
        pid, started = int(pid_text), int(started_text)
    except ValueError:
        return False
    if host != _host():
        return False
    if pid == os.getpid():
        # This very pid: the holder was an earlier life of it, or it is us.
        return owner != this_process()
    stat = _stat(pid)
    if stat is not None:
        state, running_since = stat
        # Killed but not yet reaped (a zombie): `serve` killed with its children leaves them so
        # for a second or two, just when the restarted sender looks.
        return running_since != started or state in (b"Z", b"X")
    return not _running(pid)


def _host() -> str:
    return socket.gethostname()[:80]


def _started(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (Linux's /proc), or None if unknown."""
    stat = _stat(pid)
    return stat[1] if stat is not None else None


def _stat(pid: int) -> tuple[bytes, int] | None:
    """The state of `pid` (R, S, Z…) and when it started, from Linux's /proc; None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # Fields 3 and 22 of stat are the state and the start time; the split began at field 3.
    return fields[0], int(fields[19])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
