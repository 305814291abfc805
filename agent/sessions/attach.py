"""`agent attach`: the live view of a session with the interactive prompts, from any terminal.

Replays the log so far through the terminal renderer, follows it, and when the session asks
(pending.json) shows the same one-key prompt `agent run` shows, writing the answer as
`agent approve` would. Ctrl-C detaches; the session goes on.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from agent.core.plan import Plan, PlanStep, StepReview
from agent.events import Event
from agent.sessions import lock
from agent.sessions.background import DECISION_FILE, PENDING_FILE
from agent.sessions.logview import Tail
from agent.sessions.state import read_json, write_json_atomic


@dataclass
class _Tests:
    """What TerminalApprover.review_step reads of a TestResult."""

    text: str
    report: str

    def summary(self) -> str:
        return self.text


def attach_session(store, sid: str) -> int:
    from agent.cli import ui

    console = ui.make_console()
    renderer = ui.Renderer(console)
    approver = ui.TerminalApprover(console, renderer)
    d = store.dir(sid)
    tail = Tail(d / "events.jsonl")
    asked: set[str] = set()
    gone_since = None
    try:
        while True:
            for e in tail.read():
                if e.get("type") == "session_finished":
                    renderer.stop_status()
                    ui.render_result(console, e)
                    return 0
                renderer(Event.from_dict(e))
            pending = read_json(d / PENDING_FILE)
            if pending and pending["id"] not in asked and sys.stdin.isatty():
                asked.add(pending["id"])
                decision = _ask(approver, pending)
                if read_json(d / PENDING_FILE) == pending:  # nobody answered from elsewhere meanwhile
                    write_json_atomic(d / DECISION_FILE, {"id": pending["id"], "decision": decision.kind,
                                                          "feedback": decision.feedback, "ts": time.time()})
                continue
            if lock.is_running(d):
                gone_since = None
            elif gone_since is None:
                gone_since = time.monotonic()
            elif time.monotonic() - gone_since > 3:  # a worker starting up takes its lock within moments
                renderer.stop_status()
                console.print(f"session {sid} is not running (interrupted); `agent resume {sid}` continues it")
                return 1
            time.sleep(0.2)
    except KeyboardInterrupt:
        renderer.stop_status()
        console.print(f"\ndetached; the session goes on (`agent attach {sid}` to come back)")
        return 0


def _ask(approver, q: dict):
    if q["kind"] == "plan":
        p = q.get("plan") or {"summary": "", "steps": []}
        plan = Plan(p.get("summary", ""), [PlanStep(**s) for s in p.get("steps", [])])
        return approver.review_plan(plan, q.get("revision") or 1)
    step = PlanStep(q["step"], q.get("title", ""), "")
    review = StepReview(step, q.get("total") or 0, q.get("diff", ""), q.get("files") or [],
                        _Tests(q.get("tests_summary", ""), q.get("tests_report", "")), bool(q.get("passed")),
                        q.get("summary", ""), q.get("attempts") or 1)
    return approver.review_step(review)
