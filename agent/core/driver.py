"""Wires one session together: repository, worktree, model, tests, loop, log and result.

The CLI calls `run_session`; everything here is plain Python so it can be tested without a
terminal. The result object is the documented contract CI relies on (see README).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.core import prompts
from agent.core.conversation import Conversation
from agent.core.loop import Loop, RunState, finish_reason
from agent.core.seams import Approver, Model
from agent.errors import AgentError
from agent.events import EventBus
from agent.sessions.state import durable_for
from agent.testsuite.baseline import Baseline


@dataclass
class RunResult:
    status: str
    exit_code: int
    session_id: str
    intent: str
    branch: str | None = None
    worktree: str | None = None
    base_commit: str | None = None
    plan: dict[str, Any] | None = None
    commits: list[dict[str, Any]] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    tests: dict[str, Any] | None = None
    test_command: str | None = None  # what ran the tests (detected or configured); None: no test command
    preexisting_failures: list[str] = field(default_factory=list)  # exact ids failing before any change
    new_failures: list[str] = field(default_factory=list)  # exact ids failing in the last run, not at baseline
    tests_run: int | None = None  # tests that really ran in the last test run (None: the runner doesn't say)
    unverified: list[str] = field(default_factory=list)  # what could not be checked (collection errors, ...)
    steps: list[dict[str, Any]] = field(default_factory=list)  # [{index, title, outcome, commit}]
    usage: dict[str, int] = field(default_factory=dict)
    cost: float | None = None
    duration: float = 0.0
    message: str = ""
    ignored_settings: list[str] = field(default_factory=list)  # repository settings not trusted
    exception: BaseException | None = field(default=None, repr=False)  # a bug, re-raised under AGENT_DEBUG

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "exception"}


def record_ending(result: RunResult, exc: BaseException, events: EventBus) -> None:
    """Every way a run can end becomes the result's status, exit code and one-line message."""
    reason = finish_reason(exc)
    result.status, result.exit_code, result.message = reason.status, reason.exit_code, str(reason)
    if not isinstance(exc, AgentError | KeyboardInterrupt):
        result.message = f"internal error: {type(exc).__name__}: {exc}"
        result.exception = exc
    events.emit("error", message=result.message, kind=type(reason).__name__)


def new_session_id() -> str:
    return secrets.token_hex(4)


def system_prompt(config: Config, instructions: list[tuple[str, str]], repo_root: Path) -> str:
    """The stable prefix of every request: our system prompt (or the configured override), then
    the project's instructions."""
    from agent.core.instructions import format_instructions, load_system_prompt

    text = load_system_prompt(config.system_prompt, repo_root) or prompts.load("system.md")
    if instructions:
        text += "\n\n# Project instructions\n\n" + format_instructions(instructions)
    return text


def ignored_warning(config: Config) -> str:
    files = ", ".join(config.repo_trust.settings) if config.repo_trust is not None else "the repository"
    return (f"ignored settings from {files} that need your trust: {', '.join(config.ignored_settings)} "
            "(trust them at the prompt of an interactive run, or pass --trust-repo-config)")


