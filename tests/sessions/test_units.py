"""The session pieces alone: state round trip, status from events, answers, the lock, the log tail, gc."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.core.conversation import Conversation
from agent.core.loop import RunState
from agent.core.plan import Plan, PlanStep
from agent.errors import UsageError
from agent.sessions import SessionStore, lock
from agent.sessions.background import decide
from agent.sessions.report import github_summary
from agent.sessions.state import init_state, load_state, restore_run, save_checkpoint
from agent.sessions.status import summarize
from agent.sessions.store import read_events, repair_torn_tail
from tests.helpers_git import git, make_repo


def test_state_round_trip_resets_unfinished_steps(tmp_path):
    init_state(tmp_path, intent="do it", cwd=tmp_path, overrides={"model": "m", "max_attempts": 2})
    assert restore_run(load_state(tmp_path))[1] is None  # nothing approved yet: plan again
    steps = [PlanStep(1, "a", "", ["x.py"], "committed", "abc", "did a"), PlanStep(2, "b", "", [], "running"),
             PlanStep(3, "c", "", [], "failed")]
    conv = Conversation("system", [{"type": "message", "role": "user", "content": "hi"}], {"plan": "p"})
    save_checkpoint(tmp_path, RunState("do it", Plan("sum", steps), ["On the plan: smaller"]), conv)
    data = load_state(tmp_path)
    assert data["overrides"] == {"model": "m", "max_attempts": 2} and data["checkpoints"] == 1
    state, conv2 = restore_run(data)
    assert [(s.status, s.commit) for s in state.plan.steps] == [("committed", "abc"), ("pending", None),
                                                                ("pending", None)]
    assert state.feedback == ["On the plan: smaller"] and conv2.to_dict() == conv.to_dict()
    assert not list(tmp_path.glob("*.tmp"))


def _store_with(tmp_path: Path, events: list[dict], **meta) -> tuple[SessionStore, dict]:
    store = SessionStore(tmp_path)
    store.write_meta("s1", intent="x", **meta)
    log = store.dir("s1") / "events.jsonl"
    log.write_text("".join(json.dumps({"ts": time.time(), **e}) + "\n" for e in events))
    return store, store.meta("s1")


PLAN = {"type": "plan_proposed", "summary": "p", "revision": 1,
        "steps": [{"index": 1, "title": "a"}, {"index": 2, "title": "b"}]}


@pytest.mark.parametrize("events, held, expected", [
    ([{"type": "session_started", "branch": "b"}], True, "planning"),
    ([PLAN, {"type": "approval_requested", "kind": "plan", "step": None}], True, "waiting for approval (plan)"),
    ([PLAN, {"type": "approval_answered", "kind": "plan", "decision": "approve"},
      {"type": "step_started", "index": 2, "total": 2}], True, "running step 2 of 2"),
    ([PLAN, {"type": "step_started", "index": 1, "total": 2}], False, "interrupted"),
    ([{"type": "session_finished", "status": "done"}], False, "done"),
    ([{"type": "session_finished", "status": "tests_failed"}], False, "failed (tests_failed)"),
    ([{"type": "session_finished", "status": "budget_exceeded"}, {"type": "session_resumed", "branch": "b"}], True,
     "planning"),
])
def test_status_is_derived_from_the_log(tmp_path, events, held, expected):
    store, meta = _store_with(tmp_path, events)
    if held:
        lock.acquire(store.dir("s1"))
    try:
        assert summarize(store, meta)["status"] == expected
    finally:
        lock.release(store.dir("s1"))


def test_usage_and_cost_add_up_over_processes(tmp_path):
    call = {"type": "model_call_finished", "usage": {"input_tokens": 10, "output_tokens": 2}, "cost": 0.5}
    store, meta = _store_with(tmp_path, [call, {"type": "session_resumed", "branch": "b"}, call])
    info = summarize(store, meta)
    assert info["usage"]["input_tokens"] == 20 and info["cost"] == 1.0


def _pending(tmp_path: Path, **q) -> Path:
    (tmp_path / "pending.json").write_text(json.dumps({"id": "q1", "step": 2, "title": "b", **q}))
    return tmp_path


def test_a_failing_step_cannot_be_approved(tmp_path):
    d = _pending(tmp_path, kind="step", choices=["feedback", "skip", "quit"], passed=False, attempts=3,
                 tests_summary="1 failed")
    with pytest.raises(UsageError, match="cannot be approved: its tests still fail") as info:
        decide(d, "approve")
    assert "--feedback" in info.value.hint and not (d / "decision.json").exists()
    assert decide(d, "approve", "fix the edge case")["decision"] == "feedback"
    assert json.loads((d / "decision.json").read_text()) | {"ts": 0} == {
        "id": "q1", "decision": "feedback", "feedback": "fix the edge case", "ts": 0}
    assert decide(d, "skip")["decision"] == "skip"
    assert decide(d, "reject")["decision"] == "quit"


def test_answers_map_to_the_question(tmp_path):
    d = _pending(tmp_path, kind="plan", step=None, choices=["approve", "feedback", "reject"])
    assert decide(d, "approve")["decision"] == "approve"
    assert decide(d, "reject", "no")["decision"] == "reject"
    with pytest.raises(UsageError, match="offers"):
        decide(d, "skip")
    (d / "pending.json").unlink()
    with pytest.raises(UsageError, match="not waiting"):
        decide(d, "approve")


def test_the_lock_keeps_other_processes_out_and_dies_with_its_holder(tmp_path):
    code = (f"import sys, time; sys.path.insert(0, {str(Path.cwd())!r}); from agent.sessions import lock; "
            f"lock.acquire({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert lock.is_running(tmp_path)
        with pytest.raises(lock.SessionBusy, match=f"pid {proc.pid}"):
            lock.acquire(tmp_path, wait=0.2)
    finally:
        proc.kill()
        proc.wait()
    assert not lock.is_running(tmp_path)  # the kernel dropped it with the process
    lock.acquire(tmp_path)
    lock.acquire(tmp_path)  # re-entrant in one process
    lock.release(tmp_path)
    assert lock.is_running(tmp_path)
    lock.release(tmp_path)
    assert not lock.is_running(tmp_path)


def test_torn_tail_is_skipped_on_read_and_cut_before_appending(tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text('{"type": "a"}\n{"type": "b"}\n{"type": "c", "x": [1, ')
    assert [e["type"] for e in read_events(log)] == ["a", "b"]
    assert repair_torn_tail(log) == len('{"type": "c", "x": [1, ')
    assert log.read_text() == '{"type": "a"}\n{"type": "b"}\n'
    assert repair_torn_tail(log) == 0
    log.write_text("no newline at all")
    repair_torn_tail(log)
    assert log.read_text() == ""


def test_github_summary_escapes_tables():
    text = github_summary({"intent": "a | b", "status": "tests_failed", "exit_code": 3, "session_id": "s",
                           "branch": "agent/x", "plan": {"summary": "p", "steps": [
                               {"index": 1, "title": "t|u", "status": "failed", "commit": None}]},
                           "tests": {"command": "pytest", "passed": False, "summary": "1 failed"},
                           "usage": {}, "cost": None, "duration": 1.0, "message": "step 1 failed"})
    assert "❌" in text and "| 1 | t\\|u | failed |  |" in text and "**failed**" in text and "cost unknown" in text


@pytest.mark.slow
def test_gc_keeps_unapplied_work_unless_forced(tmp_path):
    from tests.sessions.conftest import cli

    repo = make_repo(tmp_path, {"a.txt": "a\n"})
    git(repo, "worktree", "add", "-q", "-b", "agent/old-s1", str(repo / ".agent" / "worktrees" / "s1"))
    wt = repo / ".agent" / "worktrees" / "s1"
    (wt / "b.txt").write_text("b\n")
    git(wt, "add", "-A")
    git(wt, "commit", "-q", "-m", "work")
    store = SessionStore(repo / ".git")
    old = time.time() - 30 * 86400
    store.write_meta("s1", intent="old", branch="agent/old-s1", worktree=str(wt), created=old)
    (store.dir("s1") / "events.jsonl").write_text(json.dumps(
        {"type": "commit_created", "ts": old, "sha": "x", "message": "work", "index": 1}) + "\n" + json.dumps(
        {"type": "session_finished", "ts": old, "status": "done"}) + "\n")
    kept = cli(repo, "gc", "--days", "7")
    assert kept.returncode == 0 and "kept s1" in kept.stdout and wt.exists()
    gone = cli(repo, "gc", "--days", "7", "--force")
    assert gone.returncode == 0 and "removed s1" in gone.stdout
    assert not wt.exists() and not store.dir("s1").exists()
    assert git(repo, "branch", "--list", "agent/*") == ""


def test_batch_exit_code_follows_the_run_exit_rule():
    from agent.sessions.batch import batch_exit_code

    done, incomplete, failed = ({"status": "done", "exit_code": 0}, {"status": "incomplete", "exit_code": 6},
                                {"status": "tests_failed", "exit_code": 3})
    assert batch_exit_code([done, done]) == 0
    assert batch_exit_code([done, incomplete]) == 6
    assert batch_exit_code([incomplete, failed]) == 1
    assert batch_exit_code([{"status": "done", "exit_code": 1}]) == 1  # a process that says otherwise is not done
