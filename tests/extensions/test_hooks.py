"""Hooks around tool calls, steps and the session: real hook processes, the real driver and loop
in process, a scripted model."""

from __future__ import annotations

import json

import pytest

from tests.extensions.conftest import hook_script, repo_with_hooks
from tests.helpers_calc import ADD_SUB, FIX_SUB, TEST_SUB, call, diff_turn, finish_turn, plan_turn

pytestmark = pytest.mark.slow  # each runs a whole session with real hook processes (about 3 s)

SECRET_DIFF = """--- /dev/null
+++ b/secrets/keys.py
@@ -0,0 +1 @@
+KEY = 1
"""

DENY_SECRETS = """
diff = payload["tool"]["arguments"].get("diff", "")
if "secrets/" in diff:
    print(json.dumps({"decision": "deny", "reason": "secrets/ is managed by the security team"}))
"""


def test_a_pre_tool_hook_denies_apply_diff_on_a_path_and_the_model_is_told_why(loop_run, tmp_path):
    calc_repo, command = repo_with_hooks(tmp_path, deny=DENY_SECRETS)
    hooks = [{"event": "pre_tool", "match": "apply_diff", "command": command["deny"]}]
    turns = [
        plan_turn("Add sub"),
        diff_turn(SECRET_DIFF),
        {**diff_turn(ADD_SUB + TEST_SUB), "expect": ["refused by a pre_tool hook: secrets/ is managed by the security team"]},
        diff_turn(FIX_SUB),
        finish_turn("added sub"),
    ]
    run = loop_run(calc_repo, turns, "add sub", hooks=hooks)
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert "secrets/keys.py" not in run.result.files_changed and "calc.py" in run.result.files_changed
    outcomes = [(h["tool"], h["outcome"]) for h in run.of_type("hook_ran")]
    assert outcomes == [("apply_diff", "deny"), ("apply_diff", "ok"), ("apply_diff", "ok")]  # match: only apply_diff
    assert [d["files"] for d in run.of_type("diff_applied")][0] == ["calc.py", "tests/test_calc.py"]


def test_a_post_tool_hook_adds_context_for_the_model(loop_run, tmp_path):
    body = """
if payload["tool"]["name"] == "read_file" and payload["result"]["ok"]:
    print(json.dumps({"context": "calc.py is owned by the maths team; keep functions pure. step=" + str(payload["step"])}))
"""
    calc_repo, command = repo_with_hooks(tmp_path, ctx=body)
    hooks = [{"event": "post_tool", "match": "read_*", "command": command["ctx"]}]
    turns = [
        {"tool_calls": [call("read_file", path="calc.py", start_line=None, end_line=None)]},
        {**plan_turn("Add sub"), "expect": ["def add(a, b)", "owned by the maths team", "step=None"]},
        diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB), finish_turn("added sub"),
    ]
    run = loop_run(calc_repo, turns, "add sub", hooks=hooks)
    assert run.result.status == "done", run.result.message
    assert [h["outcome"] for h in run.of_type("hook_ran")] == ["context"]


def test_step_end_and_session_end_hooks_get_the_step_and_the_result(loop_run, calc_repo, tmp_path):
    log = tmp_path / "hook-log.jsonl"
    body = f"open({str(log)!r}, 'a').write(json.dumps(payload) + '\\n')\n"
    record = hook_script(tmp_path, "record", body)  # writes outside the worktree: allowed by sandbox = false
    hooks = [{"event": "step_end", "command": record, "sandbox": False},
             {"event": "session_end", "command": record, "sandbox": False}]
    run = loop_run(calc_repo, [plan_turn("Add sub"), diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB),
                               finish_turn("added sub")], "add sub", hooks=hooks)
    assert run.result.status == "done", run.result.message
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    assert [p["event"] for p in seen] == ["step_end", "session_end"]
    assert seen[0]["step"]["index"] == 1 and seen[0]["step"]["status"] == "committed" and seen[0]["step"]["commit"]
    assert seen[1]["result"]["status"] == "done" and seen[1]["session"]["branch"] == run.result.branch
    assert run.events[-1].type == "session_finished"  # the result stays the last event


def test_a_pre_tool_hook_that_fails_or_hangs_refuses_the_call(loop_run, tmp_path):
    calc_repo, command = repo_with_hooks(tmp_path, slow="import time; time.sleep(30)", bad="sys.exit(2)")
    hooks = [{"event": "pre_tool", "match": "search_code", "command": command["slow"], "timeout": 0.5},
             {"event": "pre_tool", "match": "list_files", "command": command["bad"]}]
    turns = [
        {"tool_calls": [call("search_code", pattern="def", path=None), call("list_files", path=None, pattern=None)]},
        {**plan_turn("Add sub"), "expect": ["no answer within 0.5 s (timeout)", "exited with 2"]},
        diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB), finish_turn("added sub"),
    ]
    run = loop_run(calc_repo, turns, "add sub", hooks=hooks)
    assert run.result.status == "done", run.result.message
    assert [h["outcome"] for h in run.of_type("hook_ran")] == ["timeout", "failed"]
    assert [r["ok"] for r in run.of_type("tool_result")][:2] == [False, False]


ESCAPE = """
import os
target = os.path.join(payload["session"]["repo"], "hook-was-here")
try:
    open(target, "w").write("x")
    print(json.dumps({"context": "wrote " + target}))
except OSError as exc:
    print(json.dumps({"context": "could not write: " + type(exc).__name__}))
"""


@pytest.mark.parametrize("sandboxed", [True, False])
def test_hooks_run_in_the_sandbox_unless_the_persons_config_says_otherwise(loop_run, tmp_path, sandboxed):
    calc_repo, command = repo_with_hooks(tmp_path, escape=ESCAPE)
    hooks = [{"event": "post_tool", "match": "list_files", "command": command["escape"], "sandbox": sandboxed}]
    turns = [{"tool_calls": [call("list_files", path=None, pattern=None)]},
             {**plan_turn("Add sub"), "expect": ["could not write" if sandboxed else "wrote "]},
             diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB), finish_turn("added sub")]
    run = loop_run(calc_repo, turns, "add sub", hooks=hooks)
    assert (run.result.status, run.result.sandbox) == ("done", "bwrap"), run.result.message
    assert (calc_repo / "hook-was-here").exists() is not sandboxed  # the person's checkout is read-only to it
