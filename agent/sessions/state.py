"""state.json: what a resume needs beyond the event log, written atomically at each checkpoint.

    {"intent", "cwd", "overrides": {config values to run with again; never a key},
     "options": {launch options: approver, output_patch, tty},
     "run": {"plan": {...}, "feedback": [...], "last_tests": {...}} | null,   # null: not planned yet
     "conversation": Conversation.to_dict() | null, "checkpoints": n, "ts"}

The Loop calls the checkpoint when the plan is approved and after each finished step, with the
worktree committed or clean, so the state on disk always matches a commit on the branch.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from agent.core.conversation import Conversation
from agent.core.plan import Plan, PlanStep

STATE_FILE = "state.json"
# Config fields a resumed session runs with again (resolved values, so env/flags at launch count).
RESUME_KEYS = ("model", "api", "provider", "base_url", "api_key_env", "test_command", "test_timeout", "max_attempts",
               "max_steps", "max_turns", "max_cost", "max_tokens", "syntax_check", "system_prompt",
               "request_deadline", "retry_budget", "test_strategy", "keep_failed", "sandbox",
               "setup_command")
DONE_STEPS = ("committed", "no_change_needed", "skipped", "unchanged")  # "unchanged": logs before no_change_needed


def config_overrides(config) -> dict[str, Any]:
    return {k: getattr(config, k) for k in RESUME_KEYS if getattr(config, k, None) is not None}


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Atomically and durably (fsync): a resume after kill -9 reads the old or the new state."""
    from agent.atomic import write_json

    write_json(path, data, durable=True)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def load_state(session_dir: Path) -> dict[str, Any] | None:
    return read_json(Path(session_dir) / STATE_FILE)


def init_state(session_dir: Path, *, intent: str, cwd: Path, overrides: dict[str, Any],
               options: dict[str, Any] | None = None) -> None:
    """The launch record: enough to plan again from the intent if nothing was approved yet."""
    write_json_atomic(Path(session_dir) / STATE_FILE, {
        "intent": intent, "cwd": str(cwd), "overrides": overrides, "options": options or {},
        "run": None, "conversation": None, "checkpoints": 0, "ts": time.time()})


def save_checkpoint(session_dir: Path, state, conv: Conversation) -> None:
    path = Path(session_dir) / STATE_FILE
    data = read_json(path) or {"intent": state.intent, "overrides": {}, "options": {}, "checkpoints": 0}
    data["run"] = {"plan": state.plan.to_dict() if state.plan else None, "feedback": list(state.feedback),
                   "last_tests": state.last_tests,
                   "baseline_failures": list(getattr(state, "baseline_failures", None) or [])}
    data["conversation"] = conv.to_dict()
    data["checkpoints"] = int(data.get("checkpoints") or 0) + 1
    data["ts"] = time.time()
    write_json_atomic(path, data)


def restore_run(data: dict[str, Any]):
    """(RunState, Conversation) at the last checkpoint, or (RunState with no plan, None).

    Steps not finished at the checkpoint go back to pending: Loop.run_steps redoes them."""
    from agent.core.loop import RunState

    state = RunState(intent=data["intent"])
    run = data.get("run") or {}
    plan = run.get("plan")
    if not plan or not data.get("conversation"):
        return state, None
    steps = [PlanStep(**{k: s.get(k) for k in ("index", "title", "description", "files", "status", "commit", "summary")})
             for s in plan["steps"]]
    for s in steps:
        s.files = s.files or []
        s.summary = s.summary or ""
        if s.status not in DONE_STEPS:
            s.status, s.commit = "pending", None
    state.plan = Plan(plan.get("summary", ""), steps)
    state.feedback = list(run.get("feedback") or [])
    state.last_tests = run.get("last_tests")
    if hasattr(state, "baseline_failures"):
        state.baseline_failures = list(run.get("baseline_failures") or [])
    return state, Conversation.from_dict(data["conversation"])


class Durable:
    """What a session process keeps besides the log: the session lock, its pid, state.json."""

    def __init__(self, store, session_id: str, *, intent: str, config, cwd: Path):
        self.store, self.session_id = store, session_id
        self.dir = store.dir(session_id)
        self.intent, self.config, self.cwd = intent, config, cwd

    def acquire(self) -> None:
        from agent.sessions import lock

        lock.acquire(self.dir, wait=3.0)
        self.store.write_meta(self.session_id, pid=os.getpid())
        if load_state(self.dir) is None:
            init_state(self.dir, intent=self.intent, cwd=self.cwd, overrides=config_overrides(self.config))

    def checkpoint(self, state, conv: Conversation) -> None:
        save_checkpoint(self.dir, state, conv)

    def release(self) -> None:
        from agent.sessions import lock

        lock.release(self.dir)


def durable_for(repo, session_id: str, intent: str, config, cwd: Path | None) -> Durable | None:
    """The Durable of a session in `repo`, or None for a repo without a git dir (unit-test fakes)."""
    common = getattr(repo, "git_common_dir", None)
    if common is None:
        return None
    from agent.sessions.store import SessionStore

    return Durable(SessionStore(Path(common)), session_id, intent=intent, config=config,
                   cwd=Path(cwd or repo.root))
