"""Fleet test helpers: task files of calc repositories, a replay server per task that serves any
number of fresh sessions (a retried or resumed task starts again at the plan)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

from agent.testing.replay import ReplayServer
from agent.testing.replay.server import HTTPError
from tests.helpers_git import make_repo
from tests.sessions.conftest import FAST_TESTS, INTENT, TURNS, server_args

FILES = {"calc.py": "def add(a, b):\n    return a + b\n",
         "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
         "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}


class TaskServer(ReplayServer):
    """A replay server for one task. A request that opens a plan (submit_plan offered, no model
    output yet) starts the script again; `gate` holds the first request for that turn until
    `release` is set, and then fails it (its client is gone: the test killed it)."""

    def __init__(self, script, gate: int | None = None):
        super().__init__(script)
        self.gate, self.sessions = gate, 0
        self.reached, self.release = threading.Event(), threading.Event()

    def take_turn(self, kind, body, raw):
        if _opens_plan(body):
            with self._lock:
                self._next, self.sessions = 0, self.sessions + 1
        elif self.gate is not None and self._next == self.gate and not self.release.is_set():
            self.reached.set()
            self.release.wait(120)
            raise HTTPError(503, "held for a test", headers={"x-should-retry": "false"})
        return super().take_turn(kind, body, raw)

    def stop(self) -> None:
        self.release.set()
        super().stop()


def _opens_plan(body) -> bool:
    tools = [t.get("name") or (t.get("function") or {}).get("name") for t in body.get("tools") or []]
    items = body.get("input") or body.get("messages") or []
    by_model = [i for i in items if isinstance(i, dict) and (i.get("role") == "assistant"
                                                             or i.get("type") in ("reasoning", "function_call"))]
    return "submit_plan" in tools and not by_model


def write_tasks(tmp: Path, servers, *, args=(), **fields) -> Path:
    lines = []
    for n, server in enumerate(servers):
        repo = tmp / f"repo{n}"
        if not repo.exists():
            make_repo(tmp, FILES, name=f"repo{n}")
        lines.append({"intent": f"{INTENT} (task {n})", "repo": f"repo{n}", "id": f"t{n}",
                      "args": ["--test-command", FAST_TESTS, *server_args(server), *args], **fields})
    path = tmp / "tasks.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def servers_for(count: int, turns=TURNS, **kw) -> list[TaskServer]:
    return [TaskServer({"turns": turns}, **kw).start() for _ in range(count)]


def lines_of(stdout: str) -> list[dict]:
    return sorted((json.loads(t) for t in stdout.splitlines() if t.startswith("{")), key=lambda r: r["task"])


def comparable(line: dict) -> tuple:
    return (line["id"], line["status"], line["exit_code"], line["commits"], tuple(line["steps"]))


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
