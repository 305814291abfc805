"""Per-test results from each runner's machine-readable report.

Each parser returns a list of CaseResult, or None when the report is missing or unreadable (the
run then counts as having no per-test results; it is never taken for a clean one). Ids are the
runner's own, exactly: a pytest node id, `file > describe > test` for Node/jest/vitest,
`package::TestName/sub` for go, `binary:target::path::test` for cargo (`calc:src/lib.rs::tests::adds`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent.testsuite.result import COLLECTION, ERROR, FAILED, PASSED, SKIPPED, CaseResult

MESSAGE_CHARS = 2_000  # of one test's failure text kept


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _clip(text: str | None) -> str:
    text = _ANSI.sub("", text or "").strip()
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + " […]"


def _rel(path: str | None, root: Path) -> str:
    if not path:
        return ""
    p = Path(path)
    try:
        return p.resolve().relative_to(root.resolve()).as_posix() if p.is_absolute() else p.as_posix()
    except ValueError:
        return p.as_posix()


# ------------------------------------------------------------------------------------ pytest


def pytest_junit(path: Path, root: Path) -> list[CaseResult] | None:
    """pytest's `--junitxml` report (written with `-o junit_family=xunit1`, which adds file and line)."""
    from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, ValueError, SyntaxError) as exc:  # missing, or torn by a crash (ParseError is a SyntaxError)
        del exc
        return None
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    cases: list[CaseResult] = []
    for suite in suites:
        for case in suite:
            file = case._elem.get("file") or ""
            line = case._elem.get("line")
            test_id = _pytest_id(case.classname or "", case.name or "", file, root)
            results = list(case.result)
            error = next((r for r in results if isinstance(r, Error)), None)
            failure = next((r for r in results if isinstance(r, Failure)), None)
            skipped = next((r for r in results if isinstance(r, Skipped)), None)
            if error is not None and (error.message or "").startswith("collection failure"):
                outcome, res = COLLECTION, error
            elif failure is not None:
                outcome, res = FAILED, failure
            elif error is not None:  # setup/teardown errors
                outcome, res = ERROR, error
            elif skipped is not None:
                outcome, res = SKIPPED, skipped
            else:
                outcome, res = PASSED, None
            text = "" if res is None else (res.text or res.message or "")
            cases.append(CaseResult(
                test_id, outcome, _clip(text) if outcome != SKIPPED else _clip(res.message if res else ""),
                f"{file}:{int(line) + 1}" if file and line and line.isdigit() else file,
                float(case.time or 0.0), file))
    return cases


def _pytest_id(classname: str, name: str, file: str, root: Path) -> str:
    """The node id back from JUnit's (classname, name): 'tests.test_a.TestX' + 'test_y[a b]' ->
    'tests/test_a.py::TestX::test_y[a b]'. pytest dotted the file path into the classname; the
    file attribute says where the module part ends (for a test inherited from a class in another
    file the files on disk decide)."""
    if not classname:  # a collection error: name is the dotted module, file the path
        return file or name
    if file.endswith(".py"):
        module = file[:-3].replace("/", ".")
        if classname == module or classname.startswith(module + "."):
            classes = classname[len(module):].strip(".")
            return "::".join(filter(None, [file, *classes.split("."), name])) if classes else f"{file}::{name}"
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        candidate = "/".join(parts[:cut]) + ".py"
        if (root / candidate).is_file():
            return "::".join([candidate, *parts[cut:], name])
    return "::".join([classname.replace(".", "/") + ".py", name])


# -------------------------------------------------------------------------------------- node


