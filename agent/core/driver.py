"""The run driver: one session end to end, new or resumed, whoever started it.

`run_session` (agent run, demo, batch, a background worker's first start) and `resume_session`
(agent resume, a background worker after a restart) are the same skeleton: open the worktree,
build the test suite, the repository map and the baseline, hand them to the Loop, and turn
whatever ends the run into one truthful RunResult, emitted as the last event. Only the opening
differs (a new worktree from HEAD, or the session's own worktree rolled back to its last commit),
and that difference lives in two small `_Start` implementations.

Everything here is plain Python, so it is tested in process with a scripted model
(tests/helpers_loop.py); the CLI only wires terminals and streams around it (agent/cli/wiring.py).
The result object is the documented contract CI relies on (README, docs/ci.md).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.core.conversation import Conversation, Usage
from agent.core.loop import Loop, RunState
from agent.core.seams import Approver, Model
from agent.errors import AgentError, finish_reason
from agent.events import EventBus
from agent.sessions.state import Durable, durable_for


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
    sandbox: str | None = None  # "bwrap" | "off": what contained the test runs (agent.sandbox)
    usage: dict[str, int] = field(default_factory=dict)
    cost: float | None = None
    duration: float = 0.0
    message: str = ""
    ignored_settings: list[str] = field(default_factory=list)  # repository settings not trusted
    cleaned_up: bool = False  # the session made no commits: its worktree and branch were removed
    exception: BaseException | None = field(default=None, repr=False)  # a bug, re-raised under AGENT_DEBUG

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "exception"}


def new_session_id() -> str:
    return secrets.token_hex(4)


def ignored_warning(config: Config) -> str:
    files = ", ".join(config.repo_trust.settings) if config.repo_trust is not None else "the repository"
    return (f"ignored settings from {files} that need your trust: {', '.join(config.ignored_settings)} "
            "(trust them at the prompt of an interactive run, or pass --trust-repo-config)")


def run_session(intent: str, *, repo, config: Config, approver: Approver, events: EventBus, model: Model,
                session_id: str | None = None, cwd: Path | None = None) -> RunResult:
    """Run a new session end to end. Never raises AgentError: every ending (done, rejected, failing
    tests, budget, Ctrl-C, model error) becomes the result.

    The model is built by the caller first, so a configuration problem (say, a missing key) stops
    everything before a worktree or session exists."""
    start = _FreshStart(intent, Path(cwd or repo.root))
    return _Driver(repo, config, approver, events, model, session_id or new_session_id(), start).run()


def continue_session(session_id: str, *, repo, store, config: Config, approver: Approver, events: EventBus,
                     model: Model) -> RunResult:
    """A background worker's entry: run a launched-but-never-started session afresh, or resume a
    started one."""
    from agent.sessions.state import load_state

    meta = store.meta(session_id) or {}
    if meta.get("branch"):
        return resume_session(session_id, repo=repo, store=store, config=config, approver=approver, events=events,
                              model=model)
    data = load_state(store.dir(session_id)) or {}
    return run_session(data.get("intent") or meta.get("intent", ""), repo=repo, config=config, approver=approver,
                       events=events, model=model, session_id=session_id, cwd=Path(data.get("cwd") or repo.root))


def resume_session(session_id: str, *, repo, store, config: Config, approver: Approver, events: EventBus,
                   model: Model) -> RunResult:
    """Continue a session from its last checkpoint (see agent.sessions.resume). Never raises AgentError."""
    from agent.sessions.resume import ResumeStart

    start = ResumeStart(store, session_id, repo)
    if hasattr(model, "carry_over"):  # earlier processes' spending counts in the totals and the budgets
        model.carry_over(Usage(**start.prior_usage), start.prior_cost)
    return _Driver(repo, config, approver, events, model, session_id, start).run()


class _FreshStart:
    """A new session: a new worktree and branch from HEAD; the person's checkout is only read."""

    resumed = False

    def __init__(self, intent: str, cwd: Path):
        self.intent, self.cwd = intent, cwd

    def open(self, driver: _Driver) -> tuple[Any, RunState, Conversation]:
        from agent.core.instructions import load_instructions, system_prompt

        repo, events = driver.repo, driver.events
        dirty = repo.dirty_files()
        instructions = load_instructions(repo.root, self.cwd)
        conversation = Conversation(system_prompt(driver.config, instructions, repo.root))  # a bad override fails here
        workspace = repo.create_worktree(driver.session_id, self.intent)
        driver.result.branch, driver.result.worktree = workspace.branch, str(workspace.root)
        driver.result.base_commit = workspace.base_commit
        events.emit("session_started", session_id=driver.session_id, intent=self.intent, branch=workspace.branch,
                    worktree=str(workspace.root), base_commit=workspace.base_commit, repo=str(repo.root))
        if dirty:
            events.emit("warning", message=(
                f"your checkout has {len(dirty)} uncommitted change(s); the session starts from HEAD "
                f"({workspace.base_commit[:8]}) and does not see them"))
        if instructions:
            events.emit("instructions_loaded", files=[path for path, _ in instructions])
        return workspace, RunState(intent=self.intent), conversation


