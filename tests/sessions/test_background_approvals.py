"""Background approvals are not blind (issue 12, item 7): `agent show` of a session waiting at a
step shows its diff and test result; `agent approve` / `agent reject` answer the one waiting
session by default, and point at `agent resume` when it is no longer running."""

from __future__ import annotations

import json
import re

import pytest

from agent.testing.replay import ReplayServer
from tests.sessions.conftest import FAST_TESTS, INTENT, TURNS, cli, kill, meta, server_args, wait_for

pytestmark = pytest.mark.slow


def pending(repo, sid: str, step: int | None) -> dict | None:
    path = repo / ".git" / "agent" / "sessions" / sid / "pending.json"
    try:
        q = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return q if q["step"] == step else None


def test_show_a_waiting_step_then_approve_and_reject_without_naming_the_session(repo):
    refused = cli(repo, "approve")
    assert refused.returncode == 2 and "no session is waiting for an answer" in refused.stderr
    with ReplayServer({"turns": TURNS}) as server:
        sid = cli(repo, "run", "-d", INTENT, "--test-command", FAST_TESTS, *server_args(server)).stdout.split()[0]
        wait_for(lambda: pending(repo, sid, None), "the plan question")
        approved = cli(repo, "approve")  # no id: the one session waiting
        assert approved.returncode == 0 and f"session {sid}: the plan -> approve" in approved.stdout
        wait_for(lambda: pending(repo, sid, 1), "the step 1 question")

        shown = cli(repo, "show", sid)
        assert shown.returncode == 0, shown.stderr
        out = shown.stdout
        assert "waiting for: step 1" in out and "Step 1/2: Add sub" in out
        assert re.search(r"calc\.py +\| \+3 -0\n +tests/test_calc\.py \| \+5 -1", out)  # the per-file summary
        assert "+def sub(a, b):" in out and "+    return a - b" in out  # the diff
        assert "Tests: " in out and "passed" in out.split("Tests: ")[1].splitlines()[0]

        kill(meta(repo, sid)["pid"])
        wait_for(lambda: cli(repo, "sessions", "--json").stdout.count('"interrupted"'), "interrupted")
    gone = cli(repo, "reject")
    assert gone.returncode == 2 and "no session is waiting for an answer" in gone.stderr
    named = cli(repo, "approve", sid)
    assert named.returncode == 2 and "not running" in named.stderr and f"agent resume {sid}" in named.stderr
