"""The loop in process: the real run driver, a real git repository and worktree, the real test
runner, and the scripted model (agent.testing.scripted) instead of HTTP. Fast enough to test
every loop behaviour directly; the CLI-over-HTTP tests keep only what needs the wire.

    def test_x(loop_run, tmp_path):
        repo = make_repo(tmp_path, {...})
        run = loop_run(repo, [plan_turn("Add sub"), diff_turn(...), finish_turn()], max_attempts=2)
        assert run.result.status == "done"
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.approval import YesApprover
from agent.config import load_config
from agent.core.driver import RunResult, new_session_id, run_session
from agent.events import Event, EventBus
from agent.sessions.store import SessionStore, meta_sink
from agent.testing.scripted import ScriptedModel
from agent.workspace import Repo


@dataclass
class LoopRun:
    result: RunResult
    events: list[Event] = field(default_factory=list)
    model: ScriptedModel | None = None

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == type_]


def person_path() -> str:
    """PATH with this interpreter's `python` first: the person's environment, as the CLI tests set it."""
    return os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def run_loop(repo_root: Path, turns: list[dict[str, Any]], intent: str = "do the thing", *, approver=None,
             **overrides: Any) -> LoopRun:
    """One session through the real driver, answered by a scripted model; never raises."""
    repo = Repo.find(repo_root)
    config = load_config(repo.root, overrides, env={})
    model = ScriptedModel({"turns": turns})
    events: list[Event] = []
    session_id = new_session_id()
    store = SessionStore(repo.git_common_dir)
    log = store.open_log(session_id)  # the durable log and meta, as agent.cli.wiring.drive keeps them
    bus = EventBus(events.append, log, meta_sink(store, session_id))
    try:
        result = run_session(intent, repo=repo, config=config, approver=approver or YesApprover(), events=bus,
                             model=model, cwd=repo.root, session_id=session_id)
    finally:
        log.close()
    return LoopRun(result, events, model)
