"""One lock per session (fcntl.flock on <session dir>/lock), held by the process running it.

Two processes never run the same session: `agent resume` on a running session, or a second
worker, is refused. The lock also answers "is anyone running this session?" without trusting
pids (a SIGKILLed child stays a zombie, and pids are reused): the kernel drops a flock when its
holder dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from agent.errors import UsageError

LOCK_FILE = "lock"
_HELD: dict[str, list[int]] = {}  # path -> [fd, depth]: re-entrant within one process


class SessionBusy(UsageError):
    status = "session_busy"


def acquire(session_dir: Path, *, wait: float = 0.0) -> None:
    """Take the session's lock, polling up to `wait` seconds; raise SessionBusy if still held."""
    path = Path(session_dir) / LOCK_FILE
    key = str(path)
    if key in _HELD:
        _HELD[key][1] += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by children (PEP 446)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise SessionBusy(f"session {path.parent.name} is being run by another process"
                                  f"{_holder(path)}", hint="`agent attach` to watch it") from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _HELD[key] = [fd, 1]


def release(session_dir: Path) -> None:
    key = str(Path(session_dir) / LOCK_FILE)
    held = _HELD.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] == 0:
        del _HELD[key]
        os.close(held[0])  # closing the descriptor drops the flock


def is_running(session_dir: Path) -> bool:
    """True while some process (this one included) holds the session's lock."""
    path = Path(session_dir) / LOCK_FILE
    if str(path) in _HELD:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid else ""
