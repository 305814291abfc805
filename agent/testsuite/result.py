"""The outcome of one test run, as the loop, the model and the result object see it.

A run carries per-test results (`cases`) when the runner's machine-readable report could be read
(pytest's JUnit XML, Node's reporter events, jest/vitest JSON, `go test -json`, libtest lines);
`cases is None` means "no per-test results": only the exit code and the output tail are known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NO_COMMAND = "no test command configured or detected"
NO_PER_TEST = "no per-test results"

# Outcomes of one test. A collection error (a module that does not import, a package that does
# not build, a suite that failed to load) has its own outcome: the tests in it did not run.
PASSED, FAILED, ERROR, SKIPPED, COLLECTION = "passed", "failed", "error", "skipped", "collection_error"
FAILING = (FAILED, ERROR, COLLECTION)


@dataclass
class CaseResult:
    id: str  # exact: what the runner calls it, spaces, brackets, quotes and unicode included
    outcome: str  # one of PASSED, FAILED, ERROR, SKIPPED, COLLECTION
    message: str = ""
    location: str = ""  # "path:line" when the runner says
    duration: float = 0.0
    file: str = ""  # the file (relative to the root) the test lives in, when known

    def to_dict(self) -> dict:
        return asdict(self)


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
    cases: list[CaseResult] | None = None  # None: no per-test results (see module doc)
    stopped_early: str = ""  # why the runner stopped before running everything ("" if it did not)
    scope: str = "full"  # "full", "affected" (the tests most likely to fail first) or "narrowed" (run_tests args)

    @property
    def structured(self) -> bool:
        return self.cases is not None

    def ids(self, *outcomes: str) -> list[str]:
        """Ids of the tests with one of these outcomes (all tests when none given), in run order."""
        if self.cases is None:
            return []
        return list(dict.fromkeys(c.id for c in self.cases if not outcomes or c.outcome in outcomes))

    @property
    def collection_errors(self) -> list[str]:
        return self.ids(COLLECTION)

    def tests_run(self) -> int | None:
        """How many tests really ran (passed, failed or errored); None when the runner doesn't say."""
        if self.cases is not None:
            return len(self.ids(PASSED, FAILED, ERROR))
        if not self.counts:
            return None
        return sum(self.counts.get(k, 0) for k in ("passed", "failed", "errors"))

    def summary(self) -> str:
        if not self.command:
            return "no test command"
        if self.timed_out:
            return f"timed out after {self.duration:.0f}s"
        parts = [f"{n} {'error' if k == 'errors' and n == 1 else k}"
                 for k in ("failed", "errors", "passed", "skipped") if (n := self.counts.get(k))]
        if n := len(self.collection_errors):
            parts.insert(0, f"{n} collection error{'s' if n > 1 else ''}")
        tail = "" if self.structured else f" ({NO_PER_TEST})"
        if self.stopped_early:
            tail += f"; stopped early: {self.stopped_early}"
        if parts:
            return f"{', '.join(parts)} in {self.duration:.1f}s{tail}"
        if self.passed:
            return f"passed in {self.duration:.1f}s{tail}"
        code = "not started" if self.exit_code is None else f"exit code {self.exit_code}"
        return f"failed ({code}) in {self.duration:.1f}s{tail}"

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "cases"}
        data["cases"] = None if self.cases is None else [c.to_dict() for c in self.cases]
        return {**data, "summary": self.summary(), "structured": self.structured}


def case_counts(cases: list[CaseResult]) -> dict:
    """passed / failed / errors / skipped over the tests (collection errors are counted apart)."""
    counts: dict[str, int] = {}
    for key, outcome in (("passed", PASSED), ("failed", FAILED), ("errors", ERROR), ("skipped", SKIPPED)):
        if n := sum(1 for c in cases if c.outcome == outcome):
            counts[key] = n
    return counts
