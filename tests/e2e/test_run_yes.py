"""`agent run --yes --json`: the whole loop through the real CLI, git and the replay server."""

from __future__ import annotations

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import (
    ADD_SUB,
    FIX_SUB,
    TEST_SUB,
    call,
    diff_turn,
    finish_turn,
    plan_turn,
    run_agent,
    user_env,
)
from tests.helpers_calc import TWO_STEPS
from tests.helpers_git import git, snapshot

pytestmark = pytest.mark.slow



def test_full_loop_commits_each_step_and_reports_truthfully(calc_repo):
    (calc_repo / "calc.py").write_text("# my uncommitted edit\n" + (calc_repo / "calc.py").read_text())
    (calc_repo / "notes.txt").write_text("untracked notes\n")
    before = snapshot(calc_repo)
    with ReplayServer({"turns": TWO_STEPS}) as server:
        run = run_agent(calc_repo, server, "run", "add sub and mul", "--yes", "--json")
        assert server.remaining == 0
    assert run.code == 0, run.stderr
    result = run.result
    assert result["status"] == "done" and result["exit_code"] == 0
    assert [c["message"].splitlines()[0] for c in result["commits"]] == ["Add sub", "Add mul"]
    assert sorted(result["files_changed"]) == ["calc.py", "tests/test_calc.py"]
    assert result["usage"]["input_tokens"] > 0

    # The branch has the agent's work and none of the person's uncommitted changes.
    branch = result["branch"]
    assert branch.startswith("agent/add-sub-and-mul-")
    calc = git(calc_repo, "show", f"{branch}:calc.py")
    assert "return a - b" in calc and "def mul" in calc and "my uncommitted edit" not in calc
    assert git(calc_repo, "rev-list", "--count", f"main..{branch}") == "2"
    # The person's checkout is byte-for-byte as it was, and still on main.
    assert snapshot(calc_repo) == before
    assert git(calc_repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"

    types = [e["type"] for e in run.events]
    for expected in ("session_started", "plan_proposed", "step_started", "tool_called", "tests_run",
                     "commit_created", "step_finished", "session_finished"):
        assert expected in types, expected
    assert any("uncommitted" in e["message"] for e in run.of_type("warning"))
    # step 1 failed once (its affected tests, at once), then passed; step 2 passed
    full_runs = [e["passed"] for e in run.of_type("tests_run") if e["full"] and not e.get("baseline")]
    assert full_runs == [True, True]
    affected = [e["passed"] for e in run.of_type("tests_run") if e.get("scope") == "affected"]
    assert affected[0] is False and affected[1:] == [True] * (len(affected) - 1)
    assert [e["passed"] for e in run.of_type("tests_run") if e.get("baseline")] == [True]
    attempts = [(e["index"], e["attempt"]) for e in run.of_type("attempt_started")]
    assert attempts == [(1, 1), (1, 2), (2, 1)]


def test_step_that_changes_nothing_is_not_committed(calc_repo):
    no_change = {"tool_calls": [call("finish_step", summary="add is right", no_change_needed=True)]}
    turns = [plan_turn("Check add"), no_change]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "check add", "--yes", "--json")
    assert run.code == 0, run.stderr
    assert [e["status"] for e in run.of_type("step_finished")] == ["no_change_needed"]
    assert run.result["commits"] == [] and run.result["steps"][0]["outcome"] == "no_change_needed"


def test_step_finished_without_its_change_ends_incomplete_with_exit_6(calc_repo):
    turns = [plan_turn("Change add"), finish_turn("changed"), finish_turn("changed"), finish_turn("changed")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "change add", "--yes", "--json")
    assert run.code == 6, run.stderr
    assert (run.result["status"], run.result["exit_code"]) == ("incomplete", 6)
    assert "incomplete (exit 6)" in run.stderr


def test_path_escapes_are_refused_to_the_model(calc_repo, tmp_path):
    (tmp_path / "secret.txt").write_text("do not read\n")
    turns = [
        {"tool_calls": [call("read_file", path="../secret.txt", start_line=None, end_line=None),
                        call("read_file", path="/etc/passwd", start_line=None, end_line=None),
                        call("list_files", path=".git", pattern=None)]},
        {**plan_turn("Nothing"), "expect": ["outside the repository", "absolute paths are not allowed", ".git directory"]},
        {"tool_calls": [call("finish_step", summary="nothing to change", no_change_needed=True)]},
    ]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "peek", "--yes", "--json")
        bodies = " ".join(str(r["body"]) for r in server.requests)
    assert run.code == 0, run.stderr
    assert "do not read" not in bodies and "root:" not in bodies


