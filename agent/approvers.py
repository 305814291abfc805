"""Who answers the approval prompts. The loop asks; an Approver answers.

The terminal approver (agent.ui), the `--yes` approver and the background approver (answers
come from `agent approve` in another process) are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from agent.errors import NeedsTerminal

PlanChoice = Literal["approve", "feedback", "reject"]
StepChoice = Literal["approve", "feedback", "skip", "quit"]

PLAN_CHOICES = ("approve", "feedback", "reject")
STEP_CHOICES = ("approve", "feedback", "skip", "quit")
FAILED_STEP_CHOICES = ("feedback", "skip", "quit")  # a failing step is never approved as is


@dataclass
class Decision:
    kind: str  # one of the choices offered
    feedback: str = ""


@dataclass
class PlanStep:
    index: int  # 1-based
    title: str
    description: str
    files: list[str] = field(default_factory=list)
    status: str = "pending"  # pending|running|committed|skipped|unchanged|failed|quit
    commit: str | None = None
    summary: str = ""
    usage: dict[str, int] | None = None  # model usage spent on this step
    cost: float | None = None  # USD; None when unknown

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Plan:
    summary: str
    steps: list[PlanStep]

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "steps": [s.to_dict() for s in self.steps]}

    def render_text(self) -> str:
        lines = [f"Plan: {self.summary}"]
        for s in self.steps:
            lines.append(f"{s.index}. [{s.status}] {s.title}: {s.description}")
        return "\n".join(lines)


@dataclass
class StepReview:
    """What a person needs to decide on a step."""

    step: PlanStep
    total: int
    diff: str
    files: list[str]
    tests: Any  # agent.testrunner.TestResult
    passed: bool
    summary: str
    attempts: int

    @property
    def choices(self) -> tuple[str, ...]:
        return STEP_CHOICES if self.passed else FAILED_STEP_CHOICES


class Approver(Protocol):
    interactive: bool  # False: failing steps end the run (exit 3) instead of asking

    def review_plan(self, plan: Plan, revision: int) -> Decision: ...

    def review_step(self, review: StepReview) -> Decision: ...


class YesApprover:
    """--yes: approve every plan and every passing step."""

    interactive = False

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return Decision("approve")

    def review_step(self, review: StepReview) -> Decision:
        return Decision("approve" if review.passed else "quit")


class NoTerminalApprover:
    """No terminal on stdin and no --yes: stop at the first approval instead of hanging."""

    interactive = False

    def _refuse(self, what: str) -> Decision:
        raise NeedsTerminal(
            f"{what} needs approval but stdin is not a terminal",
            hint="run it in a terminal, pass --yes to approve everything, or use --background and `agent approve`",
        )

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return self._refuse("the plan")

    def review_step(self, review: StepReview) -> Decision:
        return self._refuse(f"step {review.step.index}")
