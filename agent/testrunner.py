"""Run the project's tests in the person's environment, in a worktree, with a hard timeout.

The detected Python command is the `python` on PATH (the person's venv), never the agent's own
interpreter, with the worktree's source dirs first on PYTHONPATH so the worktree's code is the
one tested even when the package is installed editable from the person's checkout. The test
process gets its own process group, so a timeout or Ctrl-C kills grandchildren too.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agent.errors import ToolError

HEAD_BYTES = 20_000  # of captured output kept from the start ...
TAIL_BYTES = 80_000  # ... and from the end
REPORT_CHARS = 4_000
TERM_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
NO_COMMAND = "no test command configured or detected"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")
_NPM_PLACEHOLDER = 'echo "Error: no test specified" && exit 1'


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


class TestRunner:
    __test__ = False

    def __init__(self, root: Path, command: str | None = None, timeout: float = 600.0):
        self.root = Path(root)
        self.timeout = timeout
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.configured = bool(command and command.strip())
        self.kind: str | None = "shell" if self.configured else _detect(self.root)
        self.argv: list[str] = [] if self.configured else _detected_argv(self.kind)
        if self.configured:
            self.command: str | None = command.strip()
        elif self.argv:
            display = [Path(self.argv[0]).name if self.kind == "pytest" else self.argv[0], *self.argv[1:]]
            self.command = " ".join(display[:4]) if self.kind == "pytest" else shlex.join(display)
        else:
            self.command = None

    def run(self, args: str | None = None) -> TestResult:
        if self.command is None:
            return TestResult(True, None, 0.0, False, "", report=NO_COMMAND)
        args = (args or "").strip()
        if self.configured:
            argv = ["bash", "-c", f"{self.command} {args}" if args else self.command]
            shown = argv[2]
        else:
            try:
                extra = shlex.split(args)
            except ValueError as exc:
                raise ToolError(f"invalid test arguments {args!r}: {exc}") from None
            argv = _narrow(self.kind, self.argv, extra)
            shown = " ".join(filter(None, [self.command, shlex.join(extra)]))
        start = time.monotonic()
        try:
            code, timed_out, output = _run_group(argv, self.root, self._env(), self.timeout, self._track)
        except OSError as exc:  # the runner itself is missing (no npm, no go, ...)
            msg = f"cannot run {shown}: {exc.strerror or exc}"
            return TestResult(False, None, time.monotonic() - start, False, shown, report=msg, output=msg)
        duration = self.timeout if timed_out else time.monotonic() - start  # not counting the kill
        pytest_like = self.kind == "pytest" or bool(_PYTEST_FINAL.search(output))
        counts = _pytest_counts(output) if pytest_like else _other_counts(output)
        passed = code == 0 and not timed_out
        note = ""
        if pytest_like and code == 5 and not timed_out:
            passed, note = True, "no tests were collected (pytest exit code 5); counted as passed"
        result = TestResult(passed, code, duration, timed_out, shown, counts, "", output,
                            _failing_ids(output, passed, timed_out, pytest_like))
        if timed_out:
            body = f"timed out after {self.timeout:g}s; the test processes were killed. Output so far:\n"
            body += _tail(output)
        elif passed:
            body = note
        elif self.kind == "pytest" and "No module named pytest" in output:
            body = f"pytest is not installed for {self.argv[0]} (the python on PATH); install it there"
        elif pytest_like:
            body = pytest_report(output) or _tail(output)
        else:
            body = _tail(output)
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
            _kill_group(proc, graceful=False)

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


# -- detection ------------------------------------------------------------------------------

def _detect(root: Path) -> str | None:
    if any((root / m).is_file() for m in _PYTHON_MARKERS) or _has_python_tests(root):
        return "pytest"
    pkg = root / "package.json"
    if pkg.is_file():
        try:
            script = (json.loads(pkg.read_text(encoding="utf-8")).get("scripts") or {}).get("test")
        except (ValueError, OSError, AttributeError):
            script = None
        if isinstance(script, str) and script.strip() and script.strip() != _NPM_PLACEHOLDER:
            return "npm"
    if (root / "go.mod").is_file():
        return "go"
    if (root / "Cargo.toml").is_file():
        return "cargo"
    return None


def _has_python_tests(root: Path) -> bool:
    for folder in (root, root / "tests", root / "test"):
        if folder.is_dir() and (any(folder.glob("test_*.py")) or any(folder.glob("*_test.py"))):
            return True
    return False


def _detected_argv(kind: str | None) -> list[str]:
    if kind == "pytest":
        python = shutil.which("python") or shutil.which("python3") or "python"
        return [python, "-m", "pytest", "-q", "-rfE", "--color=no", "-p", "no:cacheprovider"]
    return {"npm": ["npm", "test", "--silent"], "go": ["go", "test", "./..."],
            "cargo": ["cargo", "test"]}.get(kind or "", [])


def _narrow(kind: str | None, argv: list[str], extra: list[str]) -> list[str]:
    if not extra:
        return list(argv)
    if kind == "npm":
        return [*argv, "--", *extra]
    if kind == "go" and any(not a.startswith("-") for a in extra):
        return [a for a in argv if a != "./..."] + extra  # packages named: test just those
    return [*argv, *extra]


# -- running --------------------------------------------------------------------------------

class _Capture:
    """Keeps the first HEAD_BYTES and the last TAIL_BYTES of a stream, counting what it drops."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size - len(self.tail[0]) >= TAIL_BYTES:
                self.tail_size -= len(self.tail[0])
                self.dropped += len(self.tail.popleft())

    def text(self) -> str:
        tail = b"".join(self.tail)
        if self.tail_size > TAIL_BYTES:
            self.dropped += self.tail_size - TAIL_BYTES
            tail = tail[-TAIL_BYTES:]
            self.tail, self.tail_size = deque([tail]), len(tail)
        middle = f"\n[... {self.dropped} bytes of output cut ...]\n".encode() if self.dropped else b""
        return _ANSI.sub("", (bytes(self.head) + middle + tail).decode("utf-8", "replace"))


