"""The outcome of one test run, as the loop, the model and the result object see it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NO_COMMAND = "no test command configured or detected"


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    passed: bool
    exit_code: int | None
    duration: float
    timed_out: bool
    command: str
    counts: dict = field(default_factory=dict)
    report: str = ""
    output: str = ""
    failing: list[str] | None = None  # ids of failing tests; None when they can't be told apart

    def summary(self) -> str:
        if not self.command:
            return "no test command"
        if self.timed_out:
            return f"timed out after {self.duration:.0f}s"
        parts = [f"{n} {'error' if k == 'errors' and n == 1 else k}"
                 for k in ("failed", "errors", "passed", "skipped") if (n := self.counts.get(k))]
        if parts:
            return f"{', '.join(parts)} in {self.duration:.1f}s"
        if self.passed:
            return f"passed in {self.duration:.1f}s"
        code = "not started" if self.exit_code is None else f"exit code {self.exit_code}"
        return f"failed ({code}) in {self.duration:.1f}s"

    def to_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}
