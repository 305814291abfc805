"""`agent run -d`: a detached worker, approvals from other processes, a kill while it waits, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.testing.replay import ReplayServer
from tests.sessions.conftest import (
    FAST_TESTS,
    INTENT,
    STEP2,
    TURNS,
    branch_fingerprint,
    cli,
    events,
    kill,
    meta,
    server_args,
    wait_event,
    wait_for,
)

pytestmark = pytest.mark.slow


def _pending(repo: Path, sid: str, kind: str, step: int | None = None, after: dict | None = None) -> dict:
    path = repo / ".git" / "agent" / "sessions" / sid / "pending.json"

    def ready():
        try:
            q = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        fresh = after is None or q["id"] != after["id"]  # not the question a killed worker left behind
        return q if q["kind"] == kind and q["step"] == step and fresh else None

    return wait_for(ready, f"the {kind} {step or ''} question")


def _approve(repo: Path, sid: str, *extra: str) -> str:
    run = cli(repo, "approve", sid, *extra)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _state(repo: Path, sid: str) -> str:
    listed = json.loads(cli(repo, "sessions", "--json").stdout)
    return next(s for s in listed if s["id"] == sid)["state"]


def test_background_session_approved_from_other_processes_survives_a_kill(repo, reference):
    with ReplayServer({"turns": TURNS}) as server:
        launched = cli(repo, "run", "-d", INTENT, "--test-command", FAST_TESTS, *server_args(server), timeout=30)
        assert launched.returncode == 0, launched.stderr
        sid = launched.stdout.split()[0]
        assert meta(repo, sid)["background"] is True

        _pending(repo, sid, "plan")
        assert _state(repo, sid) == "waiting"
        assert "plan -> approve" in _approve(repo, sid)
        _pending(repo, sid, "step", 1)
        assert "step 1 -> approve" in _approve(repo, sid)
        question = _pending(repo, sid, "step", 2)
        assert question["passed"] and "def mul" in question["diff"]

        kill(meta(repo, sid)["pid"])  # SIGKILL while it waits for a person
        wait_for(lambda: _state(repo, sid) == "interrupted", "the session to show as interrupted")
    refused = cli(repo, "approve", sid)
    assert refused.returncode == 2 and "not running" in refused.stderr

    # Resume it in the background too, pointed at a new endpoint; step 2 is redone, step 1 kept.
    with ReplayServer({"turns": STEP2}) as server:
        resumed = cli(repo, "resume", sid, "-d", *server_args(server))
        assert resumed.returncode == 0, resumed.stderr
        _pending(repo, sid, "step", 2, after=question)
        _approve(repo, sid)
        finished = wait_event(repo, sid, lambda e: e["type"] == "session_finished"
                              and any(x["type"] == "session_resumed" for x in events(repo, sid)), "the end")
    assert finished["status"] == "done", finished
    assert branch_fingerprint(repo, finished["branch"]) == reference
    decisions = [(e["kind"], e["step"], e["decision"]) for e in events(repo, sid) if e["type"] == "approval_answered"]
    assert decisions == [("plan", None, "approve"), ("step", 1, "approve"), ("step", 2, "approve")]
    wait_for(lambda: _state(repo, sid) == "done", "done in `agent sessions`")
    # attach and log --follow on a finished session print its story and return.
    attached = cli(repo, "attach", sid)
    assert attached.returncode == 0 and "done" in attached.stdout
    followed = cli(repo, "log", sid, "--follow")
    assert followed.returncode == 0 and "session_finished" in followed.stdout.splitlines()[-1]


def test_feedback_and_reject_from_another_process(repo):
    turns = [TURNS[0], {**TURNS[0], "expect": ["only sub, please"]}]
    with ReplayServer({"turns": turns}) as server:
        sid = cli(repo, "run", "-d", INTENT, "--test-command", FAST_TESTS, *server_args(server)).stdout.split()[0]
        first = _pending(repo, sid, "plan")
        assert "plan -> feedback" in _approve(repo, sid, "--feedback", "only sub, please")
        _pending(repo, sid, "plan", after=first)
        run = cli(repo, "reject", sid, "--feedback", "not today")
        assert run.returncode == 0 and "plan -> reject" in run.stdout
        finished = wait_event(repo, sid, lambda e: e["type"] == "session_finished", "the end")
    assert finished["status"] == "rejected" and finished["exit_code"] == 4
    assert cli(repo, "resume", sid).returncode == 2  # a rejected session stays rejected


def test_attach_shows_the_prompts_and_answers_them(repo):
    pexpect = pytest.importorskip("pexpect")
    from tests.e2e.conftest import agent_cmd, user_env

    with ReplayServer({"turns": TURNS}) as server:
        sid = cli(repo, "run", "-d", INTENT, "--test-command", FAST_TESTS, *server_args(server)).stdout.split()[0]
        cmd = agent_cmd("attach", sid)
        child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(repo), env=user_env(TERM="dumb"), encoding="utf-8",
                              timeout=60)
        child.expect(r"\[a\]pprove")
        child.send("a")
        for step in (1, 2):
            child.expect(f"Step {step}")
            child.expect(r"\[a\]pprove")
            child.send("a")
        child.expect(r"done \(exit 0\)")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0
    answered = [(e["kind"], e["decision"]) for e in events(repo, sid) if e["type"] == "approval_answered"]
    assert answered == [("plan", "approve"), ("step", "approve"), ("step", "approve")]