def node_events(path: Path, root: Path) -> list[CaseResult] | None:
    """The JSON lines our Node reporter (node_reporter.mjs) writes: test:start/pass/fail events."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    stacks: dict[str, list[str]] = {}
    cases: list[CaseResult] = []
    failed_suites: list[tuple[str, CaseResult]] = []
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue  # a torn last line
        file = _rel(ev.get("file"), root)
        nesting = int(ev.get("nesting") or 0)
        stack = stacks.setdefault(file, [])
        if ev.get("type") == "test:start":
            del stack[nesting:]
            stack.append(str(ev.get("name", "")))
            continue
        name = str(ev.get("name", ""))
        parents = stack[:nesting]
        test_id = " > ".join([file or "?", *parents, name])
        location = f"{file}:{ev['line']}" if file and ev.get("line") else file
        duration = float(ev.get("duration") or 0.0) / 1000
        if ev.get("type") == "test:pass":
            outcome = SKIPPED if ev.get("skip") or ev.get("todo") else PASSED
            if ev.get("kind") != "suite":
                cases.append(CaseResult(test_id, outcome, "", location, duration, file))
            continue
        message = _clip(ev.get("message"))
        if nesting == 0 and file and Path(name).name == Path(file).name:  # the file itself failed to run
            cases.append(CaseResult(file, COLLECTION, message, location, duration, file))
        elif ev.get("kind") == "suite":
            failed_suites.append((test_id, CaseResult(test_id, ERROR, message, location, duration, file)))
        else:
            outcome = ERROR if ev.get("failureType") in ("hookFailed", "cancelledByParent") else FAILED
            cases.append(CaseResult(test_id, outcome, message, location, duration, file))
    for suite_id, case in failed_suites:  # a suite that failed with no failing test in it (a hook)
        if not any(c.id.startswith(suite_id + " > ") and c.outcome in (FAILED, ERROR) for c in cases):
            cases.append(case)
    return cases


# ------------------------------------------------------------------------------- jest/vitest


def jest_json(path: Path, root: Path) -> list[CaseResult] | None:
    """jest's `--json --outputFile` report; vitest's json reporter writes the same shape."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("testResults"), list):
        return None
    cases: list[CaseResult] = []
    for suite in data["testResults"]:
        file = _rel(suite.get("name") or suite.get("testFilePath"), root)
        tests = suite.get("assertionResults") or suite.get("testResults") or []
        if not tests and suite.get("status") == "failed":
            cases.append(CaseResult(file, COLLECTION, _clip(suite.get("message") or suite.get("failureMessage")),
                                    file, 0.0, file))
            continue
        for t in tests:
            titles = [*(t.get("ancestorTitles") or []), t.get("title") or t.get("fullName") or ""]
            test_id = " > ".join([file, *[str(x) for x in titles]])
            status = t.get("status")
            outcome = {"passed": PASSED, "failed": FAILED}.get(status, SKIPPED)
            loc = t.get("location") or {}
            location = f"{file}:{loc['line']}" if isinstance(loc, dict) and loc.get("line") else file
            message = "\n".join(str(m) for m in t.get("failureMessages") or [])
            cases.append(CaseResult(test_id, outcome, _clip(message), location,
                                    float(t.get("duration") or 0.0) / 1000, file))
    return cases


# ---------------------------------------------------------------------------------------- go


def go_json(output: str, root: Path) -> tuple[list[CaseResult] | None, str]:
    """`go test -json` events from the output; returns the cases and the plain-text log for people
    (each test's output lines, and what was not JSON: build errors)."""
    module = _go_module(root)
    outputs: dict[tuple[str, str], list[str]] = {}
    cases: dict[tuple[str, str], CaseResult] = {}
    failed_packages: dict[str, float] = {}
    plain: list[str] = []
    seen_json = False
    for line in output.splitlines():
        try:
            ev = json.loads(line) if line.startswith("{") else None
        except ValueError:
            ev = None
        if not isinstance(ev, dict):
            plain.append(line)
            if m := _GO_BUILD_FAILED.match(line):  # older go prints build failures as text only
                failed_packages[m.group(1)] = 0.0
            continue
        seen_json = True
        pkg, test, action = ev.get("Package", ""), ev.get("Test", ""), ev.get("Action")
        key = (pkg, test)
        if action == "output":
            outputs.setdefault(key, []).append(ev.get("Output", ""))
            plain.append(ev.get("Output", "").rstrip("\n"))
        elif action in ("pass", "fail", "skip") and test:
            outcome = {"pass": PASSED, "fail": FAILED, "skip": SKIPPED}[action]
            text = "".join(outputs.get(key, [])) if action != "pass" else ""
            rel = pkg[len(module):].strip("/") if module and pkg.startswith(module) else pkg
            cases[key] = CaseResult(f"{pkg}::{test}", outcome, _clip(text), _go_location(text, rel), ev.get("Elapsed") or 0.0,
                                    rel)
        elif action == "fail":
            failed_packages[pkg] = ev.get("Elapsed") or 0.0
    if not seen_json and not failed_packages:
        return None, output
    result = list(cases.values())
    for pkg in failed_packages:  # failed with no failing test: did not build, or crashed outside a test
        if not any(c.outcome == FAILED and c.id.startswith(pkg + "::") for c in result):
            text = "".join(outputs.get((pkg, ""), [])) or "\n".join(plain[-20:])
            rel = pkg[len(module):].strip("/") if module and pkg.startswith(module) else pkg
            result.append(CaseResult(pkg, COLLECTION, _clip(text), rel, 0.0, rel))
    return result, "\n".join(plain)


