"""How per-test results are had from each runner: the extra arguments or environment that make it
write a machine-readable report into the session's scratch dir, and the parser that reads it.

    pytest      --junitxml=<scratch>/… -o junit_family=xunit1 --continue-on-collection-errors --maxfail=0
    node --test NODE_OPTIONS=--test-reporter=<our reporter> (+ spec on stdout, for people)
    jest        --json --outputFile=<scratch>/…
    vitest      --reporter=json --reporter=default --outputFile.json=<scratch>/…
    go test     -json (events on stdout)
    cargo test  libtest's own `test x ... ok` lines (nothing to add)
    other       nothing: exit code and output tail, "no per-test results"
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from agent.testsuite import parsers

NODE_REPORTER = Path(__file__).with_name("node_reporter.mjs")
_PYTEST_STOP = re.compile(r"^!{3,} (.+?) !{3,}$", re.M)


@dataclass(frozen=True)
class Format:
    name: str  # pytest | node | jest | vitest | go | cargo | none
    script_args: bool = False  # its args go to a package.json script (after npm's `--`)

    @property
    def structured(self) -> bool:
        return self.name != "none"

    def args(self, report: Path) -> list[str]:
        """Arguments that make the runner write its report to `report`."""
        if self.name == "pytest":
            # --maxfail=0 undoes an -x in the project's addopts: a verdict needs every test's result.
            return [f"--junitxml={report}", "-o", "junit_family=xunit1", "--continue-on-collection-errors",
                    "--maxfail=0"]
        if self.name == "jest":
            return ["--json", f"--outputFile={report}"]
        if self.name == "vitest":
            return ["--reporter=json", "--reporter=default", f"--outputFile.json={report}"]
        return []

    def env(self, report: Path, scratch: Path, base: dict[str, str]) -> dict[str, str]:
        """Environment for the run (Node's runner takes its reporter from NODE_OPTIONS whatever
        the script's arguments are)."""
        if self.name != "node":
            return {}
        reporter = scratch / NODE_REPORTER.name
        if not reporter.is_file():
            shutil.copyfile(NODE_REPORTER, reporter)  # inside the scratch dir: readable in the sandbox
        opts = (f"--test-reporter={reporter} --test-reporter-destination=stdout "
                "--test-reporter=spec --test-reporter-destination=stdout")
        return {"NODE_OPTIONS": " ".join(filter(None, [base.get("NODE_OPTIONS", ""), opts])),
                "AGENT_TEST_EVENTS": str(report)}

    def parse(self, report: Path, output: str, root: Path) -> tuple[list | None, str]:
        """(cases or None, the output as people should read it)."""
        if self.name == "pytest":
            return parsers.pytest_junit(report, root), output
        if self.name == "node":
            cases = parsers.node_events(report, root) if report.is_file() else []  # no events: no tests
            # Our reporter's JSON lines share stdout with spec's: people read the spec lines.
            return cases, "\n".join(ln for ln in output.splitlines() if not ln.startswith('{"type":"test:'))
        if self.name in ("jest", "vitest"):
            return parsers.jest_json(report, root), output
        if self.name == "go":
            return parsers.go_json(output, root)
        if self.name == "cargo":
            return parsers.cargo_lines(output), output
        return None, output

    def stopped_early(self, output: str, exit_code: int | None, cases: list | None) -> str:
        """Why the runner stopped before running everything it collected ("" when it did not).
        A runner that should have written per-test results and did not never counts as clean,
        whatever its exit code (a test may call os._exit(0))."""
        if self.name == "pytest":
            stops = [m.group(1).strip() for m in _PYTEST_STOP.finditer(output)]
            if stops:
                return stops[-1]
            if exit_code in (2, 3, 4):
                return {2: "pytest was interrupted", 3: "pytest internal error", 4: "pytest usage error"}[exit_code]
        if cases is None and self.name in ("pytest", "jest", "vitest", "go"):
            return f"{self.name} wrote no per-test results (it crashed, was killed or exited early)"
        return ""


NONE = Format("none")


def for_words(words: list[str], root: Path) -> Format:
    """The format for a command line (detected or configured), from what it runs."""
    if not words:
        return NONE
    names = [Path(w).name for w in words]
    first = names[0]
    if first in ("pytest", "py.test") or ("-m" in words and "pytest" in words[words.index("-m") + 1:][:1]):
        return Format("pytest")
    if first == "go" and "test" in words[1:2]:
        return Format("go")
    if first == "cargo" and "test" in words[1:2]:
        return Format("cargo")
    if first == "node" and "--test" in words:
        return Format("node")
    if first in ("npx", "pnpx") and len(words) > 1:
        return for_words(words[1:], root)
    if first in ("jest", "vitest"):
        return Format(first)
    if first in ("npm", "pnpm", "yarn") and (words[1:2] == ["test"] or words[1:3] == ["run", "test"]):
        return _for_script(root)
    return NONE


def _for_script(root: Path) -> Format:
    """package.json's test script: which runner it calls."""
    try:
        script = (json.loads((root / "package.json").read_text(encoding="utf-8")).get("scripts") or {}).get("test")
    except (ValueError, OSError, AttributeError):
        return NONE
    if not isinstance(script, str):
        return NONE
    try:
        words = shlex.split(script)
    except ValueError:
        words = script.split()
    names = [Path(w).name for w in words]
    if "vitest" in names:
        return Format("vitest", script_args=True)
    if "jest" in names or "react-scripts" in names:
        return Format("jest", script_args=True)
    if "node" in names and "--test" in words:
        return Format("node", script_args=True)
    return NONE
