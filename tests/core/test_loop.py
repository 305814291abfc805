"""The loop through the real driver in process: real git, worktree and pytest; a scripted model."""

from __future__ import annotations

from agent.core.plan import Decision
from tests.helpers_calc import (
    ADD_SUB,
    CALC,
    CALC_TESTS,
    TEST_SUB,
    TWO_STEPS,
    diff_turn,
    finish_turn,
    plan_turn,
)
from tests.helpers_git import git, make_repo, snapshot

PROJECT = {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS, "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}



def test_two_steps_commit_one_commit_each_after_a_failure_goes_back_to_the_model(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    (repo / "calc.py").write_text("# my uncommitted edit\n" + CALC)
    before = snapshot(repo)
    run = loop_run(repo, TWO_STEPS, "add sub and mul")
    assert run.model.remaining == 0
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert [c["message"].splitlines()[0] for c in run.result.commits] == ["Add sub", "Add mul"]
    branch = run.result.branch
    calc = git(repo, "show", f"{branch}:calc.py")
    assert "return a - b" in calc and "def mul" in calc and "my uncommitted edit" not in calc
    assert snapshot(repo) == before and git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    # At finish_step the affected tests run first: the failure came from them, the full suite only after they pass.
    finish_runs = [(e["scope"], e["passed"]) for e in run.of_type("tests_run") if e.get("scope") in ("affected", "full")]
    assert finish_runs == [("affected", False), ("affected", True), ("full", True), ("affected", True), ("full", True)]
    assert [(e["index"], e["attempt"]) for e in run.of_type("attempt_started")] == [(1, 1), (1, 2), (2, 1)]
    assert [e["type"] for e in [*map(lambda e: e.to_dict(), run.events)]][-1] == "session_finished"


def test_a_step_still_failing_after_its_attempts_is_not_committed_and_ends_with_exit_3(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn(), finish_turn("try again")]
    run = loop_run(repo, turns, "add sub", max_attempts=2)
    assert (run.result.status, run.result.exit_code) == ("tests_failed", 3)
    assert run.result.commits == []
    assert run.model.remaining == 0  # exactly two attempts: --max-attempts counts the first
    # Nothing was committed, so nothing is left behind: no branch, no worktree (the log stays).
    assert run.result.cleaned_up and run.result.worktree is None
    assert git(repo, "branch", "--list", run.result.branch) == ""
    assert not (repo / ".agent" / "worktrees" / run.result.session_id).exists()


def test_keep_failed_keeps_the_failing_changes_in_the_worktree(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    run = loop_run(repo, turns, "add sub", max_attempts=1, keep_failed=True)
    assert run.result.status == "tests_failed" and not run.result.cleaned_up
    assert "def sub" in (repo / ".agent" / "worktrees" / run.result.session_id / "calc.py").read_text()
    assert "--keep-failed" not in run.result.message and "left uncommitted in the worktree" in run.result.message


def test_a_session_that_ends_before_any_commit_can_still_be_resumed(loop_run, tmp_path):
    """Its branch and worktree went away with nothing on them; resume makes them again."""
    from agent.core.driver import resume_session
    from agent.events import EventBus
    from agent.sessions import SessionStore
    from agent.testing.scripted import ScriptedModel
    from agent.workspace import Repo

    repo = make_repo(tmp_path, PROJECT)
    dead_server = [plan_turn("Add sub"), {"error": {"status": 500, "message": "server died"}}]
    first = loop_run(repo, dead_server, "add sub")
    assert first.result.status == "error" and first.result.cleaned_up
    again = Repo.find(repo)
    model = ScriptedModel({"turns": [diff_turn(ADD_SUB), finish_turn("added sub")]})
    from agent.approval import YesApprover
    from agent.config import load_config

    result = resume_session(first.result.session_id, repo=again, store=SessionStore(again.git_common_dir),
                            config=load_config(again.root, {}, env={}), approver=YesApprover(),
                            events=EventBus(), model=model)
    assert (result.status, result.exit_code) == ("done", 0), result.message
    assert [c["message"].splitlines()[0] for c in result.commits] == ["Add sub"]


class _Scripted:
    """An approver answering from a list, as a person at the terminal would."""

    interactive = True

    def __init__(self, *answers: Decision):
        self.answers = list(answers)
        self.reviews = []

    def review_plan(self, plan, revision):
        return self.answers.pop(0)

    def review_step(self, review):
        self.reviews.append(review)
        return self.answers.pop(0)


def test_plan_feedback_goes_back_to_the_model_and_a_rejected_plan_ends_with_exit_4(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub"), {**plan_turn("Add sub", "Add mul"), "expect": ["also mul please"]}]
    approver = _Scripted(Decision("feedback", "also mul please"), Decision("reject"))
    run = loop_run(repo, turns, "add sub", approver=approver)
    assert (run.result.status, run.result.exit_code) == ("rejected", 4)
    assert [e["revision"] for e in run.of_type("plan_proposed")] == [1, 2]
    assert run.result.commits == []


def test_skipping_a_failing_step_reverts_its_changes(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub", "Add mul"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    approver = _Scripted(Decision("approve"), Decision("skip"), Decision("quit"))
    run = loop_run(repo, turns + [finish_turn("nothing")], "add sub", approver=approver, max_attempts=1)
    assert approver.reviews[0].passed is False
    assert "approve" not in approver.reviews[0].choices  # a failing step offers no approve
    worktree = run.result.worktree
    assert worktree is None or "def sub" not in (tmp_path / "repo" / "calc.py").read_text()
    statuses = [e["status"] for e in run.of_type("step_finished")]
    assert statuses[0] == "skipped"
