"""MCP servers started by the agent for a session: the real fixture server (SDK, stdio), the real
driver and loop in process, a scripted model."""

from __future__ import annotations

import pytest

from tests.extensions.conftest import server
from tests.helpers_calc import ADD_SUB, FIX_SUB, TEST_SUB, call, diff_turn, finish_turn, plan_turn

pytestmark = pytest.mark.slow  # each starts a Python MCP server (about a second or two)

BUILTINS = ["list_files", "read_file", "search_code", "repo_map", "submit_plan", "apply_diff", "run_tests",
            "finish_step"]
ONE_STEP = [diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB), finish_turn("added sub")]


def test_the_model_calls_an_mcp_tool_and_gets_its_answer(loop_run, calc_repo):
    turns = [
        {"tool_calls": [call("mcp__docs__lookup", topic="password hashing")]},
        {**plan_turn("Add sub"), "expect": ["The docs say: password hashing uses argon2id"]},
        *ONE_STEP,
    ]
    run = loop_run(calc_repo, turns, "add sub", mcp_servers={"docs": server()})
    assert (run.result.status, run.result.exit_code) == ("done", 0), run.result.message
    offered = run.model.requests[0]["tools"]
    mcp = [n for n in offered if n.startswith("mcp__")]
    assert offered[:len(BUILTINS)] == BUILTINS and mcp == sorted(mcp)
    assert "mcp__docs__lookup" in mcp and "mcp__docs__add" in mcp
    started = run.of_type("mcp_server_started")
    assert [s["name"] for s in started] == ["docs"] and started[0]["transport"] == "stdio"
    assert {"name": "mcp__docs__lookup", "ok": True} in [{k: r[k] for k in ("name", "ok")}
                                                         for r in run.of_type("tool_result")]
    # the server runs in the session's worktree, not the person's checkout
    assert run.result.worktree.endswith(run.model.requests[1]["text"].split("(cwd ")[1].split(")")[0])


def test_optional_arguments_made_nullable_for_strict_mode_reach_the_server_as_absent(loop_run, calc_repo):
    turns = [
        {"tool_calls": [call("mcp__docs__shout", text="hi", times=None), call("mcp__docs__add", a=2, b=3, note=None)]},
        {**plan_turn("Add sub"), "expect": ["HI", "5"]},
        *ONE_STEP,
    ]
    run = loop_run(calc_repo, turns, "add sub", mcp_servers={"docs": server()})
    assert run.result.status == "done", run.result.message
    assert [r["ok"] for r in run.of_type("tool_result")][:2] == [True, True]


def test_a_crashing_and_a_hanging_server_are_reported_once_and_offer_no_tools(loop_run, calc_repo):
    servers = {"broken": server("crash"), "stuck": server("hang", startup_timeout=1), "docs": server()}
    turns = [plan_turn("Add sub"), *ONE_STEP]
    run = loop_run(calc_repo, turns, "add sub", mcp_servers=servers)
    assert run.result.status == "done", run.result.message
    failed = {f["name"]: f for f in run.of_type("mcp_server_failed")}
    assert sorted(failed) == ["broken", "stuck"] and len(run.of_type("mcp_server_failed")) == 2
    assert "cannot connect to the docs index" in failed["broken"]["reason"]  # its stderr says why
    assert "startup_timeout" in failed["stuck"]["reason"]
    for request in run.model.requests:
        assert not [n for n in request["tools"] if n.startswith(("mcp__broken", "mcp__stuck"))]
        assert "mcp__docs__lookup" in request["tools"]


def test_a_required_server_that_fails_to_start_ends_the_run_before_any_model_call(loop_run, calc_repo):
    run = loop_run(calc_repo, [plan_turn("Add sub")], "add sub", mcp_servers={"broken": server("crash", required=True)})
    assert (run.result.status, run.result.exit_code) == ("error", 1)
    assert "broken" in run.result.message and "required" in run.result.message
    assert run.model.requests == []


def test_a_server_that_dies_mid_session_is_reported_once_and_its_tools_withdrawn(loop_run, calc_repo):
    turns = [
        {"tool_calls": [call("mcp__docs__die")]},
        {"tool_calls": [call("mcp__docs__lookup", topic="x")], "expect": ["stopped; its tools are withdrawn"]},
        {**plan_turn("Add sub"), "expect": ["withdrawn"]},
        *ONE_STEP,
    ]
    run = loop_run(calc_repo, turns, "add sub", mcp_servers={"docs": server()})
    assert run.result.status == "done", run.result.message
    assert [(f["name"], f["phase"]) for f in run.of_type("mcp_server_failed")] == [("docs", "run")]
    assert "mcp__docs__lookup" in run.model.requests[0]["tools"]
    assert not [n for n in run.model.requests[1]["tools"] if n.startswith("mcp__")]


