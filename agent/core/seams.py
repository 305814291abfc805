"""The seams of the loop: what `agent.core.loop.Loop` needs from each piece it is handed.

Each is a Protocol, so any object with these methods fits: the real implementations
(agent.model.ModelSession, agent.workspace.Workspace, agent.testsuite.TestRunner,
agent.repomap.RepoMap, the approvers in agent.approval and agent.cli.ui) and the in-process test
doubles (agent.testing.scripted) alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from agent.core.conversation import Conversation, ToolSpec, Turn, Usage
from agent.core.plan import Decision, Plan, StepReview


class Model(Protocol):
    """What the loop needs from the model layer (agent.model implements it).

    `role` is one of "plan", "edit", "fix", "summarize"; the model layer maps it to a tier,
    model and reasoning effort from config, streams, retries, prices, compacts and enforces
    budgets (raising BudgetExceeded before a call that would pass one).
    """

    def respond(self, conversation: Conversation, tools: list[ToolSpec], role: str) -> Turn: ...

    def escalate(self, reason: str) -> str | None:
        """Move edit/fix work to the next stronger tier for the rest of the current step.
        Returns the new tier's name, or None when there is nothing stronger (or it was done)."""
        ...

    def tier_for(self, role: str) -> str:
        """The name of the tier that serves `role` now (shown in attempt_started)."""
        ...

    def end_step(self) -> None:
        """The step is over: routing goes back to the configured tiers."""
        ...

    @property
    def usage(self) -> Usage: ...

    @property
    def cost(self) -> float | None: ...


class Approver(Protocol):
    interactive: bool  # False: failing steps end the run (exit 3) instead of asking

    def review_plan(self, plan: Plan, revision: int) -> Decision: ...

    def review_step(self, review: StepReview) -> Decision: ...


class Workspace(Protocol):
    """The session's worktree: the only place the model's edits land (agent.workspace.Workspace)."""

    root: Any  # pathlib.Path

    def list_files(self, path: str | None = None, pattern: str | None = None) -> str: ...

    def read_file(self, path: str, start_line: int | None = None, end_line: int | None = None) -> str: ...

    def search_code(self, pattern: str, path: str | None = None) -> str: ...

    def apply_diff(self, diff: str, syntax_check: bool = True) -> Any: ...

    def diff(self) -> str: ...

    def changed_files(self) -> list[str]: ...

    def has_changes(self) -> bool: ...

    def commit(self, message: str) -> str: ...

    def reset_hard(self) -> None: ...


class TestSuite(Protocol):
    """Runs the project's tests in the worktree (agent.testsuite.TestRunner)."""

    __test__ = False  # not a pytest test class

    command: str | None  # what runs, as shown to people; None when there is no test command

    def run(self, args: str | None = None) -> Any: ...  # agent.testsuite.TestResult

    def cancel(self) -> None: ...


class RepoMap(Protocol):
    """The ranked repository map (agent.repomap.RepoMap)."""

    def render(self, focus_text: str = "", focus_files: Iterable[str] = (), budget_tokens: int = 2048) -> Any: ...

    def importers(self, paths: Iterable[str]) -> set[str]:
        """Files that import the given files, directly or transitively (affected tests first)."""
        ...
