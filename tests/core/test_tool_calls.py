"""No tool call can crash a session; limits the model is told about (issue 11, items 2, 4, 5).

Through the real driver in process (real git, worktree, pytest) with the scripted model: every
hostile call is answered with a message the model can act on, and the run goes on to `done`.
"""

from __future__ import annotations

from tests.helpers_calc import ADD_SUB, CALC, CALC_TESTS, call, diff_turn, finish_turn, plan_turn
from tests.helpers_git import make_repo

PROJECT = {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS, "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}
FAST = {"baseline_tests": False, "test_command": "true"}  # the tests are not what these are about

HOSTILE = [  # (call, what the model is told)
    (call("read_file", path="calc\0.py", start_line=None, end_line=None), "contains a NUL byte"),
    (call("read_file", path="x" * 300 + ".py", start_line=None, end_line=None), "file names are at most 255"),
    (call("read_file", path="a/" * 600 + "b.py", start_line=None, end_line=None), "paths are at most 1024"),
    (call("read_file", path=".GIT/config", start_line=None, end_line=None), "the .git directory is off limits"),
    (call("read_file", path="calc.py\x1b[2J", start_line=None, end_line=None), "contains a control character"),
    (call("read_file", path="calc.py", start_line="1", end_line=None), "'start_line' must be an integer or null"),
    (call("read_file", path="calc.py", start_line=True, end_line=None), "must be an integer or null, not true or false (true)"),
    (call("list_files", path=["src"], pattern=None), "'path' must be a string or null, not an array"),
    (call("search_code", pattern=None, path=None), "'pattern' must be a string, not null"),
    (call("run_tests", args=123), "'args' must be a string or null, not an integer (123)"),
    (call("apply_diff", diff=5), "'diff' must be a string, not an integer (5)"),
    (call("apply_diff"), "'diff' is missing (a string)"),
    (call("apply_diff", diff=ADD_SUB, force=True), "unknown argument(s) 'force'; it takes: diff"),
    (call("delete_everything", path="."), "there is no tool named 'delete_everything'; the tools are: apply_diff,"),
    (call("finish_step", summary=["done"]), "'summary' must be a string, not an array"),
]


def test_each_hostile_tool_call_gets_an_answer_and_the_session_goes_on(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [
        plan_turn("Add sub"),
        {"tool_calls": [c for c, _ in HOSTILE]},
        {**diff_turn(ADD_SUB), "expect": [told for _, told in HOSTILE]},
        finish_turn("added sub"),
    ]
    run = loop_run(repo, turns, "add sub", **FAST)
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert run.model.remaining == 0
    # The malformed finish_step ran nothing: one full test run, after the real finish.
    assert [e["passed"] for e in run.of_type("tests_run") if e["full"]] == [True]
    assert not [e for e in run.of_type("warning") if "unexpectedly" in e["message"]]


def test_finish_step_after_a_rejected_diff_in_the_same_turn_runs_no_tests(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    bad = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def nothing_like_this():\n-    pass\n+    return 1\n"
    turns = [
        plan_turn("Add sub"),
        {"tool_calls": [call("apply_diff", diff=bad), call("finish_step", summary="done")]},
        {**diff_turn(ADD_SUB), "expect": ["was not carried out, and the tests did not run"]},
        finish_turn("added sub"),
    ]
    run = loop_run(repo, turns, "add sub", **FAST)
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert [e["ok"] for e in run.of_type("diff_applied")] == [False, True]
    assert len([e for e in run.of_type("tests_run") if e["full"]]) == 1  # only after the good diff


def test_a_500_step_plan_is_refused_with_a_message_the_model_can_act_on(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    huge = plan_turn(*[f"step {n}" for n in range(500)])
    turns = [huge, {**plan_turn("Add sub"), "expect": ["the plan has 500 steps; at most 20 are allowed",
                                                      "--max-steps", "Merge related steps"]},
             diff_turn(ADD_SUB), finish_turn()]
    run = loop_run(repo, turns, "add sub", **FAST)
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert [len(e["steps"]) for e in run.of_type("plan_proposed")] == [1]  # the long plan never reached a person


def test_max_steps_raises_the_cap(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    run = loop_run(repo, [plan_turn(*[f"step {n}" for n in range(25)])], "add sub", max_steps=30, **FAST)
    assert [len(e["steps"]) for e in run.of_type("plan_proposed")] == [25]


def test_an_intent_with_a_placeholder_reaches_the_model_as_written(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    intent = "document the {repo_map} and {intent} placeholders in README"
    run = loop_run(repo, [{**plan_turn("Docs"), "expect": [f"The person asked for:\n\n{intent}\n"]}], intent, **FAST)
    assert run.model.remaining == 0, run.result.message
    plan_prompt = run.model.requests[0]["text"]
    assert plan_prompt.count("Repository map (most relevant first)") == 1  # the real map, once, after the intent


def test_a_step_out_of_turns_warns_first_then_tries_again_then_ends_with_exit_3(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    read = {"tool_calls": [call("read_file", path="calc.py", start_line=None, end_line=None)]}
    turns = [plan_turn("Add sub"),
             read, {**read, "expect": []}, {**read, "expect": ["Only 2 turns are left in this attempt (at most 4"]},
             read,
             {**read, "expect": ["used all 4 turns without calling `finish_step`", "attempt 2 of 2"]},
             read, read, read]
    run = loop_run(repo, turns, "add sub", max_turns=4, max_attempts=2, **FAST)
    assert run.model.remaining == 0
    assert (run.result.status, run.result.exit_code) == ("turns_exhausted", 3), run.result.message
    assert "step 1 (Add sub)" in run.result.message and "--max-turns 4" in run.result.message
    assert [e["attempt"] for e in run.of_type("attempt_started")] == [1, 2]
    assert run.result.plan["steps"][0]["status"] == "failed"
    assert run.of_type("session_finished")


def test_a_cut_off_reply_runs_none_of_its_calls_and_the_model_is_told(loop_run, tmp_path):
    repo = make_repo(tmp_path, PROJECT)
    turns = [plan_turn("Add sub"),
             {**diff_turn(ADD_SUB), "truncated": "max_output_tokens"},
             {**diff_turn(ADD_SUB), "expect": ["cut off (max_output_tokens) before this call was complete",
                                                         "reason: max_output_tokens"]},
             finish_turn()]
    run = loop_run(repo, turns, "add sub", **FAST)
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    assert [e["ok"] for e in run.of_type("diff_applied")] == [True]  # the cut-off diff never ran


class _BrokenWorkspace:
    """A Workspace (agent.core.seams) whose read tool hits a bug, and whose listing is enormous."""

    def read_file(self, path, start_line=None, end_line=None):
        raise RuntimeError("disk on fire")

    def list_files(self, path=None, pattern=None):
        return "x.py\n" * 100_000


def test_an_exception_inside_a_tool_goes_to_the_model_and_a_huge_answer_is_cut():
    from agent.core.conversation import ToolCall
    from agent.tools.dispatch import MAX_OUTPUT_CHARS, ToolBox

    seen = []
    box = ToolBox(_BrokenWorkspace(), None, lambda type, **f: seen.append((type, f)))
    output, ok = box.run(ToolCall("c1", "read_file", '{"path": "a.py", "start_line": null, "end_line": null}'))
    assert not ok and output.startswith("Error: read_file failed unexpectedly (RuntimeError: disk on fire)")
    assert any(t == "warning" and "disk on fire" in f["message"] for t, f in seen)
    listing, ok = box.run(ToolCall("c2", "list_files", '{"path": null, "pattern": null}'))
    assert ok and len(listing) < MAX_OUTPUT_CHARS + 300
    assert listing.endswith("ask for less: a line range, a narrower path or a more specific pattern]")
