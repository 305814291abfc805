"""Continue a session where it stopped: same worktree and branch, same plan, the remaining steps.

The worktree is reset to its last commit first, so a step that was interrupted half-way (a diff
applied, tests running, an approval pending) is rolled back and redone from its start; every
committed step stays. state.json (the last checkpoint) gives the plan, the conversation and the
person's feedback; if no plan was approved yet, the session plans again from its intent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agent.errors import AgentError, RepoError, UsageError
from agent.events import EventBus
from agent.sessions.state import Durable, load_state, restore_run
from agent.sessions.store import SessionStore, repair_torn_tail

NOT_RESUMABLE = {"done": "it is done", "rejected": "the person rejected it"}
STALE_FILES = ("pending.json", "decision.json")  # a question from the process that died


def check_resumable(store: SessionStore, meta: dict[str, Any]) -> dict[str, Any]:
    """The session's state.json, or a UsageError saying why it cannot be continued."""
    from agent.sessions.status import summarize

    sid = meta["id"]
    if meta.get("discarded"):
        raise UsageError(f"session {sid} was discarded")
    info = summarize(store, meta)
    if info["running"]:
        raise UsageError(f"session {sid} is running (pid {meta.get('pid')})", hint=f"`agent attach {sid}` to watch it")
    result = info["result"]
    quit_at_a_step = any(s.get("status") == "quit" for s in ((result or {}).get("plan") or {}).get("steps", []))
    if result and result.get("status") in NOT_RESUMABLE and not quit_at_a_step:  # [q]uit at a step: resumable
        raise UsageError(f"session {sid} cannot be resumed: {NOT_RESUMABLE[result['status']]}")
    data = load_state(store.dir(sid))
    if data is None:
        raise RepoError(f"session {sid} has no saved state to resume from")
    return data


def continue_session(session_id: str, *, repo, store: SessionStore, config, approver, events: EventBus, model):
    """Run a launched-but-never-started session afresh, or resume a started one."""
    from agent.core.driver import run_session

    meta = store.meta(session_id) or {}
    data = load_state(store.dir(session_id)) or {}
    if not meta.get("branch"):
        return run_session(data.get("intent") or meta.get("intent", ""), repo=repo, config=config, approver=approver,
                           events=events, model=model, session_id=session_id,
                           cwd=Path(data.get("cwd") or repo.root))
    return resume_session(session_id, repo=repo, store=store, config=config, approver=approver, events=events,
                          model=model)


def resume_session(session_id: str, *, repo, store: SessionStore, config, approver, events: EventBus, model):
    """Like agent.core.driver.run_session, from the last checkpoint. Never raises AgentError."""
    from agent.core.conversation import Conversation, Usage
    from agent.core.driver import (
        RunResult,
        _instructions,
        _repo_map,
        close_run,
        record_ending,
        start_extensions,
        system_prompt,
    )
    from agent.core.loop import Loop, RunState
    from agent.testsuite.runner import TestRunner

    started = time.monotonic()
    meta = store.meta(session_id) or {}
    data = load_state(store.dir(session_id)) or {}
    intent = data.get("intent") or meta.get("intent", "")
    cwd = Path(data.get("cwd") or repo.root)
    result = RunResult(status="error", exit_code=1, session_id=session_id, intent=intent)
    prior_usage, prior_cost = _usage_so_far(store.events(session_id))
    state, workspace, baseline, extensions = RunState(intent=intent), None, None, None
    durable = Durable(store, session_id, intent=intent, config=config, cwd=cwd)
    durable.acquire()  # before the try: a refused resume must not write a result into a running session's log
    if hasattr(model, "carry_over"):  # earlier processes' spending counts in the totals and the budgets
        model.carry_over(Usage(**prior_usage), prior_cost)
    try:
        repair_torn_tail(store.dir(session_id) / "events.jsonl")
        for name in STALE_FILES:
            (store.dir(session_id) / name).unlink(missing_ok=True)
        workspace = repo.open_worktree(session_id, meta["branch"], Path(meta["worktree"]),
                                       base_commit=meta.get("base_commit"))
        result.branch, result.worktree, result.base_commit = workspace.branch, str(workspace.root), workspace.base_commit
        rolled_back = workspace.changed_files()
        workspace.reset_hard()  # drop whatever the interrupted step left half-done
        state, conv = restore_run(data)
        remaining = [s.index for s in state.plan.steps if s.status == "pending"] if state.plan else []
        events.emit("session_resumed", session_id=session_id, intent=intent, branch=workspace.branch,
                    worktree=str(workspace.root), base_commit=workspace.base_commit, repo=str(repo.root),
                    planned=state.plan is not None, remaining_steps=remaining, rolled_back=rolled_back)
        tests = TestRunner(workspace.root, config.test_command, config.test_timeout)
        state.test_command = tests.command
        if conv is None:
            conv = Conversation(system_prompt(config, _instructions(repo, cwd, events), repo.root))
        baseline = _baseline(tests, config, state)
        extensions = start_extensions(config, workspace, repo, session_id, intent, events, approver)
        loop = Loop(model, workspace, tests, approver, events, config, conversation=conv,
                    repo_map=_repo_map(workspace.root), checkpoint=durable.checkpoint, baseline=baseline,
                    extensions=extensions)
        if state.plan is None:
            loop.make_plan(state)
        loop.run_steps(state)
        result.status, result.exit_code = "done", 0
    except (AgentError, KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - every ending becomes the result
        record_ending(result, exc, events)
    finally:
        close_run(result, state, workspace, model, started, events, baseline, extensions)
        durable.release()
    return result


def _baseline(tests, config, state):
    """A fresh baseline test run when nothing was committed yet (the worktree is the base commit
    again); after a commit, the failures found by the first process's baseline are in the state."""
    from agent.testsuite.baseline import Baseline

    if not tests.command or not config.baseline_tests:
        return None
    if state.plan is not None and any(s.status == "committed" for s in state.plan.steps):
        return None
    return Baseline(tests)


def _usage_so_far(events: list[dict[str, Any]]) -> tuple[dict[str, int], float | None]:
    usage = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0}
    cost = None
    for e in events:
        if e.get("type") == "model_call_finished":
            for k in usage:
                usage[k] += int((e.get("usage") or {}).get(k) or 0)
            if e.get("cost") is not None:
                cost = (cost or 0.0) + float(e["cost"])
    return usage, cost
