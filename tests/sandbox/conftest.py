"""Helpers for containment tests: bubblewrap or a loud skip, the user's state before/after, a
127.0.0.1 listener that records whatever reaches it, and processes found by command line.

A test may skip only where bubblewrap truly cannot run; CI sets AGENT_REQUIRE_BWRAP=1, which
turns that skip into a failure (.ci/run)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from agent.errors import SandboxUnavailable
from tests.helpers_git import snapshot

ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture
def bwrap():
    from agent.sandbox.bwrap import probe

    try:
        return probe()
    except SandboxUnavailable as exc:
        if os.environ.get("AGENT_REQUIRE_BWRAP"):
            pytest.fail(f"bubblewrap must run here (AGENT_REQUIRE_BWRAP is set): {exc}")
        pytest.skip(f"bubblewrap cannot run here: {exc}")


# .git entries the agent itself writes for a session (its worktree registration, branch, objects,
# session log); everything else under .git must stay byte-identical.
_AGENT_OWN = ("objects/", "worktrees/", "agent/", "refs/heads/agent/", "logs/refs/heads/agent/", "refs/agent-base/",
              "info/exclude")


def git_state(repo: Path) -> dict[str, bytes]:
    files = snapshot(repo / ".git", skip=())
    return {k: v for k, v in files.items() if not k.startswith(_AGENT_OWN)}


def user_state(repo: Path, *others: Path) -> dict[str, dict[str, bytes]]:
    """The checkout (tracked, uncommitted and untracked files), .git (HEAD, config, branches,
    stash, hooks, index), and any other directory named: all byte for byte."""
    state = {"checkout": snapshot(repo), "git": git_state(repo)}
    for other in others:
        state[str(other)] = snapshot(other, skip=())
    return state


class Listener:
    """A TCP server on 127.0.0.1 recording every connection and the bytes it got."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536) or b"<connected>")
            except OSError:
                self.received.append(b"<connected>")
            conn.close()

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def running(command_line: str) -> list[int]:
    """Pids of live processes whose command line starts with `command_line`."""
    out = subprocess.run(["pgrep", "-f", "^" + command_line], capture_output=True, text=True).stdout
    pids = []
    for pid in map(int, out.split()):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z":
            pids.append(pid)
    return pids


def processes_in(root: Path) -> list[int]:
    """Pids of live processes whose working directory is under `root`."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry.name}/cwd")
                state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and (cwd == str(root) or cwd.startswith(str(root) + "/")):
                pids.append(int(entry.name))
    return pids


def wait_until(predicate, timeout: float = 60.0, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def new_file_diff(path: str, text: str) -> str:
    lines = text.splitlines()
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{ln}\n" for ln in lines)
