"""The plan and its steps, and what a person is asked to decide about them.

Plain data shared by the loop, the approvers, the session store and the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
    status: str = "pending"  # pending|running|committed|no_change_needed|skipped|failed|quit
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
    tests: Any  # agent.testsuite.runner.TestResult
    passed: bool
    summary: str
    attempts: int

    @property
    def choices(self) -> tuple[str, ...]:
        return STEP_CHOICES if self.passed else FAILED_STEP_CHOICES