class _Driver:
    def __init__(self, repo, config: Config, approver: Approver, events: EventBus, model: Model, session_id: str,
                 start):
        self.repo, self.config, self.approver, self.events, self.model = repo, config, approver, events, model
        self.session_id, self.start = session_id, start
        self.result = RunResult(status="error", exit_code=1, session_id=session_id, intent=start.intent)
        self.state = RunState(intent=start.intent)
        self.workspace = None
        self.baseline = None
        self.extensions = None
        self.sandbox = None  # agent.sandbox.Sandbox: built before the worktree (no sandbox, no session)

    def run(self) -> RunResult:
        started = time.monotonic()
        durable: Durable | None = durable_for(self.repo, self.session_id, self.start.intent, self.config,
                                              self.start.cwd)
        if durable is not None:
            # Before the try: a refused lock must not write a result into a running session's log.
            durable.acquire()
        self.result.ignored_settings = list(self.config.ignored_settings)
        try:
            if self.config.ignored_settings:
                self.events.emit("warning", message=ignored_warning(self.config))
            from agent.sandbox import announce, session_sandbox

            self.sandbox = session_sandbox(self.config, self.repo, self.session_id)
            self.result.sandbox = self.sandbox and self.sandbox.kind
            self.workspace, self.state, conversation = self.start.open(self)
            announce(self.sandbox, self.events)
            loop = self._loop(conversation, durable)
            if self.state.plan is None:
                loop.make_plan(self.state)
            loop.run_steps(self.state)
            self.result.status, self.result.exit_code = "done", 0
        except (AgentError, KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - every ending becomes the result
            self._record_ending(exc)
        finally:
            self._close(started)
            if durable is not None:
                durable.release()
        return self.result

    def _loop(self, conversation: Conversation, durable: Durable | None) -> Loop:
        from agent.testsuite.runner import TestRunner

        config, workspace = self.config, self.workspace
        tests = TestRunner(workspace.root, config.test_command, config.test_timeout, sandbox=self.sandbox,
                           deps=_dependencies(config, workspace, self.sandbox, self.events))
        self.state.test_command = tests.command
        if tests.command and not tests.format.structured:
            self.state.unverified.append(f"{tests.command}: no per-test results (judged by its exit code)")
            self.events.emit("warning", message=f"tests: {tests.command} gives no per-test results; a step passes "
                                                "only when it exits 0 (old failures can't be told from new ones)")
        if not tests.command:
            self.events.emit("warning", message="no test command configured or detected: steps are checked by review only")
        elif self._wants_baseline():
            from agent.testsuite.baseline import Baseline

            self.baseline = Baseline(tests)  # runs while the model plans; settled before the first edit
        self.extensions = start_extensions(config, workspace, self.repo, self.session_id, self.start.intent,
                                           self.events, self.approver, self.sandbox)
        return Loop(self.model, workspace, tests, self.approver, self.events, config, conversation=conversation,
                    repo_map=_repo_map(workspace.root), baseline=self.baseline, extensions=self.extensions,
                    checkpoint=durable.checkpoint if durable is not None else None)

    def _wants_baseline(self) -> bool:
        """A baseline run needs the worktree at the base commit: after a commit (a resumed session),
        the failures the first process's baseline found are in the state already."""
        if not self.config.baseline_tests:
            return False
        plan = self.state.plan
        return plan is None or not any(s.status == "committed" for s in plan.steps)

    def _record_ending(self, exc: BaseException) -> None:
        """Every way a run can end becomes the result's status, exit code and one-line message."""
        result = self.result
        reason = finish_reason(exc)
        result.status, result.exit_code, result.message = reason.status, reason.exit_code, str(reason)
        if not isinstance(exc, AgentError | KeyboardInterrupt):
            result.message = f"internal error: {type(exc).__name__}: {exc}"
            result.exception = exc
        self.events.emit("error", message=result.message, kind=type(reason).__name__)

    def _close(self, started: float) -> None:
        """However a run ended: stop a baseline run still going, fill in the result, tidy up, emit it."""
        if self.baseline is not None:
            self.baseline.cancel()
        result, state, workspace = self.result, self.state, self.workspace
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
            self._tidy()
        result.usage = self.model.usage.to_dict()
        result.cost = None if self.model.cost is None else round(self.model.cost, 6)
        result.duration = round(time.monotonic() - started, 3)
        if self.extensions is not None:  # session_end hooks see the result; MCP servers stop
            try:
                self.extensions.session_end(result.to_dict())
            finally:
                self.extensions.close()
        self.events.emit("session_finished", **result.to_dict())

    def _tidy(self) -> None:
        """Leave nothing behind that holds no work: a session with no commits loses its worktree and
        branch (its log stays, and a resume recreates them from the base commit). A failing step's
        uncommitted changes stay only with --keep-failed."""
        result, workspace = self.result, self.workspace
        keep = getattr(self.config, "keep_failed", False) and result.status == "tests_failed"
        try:
            if keep:
                return
            if result.status == "tests_failed" and workspace.has_changes():
                workspace.reset_hard()
            if result.commits or getattr(self.repo, "remove_worktree", None) is None:
                return
            self.repo.remove_worktree(workspace.root, workspace.branch)
            result.cleaned_up = True
            result.worktree = None
        except AgentError as exc:  # tidying is a courtesy: never what the run reports as its ending
            self.events.emit("warning", message=f"could not remove the empty session's worktree: {exc}")


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


def _repo_map(root: Path):
    """The repo map, starting to build in the background while the worktree and tests are set up
    (the planning prompt is the first thing that needs it)."""
    import threading

    from agent.repomap import RepoMap

    repo_map = RepoMap(root)
    threading.Thread(target=repo_map.warm, name="repomap-warm", daemon=True).start()
    return repo_map


def _dependencies(config: Config, workspace, sandbox, events: EventBus):
    """What installs the dependencies a step adds (inside the sandbox), or None without one."""
    if sandbox is None:
        return None
    from agent.sandbox.deps import Dependencies

    return Dependencies(workspace.root, sandbox, events.emit, setup_command=getattr(config, "setup_command", None))
