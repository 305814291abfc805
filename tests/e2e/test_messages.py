"""Messages that do not mislead (issue 12, item 8), through the real CLI."""

from __future__ import annotations

import io

import pexpect
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
from tests.helpers_git import git

pytestmark = pytest.mark.slow


def spawn(repo, args, rows=50, **env):
    cmd = agent_cmd(*args)
    child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(repo), env=user_env(COLUMNS="120", **{"TERM": "dumb", **env}),
                          encoding="utf-8", timeout=60, dimensions=(rows, 120))
    child.logfile_read = io.StringIO()
    return child


def test_quit_at_a_step_is_no_error_and_says_how_to_resume_which_works(calc_repo):
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn(), diff_turn(FIX_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, ["run", "add sub", "--base-url", server.base_url, "--model", "replay"])
        child.expect(r"\[r\]eject")
        child.send("a")
        child.expect(r"\[s\]kip \[q\]uit")
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
        shown = child.logfile_read.getvalue()
    assert child.exitstatus == 4
    assert "error:" not in shown and "stopped at step 1 by the person" in shown
    sid = shown.split("agent session ")[1].split()[0]
    assert f"Continue later: agent resume {sid} (goes on from step 1" in shown

    again = [diff_turn(ADD_SUB + TEST_SUB), finish_turn(), diff_turn(FIX_SUB), finish_turn("sub works")]
    with ReplayServer({"turns": again}) as server:
        resumed = run_agent(calc_repo, None, "resume", sid, "--yes", "--json", "--base-url", server.base_url,
                            "--model", "replay")
    assert resumed.code == 0, resumed.stderr
    assert resumed.result["status"] == "done" and len(resumed.result["commits"]) == 1


def test_a_failing_attempt_names_the_failing_tests(calc_repo):
    turns = [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json", "--max-attempts", "1")
    assert run.code == 3
    assert "failed tests/test_calc.py::test_sub" in run.stderr


def test_a_long_diff_shows_a_per_file_summary_and_goes_through_the_pager(calc_repo, tmp_path):
    lines = [f"+LINE_{i} = {i}" for i in range(120)]
    big = "--- /dev/null\n+++ b/consts.py\n@@ -0,0 +1,120 @@\n" + "\n".join(lines) + "\n"
    paged = tmp_path / "paged.txt"
    turns = [plan_turn("Add constants"), diff_turn(big), finish_turn("constants")]
    with ReplayServer({"turns": turns}) as server:
        child = spawn(calc_repo, ["run", "add constants", "--base-url", server.base_url, "--model", "replay"],
                      rows=30, TERM="xterm", PAGER=f"sh -c 'cat > {paged}'")
        child.expect(r"\[r\]\S*eject")
        child.send("a")
        child.expect(r"consts\.py \| .*\+120.* .*-0")  # the summary, coloured
        child.expect(r"\[s\]\S*kip")
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
        shown = child.logfile_read.getvalue()
    assert "LINE_119 = 119" in paged.read_text() and "LINE_119 = 119" not in shown  # the diff went to the pager


def test_agent_log_shows_the_reasoning_of_a_call_as_one_line(calc_repo):
    thought = "First I will read calc.py to see how add is written, then plan a sub function next to it."
    turns = [{**plan_turn("Add sub"), "reasoning": thought}, diff_turn(ADD_SUB + TEST_SUB), finish_turn(),
             diff_turn(FIX_SUB), finish_turn()]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json")
    assert run.code == 0, run.stderr
    assert len([e for e in run.of_type("model_progress") if e.get("reasoning")]) > 1  # streamed in pieces
    log = run_agent(calc_repo, None, "log")
    reasoning = [line for line in log.stdout.splitlines() if "  reasoning  " in line]
    assert len(reasoning) == 1 and reasoning[0].endswith(thought)
    assert "model_progress" not in log.stdout
    assert git(calc_repo, "status", "--porcelain") == ""
