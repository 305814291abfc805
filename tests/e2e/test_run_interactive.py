"""Interactive approvals through a real pseudo-terminal: one key per decision."""

from __future__ import annotations

import pexpect
import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import (
    ADD_DOC,
    ADD_SUB,
    FIX_SUB,
    TEST_SUB,
    agent_cmd,
    diff_turn,
    finish_turn,
    plan_turn,
    user_env,
)
from tests.helpers_git import git

pytestmark = pytest.mark.slow


def spawn(repo, server, intent, *extra):
    cmd = agent_cmd("run", intent, "--base-url", server.base_url, "--model", "replay", *extra)
    env = user_env(COLUMNS="120", TERM="dumb")  # plain text: no escape codes between the words we expect
    return pexpect.spawn(cmd[0], cmd[1:], cwd=str(repo), env=env, encoding="utf-8", timeout=60,
                         dimensions=(50, 120))


def finish(child) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_plan_feedback_then_approve_step_commits(calc_repo):
    turns = [
        plan_turn("Add sub"),
        {**plan_turn("Add sub with a test"), "expect": ["please also test it"]},
        diff_turn(ADD_SUB + TEST_SUB),
        finish_turn("added sub"),
        diff_turn(FIX_SUB),
        finish_turn("fixed sub"),
    ]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, server, "add sub")
        child.expect(r"\[a\]pprove \[f\]eedback \[r\]eject")
        child.send("f")
        child.expect("Your feedback:")
        child.sendline("please also test it")
        child.expect("revision 2")
        child.expect(r"\[a\]pprove \[f\]eedback \[r\]eject")
        child.send("a")
        child.expect("Files changed")
        child.expect(r"\[a\]pprove \[f\]eedback \[s\]kip \[q\]uit")
        child.send("a")
        child.expect("committed")
        code = finish(child)
    assert code == 0
    branch = git(calc_repo, "branch", "--list", "agent/*", "--format=%(refname:short)")
    assert "return a - b" in git(calc_repo, "show", f"{branch}:calc.py")
    assert git(calc_repo, "log", "-1", "--format=%s", branch) == "Add sub with a test"


def test_rejecting_the_plan_exits_4_and_commits_nothing(calc_repo):
    with ReplayServer({"turns": [plan_turn("Add sub")]}) as server:
        child = spawn(calc_repo, server, "add sub")
        child.expect(r"\[r\]eject")
        child.send("r")
        code = finish(child)
    assert code == 4
    # Nothing was committed, so the session leaves no branch and no worktree behind.
    assert git(calc_repo, "branch", "--list", "agent/*") == ""
    assert not any((calc_repo / ".agent" / "worktrees").glob("*"))


def test_failing_step_offers_feedback_skip_quit_and_skip_reverts(calc_repo):
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, server, "add sub", "--max-attempts", "1")
        child.expect(r"\[a\]pprove")
        child.send("a")
        child.expect("still fail")
        child.expect(r"Step 1: \[f\]eedback \[s\]kip \[q\]uit")
        child.send("a")  # not offered: ignored, asked again
        child.expect("press one of")
        child.send("s")
        child.expect("skipped")
        child.expect(r"incomplete \(exit 6\)")
        code = finish(child)
    assert code == 6  # the only step skipped: incomplete, never done
    # The skipped step's changes are gone, and with no commit the session left no branch or worktree.
    assert git(calc_repo, "branch", "--list", "agent/*") == ""
    worktree = calc_repo / ".agent" / "worktrees"
    assert not any("def sub" in p.read_text() for p in worktree.rglob("calc.py"))


def test_quit_at_a_step_keeps_the_branch_and_exits_4(calc_repo):
    turns = [plan_turn("Add sub", "Add mul"), diff_turn(ADD_SUB + TEST_SUB), finish_turn(), diff_turn(FIX_SUB),
             finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, server, "add sub")
        child.expect(r"\[a\]pprove")
        child.send("a")
        child.expect(r"\[s\]kip \[q\]uit")
        child.send("q")
        code = finish(child)
    assert code == 4


def test_step_feedback_sends_the_person_back_to_the_model_then_commits_the_revision(calc_repo):
    turns = [
        plan_turn("Add sub"),
        diff_turn(ADD_SUB + TEST_SUB), finish_turn(), diff_turn(FIX_SUB), finish_turn("sub works"),
        {**diff_turn(ADD_DOC), "expect": ["add a docstring to sub"]},
        finish_turn("sub documented"),
    ]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, server, "add sub")
        child.expect(r"\[a\]pprove")
        child.send("a")
        child.expect(r"\[s\]kip \[q\]uit")
        child.send("f")
        child.expect("Your feedback:")
        child.sendline("add a docstring to sub")
        child.expect("sub documented")
        child.expect(r"\[s\]kip \[q\]uit")
        child.send("a")
        code = finish(child)
    assert code == 0
    branch = git(calc_repo, "branch", "--list", "agent/*", "--format=%(refname:short)")
    calc = git(calc_repo, "show", f"{branch}:calc.py")
    assert '"""a minus b"""' in calc and "return a - b" in calc
    assert git(calc_repo, "rev-list", "--count", f"main..{branch}") == "1"  # one commit for the step

