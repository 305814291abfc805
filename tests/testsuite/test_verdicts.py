"""Per-test results from real runners in real temporary projects, judged against a real baseline run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agent.testsuite.parsers import jest_json
from agent.testsuite.runner import TestRunner
from agent.testsuite.verdict import judge
from tests.helpers_git import write_files

FIXTURES = Path(__file__).with_name("fixtures")

SLUG = '''import re

def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
'''
SLUG_TESTS = '''import pytest
from slug import slugify

@pytest.mark.parametrize("text, want", [
    ("Hello   World", "hello-world"),
    ("Hello world!", "hello-world"),
    ("[1000, '', 0]-1 k", "1000-0-1-k"),
    ('say "hi" it\\'s', "say-hi-it-s"),
    ("naïve café", "na-ve-caf"),
])
def test_slugify(text, want):
    assert slugify(text) == want
'''


def project(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "proj"
    write_files(root, files)
    return root


def edit(root: Path, path: str, old: str, new: str) -> None:
    target = root / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")


def test_pytest_ids_keep_spaces_brackets_quotes_and_unicode(tmp_path):
    root = project(tmp_path, {"pyproject.toml": "", "slug.py": SLUG.replace('"-"', '"_"'), "tests/test_slug.py": SLUG_TESTS})
    result = TestRunner(root).run()
    assert result.structured and not result.passed
    assert result.failing == [
        "tests/test_slug.py::test_slugify[Hello   World-hello-world]",
        "tests/test_slug.py::test_slugify[Hello world!-hello-world]",
        "tests/test_slug.py::test_slugify[[1000, '', 0]-1 k-1000-0-1-k]",
        "tests/test_slug.py::test_slugify[say \"hi\" it's-say-hi-it-s]",
        "tests/test_slug.py::test_slugify[na\\xefve caf\\xe9-na-ve-caf]",  # pytest's own escaping of the id
    ]
    case = result.cases[0]
    assert case.location == "tests/test_slug.py:4" and "assert 'hello_world' == 'hello-world'" in case.message
    assert "FAILED tests/test_slug.py::test_slugify[Hello   World-hello-world]" in result.report


def test_broken_parametrized_case_beside_one_failing_at_baseline_is_caught(tmp_path):
    # At HEAD the "Hello   World" case already fails; the step breaks "Hello world!", whose id is
    # the same up to the first space (where ids used to be cut, so it passed for the old failure).
    root = project(tmp_path, {"pyproject.toml": "", "tests/test_slug.py": SLUG_TESTS,
                              "slug.py": SLUG.replace("return re.sub", "text = text.replace('   ', ' x ')\n    return re.sub")})
    baseline = TestRunner(root).run()
    assert baseline.failing == ["tests/test_slug.py::test_slugify[Hello   World-hello-world]"]
    edit(root, "slug.py", "return re.sub", "text = text.replace('!', 'x')\n    return re.sub")
    current = TestRunner(root).run()
    verdict = judge(current, baseline, ["slug.py"])
    assert not verdict.passed
    assert verdict.new_failures == ["tests/test_slug.py::test_slugify[Hello world!-hello-world]"]
    assert verdict.preexisting_failures == ["tests/test_slug.py::test_slugify[Hello   World-hello-world]"]
    assert "Hello world!-hello-world" in verdict.reasons[0]


@pytest.mark.slow
def test_collection_error_at_baseline_does_not_hide_a_break_elsewhere(tmp_path):
    root = project(tmp_path, {
        "pyproject.toml": "", "calc.py": "def add(a, b):\n    return a + b\n",
        "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        "tests/test_legacy.py": "import module_that_is_gone\n\ndef test_old():\n    pass\n",
    })
    baseline = TestRunner(root).run()
    assert baseline.collection_errors == ["tests/test_legacy.py"]
    assert baseline.ids("passed") == ["tests/test_calc.py::test_add"]  # the rest still ran
    edit(root, "calc.py", "a + b", "a - b")
    broken = judge(TestRunner(root).run(), baseline, ["calc.py"])
    assert not broken.passed and broken.new_failures == ["tests/test_calc.py::test_add"]
    assert broken.unverified == ["tests/test_legacy.py (collection error)"]
    edit(root, "calc.py", "a - b", "b + a")
    fixed = judge(TestRunner(root).run(), baseline, ["calc.py"])
    assert fixed.passed and fixed.unverified == ["tests/test_legacy.py (collection error)"]
    assert "Could not be checked: tests/test_legacy.py (collection error)" in fixed.text()


def test_new_collection_error_fails_the_step(tmp_path):
    root = project(tmp_path, {"pyproject.toml": "", "util.py": "X = 1\n",
                              "tests/test_u.py": "from util import X\n\ndef test_x():\n    assert X == 1\n"})
    baseline = TestRunner(root).run()
    (root / "util.py").write_text("X = = 1\n")
    verdict = judge(TestRunner(root).run(), baseline, ["util.py"])
    assert not verdict.passed and "new collection error(s)" in verdict.reasons[0]
    assert "tests/test_u.py" in verdict.reasons[0]


def test_fewer_tests_than_baseline_fails_unless_the_step_changed_their_file(tmp_path):
    root = project(tmp_path, {"pyproject.toml": "",
                              "tests/test_a.py": "def test_a():\n    pass\n",
                              "tests/test_b.py": "def test_b1():\n    pass\n\ndef test_b2():\n    pass\n"})
    baseline = TestRunner(root).run()
    (root / "conftest.py").write_text("collect_ignore = ['tests/test_b.py']\n")  # quietly drops two tests
    current = TestRunner(root).run()
    assert current.passed  # the runner itself is happy ...
    verdict = judge(current, baseline, ["conftest.py"])
    assert not verdict.passed  # ... the verdict is not
    assert verdict.missing == ["tests/test_b.py::test_b1", "tests/test_b.py::test_b2"]
    assert judge(current, baseline, ["conftest.py", "tests/test_b.py"]).passed  # the step removed them


@pytest.mark.slow
@pytest.mark.parametrize("body, reason", [
    ("import pytest\n\ndef test_z():\n    pytest.exit('bye')\n", "bye"),
    ("import os\n\ndef test_z():\n    os._exit(0)\n", "wrote no per-test results"),
])
def test_a_run_that_stops_early_is_never_green(tmp_path, body, reason):
    root = project(tmp_path, {"pyproject.toml": "", "tests/test_a.py": "def test_a():\n    pass\n",
                              "tests/test_z.py": "def test_z():\n    pass\n"})
    baseline = TestRunner(root).run()
    (root / "tests/test_z.py").write_text(body)
    current = TestRunner(root).run()
    assert not current.passed and reason in current.stopped_early
    verdict = judge(current, baseline, ["tests/test_z.py"])
    assert not verdict.passed and "stopped early" in verdict.reasons[0]


def test_other_commands_say_no_per_test_results_and_must_pass_outright(tmp_path):
    root = project(tmp_path, {"check.sh": "echo checking; exit 1\n"})
    runner = TestRunner(root, command="bash check.sh")
    baseline = runner.run()
    current = runner.run()
    assert not current.structured and "no per-test results" in current.summary()
    assert "no per-test results" in current.report
    verdict = judge(current, baseline)
    assert not verdict.passed  # failing at baseline too: can't tell old from new, so not green
    assert "no per-test results" in verdict.unverified[0]


def test_timeout_is_never_green(tmp_path):
    root = project(tmp_path, {"pyproject.toml": "", "tests/test_slow.py": "import time\n\ndef test_s():\n    time.sleep(30)\n"})
    result = TestRunner(root, timeout=2).run()
    assert result.timed_out and not judge(result, None).passed


# --------------------------------------------------------------------------------- node

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

NODE_TESTS = '''const test = require('node:test');
const assert = require('node:assert');
const { add, mul } = require('../lib.js');
test('adds [1, 2] "quoted" ünï', () => { assert.strictEqual(add(1, 2), 3); });
test.describe('mul', () => {
  test.it('multiplies', () => { assert.strictEqual(mul(2, 3), 6); });
  test.it('already broken', () => { assert.strictEqual(mul(2, 0), 1); });
});
'''


@needs_node
@pytest.mark.slow
def test_node_runner_one_new_failure_and_one_preexisting(tmp_path):
    root = project(tmp_path, {
        "package.json": json.dumps({"name": "n", "scripts": {"test": "node --test test/"}}),
        "lib.js": "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n",
        "test/lib.test.js": NODE_TESTS,
        "test/other.test.js": "require('node:test')('adds [1, 2] \"quoted\" ünï', () => {});\n",  # same name, other file
    })
    runner = TestRunner(root)
    assert runner.format.name == "node" and runner.command == "npm test --silent"
    baseline = runner.run()
    assert baseline.failing == ["test/lib.test.js > mul > already broken"]
    assert baseline.counts == {"passed": 3, "failed": 1}
    edit(root, "lib.js", "a + b", "a - b")
    current = runner.run()
    verdict = judge(current, baseline, ["lib.js"])
    assert verdict.new_failures == ['test/lib.test.js > adds [1, 2] "quoted" ünï']
    assert verdict.preexisting_failures == ["test/lib.test.js > mul > already broken"]
    assert "test/lib.test.js:4" in current.report and "3 !== " not in current.output.splitlines()[0]


@needs_node
def test_node_file_that_does_not_load_is_a_collection_error(tmp_path):
    root = project(tmp_path, {"package.json": json.dumps({"name": "n", "scripts": {"test": "node --test"}}),
                              "test/ok.test.js": "require('node:test')('fine', () => {});\n",
                              "test/bad.test.js": "this is not javascript(\n"})
    result = TestRunner(root).run()
    assert result.collection_errors == ["test/bad.test.js"] and result.ids("passed") == ["test/ok.test.js > fine"]


# ---------------------------------------------------------------------------- jest / vitest

@pytest.mark.parametrize("name", ["jest", "vitest"])
def test_jest_and_vitest_json_reports(tmp_path, name):
    # Real reporter output (jest 30.5, vitest 4.1) captured once; the root placeholder is this tmp dir.
    report = tmp_path / "report.json"
    report.write_text((FIXTURES / f"{name}-report.json").read_text().replace("<ROOT>", str(tmp_path)))
    cases = {c.id: c for c in jest_json(report, tmp_path)}
    folder = "t" if name == "jest" else "v"
    assert cases[f'{folder}/a.test.js > math "q" ünï > adds [1, 2]'].outcome == "passed"
    broken = cases[f'{folder}/a.test.js > math "q" ünï > breaks']
    assert broken.outcome == "failed" and "\x1b[" not in broken.message
    assert ("Expected: 3" if name == "jest" else "expected 2 to be 3") in broken.message
    assert cases[f"{folder}/a.test.js > skipped one"].outcome == "skipped"
    assert cases[f"{folder}/b.test.js"].outcome == "collection_error"


def test_jest_script_gets_its_json_report_through_npm(tmp_path):
    runner = TestRunner(project(tmp_path, {"package.json": json.dumps({"scripts": {"test": "jest --ci"}})}))
    assert runner.format.name == "jest" and runner.format.script_args
    configured = TestRunner(project(tmp_path / "c", {"package.json": "{}"}), command="npx vitest run")
    assert configured.format.name == "vitest"


# ------------------------------------------------------------------------------------- go

needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed (.ci/run installs golang-go)")

GO_TESTS = '''package calc

import "testing"

func TestAdd(t *testing.T) {
	if Add(2, 3) != 5 {
		t.Fatalf("Add(2, 3) = %d", Add(2, 3))
	}
}

func TestTable(t *testing.T) {
	for _, name := range []string{"one case", "already broken"} {
		t.Run(name, func(t *testing.T) {
			if name == "already broken" {
				t.Error("it was like this")
			}
		})
	}
}
'''


@needs_go
@pytest.mark.slow
def test_go_one_new_failure_and_one_preexisting(tmp_path, monkeypatch):
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    monkeypatch.setenv("GOCACHE", str(tmp_path / "gocache"))
    root = project(tmp_path, {"go.mod": "module example.com/calc\n\ngo 1.19\n",
                              "calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
                              "calc_test.go": GO_TESTS})
    runner = TestRunner(root)
    baseline = runner.run()
    assert baseline.failing == ["example.com/calc::TestTable/already_broken", "example.com/calc::TestTable"]
    edit(root, "calc.go", "a + b", "a - b")
    current = runner.run()
    verdict = judge(current, baseline, ["calc.go"])
    assert verdict.new_failures == ["example.com/calc::TestAdd"]
    assert set(verdict.preexisting_failures) == {"example.com/calc::TestTable/already_broken", "example.com/calc::TestTable"}
    assert "Add(2, 3) = -1" in current.report
    (root / "calc.go").write_text("package calc\n\nfunc Add(a, b int) int { return a +  }\n")
    broken = runner.run()
    assert broken.collection_errors == ["example.com/calc"] and not judge(broken, baseline, ["calc.go"]).passed


# ---------------------------------------------------------------------------------- cargo

needs_cargo = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")

RUST_LIB = '''pub fn add(a: i32, b: i32) -> i32 { a + b }

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn adds() { assert_eq!(add(2, 3), 5); }
    #[test]
    fn already_broken() { assert_eq!(add(1, 1), 3, "it was like this"); }
}
'''


@needs_cargo
@pytest.mark.slow
def test_cargo_one_new_failure_and_one_preexisting(tmp_path, monkeypatch):
    monkeypatch.setenv("CARGO_TARGET_DIR", str(tmp_path / "target"))
    monkeypatch.setenv("CARGO_NET_OFFLINE", "true")
    root = project(tmp_path, {"Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
                              "src/lib.rs": RUST_LIB,
                              "tests/it.rs": "#[test]\nfn from_outside() { assert_eq!(calc::add(1, 2), 3); }\n"})
    runner = TestRunner(root)
    baseline = runner.run()
    assert baseline.failing == ["calc:src/lib.rs::tests::already_broken"], baseline.output[-2000:]
    assert "it:tests/it.rs::from_outside" in baseline.ids("passed")  # --no-fail-fast: the next binary still ran
    edit(root, "src/lib.rs", "a + b }", "a * b }")
    current = runner.run()
    verdict = judge(current, baseline, ["src/lib.rs"])
    assert set(verdict.new_failures) == {"calc:src/lib.rs::tests::adds", "it:tests/it.rs::from_outside"}
    assert verdict.preexisting_failures == ["calc:src/lib.rs::tests::already_broken"]
    adds = next(c for c in current.cases if c.id == "calc:src/lib.rs::tests::adds")
    assert adds.location.startswith("src/lib.rs:") and "left: 6" in adds.message


def test_affected_selection_per_runner(tmp_path):
    from agent.testsuite.affected import selection

    root = project(tmp_path, {
        "go.mod": "module example.com/app\n\ngo 1.19\n",
        "core/core.go": "package core\n\nfunc V() int { return 1 }\n",
        "api/api.go": 'package api\n\nimport (\n\t"fmt"\n\tc "example.com/app/core"\n)\n\nfunc A() { fmt.Println(c.V()) }\n',
        "cmd/main.go": 'package main\n\nimport "example.com/app/api"\n\nfunc main() { api.A() }\n',
        "other/other.go": "package other\n",
        "src/a.js": "", "tests/test_x.py": "", "x.py": "",
    })
    assert selection("go", root, ["core/core.go"]) == ["./api", "./cmd", "./core"]  # importers, transitively
    assert selection("jest", root, ["src/a.js"]) == ["--passWithNoTests", "--findRelatedTests", "./src/a.js"]
    assert selection("pytest", root, ["x.py"], importers=lambda paths: {"tests/test_x.py", "y.py"}) == ["./tests/test_x.py"]
    assert selection("pytest", root, ["conftest.py", "x.py"], importers=lambda paths: {"tests/test_x.py"}) is None
    assert selection("pytest", root, ["x.py"], importers=lambda paths: set()) is None  # nothing found: full suite
    assert selection("none", root, ["x.py"]) is None


def test_affected_cargo_crates_in_a_workspace(tmp_path):
    from agent.testsuite.affected import selection

    root = project(tmp_path, {
        "Cargo.toml": '[workspace]\nmembers = ["crates/a", "crates/b"]\n',
        "crates/a/Cargo.toml": '[package]\nname = "alpha"\nversion = "0.1.0"\n\n[dependencies]\n',
        "crates/a/src/lib.rs": "", "crates/a/src/deep/mod.rs": "",
        "crates/b/Cargo.toml": '[package]\nname = "beta"\nversion = "0.1.0"\n', "crates/b/src/lib.rs": "",
    })
    assert selection("cargo", root, ["crates/a/src/deep/mod.rs"]) == ["-p", "alpha"]
    assert selection("cargo", root, ["crates/b/src/lib.rs", "crates/a/src/lib.rs"]) == ["-p", "alpha", "-p", "beta"]
    assert selection("cargo", root, ["crates/a/Cargo.toml"]) is None  # manifests can change anything
    single = project(tmp_path / "single", {"Cargo.toml": '[package]\nname = "one"\n', "src/lib.rs": ""})
    assert selection("cargo", single, ["src/lib.rs"]) is None  # one crate: the crate is the suite


def test_an_exitfirst_in_the_projects_addopts_does_not_cut_the_run_short(tmp_path):
    root = project(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-x'\n",
                              "tests/test_a.py": "def test_1():\n    assert 0\n\ndef test_2():\n    pass\n"})
    result = TestRunner(root).run()
    assert result.failing == ["tests/test_a.py::test_1"] and result.ids("passed") == ["tests/test_a.py::test_2"]
    assert not result.stopped_early


def test_a_project_wide_threshold_fails_the_full_run_only(tmp_path):
    # A conftest that fails the session when fewer than 3 tests ran: like a coverage threshold,
    # a narrowed (affected) run misses it; that is no reason to send the model after a failure.
    conftest = ("def pytest_sessionfinish(session, exitstatus):\n"
                "    if session.testscollected < 3:\n        session.exitstatus = 1\n")
    root = project(tmp_path, {"pyproject.toml": "", "conftest.py": conftest,
                              "tests/test_a.py": "def test_1():\n    pass\n\ndef test_2():\n    pass\n",
                              "tests/test_b.py": "def test_3():\n    pass\n"})
    runner = TestRunner(root)
    baseline = runner.run()
    assert baseline.passed
    affected = runner.run("tests/test_a.py")
    assert affected.exit_code == 1 and affected.failing == []
    assert judge(affected, baseline, ["a.py"], full=False).passed
    assert not judge(affected, baseline, ["a.py"], full=True).passed


def test_a_resumed_session_judges_by_the_recorded_baseline_failures(tmp_path):
    from agent.core.checks import StepChecks

    root = project(tmp_path, {"pyproject.toml": "",
                              "tests/test_a.py": "def test_old():\n    assert 0\n\ndef test_new():\n    pass\n"})
    checks = StepChecks(TestRunner(root), lambda *a, **k: None, strategy="full")
    checks.restore(["tests/test_a.py::test_old"])  # what the first process's baseline found
    step = type("Step", (), {"files": []})()
    assert checks.run(step, ["x.py"]).passed  # only the recorded failure fails
    (root / "tests/test_a.py").write_text("def test_old():\n    assert 0\n\ndef test_new():\n    assert 0\n")
    check = checks.run(step, ["x.py"])
    assert not check.passed and check.verdict.new_failures == ["tests/test_a.py::test_new"]


def test_cargo_workspace_members_with_the_same_test_name_are_told_apart():
    from agent.testsuite.parsers import cargo_lines

    output = ("     Running unittests src/lib.rs (target/debug/deps/alpha-0123456789abcdef)\n\nrunning 1 test\n"
              "test tests::it ... FAILED\n\n"
              "     Running unittests src/lib.rs (target/debug/deps/beta-fedcba9876543210)\n\nrunning 1 test\n"
              "test tests::it ... ok\n")
    cases = {c.id: c.outcome for c in cargo_lines(output)}
    assert cases == {"alpha:src/lib.rs::tests::it": "failed", "beta:src/lib.rs::tests::it": "passed"}