def test_no_terminal_and_no_yes_is_refused_before_the_first_model_call(calc_repo):
    with ReplayServer({"turns": [plan_turn("Add sub")]}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--json", timeout=60)
        asked = [r for r in server.requests if r["method"] == "POST"]
    assert run.code == 2
    assert "stdin is not a terminal" in run.stderr and "--yes" in run.stderr
    assert run.result["status"] == "needs_approval" and "--yes" in run.result["message"]
    assert asked == []  # no planning call was spent
    assert git(calc_repo, "branch", "--list", "agent/*") == ""
    assert not (calc_repo / ".agent").exists() and git(calc_repo, "worktree", "list").count("\n") == 0


def test_hanging_tests_are_killed_at_the_timeout(calc_repo):
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json", "--max-attempts", "1",
                        "--test-command", "sleep 60", "--test-timeout", "1")
    assert run.code == 3
    full = [e for e in run.of_type("tests_run") if e["full"]]
    assert full and full[0]["timed_out"] and full[0]["duration"] < 30


def test_missing_key_is_one_clear_line(calc_repo):
    env = user_env()
    del env["OPENAI_API_KEY"]
    run = run_agent(calc_repo, None, "run", "anything", "--yes", env=env)
    assert run.code == 2
    assert "OPENAI_API_KEY" in run.stderr
    assert "Traceback" not in run.stderr
    assert git(calc_repo, "branch", "--list", "agent/*") == ""  # nothing created


def test_outside_a_repository_and_without_commits(tmp_path):
    outside = tmp_path / "plain"
    outside.mkdir()
    run = run_agent(outside, None, "run", "x", "--yes")
    assert run.code == 2 and "git" in run.stderr.lower() and "Traceback" not in run.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    run = run_agent(empty, None, "run", "x", "--yes")
    assert run.code == 2 and "commit" in run.stderr.lower()


def test_tests_failing_before_the_session_do_not_fail_its_steps(calc_repo):
    broken = "\n\ndef test_already_broken():\n    assert False, 'broken at HEAD'\n"
    (calc_repo / "tests" / "test_old.py").write_text(broken)
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "a test that already fails")
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB), diff_turn(FIX_SUB), finish_turn("added sub")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json")
    assert run.code == 0, run.stderr
    assert any("already fail before any change" in e["message"] for e in run.of_type("warning"))
    assert run.result["tests"]["preexisting_failures"] == ["tests/test_old.py::test_already_broken"]
    assert [c["message"].splitlines()[0] for c in run.result["commits"]] == ["Add sub"]


def test_a_new_failure_next_to_an_old_one_still_fails_the_step(calc_repo):
    (calc_repo / "tests" / "test_old.py").write_text("def test_already_broken():\n    assert False\n")
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "a test that already fails")
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json", "--max-attempts", "1")
    assert run.code == 3, run.stderr
    assert run.result["commits"] == []


def test_the_last_attempt_is_handed_to_the_pro_tier(calc_repo):
    (calc_repo / ".agent.toml").write_text('[models.pro]\nmodel = "replay-pro"\n')
    turns = [
        {**plan_turn("Add sub"), "expect_model": "replay"},
        {**diff_turn(ADD_SUB + TEST_SUB), "expect_model": "replay"},
        finish_turn(),
        {**finish_turn("still broken"), "expect_model": "replay"},
        {**diff_turn(FIX_SUB), "expect_model": "replay-pro", "expect": ["assert 8 == 2"]},
        {**finish_turn("fixed"), "expect_model": "replay-pro"},
    ]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json", "--max-attempts", "3")
    assert run.code == 0, run.stderr
    switches = run.of_type("tier_switched")
    assert [(e["from_tier"], e["to_tier"]) for e in switches] == [("thinking", "pro")]
    assert [c["message"].splitlines()[0] for c in run.result["commits"]] == ["Add sub"]
