"""Run the project's tests in the person's environment, in a worktree, sandboxed, with a hard timeout.

The detected Python command is the `python` on PATH (the person's venv), never the agent's own
interpreter, with the worktree's source dirs first on PYTHONPATH so the worktree's code is the
one tested even when the package is installed editable from the person's checkout. Every run
goes through the session's sandbox (agent.sandbox: read-only but the worktree, no network, no
credentials, a PID namespace that dies with us); the command is an argv list end to end and the
model's args are selectors checked by agent.testsuite.selectors.
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

from agent.testsuite import formats
from agent.testsuite.detect import detect_kind, detected_argv
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
from agent.testsuite.selectors import accepted, narrow, selector_argv, split_command


def _findable(program: str, root: Path, env: dict[str, str]) -> bool:
    if "/" in program:
        return os.access(root / program, os.X_OK)  # relative to the worktree (absolute stays absolute)
    return shutil.which(program, path=env.get("PATH")) is not None


__all__ = ["HEAD_BYTES", "NO_COMMAND", "REPORT_CHARS", "TAIL_BYTES", "TestResult", "TestRunner", "pytest_report"]


class TestRunner:
    __test__ = False

    def __init__(self, root: Path, command: str | list[str] | None = None, timeout: float = 600.0,
                 scratch_dir: Path | None = None, *, sandbox=None, deps=None):
        self.root = Path(root)
        self.timeout = timeout
        self.sandbox = sandbox  # agent.sandbox.Sandbox; None only in unit tests of the runner itself
        self.deps = deps  # agent.sandbox.deps.Dependencies: installs what a step adds, before a run
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._reports = itertools.count(1)
        # Report files go to a dir private to the session (the sandbox's scratch dir when there is one).
        if scratch_dir is None and sandbox is not None:
            scratch_dir = sandbox.scratch
        self.scratch = Path(scratch_dir) if scratch_dir is not None else Path(tempfile.mkdtemp(prefix="agent-tests-"))
        if scratch_dir is None:
            weakref.finalize(self, shutil.rmtree, str(self.scratch), True)
        self.configured = bool(command if isinstance(command, list | tuple) else (command or "").strip())
        if self.configured:  # split once (a list as it is); shell syntax runs as `bash -c` with no args
            self.argv, self.selector_kind = split_command(command)
            self.kind: str | None = "shell"
            self.command: str | None = command.strip() if isinstance(command, str) else shlex.join(self.argv)
        else:
            self.kind = detect_kind(self.root)
            self.argv = self._with_cache(detected_argv(self.kind, self.root))
            self.selector_kind = self.kind or "command"
            display = [Path(a).name if i == 0 and self.kind == "pytest" else a for i, a in enumerate(self.argv)]
            self.command = (None if not self.argv else " ".join(display[:4]) if self.kind == "pytest"
                            else shlex.join(display))
        self.format = formats.for_words(self._words(), self.root)
        self.args_help = accepted(self.selector_kind)  # what run_tests' args may hold: the tool description

    def _words(self) -> list[str]:
        if self.selector_kind == "script":
            try:
                return shlex.split(self.command or "")
            except ValueError:
                return []
        return list(self.argv)

    def _with_cache(self, argv: list[str]) -> list[str]:
        """pytest's cache (for --lf) in the session's scratch dir: never in the worktree, where it
        would end up in commits."""
        if self.sandbox is None or argv[-2:] != ["-p", "no:cacheprovider"]:
            return argv
        return [*argv[:-2], "-o", f"cache_dir={self.sandbox.scratch / 'pytest-cache'}"]

    def run(self, args: str | None = None, scope: str | None = None, *, selection: list[str] | None = None) -> TestResult:
        """`args`: the model's, checked as selectors. `selection`: ours, argv items already safe
        (agent.testsuite.affected: our flags, ./-prefixed paths, checked crate names)."""
        if self.command is None:
            return TestResult(True, None, 0.0, False, "", report=NO_COMMAND)
        args = (args or "").strip()
        cache = self.sandbox is not None and not self.configured
        extra = selector_argv(self.selector_kind, args, self.root, cache=cache)  # ToolError: back to the model
        report = self.scratch / f"report-{next(self._reports)}{'.xml' if self.format.name == 'pytest' else '.json'}"
        # Our reporter's args are argv items too; a shell-script command gets none (no text appended).
        fmt_args = [] if self.selector_kind == "script" else self.format.args(report)
        selection = list(selection or [])
        base = [*self.argv, *selection] if self.selector_kind == "cargo" else self.argv  # -p goes before `--`
        ours = [*fmt_args, *([] if self.selector_kind == "cargo" else selection)]
        argv = narrow(self.selector_kind, base, [*ours, *extra], script_args=self.format.script_args)
        shown = " ".join(filter(None, [self.command, shlex.join([*selection, *extra])]))
        start = time.monotonic()
        installed = self.deps.ensure(self) if self.deps is not None else None
        if installed is not None and not installed.ok:
            return installed.as_result(shown, time.monotonic() - start)
        env = self._env()
        env.update(self.format.env(report, self.scratch, env))
        if not _findable(argv[0], self.root, env):  # else only the sandbox's exec error would say so
            msg = f"cannot run {shown}: {argv[0]} not found"
            return TestResult(False, None, time.monotonic() - start, False, shown, report=msg, output=msg)
        if self.sandbox is not None:
            argv, env = self.sandbox.wrap(argv, cwd=self.root, env=env)
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
        if self.deps is not None and self.deps.site.is_dir():
            paths.append(str(self.deps.site))  # what the session installed, before the person's own
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env
