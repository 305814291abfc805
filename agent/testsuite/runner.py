"""Run the project's tests in the person's environment, in a worktree, with a hard timeout.

The detected Python command is the `python` on PATH (the person's venv), never the agent's own
interpreter, with the worktree's source dirs first on PYTHONPATH so the worktree's code is the
one tested even when the package is installed editable from the person's checkout. The test
process gets its own process group, so a timeout or Ctrl-C kills grandchildren too.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

from agent.errors import ToolError
from agent.testsuite import formats
from agent.testsuite.detect import detect_kind, detected_argv, narrow
from agent.testsuite.process import HEAD_BYTES, TAIL_BYTES, kill_group, run_group
from agent.testsuite.reports import (
    PYTEST_FINAL,
    REPORT_CHARS,
    cases_report,
    other_counts,
    output_tail,
    pytest_counts,
    pytest_report,
)
from agent.testsuite.result import FAILING, NO_COMMAND, NO_PER_TEST, TestResult, case_counts

__all__ = ["HEAD_BYTES", "NO_COMMAND", "REPORT_CHARS", "TAIL_BYTES", "TestResult", "TestRunner", "pytest_report"]


class TestRunner:
    __test__ = False

    def __init__(self, root: Path, command: str | None = None, timeout: float = 600.0,
                 scratch_dir: Path | None = None):
        self.root = Path(root)
        self.timeout = timeout
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._reports = itertools.count(1)
        # Report files go to a dir private to the session (the sandbox's scratch dir when there is one).
        self.scratch = Path(scratch_dir) if scratch_dir is not None else Path(tempfile.mkdtemp(prefix="agent-tests-"))
        if scratch_dir is None:
            weakref.finalize(self, shutil.rmtree, str(self.scratch), True)
        self.configured = bool(command and command.strip())
        self.kind: str | None = "shell" if self.configured else detect_kind(self.root)
        self.argv: list[str] = [] if self.configured else detected_argv(self.kind, self.root)
        if self.configured:
            self.command: str | None = command.strip()
        elif self.argv:
            display = [Path(self.argv[0]).name if self.kind == "pytest" else self.argv[0], *self.argv[1:]]
            self.command = " ".join(display[:4]) if self.kind == "pytest" else shlex.join(display)
        else:
            self.command = None
        self.format = formats.for_words(self._words(), self.root)

    def _words(self) -> list[str]:
        if not self.configured:
            return list(self.argv)
        try:
            return shlex.split(self.command or "")
        except ValueError:
            return []

    def run(self, args: str | None = None, scope: str | None = None) -> TestResult:
        if self.command is None:
            return TestResult(True, None, 0.0, False, "", report=NO_COMMAND)
        args = (args or "").strip()
        report = self.scratch / f"report-{next(self._reports)}{'.xml' if self.format.name == 'pytest' else '.json'}"
        fmt_args = self.format.args(report)
        if self.configured:
            ours = shlex.join(fmt_args)
            if ours and self.format.script_args and "--" not in self._words():
                ours = "-- " + ours  # to the package.json script, not to npm
            argv = ["bash", "-c", " ".join(filter(None, [self.command, ours, args]))]
            shown = " ".join(filter(None, [self.command, args]))
        else:
            try:
                extra = shlex.split(args)
            except ValueError as exc:
                raise ToolError(f"invalid test arguments {args!r}: {exc}") from None
            argv = narrow(self.kind, self.argv, [*fmt_args, *extra])
            shown = " ".join(filter(None, [self.command, shlex.join(extra)]))
        env = self._env()
        env.update(self.format.env(report, self.scratch, env))
        start = time.monotonic()
        try:
            code, timed_out, output = run_group(argv, self.root, env, self.timeout, self._track)
        except OSError as exc:  # the runner itself is missing (no npm, no go, ...)
            msg = f"cannot run {shown}: {exc.strerror or exc}"
            return TestResult(False, None, time.monotonic() - start, False, shown, report=msg, output=msg)
        duration = self.timeout if timed_out else time.monotonic() - start  # not counting the kill
        cases, output = self.format.parse(report, output, self.root)
        report.unlink(missing_ok=True)
        result = self._result(code, timed_out, duration, shown, output, cases)
        result.scope = scope or ("narrowed" if args else "full")
        return result

    def _result(self, code, timed_out, duration, shown, output, cases) -> TestResult:
        pytest_like = self.format.name == "pytest" or self.kind == "pytest" or bool(PYTEST_FINAL.search(output))
        stopped = "" if timed_out else self.format.stopped_early(output, code, cases)
        counts = case_counts(cases) if cases is not None else (
            pytest_counts(output) if pytest_like else other_counts(output))
        failing = None if cases is None else [c.id for c in cases if c.outcome in FAILING]
        passed = code == 0 and not timed_out and not stopped and not failing
        note = ""
        if pytest_like and code == 5 and not timed_out and not failing:
            passed, note = True, "no tests were collected (pytest exit code 5); counted as passed"
        if failing is None and passed:
            failing = []
        result = TestResult(passed, code, duration, timed_out, shown, counts, "", output, failing, cases, stopped)
        if timed_out:
            body = f"timed out after {self.timeout:g}s; the test processes were killed. Output so far:\n"
            body += output_tail(output)
        elif passed:
            body = note
        elif self.kind == "pytest" and "No module named pytest" in output:
            body = f"pytest is not installed for {self.argv[0]} (the python on PATH); install it there"
        elif failing:
            body = cases_report(cases, pytest_like)
        elif cases is not None:  # failed, yet no test says so: what the runner said
            body = (f"the runner exited with code {code} but reported no failing test"
                    + (f" ({stopped})" if stopped else "") + ":\n" + output_tail(output))
        elif pytest_like:
            body = pytest_report(output) or output_tail(output)
        else:
            body = f"{NO_PER_TEST} from this command; the end of its output:\n" + output_tail(output)
        result.report = "\n".join(filter(None, [f"{shown}: {result.summary()}", body]))
        return result

    def _track(self, proc: subprocess.Popen, running: bool) -> None:
        with self._lock:
            (self._running.add if running else self._running.discard)(proc)

    def cancel(self) -> None:
        """Kill every test run in progress (from any thread), e.g. a background baseline run."""
        with self._lock:
            procs = list(self._running)
        for proc in procs:
            kill_group(proc, graceful=False)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Colourless, and no bytecode files in the worktree (they would end up in commits
        # in projects that don't ignore __pycache__).
        # CI=1 keeps watch-mode runners (jest, react-scripts) from waiting for a keypress.
        env.update(NO_COLOR="1", PY_COLORS="0", CARGO_TERM_COLOR="never", PYTHONDONTWRITEBYTECODE="1",
                   CI=env.get("CI") or "1")
        env.pop("FORCE_COLOR", None)
        src = self.root / "src"
        paths = [str(src)] if src.is_dir() else []
        paths.append(str(self.root))
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env