def _run_group(argv: list[str], cwd: Path, env: dict[str, str], timeout: float,
               track=lambda proc, running: None) -> tuple[int | None, bool, str]:
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    track(proc, True)
    capture = _Capture()

    def pump() -> None:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read1(65536), b""):
            capture.feed(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timed_out = False
    try:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    finally:
        # Always clear the group: on timeout and Ctrl-C, and after a normal exit for anything
        # the tests left running (it would hold our pipe open).
        _kill_group(proc, graceful=proc.returncode is None)
        reader.join(timeout=2.0)
        if proc.stdout and not reader.is_alive():  # else a process that left the group holds the pipe
            proc.stdout.close()
        track(proc, False)
    return (None if timed_out else proc.returncode), timed_out, capture.text()


def _kill_group(proc: subprocess.Popen, graceful: bool) -> None:
    def signal_group(sig: int) -> bool:
        try:
            os.killpg(proc.pid, sig)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    try:
        if graceful and signal_group(signal.SIGTERM):
            deadline = time.monotonic() + TERM_GRACE
            while time.monotonic() < deadline and _group_alive(proc):
                time.sleep(0.05)
    finally:  # a second Ctrl-C during the grace period still kills everything
        signal_group(signal.SIGKILL)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _group_alive(proc: subprocess.Popen) -> bool:
    """Whether any process of the group still runs (zombies don't count: they are dead already)."""
    proc.poll()  # reap the leader
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # Orphaned children of the killed leader may linger as zombies when PID 1 doesn't reap.
        if int(fields[2]) == proc.pid and fields[0] != b"Z":
            return True
    return False


# -- reports --------------------------------------------------------------------------------

_PYTEST_FINAL = re.compile(r"^=*\s*(?:\d+ \w+(?:, )?)+ in [\d.]+s(?: \([^)]*\))?\s*=*\s*$", re.M)
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")
_SECTION = re.compile(r"^={3,} (.+?) ={3,}$")
_BLOCK = re.compile(r"^_{3,} (.+?) _{3,}$")
_LOCATION = re.compile(r"^(\S+?\.\w+):(\d+): ")
_SUMMARY_ID = re.compile(r"^(FAILED|ERROR) (\S+)")


def _failing_ids(output: str, passed: bool, timed_out: bool, pytest_like: bool) -> list[str] | None:
    """Which tests failed, from pytest's short summary; None when unknown (timeout, other runners,
    a failing run that names no test)."""
    if timed_out:
        return None
    if passed:
        return []
    if not pytest_like:
        return None
    ids = list(dict.fromkeys(m.group(2) for m in map(_SUMMARY_ID.match, output.splitlines()) if m))
    return ids or None


def _pytest_counts(output: str) -> dict:
    finals = [m.group(0) for m in _PYTEST_FINAL.finditer(output)]
    if not finals:
        return {}
    counts: dict[str, int] = {}
    for n, word in _COUNT.findall(finals[-1]):
        key = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def _other_counts(output: str) -> dict:
    counts: dict[str, int] = {}
    for _ok, n_pass, n_fail, n_skip in re.findall(r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored",
                                                 output):  # cargo, one line per test binary
        counts["passed"] = counts.get("passed", 0) + int(n_pass)
        counts["failed"] = counts.get("failed", 0) + int(n_fail)
        counts["skipped"] = counts.get("skipped", 0) + int(n_skip)
    jest = re.findall(r"^Tests:\s+(.+?) total$", output, re.M)
    if jest:
        for n, word in re.findall(r"(\d+) (passed|failed|skipped)", jest[-1]):
            counts[word] = int(n)
    return counts


def pytest_report(output: str) -> str:
    """The failing tests with their E lines and locations, not the whole log; '' if none found."""
    lines = output.splitlines()
    ids = [m.group(2) for m in map(_SUMMARY_ID.match, lines) if m]
    blocks: list[tuple[str, list[str]]] = []
    section = ""
    for line in lines:
        sec = _SECTION.match(line)
        if sec:
            section = sec.group(1).strip().lower()
            continue
        if section not in ("failures", "errors"):
            continue
        blk = _BLOCK.match(line)
        if blk:
            blocks.append((blk.group(1), []))
        elif blocks:
            blocks[-1][1].append(line)
    parts = [_block_report(title, body, ids) for title, body in blocks]
    if not parts:
        parts = [ln for ln in lines if _SUMMARY_ID.match(ln)]
    if not parts:
        return ""
    text = ""
    for i, part in enumerate(parts):
        if len(text) + len(part) + 1 > REPORT_CHARS:
            rest = len(parts) - i
            text += (f"[{rest} more failure{'s' if rest > 1 else ''} not shown; run_tests with a test id "
                     "or file to see them]\n")
            break
        text += part + "\n"
    return text.rstrip("\n") or parts[0][:REPORT_CHARS]


def _block_report(title: str, body: list[str], ids: list[str]) -> str:
    prefix, name = "FAILED", title
    for lead in ("ERROR at setup of ", "ERROR at teardown of ", "ERROR collecting "):
        if title.startswith(lead):
            prefix, name = lead.strip(), title[len(lead):]
    dotted = name.replace(".", "::")
    for test_id in ids:  # the full id from the short summary: 'tests/test_a.py::TestX::test_y[1]'
        if test_id == name or test_id.endswith("::" + dotted):
            name = test_id
            break
    errors = [ln for ln in body if ln.startswith("E ")]
    if len(errors) > 12:
        errors = [*errors[:12], f"E   [... {len(errors) - 12} more E lines]"]
    locations = []
    for ln in body:
        m = _LOCATION.match(ln)
        if m and f"{m.group(1)}:{m.group(2)}" not in locations:
            locations.append(f"{m.group(1)}:{m.group(2)}")
    local = [loc for loc in locations if not loc.startswith("/")]  # the project's files, not the stdlib's
    locations = local or locations
    source = [ln for ln in body if ln.startswith(">")][-1:]
    out = [f"{prefix} {name}"]
    if locations:
        out.append("  at " + " <- ".join(reversed(locations[-4:])))
    out += ["  " + ln.rstrip() for ln in source + errors]
    if len(out) == 1:  # no traceback shape (e.g. collection errors from plugins): the body's end
        out += ["  " + ln for ln in [b for b in body if b.strip()][-8:]]
    return "\n".join(out)


def _tail(output: str, max_chars: int = 3_000, max_lines: int = 60) -> str:
    """The end of the output, where most runners put their verdict."""
    lines = output.rstrip().splitlines()
    text = "\n".join(lines[-max_lines:])[-max_chars:]
    cut = len(text) < len(output.rstrip())
    return ("[... earlier output cut; last lines:]\n" if cut else "") + text
