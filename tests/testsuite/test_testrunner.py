"""TestRunner: detection, real pytest runs, and the report the model and the person read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agent.errors import ToolError
from agent.testsuite import runner as testrunner
from agent.testsuite.runner import TestRunner
from tests.helpers_git import write_files

SUITE = {
    "pyproject.toml": "[project]\nname = 'demo'\nversion = '0'\n",
    "demo.py": "def add(a, b):\n    return a - b\n",
    "tests/test_demo.py": (
        "from demo import add\n\n"
        "def test_ok():\n    assert 1 + 1 == 2\n\n"
        "def test_add():\n    print('NOISE FROM STDOUT')\n    total = add(1, 2)\n    assert total == 3\n\n"
        "class TestMore:\n    def test_raises(self):\n        raise ValueError('boom')\n"
    ),
}


def project(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "proj"
    write_files(root, files)
    return root


@pytest.mark.parametrize("files, command", [
    ({"pyproject.toml": ""}, "python -m pytest -q"),
    ({"setup.cfg": ""}, "python -m pytest -q"),
    ({"tests/test_x.py": ""}, "python -m pytest -q"),
    ({"package.json": json.dumps({"scripts": {"test": "jest"}})}, "npm test --silent"),
    ({"package.json": json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})}, None),
    ({"package.json": json.dumps({"name": "x"})}, None),
    ({"package.json": json.dumps({"scripts": {"test": "jest"}}), "pnpm-lock.yaml": ""}, "pnpm test"),
    ({"package.json": json.dumps({"scripts": {"test": "jest"}}), "yarn.lock": ""}, "yarn test"),
    ({"go.mod": "module x\n"}, "go test -json ./..."),
    ({"Cargo.toml": ""}, "cargo test --no-fail-fast"),
    ({"README.md": ""}, None),
])
def test_detection(tmp_path, files, command):
    assert TestRunner(project(tmp_path, files)).command == command


def test_configured_command_wins(tmp_path):
    assert TestRunner(project(tmp_path, SUITE), command="make check").command == "make check"


def test_no_command_is_reported_honestly(tmp_path):
    result = TestRunner(project(tmp_path, {"README.md": ""})).run()
    assert result.passed and result.command == "" and result.exit_code is None
    assert result.report == "no test command configured or detected"
    assert result.to_dict()["report"] == result.report


def test_failing_pytest_run_gives_a_concise_report(tmp_path):
    root = project(tmp_path, SUITE)
    result = TestRunner(root).run()
    assert not result.passed and result.exit_code == 1 and not result.timed_out
    assert result.counts == {"failed": 2, "passed": 1}
    assert result.summary().startswith("2 failed, 1 passed in ")
    report = result.report
    assert report.startswith("python -m pytest -q: 2 failed, 1 passed")
    assert "FAILED tests/test_demo.py::test_add" in report
    assert "E       assert -1 == 3" in report and "tests/test_demo.py:9" in report
    assert "FAILED tests/test_demo.py::TestMore::test_raises" in report and "E       ValueError: boom" in report
    assert "NOISE FROM STDOUT" not in report and "NOISE FROM STDOUT" in result.output
    assert len(report) < 1000
    # The worktree is left as it was: no bytecode, no .pytest_cache to end up in a commit.
    assert not list(root.rglob("__pycache__")) and not (root / ".pytest_cache").exists()


def test_narrowing_args_are_shell_quoted_for_detected_commands(tmp_path):
    runner = TestRunner(project(tmp_path, SUITE))
    result = runner.run("-k 'test_ok or nothing_else'")
    assert result.passed and result.counts["passed"] == 1
    assert result.command == "python -m pytest -q -k 'test_ok or nothing_else'"
    with pytest.raises(ToolError, match="shell syntax is not accepted"):
        runner.run("tests/test_demo.py::test_ok; touch HACKED")
    assert not (tmp_path / "proj" / "HACKED").exists()
    with pytest.raises(ToolError, match="invalid run_tests args"):
        runner.run("-k 'unbalanced")


def test_collection_errors_are_reported(tmp_path):
    files = {**SUITE, "tests/test_broken.py": "import not_a_module_anywhere\n",
             "tests/test_syntax.py": "def f(:\n    pass\n"}
    result = TestRunner(project(tmp_path, files)).run()
    assert not result.passed and sorted(result.collection_errors) == ["tests/test_broken.py", "tests/test_syntax.py"]
    assert result.summary().startswith("2 collection errors, 2 failed, 1 passed")  # the other tests still ran
    assert "COLLECTION ERROR tests/test_broken.py" in result.report
    assert "No module named 'not_a_module_anywhere'" in result.report
    assert "COLLECTION ERROR tests/test_syntax.py" in result.report and "SyntaxError" in result.report


def test_no_tests_collected_counts_as_passed_with_a_note(tmp_path):
    result = TestRunner(project(tmp_path, {"pyproject.toml": "", "tests/test_empty.py": "x = 1\n"})).run()
    assert result.passed and result.exit_code == 5
    assert "no tests were collected" in result.report


def test_report_is_capped_with_a_note(tmp_path):
    body = "".join(f"def test_{i}():\n    assert 'x' * 300 == 'y' * 300, 'long message {i}'\n\n" for i in range(40))
    result = TestRunner(project(tmp_path, {"pyproject.toml": "", "test_many.py": body})).run()
    assert result.counts["failed"] == 40
    assert len(result.report) <= testrunner.REPORT_CHARS + 300
    assert "more failures not shown" in result.report


def test_configured_command_is_an_argv_and_args_never_reach_a_shell(tmp_path):
    root = project(tmp_path, {"x.txt": "hello\n", "y.txt": "world\n"})
    runner = TestRunner(root, command="cat x.txt")
    with pytest.raises(ToolError, match="shell syntax is not accepted"):
        runner.run("&& echo $((40 + 2)) && exit 3")
    result = runner.run("y.txt")  # a path inside the worktree: one more argv item
    assert result.passed and result.output == "hello\nworld\n" and result.command == "cat x.txt y.txt"
    assert TestRunner(root, command="true").run().passed
    script = TestRunner(root, command="cat x.txt && exit 3")  # shell syntax: bash -c, and no args at all
    assert script.run().exit_code == 3
    with pytest.raises(ToolError, match="takes no args"):
        script.run("y.txt")


def test_configured_pytest_is_still_parsed(tmp_path):
    result = TestRunner(project(tmp_path, SUITE), command="python -m pytest -q -p no:cacheprovider").run()
    assert result.counts == {"failed": 2, "passed": 1}
    assert "FAILED tests/test_demo.py::test_add" in result.report


def test_missing_runner_is_a_failed_result_not_a_crash(tmp_path, monkeypatch):
    root = project(tmp_path, {"go.mod": "module x\n"})
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = TestRunner(root).run()
    assert not result.passed and result.exit_code is None and "cannot run go test -json ./..." in result.report


def test_output_is_capped_keeping_head_and_tail(tmp_path):
    script = "import sys\nprint('FIRST LINE')\nsys.stdout.write('x' * 2_000_000 + '\\n')\nprint('LAST LINE')\n"
    root = project(tmp_path, {"spam.py": script})
    result = TestRunner(root, command="python spam.py").run()
    assert result.passed
    assert result.output.startswith("FIRST LINE") and result.output.rstrip().endswith("LAST LINE")
    assert len(result.output) < testrunner.HEAD_BYTES + testrunner.TAIL_BYTES + 200
    assert "bytes of output cut" in result.output


def test_pytest_missing_from_the_person_s_python_is_said_plainly(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python"  # a python without pytest, as a fresh venv would be
    fake.write_text("#!/bin/sh\necho '/venv/bin/python: No module named pytest' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = TestRunner(project(tmp_path, SUITE)).run()
    assert not result.passed and f"pytest is not installed for {fake}" in result.report
