"""Continue a session where it stopped: same worktree and branch, same plan, the remaining steps.

The worktree is reset to its last commit first, so a step that was interrupted half-way (a diff
applied, tests running, an approval pending) is rolled back and redone from its start; every
committed step stays. state.json (the last checkpoint) gives the plan, the conversation and the
person's feedback; if no plan was approved yet, the session plans again from its intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.errors import RepoError, UsageError
from agent.sessions.state import load_state, restore_run
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


class ResumeStart:
    """How the run driver (agent.core.driver) opens a resumed session: its own worktree, rolled back
    to the last commit, and the plan and conversation of the last checkpoint."""

    resumed = True

    def __init__(self, store: SessionStore, session_id: str, repo):
        self.store, self.session_id = store, session_id
        self.meta = store.meta(session_id) or {}
        self.data = load_state(store.dir(session_id)) or {}
        self.intent = self.data.get("intent") or self.meta.get("intent", "")
        self.cwd = Path(self.data.get("cwd") or repo.root)
        self.prior_usage, self.prior_cost = _usage_so_far(store.events(session_id))

    def open(self, driver):
        from agent.core.conversation import Conversation
        from agent.core.instructions import load_instructions, system_prompt

        session_dir, meta, repo, events = self.store.dir(self.session_id), self.meta, driver.repo, driver.events
        repair_torn_tail(session_dir / "events.jsonl")
        for name in STALE_FILES:
            (session_dir / name).unlink(missing_ok=True)
        workspace = repo.open_worktree(self.session_id, meta["branch"], Path(meta["worktree"]),
                                       base_commit=meta.get("base_commit"))
        driver.result.branch, driver.result.worktree = workspace.branch, str(workspace.root)
        driver.result.base_commit = workspace.base_commit
        rolled_back = workspace.changed_files()
        workspace.reset_hard()  # drop whatever the interrupted step left half-done
        state, conv = restore_run(self.data)
        remaining = [s.index for s in state.plan.steps if s.status == "pending"] if state.plan else []
        events.emit("session_resumed", session_id=self.session_id, intent=self.intent, branch=workspace.branch,
                    worktree=str(workspace.root), base_commit=workspace.base_commit, repo=str(repo.root),
                    planned=state.plan is not None, remaining_steps=remaining, rolled_back=rolled_back)
        if conv is None:
            instructions = load_instructions(repo.root, self.cwd)
            if instructions:
                events.emit("instructions_loaded", files=[path for path, _ in instructions])
            conv = Conversation(system_prompt(driver.config, instructions, repo.root))
        return workspace, state, conv


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