def test_fifty_tools_are_all_offered_in_the_same_order_every_run(loop_run, tmp_path):
    from tests.extensions.conftest import PROJECT
    from tests.helpers_git import make_repo

    offered = []
    for i in range(2):
        repo = make_repo(tmp_path / str(i), PROJECT)
        run = loop_run(repo, [{"tool_calls": [call("mcp__many__tool_07", text="seven")]},
                              {**plan_turn("Add sub"), "expect": ["tool 07: seven"]}, *ONE_STEP],
                       "add sub", mcp_servers={"many": server("many")})
        assert run.result.status == "done", run.result.message
        offered.append(run.model.requests[0]["tools"])
    names = [n for n in offered[0] if n.startswith("mcp__many__")]
    assert names == [f"mcp__many__tool_{i:02d}" for i in range(50)]
    assert offered[0] == offered[1] and offered[0] == run.model.requests[-1]["tools"]


def test_results_are_capped_and_the_server_sees_only_what_it_is_given(loop_run, calc_repo, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-person-secret")
    monkeypatch.setenv("TEAM_NAME", "payments")
    turns = [
        {"tool_calls": [call("mcp__docs__big"), call("mcp__docs__secret")]},
        {**plan_turn("Add sub"), "expect": ["more characters not shown", "key=<none> team=payments"]},
        *ONE_STEP,
    ]
    run = loop_run(calc_repo, turns, "add sub",
                   mcp_servers={"docs": server(env={"TEAM": "payments"})})
    assert run.result.status == "done", run.result.message
    assert "sk-person-secret" not in run.model.requests[1]["text"]
    assert len(run.model.requests[1]["text"]) < 60_000


def test_ask_without_a_terminal_is_denied_unless_allowed(loop_run, calc_repo):
    ask = {"docs": server(approve="always", tool_approve={"lookup": "ask"}, disabled_tools=["die"])}
    turns = [
        {"tool_calls": [call("mcp__docs__lookup", topic="x"), call("mcp__docs__add", a=1, b=2, note=None)]},
        {**plan_turn("Add sub"), "expect": ["not run: it needs approval", "3"]},
        *ONE_STEP,
    ]
    run = loop_run(calc_repo, turns, "add sub", mcp_servers=ask)
    assert run.result.status == "done", run.result.message
    assert "mcp__docs__die" not in run.model.requests[0]["tools"]
    assert [(a["tool"], a["decision"], a["asked"]) for a in run.of_type("mcp_tool_approval")] == [
        ("lookup", "denied", False)]

    allowed = loop_run(calc_repo, [{"tool_calls": [call("mcp__docs__lookup", topic="x")]},
                                   {**plan_turn("Add sub"), "expect": ["The docs say"]}, *ONE_STEP],
                       "add sub", mcp_servers=ask, mcp_allow_ask=True)
    assert allowed.result.status == "done", allowed.result.message
    assert [a["decision"] for a in allowed.of_type("mcp_tool_approval")] == ["approved"]


def test_a_streamable_http_server_gets_its_headers_from_the_environment(loop_run, calc_repo, monkeypatch):
    import socket
    import subprocess
    import sys
    import time

    from tests.extensions.conftest import FIXTURE_SERVER

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, FIXTURE_SERVER, "http", str(port)], stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        monkeypatch.setenv("TEAM_TOKEN", "t-123")
        turns = [{"tool_calls": [call("mcp__web__whoami"), call("mcp__web__lookup", topic="sessions")]},
                 {**plan_turn("Add sub"), "expect": ["token=t-123", "The docs say: sessions"]}, *ONE_STEP]
        run = loop_run(calc_repo, turns, "add sub", mcp_servers={
            "web": {"url": f"http://127.0.0.1:{port}/mcp", "headers_env": {"X-Team-Token": "TEAM_TOKEN"}}})
    finally:
        proc.kill()
        proc.wait()
    assert run.result.status == "done", run.result.message
    assert [(s["name"], s["transport"]) for s in run.of_type("mcp_server_started")] == [("web", "http")]


def test_at_most_120_mcp_tools_are_offered_and_the_person_is_told_which_server_was_cut(loop_run, calc_repo):
    servers = {"a": server("many"), "b": server("many"), "c": server("many")}
    run = loop_run(calc_repo, [plan_turn("Add sub"), *ONE_STEP], "add sub", mcp_servers=servers)
    assert run.result.status == "done", run.result.message
    offered = run.model.requests[0]["tools"]
    assert len([n for n in offered if n.startswith("mcp__")]) == 120
    assert [n for n in offered if n.startswith("mcp__c__")] == [f"mcp__c__tool_{i:02d}" for i in range(20)]
    assert [w["message"] for w in run.of_type("warning") if "MCP" in w["message"]] == [
        "MCP server c: only 20 of its 50 tools are offered (at most 120 MCP tools in all; choose them with enabled_tools)"]
