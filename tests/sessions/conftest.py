"""Helpers for session tests: the real CLI in subprocesses, a gated replay server, log polling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import (
    ADD_MUL,
    ADD_SUB,
    CALC,
    CALC_TESTS,
    FIX_SUB,
    TEST_SUB,
    agent_cmd,
    call,
    diff_turn,
    finish_turn,
    plan_turn,
    user_env,
)
from tests.helpers_git import git, make_repo

FAST_TESTS = "python -c 'import calc; assert calc.add(2, 3) == 5'"  # pytest start-up costs seconds per run
PLAN = plan_turn("Add sub", "Add mul")
SUB = {"tool_calls": [call("apply_diff", diff=ADD_SUB + TEST_SUB), call("apply_diff", diff=FIX_SUB)]}
MUL = diff_turn(ADD_MUL)
TURNS = [PLAN, SUB, finish_turn("added sub"), MUL, finish_turn("added mul")]  # an uninterrupted run
STEP1 = TURNS[1:]  # resumed at step 1: both steps again
STEP2 = TURNS[3:]  # resumed at step 2
INTENT = "add sub and mul"
TIMEOUT = 60.0


class GatedServer(ReplayServer):
    """Holds the request for turn `gate` (0-based) until released: a model call in flight, on purpose."""

    def __init__(self, script, gate: int | None = None):
        super().__init__(script)
        self.gate = gate
        self.reached = threading.Event()
        self.release = threading.Event()

    def take_turn(self, kind, body, raw):
        if self.gate is not None and self._next == self.gate and not self.release.is_set():
            self.reached.set()
            self.release.wait(TIMEOUT)
        return super().take_turn(kind, body, raw)

    def stop(self) -> None:
        self.release.set()
        super().stop()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS,
                                "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"})


def server_args(server) -> list[str]:
    return ["--base-url", server.base_url, "--model", "replay"]


def spawn(repo: Path, *args: str, env: dict | None = None, out: Path | None = None) -> subprocess.Popen:
    """The agent in the background of the test; stdout to a file (a pipe nobody reads can fill up)."""
    out = out or repo.parent / f"agent-{time.monotonic_ns()}.out"
    with out.open("w") as fh:
        proc = subprocess.Popen(agent_cmd(*args), cwd=repo, env=env or user_env(), stdin=subprocess.DEVNULL,
                                stdout=fh, stderr=subprocess.STDOUT)
    proc.out_path = out  # type: ignore[attr-defined]
    return proc


def cli(repo: Path, *args: str, env: dict | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(agent_cmd(*args), cwd=repo, env=env or user_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def sessions_dir(repo: Path) -> Path:
    return repo / ".git" / "agent" / "sessions"


def only_session(repo: Path) -> str:
    ids = wait_for(lambda: [p.name for p in sessions_dir(repo).iterdir()] if sessions_dir(repo).is_dir() else None,
                   "a session directory")
    assert len(ids) == 1, ids
    return ids[0]


def events(repo: Path, sid: str) -> list[dict]:
    from agent.sessions.store import read_events

    return read_events(sessions_dir(repo) / sid / "events.jsonl")


def wait_for(predicate, what: str, timeout: float = TIMEOUT, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"agent exited ({proc.returncode}) before {what}:\n{proc.out_path.read_text()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_event(repo: Path, sid: str, match, what: str, proc=None) -> dict:
    return wait_for(lambda: next((e for e in events(repo, sid) if match(e)), None), what, proc=proc)


def kill(proc_or_pid) -> None:
    pid = proc_or_pid if isinstance(proc_or_pid, int) else proc_or_pid.pid
    os.kill(pid, signal.SIGKILL)
    if not isinstance(proc_or_pid, int):
        proc_or_pid.wait(10)


def meta(repo: Path, sid: str) -> dict:
    return json.loads((sessions_dir(repo) / sid / "meta.json").read_text())


def branch_fingerprint(repo: Path, branch: str, base: str = "main") -> tuple[str, list[str]]:
    """What an interrupted-and-resumed run must share with an uninterrupted one: tree and commit messages."""
    messages = git(repo, "log", "--reverse", "--format=%B%x00", f"{base}..{branch}").split("\0")
    return git(repo, "rev-parse", f"{branch}^{{tree}}"), [m.strip() for m in messages if m.strip()]


def result_of(stdout: str) -> dict:
    finished = [json.loads(line) for line in stdout.splitlines()
                if line.startswith("{") and '"session_finished"' in line]
    assert finished, stdout[-3000:]
    return finished[-1]



@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> tuple[str, list[str]]:
    """An uninterrupted run: the branch every interrupted-and-resumed run must end with."""
    repo = make_repo(tmp_path_factory.mktemp("ref"), {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS,
                                                      "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"})
    with ReplayServer({"turns": TURNS}) as server:
        run = cli(repo, "run", INTENT, "--yes", "--json", "--test-command", FAST_TESTS, *server_args(server))
    assert run.returncode == 0, run.stderr
    fingerprint = branch_fingerprint(repo, result_of(run.stdout)["branch"])
    assert len(fingerprint[1]) == 2
    return fingerprint
