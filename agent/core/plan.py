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


def parse_plan(call, max_steps: int | None) -> tuple[Plan, str | None]:
    """The plan a submit_plan call proposes, or the problem to tell the model (it calls again)."""
    try:
        args = call.args()
        raw_steps = args["steps"]
        steps = [
            PlanStep(i, str(s["title"]).strip(), str(s.get("description", "")).strip(),
                     [str(f) for f in s.get("files") or []])
            for i, s in enumerate(raw_steps, start=1)
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Plan("", []), f"the plan is malformed ({exc})."
    if not steps or any(not s.title for s in steps):
        return Plan("", []), "a plan needs at least one step, each with a title."
    limit = max_steps
    if limit is not None and len(steps) > limit:
        return Plan("", []), (f"the plan has {len(steps)} steps; at most {limit} are allowed (the person can "
                              f"raise this with --max-steps). Merge related steps into at most {limit} larger "
                              "ones, each still a self-contained change that keeps the tests passing.")
    return Plan(str(args.get("summary", "")).strip(), steps), None