def run_session(
    intent: str,
    *,
    repo,
    config: Config,
    approver: Approver,
    events: EventBus,
    model: Model,
    session_id: str | None = None,
    cwd: Path | None = None,
) -> RunResult:
    """Run one session end to end and return its result. Never raises AgentError: every ending
    (done, rejected, failing tests, budget, Ctrl-C, model error) becomes the result.

    The model is built by the caller first, so a configuration problem (say, a missing key)
    stops everything before a worktree or session exists."""
    from agent.core.instructions import load_instructions
    from agent.testsuite.runner import TestRunner

    started = time.monotonic()
    session_id = session_id or new_session_id()
    result = RunResult(status="error", exit_code=1, session_id=session_id, intent=intent)
    workspace = None
    state = RunState(intent=intent)
    baseline = extensions = None
    durable = durable_for(repo, session_id, intent, config, cwd)  # session lock + state.json at checkpoints
    result.ignored_settings = list(config.ignored_settings)
    try:
        if config.ignored_settings:
            events.emit("warning", message=ignored_warning(config))
        if durable is not None:
            durable.acquire()
        dirty = repo.dirty_files()
        instructions = load_instructions(repo.root, cwd or repo.root)
        conversation = Conversation(system_prompt(config, instructions, repo.root))  # a bad override fails here
        workspace = repo.create_worktree(session_id, intent)
        result.branch, result.worktree, result.base_commit = workspace.branch, str(workspace.root), workspace.base_commit
        events.emit("session_started", session_id=session_id, intent=intent, branch=workspace.branch,
                    worktree=str(workspace.root), base_commit=workspace.base_commit, repo=str(repo.root))
        if dirty:
            events.emit("warning", message=(
                f"your checkout has {len(dirty)} uncommitted change(s); the session starts from HEAD "
                f"({workspace.base_commit[:8]}) and does not see them"))
        if instructions:
            events.emit("instructions_loaded", files=[path for path, _ in instructions])
        repo_map = _repo_map(workspace.root)
        tests = TestRunner(workspace.root, config.test_command, config.test_timeout)
        state.test_command = tests.command
        if tests.command and not tests.format.structured:
            state.unverified.append(f"{tests.command}: no per-test results (judged by its exit code)")
            events.emit("warning", message=f"tests: {tests.command} gives no per-test results; a step passes only "
                                           "when it exits 0 (old failures can't be told from new ones)")
        if not tests.command:
            events.emit("warning", message="no test command configured or detected: steps are checked by review only")
        elif config.baseline_tests:
            baseline = Baseline(tests)  # runs while the model plans; settled before the first edit
        extensions = start_extensions(config, workspace, repo, session_id, intent, events, approver)
        loop = Loop(model, workspace, tests, approver, events, config, conversation=conversation, repo_map=repo_map,
                    checkpoint=durable.checkpoint if durable is not None else None, baseline=baseline,
                    extensions=extensions)
        loop.make_plan(state)
        loop.run_steps(state)
        result.status, result.exit_code = "done", 0
    except (AgentError, KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - every ending becomes the result
        record_ending(result, exc, events)
    finally:
        close_run(result, state, workspace, model, started, events, baseline, extensions)
        if durable is not None:
            durable.release()
    return result


def close_run(result: RunResult, state: RunState, workspace, model, started: float, events: EventBus,
              baseline: Baseline | None, extensions=None) -> None:
    """However a run ended: stop a baseline test run still going, fill in the result, run the
    session_end hooks and stop the MCP servers, emit the result (always the last event)."""
    if baseline is not None:
        baseline.cancel()
    _fill_result(result, state, workspace, model, started)
    if extensions is not None:
        try:
            extensions.session_end(result.to_dict())
        finally:
            extensions.close()
    events.emit("session_finished", **result.to_dict())


def user_extension_keys(config: Config) -> frozenset[str]:
    """Which of mcp_servers / hooks are the person's own (user config, flags), not a trusted
    repository's: only their hooks may run outside the sandbox."""
    request = getattr(config, "repo_trust", None)
    from_repo = set()
    if request is not None and request.trusted:
        from_repo = {name.split(".")[0] for name in request.names}
    return frozenset(k for k in ("mcp_servers", "hooks") if k not in from_repo)


def start_extensions(config: Config, workspace, repo, session_id: str, intent: str, events: EventBus, approver,
                     sandbox=None):
    """MCP servers and hooks (agent.extensions), or None when none are configured (the SDK is
    then never imported). A required server that fails raises ExtensionError."""
    if not config.mcp_servers and not config.hooks:
        return None
    from agent.extensions import build_extensions

    extensions = build_extensions(config, cwd=workspace.root, emit=events.emit, approver=approver, sandbox=sandbox,
                                  user_keys=user_extension_keys(config))
    extensions.set_session(session_id=session_id, intent=intent, branch=workspace.branch,
                           worktree=str(workspace.root), repo=str(repo.root))
    events.subscribe(extensions.observe)
    return extensions


def _fill_result(result: RunResult, state: RunState, workspace, model, started: float) -> None:
    result.plan = state.plan.to_dict() if state.plan else None
    result.tests = state.last_tests and {**state.last_tests, "preexisting_failures": state.baseline_failures}
    result.preexisting_failures = list(state.baseline_failures)
    verdict = (state.last_tests or {}).get("verdict") or {}
    result.test_command = state.test_command
    result.new_failures = list(verdict.get("new_failures") or [])
    result.tests_run = verdict.get("tests_run", (state.last_tests or {}).get("tests_run"))
    result.unverified = list(dict.fromkeys([*state.unverified, *(verdict.get("unverified") or [])]))
    if state.plan is not None:
        result.steps = [{"index": s.index, "title": s.title, "outcome": s.status, "commit": s.commit}
                        for s in state.plan.steps]
    if workspace is not None:
        try:
            result.commits = workspace.commits()
            result.files_changed = workspace.files_changed()
        except AgentError:
            pass
    if model is not None:  # None only in tests that never get that far
        result.usage = model.usage.to_dict()
        result.cost = None if model.cost is None else round(model.cost, 6)
    result.duration = round(time.monotonic() - started, 3)


def _instructions(repo, cwd: Path, events: EventBus) -> list[tuple[str, str]]:
    from agent.core.instructions import load_instructions

    found = load_instructions(repo.root, cwd)
    if found:
        events.emit("instructions_loaded", files=[path for path, _ in found])
    return found


def _repo_map(root: Path):
    """The repo map, starting to build in the background while the worktree and tests are set up
    (the planning prompt is the first thing that needs it)."""
    import threading

    from agent.repomap import RepoMap

    repo_map = RepoMap(root)
    threading.Thread(target=repo_map.warm, name="repomap-warm", daemon=True).start()
    return repo_map
