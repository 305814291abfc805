"""What happens to a step's tests at finish_step: the affected tests first, then the full suite,
each run judged against the baseline (agent.testsuite.verdict). Only a full-suite verdict can let
a step be committed; a failing affected run goes to the model at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.testsuite.affected import selection
from agent.testsuite.result import FAILED, CaseResult, TestResult
from agent.testsuite.verdict import Verdict, baseline_failures, judge
from agent.tools.dispatch import tests_event

STRATEGIES = ("affected-first", "full")


@dataclass
class Check:
    result: TestResult
    verdict: Verdict
    full: bool  # a full-suite verdict (the only kind that commits a step)

    @property
    def passed(self) -> bool:
        return self.full and self.verdict.passed


class StepChecks:
    def __init__(self, tests, emit: Callable[..., Any], *, strategy: str = "affected-first", repo_map=None):
        self.tests = tests
        self.emit = emit
        self.strategy = strategy
        self.repo_map = repo_map
        self.baseline: TestResult | None = None  # the run before any change; None: none was made
        self.last_failed: list[str] = []

    def settle(self, result: TestResult | None) -> None:
        self.baseline = result if result is not None and result.command else None

    def restore(self, failures: list[str]) -> None:
        """A resumed session: the baseline failures the first process recorded (exact ids)."""
        if failures:
            cases = [CaseResult(i, FAILED) for i in failures]
            self.baseline = TestResult(False, 1, 0.0, False, "(recorded baseline)", cases=cases, scope="recorded")

    def known_failures(self) -> set[str] | None:
        return baseline_failures(self.baseline)

    def run(self, step, changed: list[str]) -> Check:
        if self.strategy == "affected-first":
            args = self._affected(step, changed)
            if args:
                check = self._run(args, changed, full=False)
                if not check.verdict.passed:
                    return check
        return self._run(None, changed, full=True)

    def _affected(self, step, changed: list[str]) -> list[str] | None:
        fmt = getattr(getattr(self.tests, "format", None), "name", "none")
        importers = getattr(self.repo_map, "importers", None)
        try:
            return selection(fmt, self.tests.root, changed, step.files, self.last_failed, importers)
        except (OSError, AttributeError):
            return None

    def _run(self, selection: list[str] | None, changed: list[str], full: bool) -> Check:
        result = self.tests.run(None, selection=selection) if selection else self.tests.run(None)
        result.scope = "full" if full else "affected"
        verdict = judge(result, self.baseline, changed, full=full)
        self.last_failed = verdict.new_failures
        self.emit("tests_run", **tests_event(result), full=full, scope=result.scope, verdict=verdict_event(verdict))
        return Check(result, verdict, full)


def verdict_event(verdict: Verdict) -> dict[str, Any]:
    return {"passed": verdict.passed, "new_failures": verdict.new_failures[:50],
            "preexisting_failures": verdict.preexisting_failures[:50], "missing": verdict.missing[:50],
            "unverified": verdict.unverified[:50], "reasons": verdict.reasons, "tests_run": verdict.tests_run}

