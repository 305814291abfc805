"""Verdict benchmark (issue 10).

1. affected-first vs full: a repository whose full suite takes a minute or more across many
   modules (tests that sleep, so the figure does not depend on how busy the CPU is); one step
   breaks one module. Measured: seconds from the model's finish_step to the failure report
   reaching the model (the next model call), through the real loop, driver, git worktree and
   pytest, with the in-process scripted model. Target: affected-first <= 10% of full.
2. What structured parsing (JUnit XML written by pytest + junitparser) adds to a 500-test pytest
   run, against the same run read from its text output only. Target: under 5%.

    python bench/verdict_bench.py                 # both parts (part 1 takes about 1.5 minutes)
    python bench/verdict_bench.py --part parse    # part 2 only
    python bench/verdict_bench.py --modules 30 --tests 10 --sleep 0.2

Results: printed, and written to bench/results/verdict.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.approval import YesApprover  # noqa: E402
from agent.config import load_config  # noqa: E402
from agent.core.driver import run_session  # noqa: E402
from agent.events import EventBus  # noqa: E402
from agent.testing.scripted import ScriptedModel  # noqa: E402
from agent.testsuite import formats  # noqa: E402
from agent.testsuite.runner import TestRunner  # noqa: E402
from agent.workspace import Repo  # noqa: E402


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "init")
    return root


def slow_project(modules: int, tests: int, sleep: float) -> dict[str, str]:
    files = {"pyproject.toml": "[project]\nname='big'\nversion='0'\n"}
    for m in range(modules):
        files[f"pkg/mod{m}.py"] = f"def value():\n    return {m}\n"
        body = f"import time\n\nfrom pkg.mod{m} import value\n"
        for t in range(tests):
            body += f"\n\ndef test_{t}():\n    time.sleep({sleep})\n    assert value() == {m}\n"
        files[f"tests/test_mod{m}.py"] = body
    files["pkg/__init__.py"] = ""
    return files


class TimedModel(ScriptedModel):
    """Notes when each answer was handed back and when each request came in."""

    def __init__(self, script):
        super().__init__(script)
        self.returned: list[float] = []
        self.asked: list[float] = []

    def respond(self, conversation, tools, role):
        self.asked.append(time.monotonic())
        turn = super().respond(conversation, tools, role)
        self.returned.append(time.monotonic())
        return turn


def call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}


def finish_to_report(modules: int, tests: int, sleep: float, strategy: str) -> dict:
    broken = modules // 2
    diff = (f"--- a/pkg/mod{broken}.py\n+++ b/pkg/mod{broken}.py\n@@ -1,2 +1,2 @@\n def value():\n"
            f"-    return {broken}\n+    return {broken} + 1\n")
    turns = [
        {"tool_calls": [call("submit_plan", summary="s", steps=[{"title": "Change mod", "description": "d",
                                                                 "files": [f"pkg/mod{broken}.py"]}])]},
        {"tool_calls": [call("apply_diff", diff=diff)]},
        {"tool_calls": [call("finish_step", summary="changed", no_change_needed=None)]},  # turn 3: finish
        # turn 4: the failure report has reached the model; end the run there (ModelError)
        {"error": {"status": 500, "message": "bench over"}},
    ]
    with tempfile.TemporaryDirectory(prefix="verdict-bench-") as tmp:
        repo = Repo.find(make_repo(Path(tmp), slow_project(modules, tests, sleep)))
        config = load_config(repo.root, {"test_strategy": strategy, "baseline_tests": False, "max_attempts": 2,
                                         "test_timeout": 1800}, env={})
        model = TimedModel({"turns": turns})
        events = []
        result = run_session("bench", repo=repo, config=config, approver=YesApprover(), events=EventBus(events.append),
                             model=model, cwd=repo.root)
        finish_returned, report_seen = model.returned[2], model.asked[3]
        assert f"tests/test_mod{broken}.py::test_0" in model.requests[3]["text"], "the report did not reach the model"
        runs = [e.data for e in events if e.type == "tests_run"]
    return {"strategy": strategy, "seconds_finish_to_report": round(report_seen - finish_returned, 2),
            "runs": [{"scope": r.get("scope"), "tests_run": r.get("tests_run"), "passed": r["passed"],
                      "duration": r["duration"]} for r in runs],
            "status": result.status}


def parse_overhead(tests: int, repeats: int) -> dict:
    body = f"import pytest\n\n\n@pytest.mark.parametrize('n', range({tests}))\ndef test_n(n):\n    assert n >= 0\n"
    with tempfile.TemporaryDirectory(prefix="verdict-parse-") as tmp:
        root = make_repo(Path(tmp), {"pyproject.toml": "", "tests/test_many.py": body})
        structured, plain = TestRunner(root), TestRunner(root)
        plain.format = formats.NONE  # the same command, read from its text output only
        times: dict[str, list[float]] = {"structured": [], "plain": []}
        cpu: dict[str, list[float]] = {"structured": [], "plain": []}
        for runner in (structured, plain):  # warm-up: imports, disk cache
            runner.run()
        for _ in range(repeats):  # interleaved, so machine load hits both alike
            for name, runner in (("structured", structured), ("plain", plain)):
                start, before = time.perf_counter(), _cpu()
                result = runner.run()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(_cpu() - before)  # pytest's CPU time and ours: steadier than wall time on a busy machine
                assert result.passed and result.counts.get("passed") == tests, result.report
        assert result.structured is False and structured.run().structured
        from agent.testsuite.parsers import pytest_junit

        report = root / "report.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                        "-o", "junit_family=xunit1"], cwd=root, capture_output=True, env={**os.environ})
        start = time.perf_counter()
        for _ in range(20):
            cases = pytest_junit(report, root)
        parse_ms = (time.perf_counter() - start) / 20 * 1000
        assert cases is not None and len(cases) == tests
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    return {"tests": tests, "repeats": repeats,
            "median_wall_seconds": {k: round(v, 3) for k, v in med.items()},
            "median_cpu_seconds": {k: round(v, 3) for k, v in med_cpu.items()},
            "overhead_wall_percent": round((med["structured"] - med["plain"]) / med["plain"] * 100, 1),
            "overhead_cpu_percent": round((med_cpu["structured"] - med_cpu["plain"]) / med_cpu["plain"] * 100, 1),
            "junit_parse_ms": round(parse_ms, 1)}


def _cpu() -> float:
    """CPU seconds used so far by this process and its reaped children."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("all", "affected", "parse"), default="all")
    ap.add_argument("--modules", type=int, default=30)
    ap.add_argument("--tests", type=int, default=10, help="tests per module")
    ap.add_argument("--sleep", type=float, default=0.2, help="seconds each test sleeps")
    ap.add_argument("--parse-tests", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the project's own pytest, no plugins of ours
    out: dict = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()[0]}}
    if args.part in ("all", "affected"):
        out["affected_vs_full"] = [finish_to_report(args.modules, args.tests, args.sleep, s)
                                   for s in ("affected-first", "full")]
        a, f = (r["seconds_finish_to_report"] for r in out["affected_vs_full"])
        out["affected_share_of_full_percent"] = round(a / f * 100, 1)
    if args.part in ("all", "parse"):
        out["structured_parsing"] = parse_overhead(args.parse_tests, args.repeats)
    print(json.dumps(out, indent=2))
    results = ROOT / "bench" / "results" / "verdict.json"
    previous = json.loads(results.read_text()) if results.is_file() else {}
    results.write_text(json.dumps({**previous, **out}, indent=2) + "\n")


if __name__ == "__main__":
    main()
