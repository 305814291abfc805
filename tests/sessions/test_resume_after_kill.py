"""SIGKILL a real `agent run` at chosen points, resume it, and get the uninterrupted run's branch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agent.testing.replay import ReplayServer
from tests.helpers_git import git
from tests.sessions.conftest import (
    FAST_TESTS,
    INTENT,
    STEP1,
    STEP2,
    TURNS,
    GatedServer,
    branch_fingerprint,
    cli,
    events,
    kill,
    meta,
    only_session,
    result_of,
    server_args,
    spawn,
    user_env,
    wait_event,
    wait_for,
)

pytestmark = pytest.mark.slow


def _resume(repo: Path, sid: str, turns: list[dict], *extra: str) -> dict:
    with ReplayServer({"turns": turns}) as server:
        run = cli(repo, "resume", sid, "--yes", "--json", *server_args(server), *extra)
        assert server.remaining == 0, "the resumed run did not redo exactly the remaining turns"
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    return result_of(run.stdout)


def _check_resumed(repo: Path, sid: str, result: dict, reference) -> None:
    assert result["status"] == "done" and result["session_id"] == sid
    assert branch_fingerprint(repo, result["branch"]) == reference
    assert git(repo, "-C", result["worktree"], "status", "--porcelain") == ""
    assert [e["type"] for e in events(repo, sid)].count("session_resumed") == 1
    show = json.loads(cli(repo, "show", sid, "--json").stdout)
    assert show["status"] == "done" and [s["status"] for s in show["plan"]["steps"]] == ["committed"] * 2


@pytest.mark.parametrize("gate, resume_turns", [
    (0, TURNS),   # mid model call while planning: nothing approved yet, so it plans again
    (3, STEP2),   # mid model call in step 2: step 1 stays committed
    (4, STEP2),   # step 2's diff applied, not committed: it is rolled back and redone
], ids=["planning-call", "step-call", "half-applied-diff"])
def test_kill_mid_model_call_then_resume(repo, reference, gate, resume_turns):
    with GatedServer({"turns": TURNS}, gate=gate) as server:
        proc = spawn(repo, "run", INTENT, "--yes", "--json", "--test-command", FAST_TESTS, *server_args(server))
        wait_for(server.reached.is_set, f"model call {gate}", proc=proc)
        sid = only_session(repo)
        # While it runs, nobody else may run the same session.
        busy = cli(repo, "resume", sid, "--yes")
        assert busy.returncode == 2 and "running" in busy.stderr, busy.stderr
        kill(proc)
    worktree = Path(meta(repo, sid)["worktree"])
    if gate == 4:
        assert "def mul" in (worktree / "calc.py").read_text()  # the half-done step is on disk
    listed = json.loads(cli(repo, "sessions", "--json").stdout)
    assert [(s["id"], s["status"]) for s in listed] == [(sid, "interrupted")]

    result = _resume(repo, sid, resume_turns)
    _check_resumed(repo, sid, result, reference)
    resumed = next(e for e in events(repo, sid) if e["type"] == "session_resumed")
    assert resumed["planned"] == (gate != 0)
    if gate == 4:
        assert resumed["rolled_back"] == ["calc.py"]


def test_kill_mid_test_run_then_resume(repo, reference, tmp_path):
    # Slow only once step 1's edit is in (the baseline run before any change stays quick). The
    # sandboxed tests cannot write outside the worktree: the sleeper is found by its command line.
    sleeper = "sleep 30.375"
    slow_tests = f"if grep -q 'def sub' calc.py; then {sleeper}; fi; {FAST_TESTS}"
    with GatedServer({"turns": TURNS}) as server:
        proc = spawn(repo, "run", INTENT, "--yes", "--json", "--test-command", slow_tests, *server_args(server))
        wait_for(lambda: subprocess.run(["pgrep", "-f", "^" + sleeper]).returncode == 0, "the first test run",
                 proc=proc)
        sid = only_session(repo)
        kill(proc)
    # The step's diff is in the worktree uncommitted; the plan was approved (checkpointed).
    assert [e["type"] for e in events(repo, sid)].count("commit_created") == 0
    result = _resume(repo, sid, STEP1, "--test-command", FAST_TESTS)
    _check_resumed(repo, sid, result, reference)


def test_torn_last_log_line_is_ignored(repo, reference):
    with GatedServer({"turns": TURNS}, gate=3) as server:
        proc = spawn(repo, "run", INTENT, "--yes", "--json", "--test-command", FAST_TESTS, *server_args(server))
        sid = only_session(repo)
        wait_event(repo, sid, lambda e: e["type"] == "commit_created", "step 1's commit", proc=proc)
        wait_for(server.reached.is_set, "step 2's model call", proc=proc)
        kill(proc)
    log = Path(meta(repo, sid)["repo"]) / ".git" / "agent" / "sessions" / sid / "events.jsonl"
    with log.open("a") as fh:
        fh.write('{"type": "model_call_finished", "usage": {"input_to')  # a crash mid-write
    count = len(events(repo, sid))
    shown = cli(repo, "show", sid, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["status"] == "interrupted"
    assert len(cli(repo, "log", sid, "--json").stdout.splitlines()) == count
    result = _resume(repo, sid, STEP2)
    _check_resumed(repo, sid, result, reference)
    assert result["usage"]["input_tokens"] > 0


def test_output_patch_and_github_summary(repo, tmp_path):
    patch, summary = tmp_path / "out" / "session.patch", tmp_path / "summary.md"
    summary.write_text("previous step's summary\n")
    with ReplayServer({"turns": TURNS}) as server:
        run = cli(repo, "run", INTENT, "--yes", "--json", "--test-command", FAST_TESTS, "--output-patch", str(patch),
                  *server_args(server), env=user_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert run.returncode == 0, run.stderr
    result = result_of(run.stdout)
    # The patch applies cleanly to the base commit (the person's checkout is still at it).
    assert git(repo, "rev-parse", "HEAD") == result["base_commit"]
    git(repo, "apply", "--check", str(patch))
    git(repo, "apply", str(patch))
    assert git(repo, "status", "--porcelain").splitlines() == ["M calc.py", " M tests/test_calc.py"]
    text = summary.read_text()
    assert text.startswith("previous step's summary\n")  # appended, never overwritten
    for expected in (f"agent: {INTENT}", "`done` (exit 0)", result["branch"], "| 1 | Add sub | committed |",
                     "| 2 | Add mul | committed |", "### Tests", "**passed**", "input tokens"):
        assert expected in text, expected
