"""Bringing a session's work in (`agent apply`) or throwing it away (`agent discard`), and Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import (
    ADD_SUB,
    FIX_SUB,
    TEST_SUB,
    agent_cmd,
    diff_turn,
    finish_turn,
    plan_turn,
    run_agent,
    user_env,
)
from tests.helpers_git import git, snapshot

pytestmark = pytest.mark.slow

SUB_SESSION = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn(), diff_turn(FIX_SUB), finish_turn()]


def finished_session(repo) -> dict:
    with ReplayServer({"turns": SUB_SESSION}) as server:
        run = run_agent(repo, server, "run", "add sub", "--yes", "--json")
    assert run.code == 0, run.stderr
    return run.result


def test_apply_merges_the_branch_only_when_asked_and_refuses_to_overwrite_work(calc_repo):
    result = finished_session(calc_repo)
    assert "def sub" not in (calc_repo / "calc.py").read_text()  # run never touches the checkout

    (calc_repo / "calc.py").write_text("# work in progress\n")
    before = snapshot(calc_repo)
    refused = run_agent(calc_repo, None, "apply", result["session_id"])
    assert refused.code == 2 and "uncommitted" in refused.stderr
    assert snapshot(calc_repo) == before

    git(calc_repo, "checkout", "--", "calc.py")
    applied = run_agent(calc_repo, None, "apply", result["session_id"][:4])
    assert applied.code == 0, applied.stderr
    assert "return a - b" in (calc_repo / "calc.py").read_text()
    assert git(calc_repo, "rev-parse", "HEAD") == git(calc_repo, "rev-parse", result["branch"])
    again = run_agent(calc_repo, None, "apply", result["session_id"])
    assert again.code == 0 and again.stdout.startswith("nothing to merge: main already has every commit")
    assert "merged" not in again.stdout and git(calc_repo, "rev-parse", "HEAD") == git(calc_repo, "rev-parse", result["branch"])


def test_discard_removes_worktree_and_branch(calc_repo):
    result = finished_session(calc_repo)
    worktree = calc_repo / ".agent" / "worktrees" / result["session_id"]
    assert worktree.is_dir()
    run = run_agent(calc_repo, None, "discard")  # the newest session
    assert run.code == 0, run.stderr
    assert not worktree.exists()
    assert git(calc_repo, "branch", "--list", result["branch"]) == ""
    assert git(calc_repo, "worktree", "list").count("\n") == 0  # only the main checkout remains
    listed = run_agent(calc_repo, None, "sessions", "--all")
    row = next(line for line in listed.stdout.splitlines() if line.startswith(result["session_id"]))
    assert "discarded" in row and " done " not in row
    assert run_agent(calc_repo, None, "sessions").stdout.strip() == "no agent sessions in this repository"


def test_ctrl_c_during_tests_exits_130_and_leaves_the_checkout_alone(calc_repo):
    before = snapshot(calc_repo)
    sleeper = "sleep 61.25"  # a unique command line to find the test process by
    with ReplayServer({"turns": [plan_turn("Add sub"), diff_turn(ADD_SUB), finish_turn()]}) as server:
        proc = subprocess.Popen(
            agent_cmd("run", "add sub", "--yes", "--json", "--base-url", server.base_url, "--model", "replay",
                      "--test-command", sleeper),
            cwd=calc_repo, env=user_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not running(sleeper):
            time.sleep(0.1)
        assert running(sleeper)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    result = json.loads([line for line in out.splitlines() if '"session_finished"' in line][-1])
    assert result["status"] == "interrupted"
    assert snapshot(calc_repo) == before
    time.sleep(0.5)
    assert not running(sleeper)  # no test process left behind


def running(command_line: str) -> bool:
    """A process whose command line starts with it (not the agent, whose arguments contain it)."""
    return subprocess.run(["pgrep", "-f", "^" + command_line], capture_output=True).returncode == 0
