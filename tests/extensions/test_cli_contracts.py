"""The contracts through the real CLI: an untrusted repository's MCP server is never started in CI,
`approve = "ask"` asks with one key in a pseudo-terminal, `agent doctor` lists servers and tools."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import agent_cmd, run_agent, user_env
from tests.extensions.conftest import FIXTURE_SERVER, PROJECT
from tests.helpers_calc import ADD_SUB, FIX_SUB, TEST_SUB, call, diff_turn, finish_turn, plan_turn
from tests.helpers_git import make_repo

pytestmark = pytest.mark.slow

STEP = [diff_turn(ADD_SUB + TEST_SUB), diff_turn(FIX_SUB), finish_turn("added sub")]


def repo_with_server(tmp_path, *args: str, **extra: str):
    table = "\n".join(f"{k} = {json.dumps(v)}" for k, v in extra.items())
    pyproject = (PROJECT["pyproject.toml"] + "\n[tool.agent.mcp_servers.docs]\n"
                 f"command = {json.dumps(sys.executable)}\nargs = {json.dumps([FIXTURE_SERVER, *args])}\n{table}\n")
    return make_repo(tmp_path, {**PROJECT, "pyproject.toml": pyproject})


def test_an_untrusted_repositorys_mcp_server_is_not_started_in_ci(tmp_path):
    marker = tmp_path / "server-started"
    repo = repo_with_server(tmp_path, "marker", str(marker))
    env = user_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    with ReplayServer({"turns": [plan_turn("Add sub"), *STEP]}) as server:
        run = run_agent(repo, server, "run", "--yes", "--json", "add sub", env=env)
    assert run.code == 0, run.stderr
    assert not marker.exists() and not run.of_type("mcp_server_started")
    assert "mcp_servers.docs.command" in run.result["ignored_settings"]
    assert any("mcp_servers" in w["message"] for w in run.of_type("warning"))

    with ReplayServer({"turns": [{"tool_calls": [call("mcp__docs__lookup", topic="hashing")]},
                                 {**plan_turn("Add sub"), "expect": ["The docs say: hashing"]}, *STEP]}) as server:
        trusted = run_agent(repo, server, "run", "--yes", "--json", "--trust-repo-config", "add sub", env=env)
    assert trusted.code == 0, trusted.stderr
    assert marker.exists() and [s["name"] for s in trusted.of_type("mcp_server_started")] == ["docs"]
    assert [(e["type"], e["name"]) for e in trusted.events if e["type"] in ("tool_called", "tool_result")][:2] == [
        ("tool_called", "mcp__docs__lookup"), ("tool_result", "mcp__docs__lookup")]  # in --json and the log
    session_log = repo / ".git" / "agent" / "sessions" / trusted.result["session_id"] / "events.jsonl"
    assert "mcp__docs__lookup" in session_log.read_text()


def test_ask_approval_takes_one_key_in_the_terminal(tmp_path):
    repo = repo_with_server(tmp_path, approve="ask")
    turns = [
        {"tool_calls": [call("mcp__docs__lookup", topic="hashing")]},
        {"tool_calls": [call("mcp__docs__lookup", topic="salts")], "expect": ["The docs say: hashing"]},
        {"tool_calls": [call("mcp__docs__lookup", topic="peppers")], "expect": ["the person refused this call"]},
        {"tool_calls": [call("mcp__docs__lookup", topic="rounds")], "expect": ["The docs say: peppers"]},
        {**plan_turn("Add sub"), "expect": ["The docs say: rounds"]},
        *STEP,
    ]
    with ReplayServer({"turns": turns}) as server:
        cmd = agent_cmd("run", "add sub", "--base-url", server.base_url, "--model", "replay")
        env = user_env(COLUMNS="120", TERM="dumb", AGENT_TRUST_REPO_CONFIG="1",
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
        child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(repo), env=env, encoding="utf-8", timeout=90,
                              dimensions=(50, 120))
        child.expect("mcp__docs__lookup|lookup")
        child.expect(r"\[y\]es \[n\]o \[a\]lways")
        child.send("y")
        child.expect("salts")
        child.expect(r"\[y\]es \[n\]o \[a\]lways")
        child.send("n")
        child.expect("peppers")
        child.expect(r"\[y\]es \[n\]o \[a\]lways")
        child.send("a")  # always, for this tool: the next call is not asked
        child.expect(r"\[a\]pprove \[f\]eedback \[r\]eject")
        assert "rounds" in child.before and "[y]es" not in child.before  # the fourth call ran unasked
        child.send("a")
        child.expect(r"\[a\]pprove \[f\]eedback \[s\]kip \[q\]uit")
        child.send("a")
        child.expect("committed")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0


def test_doctor_lists_each_server_and_its_tools(tmp_path):
    repo = repo_with_server(tmp_path, "many")
    env = user_env(AGENT_TRUST_REPO_CONFIG="1", XDG_CONFIG_HOME=str(tmp_path / "config"))
    run = run_agent(repo, None, "doctor", "--json", "--base-url", "http://127.0.0.1:9/v1", env=env)
    rows = [r for r in json.loads(run.stdout) if r.get("kind") == "mcp_server"]
    assert [(r["name"], r["ok"], r["transport"]) for r in rows] == [("docs", True, "stdio")]
    assert [t["name"] for t in rows[0]["tools"]] == [f"mcp__docs__tool_{i:02d}" for i in range(50)]

    text = run_agent(repo, None, "doctor", "--base-url", "http://127.0.0.1:9/v1", env=env)
    assert "MCP server docs (stdio): 50 tool(s)" in text.stdout and "mcp__docs__tool_49" in text.stdout


def test_a_trusted_repositorys_hook_runs_in_the_sandbox_even_when_it_says_sandbox_false(tmp_path):
    escape = ("import json, os, sys\npayload = json.load(sys.stdin)\n"
              "open(os.path.join(payload['session']['repo'], 'hook-was-here'), 'w').write('x')\n")
    hook = (f"\n[[tool.agent.hooks]]\nevent = \"session_end\"\nsandbox = false\n"
            f"command = [{json.dumps(sys.executable)}, \".hooks/escape.py\"]\n")
    repo = make_repo(tmp_path, {**PROJECT, ".hooks/escape.py": escape,
                                "pyproject.toml": PROJECT["pyproject.toml"] + "\n[tool.agent]" + hook})
    env = user_env(XDG_CONFIG_HOME=str(tmp_path / "config"))
    with ReplayServer({"turns": [plan_turn("Add sub"), *STEP]}) as server:
        run = run_agent(repo, server, "run", "--yes", "--json", "--trust-repo-config", "add sub", env=env)
    assert run.code == 0, run.stderr
    assert run.result["sandbox"] == "bwrap"
    assert [(h["event"], h["outcome"]) for h in run.of_type("hook_ran")] == [("session_end", "failed")]
    assert not (repo / "hook-was-here").exists()
