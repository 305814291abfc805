"""A session's status and history, derived from its event log (the source of truth).

    planning | waiting for approval (plan / step k) | running step k of n | done |
    incomplete | failed (<result status>) | interrupted (no process holds the session and it never finished)
"""

from __future__ import annotations

import time
from typing import Any

from agent.sessions import lock
from agent.sessions.state import load_state, read_json

PENDING_FILE = "pending.json"


def _pid_alive(pid: Any) -> bool:
    import os

    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    try:  # a zombie (killed, not yet reaped) is as dead as it gets
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def summarize(store, meta: dict[str, Any]) -> dict[str, Any]:
    """Everything `agent sessions` and `agent show` print about one session."""
    sid = meta["id"]
    d = store.dir(sid)
    events = store.events(sid)
    running = lock.is_running(d)
    if not running and not events and meta.get("background") and _pid_alive(meta.get("pid")):
        running = True  # a background worker that has not taken its lock yet
    info: dict[str, Any] = {
        "id": sid, "intent": meta.get("intent", ""), "branch": meta.get("branch"), "worktree": meta.get("worktree"),
        "base_commit": meta.get("base_commit"), "created": meta.get("created"), "pid": meta.get("pid"),
        "running": running, "discarded": bool(meta.get("discarded")), "background": bool(meta.get("background")),
    }
    plan: dict[str, Any] | None = None
    steps: dict[int, dict[str, Any]] = {}
    commits: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    usage = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0}
    cost, cost_known = 0.0, False
    phase, waiting, current, result, last_ts = "planning", None, None, None, meta.get("created")
    for e in events:
        t = e.get("type")
        last_ts = e.get("ts", last_ts)
        if t in ("session_started", "session_resumed"):
            result = None
            info["branch"] = e.get("branch") or info["branch"]
            info["worktree"] = e.get("worktree") or info["worktree"]
            info["base_commit"] = e.get("base_commit") or info["base_commit"]
            waiting = None
        elif t == "plan_proposed":
            plan = {"summary": e.get("summary", ""), "revision": e.get("revision")}
            steps = {s["index"]: {**s, "status": "pending", "commit": None} for s in e.get("steps", [])}
        elif t == "approval_requested":
            waiting = {"kind": e.get("kind"), "step": e.get("step"), "choices": e.get("choices")}
        elif t == "approval_answered":
            waiting = None
            if e.get("kind") == "plan" and e.get("decision") == "approve":
                phase = "steps"
        elif t == "step_started":
            phase, current = "steps", (e.get("index"), e.get("total"))
            if e.get("index") in steps:
                steps[e["index"]]["status"] = "running"
        elif t == "step_finished":
            if e.get("index") in steps:
                steps[e["index"]].update(status=e.get("status"), commit=e.get("commit"), summary=e.get("summary"))
        elif t == "commit_created":
            commits.append({"step": e.get("index"), "sha": e.get("sha"), "message": e.get("message"),
                            "files": e.get("files", [])})
        elif t == "tests_run" and e.get("full"):
            tests.append({k: e.get(k) for k in ("command", "passed", "summary", "duration", "timed_out")})
        elif t == "model_call_finished":
            for k in usage:
                usage[k] += int((e.get("usage") or {}).get(k) or 0)
            if e.get("cost") is not None:
                cost, cost_known = cost + float(e["cost"]), True
        elif t == "session_finished":
            result = {k: v for k, v in e.items() if k not in ("type", "ts")}
    if plan is not None:
        plan["steps"] = [steps[i] for i in sorted(steps)]
    if not plan and (st := load_state(d)) and (st.get("run") or {}).get("plan"):
        plan = st["run"]["plan"]  # events rotated or lost: the checkpoint still knows the plan
    info.update(plan=plan, commits=commits, tests=tests, usage=usage, cost=round(cost, 6) if cost_known else None,
                result=result, last_event=last_ts)
    info["status"], info["state"] = _status(result, running, waiting, phase, current)
    if info["discarded"]:  # its branch and worktree are gone, whatever its run ended with
        info["status"], info["state"] = "discarded", "discarded"
    info["waiting"] = waiting if info["state"] == "waiting" else None
    if info["state"] == "waiting":
        info["pending"] = read_json(d / PENDING_FILE)
    info["age"] = time.time() - (meta.get("created") or time.time())
    return info


def _status(result, running, waiting, phase, current) -> tuple[str, str]:
    """(what people read, a stable keyword)."""
    if result is not None:
        if result.get("status") == "done":
            return "done", "done"
        if result.get("status") == "incomplete":  # a step skipped or left without its change (exit 6)
            return "incomplete", "failed"
        if result.get("status") == "interrupted":
            return "interrupted", "interrupted"
        return f"failed ({result.get('status')})", "failed"
    if not running:
        return "interrupted", "interrupted"
    if waiting is not None:
        what = "plan" if waiting.get("kind") == "plan" else f"step {waiting.get('step')}"
        return f"waiting for approval ({what})", "waiting"
    if phase == "steps" and current:
        return f"running step {current[0]} of {current[1]}", "running"
    return "planning", "planning"


def fmt_age(seconds: float) -> str:
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"
