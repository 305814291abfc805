"""Model-authored text cannot drive the terminal (issue 11, item 6): escape sequences in plan
titles, summaries, reasoning, tool arguments, diffs and test output are shown as `\\x1b`, in a
real pseudo-terminal; the --json stream keeps the exact text."""

from __future__ import annotations

import io
import re

import pexpect
import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import agent_cmd, call, finish_turn, run_agent, user_env

pytestmark = pytest.mark.slow

CLEAR = "\x1b[2J"
LINK = "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07"
UP = "\x1b[1A"
RTL = "\u202e"

HOSTILE_TEST = f'''--- /dev/null
+++ b/tests/test_hostile.py
@@ -0,0 +1,2 @@
+def test_hostile():
+    assert False, "boom{CLEAR}{UP}"
'''


def hostile_turns() -> list[dict]:
    plan = call("submit_plan", summary=f"Summary {LINK}", steps=[
        {"title": f"Wipe{CLEAR} the screen", "description": f"desc{UP}{RTL}", "files": ["calc.py"]}])
    return [
        {"reasoning": f"thinking{CLEAR} hard", "tool_calls": [call("search_code", pattern=f"x{UP}", path=None)]},
        {"tool_calls": [plan]},
        {"tool_calls": [call("apply_diff", diff=HOSTILE_TEST)]},
        finish_turn(f"done{CLEAR}"),
    ]


def test_escape_sequences_from_the_model_are_shown_not_obeyed_in_a_terminal(calc_repo):
    with ReplayServer({"turns": hostile_turns()}) as server:
        cmd = agent_cmd("run", "add sub", "--base-url", server.base_url, "--model", "replay", "--max-attempts", "1")
        child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(calc_repo), env=user_env(COLUMNS="160", TERM="dumb"),
                              encoding="utf-8", timeout=60, dimensions=(50, 160))
        child.logfile_read = seen = io.StringIO()
        child.expect(r"\[a\]pprove \[f\]eedback \[r\]eject")
        child.send("a")
        child.expect(r"\[f\]eedback \[s\]kip \[q\]uit")
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
        shown = seen.getvalue()
    assert child.exitstatus == 4
    for raw in (CLEAR, UP, "\x1b]8;", "\x07", RTL):
        assert raw not in shown
    assert r"Wipe\x1b[2J the screen" in shown  # the plan title
    squeezed = re.sub(r"\s+", "", shown)  # the plan's title line wraps in its table
    assert r"Summary\x1b]8;;http://evil.example/\x07click" in squeezed  # the plan summary (an OSC 8 link)
    assert r"desc\x1b[1A\u202e" in shown  # the step description
    assert r"thinking\x1b[2J hard" in shown  # the reasoning summary
    assert r"search_code pattern=x\x1b[1A" in shown  # a tool call, its null argument left out
    assert r'+    assert False, "boom\x1b[2J\x1b[1A"' in shown  # the diff
    assert "AssertionError: boom" in shown.split("still fail")[-1]  # the test report (its escapes already gone)


def test_the_json_stream_keeps_the_exact_text(calc_repo):
    with ReplayServer({"turns": hostile_turns()}) as server:
        run = run_agent(calc_repo, server, "run", "add sub", "--yes", "--json", "--max-attempts", "1")
    plan = run.of_type("plan_proposed")[0]
    assert plan["summary"] == f"Summary {LINK}" and plan["steps"][0]["title"] == f"Wipe{CLEAR} the screen"
    assert run.result["plan"]["steps"][0]["description"] == f"desc{UP}{RTL}"
    assert CLEAR not in run.stderr and r"Wipe\x1b[2J the screen" in run.stderr  # the human account on stderr