_GO_BUILD_FAILED = re.compile(r"^FAIL\s+(\S+) \[(?:build|setup) failed\]")


def _go_module(root: Path) -> str:
    try:
        m = re.search(r"^module\s+(\S+)", (root / "go.mod").read_text(encoding="utf-8"), re.M)
    except OSError:
        return ""
    return m.group(1) if m else ""


def _go_location(text: str, rel: str) -> str:
    m = re.search(r"^\s+(\w[\w./-]*_test\.go:\d+):", text, re.M)
    return f"{rel}/{m.group(1)}".lstrip("/") if m else ""


# ------------------------------------------------------------------------------------- cargo

_CARGO_RUNNING = re.compile(r"^\s*Running (?:unittests )?(\S+)(?: \((?:[^)]*/)?([^)/]+?)(?:-[0-9a-f]{16})?(?:\.exe)?\))?")
_CARGO_DOC = re.compile(r"^\s*Doc-tests (\S+)")
_CARGO_TEST = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored|bench)(?:, .*)?$")
_CARGO_BLOCK = re.compile(r"^---- (.+?) stdout ----$")
_CARGO_BUILD_ERROR = re.compile(r"^error: could not compile `([^`]+)`")


def cargo_lines(output: str) -> list[CaseResult] | None:
    """libtest's per-test lines (`test a::b ... ok`) under each `Running <target>` line; a build
    error is a collection error of the crate."""
    target = ""
    cases: list[CaseResult] = []
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    build_errors: list[str] = []
    seen = False
    for line in output.splitlines():
        if m := _CARGO_RUNNING.match(line):
            # The binary's name (its crate or test target) keeps two workspace members' src/lib.rs apart.
            target, current, seen = (f"{m.group(2)}:{m.group(1)}" if m.group(2) else m.group(1)), None, True
        elif m := _CARGO_DOC.match(line):
            target, current, seen = f"doc({m.group(1)})", None, True
        elif m := _CARGO_TEST.match(line):
            outcome = {"ok": PASSED, "FAILED": FAILED, "ignored": SKIPPED}.get(m.group(2), PASSED)
            file = target.split(":", 1)[-1]
            cases.append(CaseResult(f"{target}::{m.group(1)}", outcome, "", file, 0.0, file))
        elif m := _CARGO_BLOCK.match(line):
            current = blocks.setdefault(f"{target}::{m.group(1)}", [])
        elif line.strip() in ("failures:", "successes:") or line.startswith("test result:"):
            current = None
        elif m := _CARGO_BUILD_ERROR.match(line):
            build_errors.append(m.group(1))
        elif current is not None:
            current.append(line)
    for case in cases:
        if case.id in blocks:
            case.message = _clip("\n".join(blocks[case.id]))
            if m := re.search(r"panicked at ([^\s:]+:\d+)", case.message):
                case.location = m.group(1)
    if build_errors:
        crate = build_errors[0]
        text = "\n".join(ln for ln in output.splitlines() if ln.startswith(("error", " -->", "  -->")))
        cases.append(CaseResult(f"(build) {crate}", COLLECTION, _clip(text), "", 0.0, ""))
    return cases if (seen or cases) else None
