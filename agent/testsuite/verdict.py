"""Judging a step's test run against the baseline (the run before any change), so that no new
failure can pass for an old one and no run that did not really test counts as green.

A step passes only when
- no test that passed at baseline, or did not exist then, now fails or errors (exact ids);
- no new collection or setup error appeared (a module that stopped importing hides its tests);
- the run really ran: not timed out, not stopped early, and (for the full suite) every test that
  ran at baseline ran again, unless the step changed the file it lives in (deleted or renamed it);
- without per-test results, the run passed outright (old failures can't be told from new ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

from agent.testsuite.result import ERROR, FAILED, NO_PER_TEST, PASSED

SHOWN_IDS = 8  # ids named in one reason line


@dataclass
class Verdict:
    passed: bool
    new_failures: list[str] = field(default_factory=list)  # failing now, not at baseline (exact ids)
    preexisting_failures: list[str] = field(default_factory=list)  # failing now and at baseline
    missing: list[str] = field(default_factory=list)  # ran at baseline, did not run now
    unverified: list[str] = field(default_factory=list)  # what could not run: collection errors, no results
    reasons: list[str] = field(default_factory=list)  # why it did not pass, one line each
    tests_run: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        """What the model and the person are told beyond the run's own report."""
        lines = [f"Not accepted: {r}" for r in self.reasons]
        if self.preexisting_failures:
            lines.append("Already failing before this session (not this step's concern): "
                         + _names(self.preexisting_failures))
        if self.unverified:
            lines.append("Could not be checked: " + _names(self.unverified))
        return "\n".join(lines)


def _names(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def baseline_failures(baseline) -> set[str] | None:
    """The exact ids failing at baseline: empty when it passed, None when it can't tell."""
    if baseline is None or not baseline.command:
        return set()
    if baseline.timed_out or not baseline.structured:
        return set() if baseline.passed else None
    return {c.id for c in baseline.cases if c.outcome in (FAILED, ERROR)}


def judge(current, baseline, changed_files: Iterable[str] = (), *, full: bool = True) -> Verdict:
    """Whether `current` (the step's run) passes against `baseline` (None: no baseline run)."""
    if not current.command:
        return Verdict(True, unverified=["no test command: the step is checked by review only"])
    verdict = Verdict(False, tests_run=current.tests_run())
    if current.timed_out:
        verdict.reasons.append(f"the tests timed out after {current.duration:.0f}s")
        return verdict
    if current.stopped_early:
        verdict.reasons.append(f"the run stopped early ({current.stopped_early}): not every test ran")
    if not current.structured:
        verdict.unverified.append(f"{current.command}: {NO_PER_TEST}; judged by its exit code")
        if not current.passed:
            verdict.reasons.append(f"the tests fail ({current.summary()}); with {NO_PER_TEST}, "
                                   "old failures can't be told from new ones")
        verdict.passed = not verdict.reasons
        return verdict
    _compare(verdict, current, baseline, set(changed_files), full)
    verdict.passed = not verdict.reasons
    return verdict


def _compare(verdict: Verdict, current, baseline, changed: set[str], full: bool) -> None:
    known = baseline_failures(baseline)
    base_collection = set(baseline.collection_errors) if baseline is not None and baseline.structured else set()
    failing = current.ids(FAILED, ERROR)
    verdict.preexisting_failures = [i for i in failing if known and i in known]
    verdict.new_failures = [i for i in failing if not known or i not in known]
    if known is None and failing:
        verdict.reasons.append("the tests already failed before any change and that run named no tests, so every "
                               f"failure counts: {_names(failing)}")
    elif verdict.new_failures:
        verdict.reasons.append(f"{len(verdict.new_failures)} test(s) fail that passed before or are new: "
                               + _names(verdict.new_failures))
    collection = current.collection_errors
    new_collection = [i for i in collection if i not in base_collection]
    if new_collection:
        verdict.reasons.append("new collection error(s), the tests in them did not run: " + _names(new_collection))
    verdict.unverified = [f"{i} (collection error)" for i in collection]
    # A non-zero exit naming no test (a coverage threshold, a plugin) is judged on full runs only: an
    # affected run may well miss a project-wide threshold; the full suite that follows tells.
    if full and current.exit_code not in (0, None) and not failing and not collection and not current.stopped_early:
        same_at_baseline = baseline is not None and baseline.structured and baseline.exit_code == current.exit_code
        if not same_at_baseline:
            verdict.reasons.append(f"the runner exited with code {current.exit_code} but named no failing test")
    # A recorded baseline (a resumed session) knows its failures, not its test list: no missing-test check.
    if full and baseline is not None and baseline.structured and not baseline.timed_out and baseline.scope != "recorded":
        ran_now = set(current.ids())
        files = {c.id: c.file for c in baseline.cases}
        missing = [c.id for c in baseline.cases
                   if c.outcome in (PASSED, FAILED, ERROR) and c.id not in ran_now and not _excused(files[c.id], changed)]
        verdict.missing = list(dict.fromkeys(missing))
        if verdict.missing:
            verdict.reasons.append(f"{len(verdict.missing)} test(s) that ran before this step did not run now "
                                   "(and the step did not change their files): " + _names(verdict.missing))


def _excused(file: str, changed: set[str]) -> bool:
    """A test missing now is fine when the step changed its file (deleted, renamed, rewrote it).
    Where the runner names a package or target rather than the test's file (go packages, cargo
    targets), a change in that package's directory counts."""
    if file in changed:
        return True
    if file.endswith((".rs", "/")) or "." not in PurePosixPath(file).name:
        folder = file.rstrip("/") if "." not in PurePosixPath(file).name else str(PurePosixPath(file).parent)
        return any(folder in ("", ".") or path.startswith(folder + "/") for path in changed)
    return False
