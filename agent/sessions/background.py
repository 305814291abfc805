"""Background sessions: a detached worker process, and approvals that come from other terminals.

`agent run -d` writes the launch record (meta.json, state.json) and spawns
`python -m agent _worker ID` in its own session, stdio to worker.log. When the loop needs a
decision, BackgroundApprover writes pending.json (the question, with an id), rings the bell on
the terminal that launched it and sends a desktop notification when it can, then polls
decision.json, which `agent approve` / `agent reject` / `agent attach` write atomically, naming
the question they answer (a late answer to an older question is ignored).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.core.plan import Decision, Plan, StepReview
from agent.errors import UsageError
from agent.sessions.state import read_json, write_json_atomic

PENDING_FILE = "pending.json"
DECISION_FILE = "decision.json"
ANSWERED_FILE = "answered.json"  # the worker's receipt: which question it took an answer to
WORKER_LOG = "worker.log"


class BackgroundApprover:
    """A person answers (interactive), only not here: through files in the session directory."""

    interactive = True

    def __init__(self, session_dir: Path, *, tty: str | None = None, poll: float = 0.2, notify: bool = True):
        self.dir = Path(session_dir)
        self.tty = tty
        self.poll = poll
        self.notify = notify

    def review_plan(self, plan: Plan, revision: int) -> Decision:
        return self._wait({"kind": "plan", "step": None, "choices": ["approve", "feedback", "reject"],
                           "revision": revision, "plan": plan.to_dict()},
                          f"the plan ({len(plan.steps)} steps) needs your approval")

    def review_step(self, review: StepReview) -> Decision:
        s = review.step
        return self._wait({
            "kind": "step", "step": s.index, "total": review.total, "title": s.title, "choices": list(review.choices),
            "passed": review.passed, "summary": review.summary, "files": review.files, "diff": review.diff,
            "attempts": review.attempts, "tests_summary": review.tests.summary(),
            "tests_report": (review.tests.report or "")[-20000:],
        }, f"step {s.index}/{review.total} ({s.title}) needs your approval")

    def _wait(self, question: dict[str, Any], what: str) -> Decision:
        question.update(id=secrets.token_hex(6), ts=time.time())
        (self.dir / DECISION_FILE).unlink(missing_ok=True)
        write_json_atomic(self.dir / PENDING_FILE, question)
        self._ring(f"agent session {self.dir.name}: {what}")
        while True:
            answer = read_json(self.dir / DECISION_FILE)
            if answer is not None:
                (self.dir / DECISION_FILE).unlink(missing_ok=True)
                if answer.get("id") == question["id"] and answer.get("decision") in question["choices"]:
                    write_json_atomic(self.dir / ANSWERED_FILE, {"id": question["id"], "decision": answer["decision"]})
                    (self.dir / PENDING_FILE).unlink(missing_ok=True)
                    return Decision(answer["decision"], str(answer.get("feedback") or ""))
            time.sleep(self.poll)

    def _ring(self, message: str) -> None:
        if self.tty:  # the launching terminal: the worker has no controlling terminal of its own
            try:
                with open(self.tty, "w") as fh:
                    fh.write("\a")
            except OSError:
                pass
        if self.notify and shutil.which("notify-send") and (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DBUS_SESSION_BUS_ADDRESS")):
            try:
                subprocess.Popen(["notify-send", "agent", message], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError:
                pass


def decide(session_dir: Path, action: str, feedback: str = "") -> dict[str, Any]:
    """Answer a session's pending question. action: approve | reject | skip; feedback with approve
    asks for changes instead. Returns the pending question answered."""
    pending = read_json(Path(session_dir) / PENDING_FILE)
    sid = Path(session_dir).name
    if pending is None:
        raise UsageError(f"session {sid} is not waiting for an approval", hint=f"`agent show {sid}` says where it is")
    choices = pending["choices"]
    what = "the plan" if pending["kind"] == "plan" else f"step {pending['step']} ({pending.get('title', '')})"
    if action == "approve":
        decision = "feedback" if feedback else "approve"
    elif action == "skip":
        decision = "skip"
    else:
        decision = "reject" if pending["kind"] == "plan" else "quit"
    if decision not in choices:
        if decision == "approve" and pending.get("passed") is False:
            raise UsageError(f"{what} cannot be approved: its tests still fail after {pending.get('attempts')} "
                             f"attempt(s) ({pending.get('tests_summary', '')})",
                             hint=f"`agent approve {sid} --feedback TEXT` to have it fixed, "
                                  f"`agent reject {sid} --skip` to skip the step, or `agent reject {sid}` to stop")
        raise UsageError(f"{what} offers {', '.join(choices)}; {decision} is not one of them")
    write_json_atomic(Path(session_dir) / DECISION_FILE,
                      {"id": pending["id"], "decision": decision, "feedback": feedback, "ts": time.time()})
    return {**pending, "decision": decision}


def wait_taken(session_dir: Path, question_id: str, timeout: float = 15.0) -> bool:
    """True once the worker has taken the answer to `question_id` (its receipt names the question;
    a question left by a process that died is never confirmed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (read_json(Path(session_dir) / ANSWERED_FILE) or {}).get("id") == question_id:
            return True
        time.sleep(0.1)
    return False


def spawn_worker(session_dir: Path, session_id: str, cwd: Path) -> int:
    """Start `python -m agent _worker ID` detached from this terminal; returns its pid."""
    log = open(Path(session_dir) / WORKER_LOG, "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen([sys.executable, "-m", "agent", "_worker", session_id], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    finally:
        log.close()
    return proc.pid


def launch(intent: str, repo, config, *, yes: bool = False, output_patch: Path | None = None) -> str:
    """Record a new session and start its worker; returns the session id at once."""
    from agent.core.driver import new_session_id
    from agent.sessions.state import config_overrides, init_state
    from agent.sessions.store import SessionStore

    store = SessionStore(repo.git_common_dir)
    session_id = new_session_id()
    store.write_meta(session_id, intent=intent, repo=str(repo.root), background=True, status="starting")
    tty = None
    for fd in (0, 1, 2):
        if os.isatty(fd):
            tty = os.ttyname(fd)
            break
    init_state(store.dir(session_id), intent=intent, cwd=Path.cwd(), overrides=config_overrides(config),
               options={"approver": "yes" if yes else "background", "tty": tty,
                        "output_patch": str(output_patch.resolve()) if output_patch else None})
    pid = spawn_worker(store.dir(session_id), session_id, Path.cwd())
    store.write_meta(session_id, pid=pid)
    return session_id


def launch_cli(intent: str, repo, config, *, yes: bool, json_out: bool, output_patch: Path | None) -> int:
    """`agent run -d`: check the model config here (one clear line now, not a dead worker later)."""
    import json

    from agent.model import build_model

    build_model(config, lambda *a, **k: None, session_id="check")
    session_id = launch(intent, repo, config, yes=yes, output_patch=output_patch)
    if json_out:
        print(json.dumps({"session_id": session_id, "status": "started"}), flush=True)
    else:
        print(session_id, flush=True)
        print(f"running in the background: `agent attach {session_id}` to watch, `agent approve {session_id}` "
              f"when it asks", file=sys.stderr)
    return 0
