"""A model server that never finishes its answer ends the run at the deadline: the documented exit
code (1) and the result as the last JSON line (the real CLI, the real SDK, the replay server)."""

from __future__ import annotations

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import run_agent, user_env


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", ["keepalive", "silent"])
def test_a_server_that_never_finishes_ends_the_run_within_the_deadline(calc_repo, fault):
    env = user_env(AGENT_REQUEST_DEADLINE="1", AGENT_RETRY_BUDGET="2", AGENT_RETRY_BASE_DELAY="0.01")
    with ReplayServer({"turns": [{"fault": fault}] * 10}) as srv:
        run = run_agent(calc_repo, srv, "run", "add sub", "--yes", "--json", env=env, timeout=90)
        tries = len([r for r in srv.requests if r["path"].endswith("/responses")])
    assert run.code == 1, run.stderr
    last = run.events[-1]
    assert last["type"] == "session_finished" and last["exit_code"] == 1 and last["status"] == "error"
    assert "no complete answer" in last["message"] and "retry budget 2 s" in last["message"]
    assert 2 <= tries <= 3  # bounded by the budget, not by the 10 scripted faults
