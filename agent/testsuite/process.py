"""Running a test command: its own process group, bounded output capture, a hard timeout, and
a kill of the whole group (grandchildren too) on timeout, Ctrl-C and after a normal exit.

Sandboxed, the command is bubblewrap, whose sandbox has its own PID namespace: when bwrap is
killed (or the agent dies, even by kill -9: --die-with-parent) the namespace's init dies and the
kernel kills everything inside, `setsid` children included. kill_group also waits for that.
Unsandboxed (`--sandbox off`), processes that left the group before the kill can survive."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

HEAD_BYTES = 20_000  # of captured output kept from the start ...
TAIL_BYTES = 80_000  # ... and from the end
TERM_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


class _Capture:
    """Keeps the first HEAD_BYTES and the last TAIL_BYTES of a stream, counting what it drops."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= TAIL_BYTES:
                self.tail_size -= len(self.tail[0])
                self.dropped += len(self.tail.popleft())

    def text(self) -> str:
        tail = b"".join(self.tail)
        if self.tail_size > TAIL_BYTES:
            self.dropped += self.tail_size - TAIL_BYTES
            tail = tail[-TAIL_BYTES:]
            self.tail, self.tail_size = deque([tail]), len(tail)
        middle = f"\n[... {self.dropped} bytes of output cut ...]\n".encode() if self.dropped else b""
        return _ANSI.sub("", (bytes(self.head) + middle + tail).decode("utf-8", "replace"))


def run_group(argv: list[str], cwd: Path, env: dict[str, str], timeout: float,
               track=lambda proc, running: None) -> tuple[int | None, bool, str]:
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    track(proc, True)
    capture = _Capture()

    def pump() -> None:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read1(65536), b""):
            capture.feed(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    finally:
        # Always clear the group: on timeout and Ctrl-C, and after a normal exit for anything
        # the tests left running (it would hold our pipe open).
        kill_group(proc, graceful=proc.returncode is None)
        reader.join(timeout=2.0)
        if proc.stdout and not reader.is_alive():  # else a process that left the group holds the pipe
            proc.stdout.close()
        track(proc, False)
    return (None if timed_out else proc.returncode), timed_out, capture.text()


def kill_group(proc: subprocess.Popen, graceful: bool) -> None:
    # Every process below the leader now, wherever its group: a sandbox's init, `setsid` children.
    tree = _descendants(proc.pid) if proc.poll() is None else []

    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    try:
        if graceful and signal_group(signal.SIGTERM):
            deadline = time.monotonic() + TERM_GRACE
            while time.monotonic() < deadline and _group_alive(proc):
                time.sleep(0.05)
    finally:  # a second Ctrl-C during the grace period still kills everything
        signal_group(signal.SIGKILL)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _wait_gone(tree, 5.0)


def _process_table() -> dict[int, tuple[int, bytes, int]]:
    """pid -> (parent pid, state, process group) of every process we can see."""
    table = {}
    try:
        entries = os.scandir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), fields[0], int(fields[2]))
    return table


def _descendants(pid: int) -> list[int]:
    table = _process_table()
    children: dict[int, list[int]] = {}
    for child, (parent, _state, _group) in table.items():
        children.setdefault(parent, []).append(child)
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _wait_gone(pids: list[int], timeout: float) -> None:
    """Until none of `pids` runs any more (zombies are dead)."""
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    if fh.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                        alive.append(pid)
            except OSError:
                pass
        if not alive:
            return
        pids = alive
        time.sleep(0.02)


def _group_alive(proc: subprocess.Popen) -> bool:
    """Whether any process of the group still runs (zombies don't count: they are dead already)."""
    proc.poll()  # reap the leader
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True
    # Orphaned children of the killed leader may linger as zombies when PID 1 doesn't reap.
    return any(group == proc.pid and state != b"Z" for _, state, group in _process_table().values())
