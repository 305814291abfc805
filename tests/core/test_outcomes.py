"""Step outcomes and truthful verdicts through the real driver in process: real git, worktree and
test runners; the scripted model. No green for nothing, no new failure passed off as an old one."""

from __future__ import annotations

import pytest

from agent.core.plan import Decision
from tests.helpers_calc import ADD_SUB, CALC, CALC_TESTS, TEST_SUB, call, diff_turn, finish_turn, plan_turn
from tests.helpers_git import git, make_repo

PROJECT = {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS, "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}

BREAK_ADD = """--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a + b
+    return a - b
"""
FIX_ADD = """--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def add(a, b):
-    return a - b
+    return b + a
"""
NOT_APPLYING = """--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,2 @@
 def nothing_like_this(x):
-    return x
+    return x + 1
"""


class Answers:
    """An approver answering from a list, as a person at the terminal would."""

    interactive = True

    def __init__(self, *answers: Decision):
        self.answers = list(answers)

    def review_plan(self, plan, revision):
        return self.answers.pop(0)

    def review_step(self, review):
        return self.answers.pop(0)


def no_change_turn(summary: str = "nothing to do", **extra) -> dict:
    return {"tool_calls": [call("finish_step", summary=summary, no_change_needed=True)], **extra}


def test_skipping_the_only_step_is_incomplete_exit_6(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    run = loop_run(repo, turns, "add sub", approver=Answers(Decision("approve"), Decision("skip")), max_attempts=1)
    assert (run.result.status, run.result.exit_code) == ("incomplete", 6), run.result.message
    assert run.result.steps == [{"index": 1, "title": "Add sub", "outcome": "skipped", "commit": None}]
    assert run.result.commits == []


def test_rejected_diffs_then_finish_is_never_done(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    told = "Nothing has changed since step 1 started"
    turns = [plan_turn("Change add"), diff_turn(NOT_APPLYING), finish_turn("changed add"),
             {**finish_turn("changed add, really"), "expect": [told, "no_change_needed: true"]},
             {**finish_turn("done"), "expect": [told]}]
    run = loop_run(repo, turns, "change add")
    assert run.model.remaining == 0
    assert (run.result.status, run.result.exit_code) == ("incomplete", 6)
    assert "without any change" in run.result.message
    assert [s["outcome"] for s in run.result.steps] == ["failed"]
    assert not [e for e in run.of_type("tests_run") if e.get("scope") in ("affected", "full")]  # nothing to test


def test_a_step_explicitly_needing_no_change_is_done_when_the_tests_pass(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Check add"), finish_turn("looked"), {**no_change_turn("add is already right"),
                                                             "expect": ["Nothing has changed"]}]
    run = loop_run(repo, turns, "check add")
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert [s["outcome"] for s in run.result.steps] == ["no_change_needed"]
    assert run.result.commits == [] and run.result.tests_run == 1
    assert run.result.test_command == "python -m pytest -q"


SLUG = '''import re


def slugify(text):
    text = text.replace("   ", " x ")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
'''
SLUG_TESTS = '''import pytest
from slug import slugify


@pytest.mark.parametrize("text, want", [("Hello   World", "hello-world"), ("Hello world!", "hello-world"),
                                        ("[1000, '', 0]-1 k", "1000-0-1-k")])
def test_slugify(text, want):
    assert slugify(text) == want
'''
BREAK_BANG = """--- a/slug.py
+++ b/slug.py
@@ -4,3 +4,4 @@
 def slugify(text):
     text = text.replace("   ", " x ")
+    text = text.replace("!", "x")
     return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
"""


def test_a_broken_case_beside_one_failing_at_baseline_is_not_committed(loop_run, tmp_path):
    repo = make_repo(tmp_path, {"slug.py": SLUG, "tests/test_slug.py": SLUG_TESTS, "pyproject.toml": ""})
    turns = [plan_turn("Tweak slugify"), diff_turn(BREAK_BANG), finish_turn("tweaked")]
    run = loop_run(repo, turns, "tweak slugify", max_attempts=1)
    assert (run.result.status, run.result.exit_code) == ("tests_failed", 3)
    assert run.result.commits == []
    assert run.result.preexisting_failures == ["tests/test_slug.py::test_slugify[Hello   World-hello-world]"]
    assert run.result.new_failures == ["tests/test_slug.py::test_slugify[Hello world!-hello-world]"]
    assert git(repo, "branch", "--list", run.result.branch) == ""  # no commit: no branch left behind
    shown = human_account(run)
    assert "before any change (python -m pytest -q): 1 failed, 2 passed" in shown
    assert "affected: 3 tests, 2 failed in" in shown  # before any full-suite line
    assert "not accepted: 1 test(s) fail that passed before or are new: " in shown
    assert "tests/test_slug.py::test_slugify[Hello world!-hello-world]" in shown
    assert "full suite:" not in shown and "tests: python -m pytest -q" in shown
    from agent.sessions.report import github_summary

    summary = github_summary(run.result.to_dict())
    assert "New failures (1):\n- `tests/test_slug.py::test_slugify[Hello world!-hello-world]`" in summary
    assert "Already failing before any change (1):" in summary


def human_account(run) -> str:
    """What the person reads on the terminal: the real renderer fed the run's real events."""
    import io

    from rich.console import Console

    from agent.cli.ui import Renderer, render_result

    console = Console(file=io.StringIO(), width=400, color_system=None)
    renderer = Renderer(console)
    for event in run.events:
        renderer(event)
    render_result(console, run.result.to_dict())
    return console.file.getvalue()


@pytest.mark.slow
def test_collection_error_at_baseline_and_a_break_elsewhere_is_caught_reported_and_fixed(loop_run, tmp_path):
    repo = make_repo(tmp_path, {**PROJECT, "tests/test_legacy.py": "import module_that_is_gone\n\ndef test_old():\n    pass\n"})
    turns = [plan_turn("Touch add"), diff_turn(BREAK_ADD), finish_turn("touched"),
             {**diff_turn(FIX_ADD), "expect": ["tests/test_calc.py::test_add", "assert -1 == 5",
                                               "could not be collected", "tests/test_legacy.py"]},
             finish_turn("fixed")]
    run = loop_run(repo, turns, "touch add")
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert len(run.result.commits) == 1
    assert "tests/test_legacy.py (collection error)" in run.result.unverified
    warnings = [e["message"] for e in run.of_type("warning")]
    assert any("do not load before any change" in w and "tests/test_legacy.py" in w for w in warnings)


SLOW_TEST = "import time\n\n\ndef test_slow_{n}():\n    time.sleep(1.5)\n"


@pytest.mark.slow
def test_affected_first_reports_a_failure_before_the_full_suite_runs(loop_run, tmp_path):
    repo = make_repo(tmp_path, {**PROJECT, **{f"tests/test_slow_{n}.py": SLOW_TEST.format(n=n) for n in range(3)}})
    turns = [plan_turn("Touch add"), diff_turn(BREAK_ADD), finish_turn("touched"),
             {**diff_turn(FIX_ADD), "expect": ["assert -1 == 5", "tests affected by this step"]}, finish_turn("fixed")]
    run = loop_run(repo, turns, "touch add")
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    runs = [e for e in run.of_type("tests_run") if e.get("scope")]
    assert [(e["scope"], e["passed"]) for e in runs] == [
        ("baseline", True), ("affected", False), ("affected", True), ("full", True)]
    baseline, failed_affected = runs[0], runs[1]
    assert failed_affected["tests_run"] == 1 and baseline["tests_run"] == 4
    # The report came from a run of one test while the full suite sleeps through three: a ratio, in one run.
    assert failed_affected["duration"] < baseline["duration"] / 2


@pytest.mark.slow
def test_test_strategy_full_runs_only_the_full_suite(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Touch add"), diff_turn(BREAK_ADD), finish_turn("touched"), diff_turn(FIX_ADD),
             finish_turn("fixed")]
    run = loop_run(repo, turns, "touch add", test_strategy="full")
    assert run.result.status == "done", run.result.message
    assert [e["scope"] for e in run.of_type("tests_run") if e.get("scope") not in (None, "baseline")] == ["full", "full"]
