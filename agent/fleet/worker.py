"""One task on one worker: obtain the repository, run `agent run --yes --json`, collect the result.

The same code runs in a local thread and inside a Ray task. The session is the real CLI in a
subprocess, so it gets the sandbox, the trust rules and the result object of any run. The child
dies with the worker (PR_SET_PDEATHSIG): a lost Ray node leaves no session behind to race the
retry. A stop request (the fleet budget) is a SIGINT: the run ends as `interrupted`, its
committed steps kept, and its patch still written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.fleet.tasks import is_url
from agent.workspace.git import run_git, run_git_with_credentials

RESULT_FIELDS = ("session_id", "status", "exit_code", "branch", "cost")
STOP_GRACE = 30.0  # seconds a stopped session has to end cleanly before it is killed


def blank_line(task: dict[str, Any]) -> dict[str, Any]:
    return {"task": task["task"], "id": task.get("id", str(task["task"])), "repo": task["repo"],
            "intent": task["intent"], "session_id": None, "status": "error", "exit_code": 1, "branch": None,
            "commits": 0, "cost": None, "tokens": 0, "steps": [], "duration": 0.0, "pushed": False}


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def obtain_repo(task: dict[str, Any], scratch: Path, always_clone: bool) -> Path:
    """The directory the session runs in: the task's path itself (local, no ref), else a clone at its ref."""
    repo = task["repo"]
    if not (always_clone or task.get("ref") or task.get("push") or is_url(repo)):
        return Path(repo)
    dest = scratch / f"task-{task['task']}"
    shutil.rmtree(dest, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    run_git_with_credentials(scratch, "clone", "--quiet", repo, str(dest))
    if task.get("ref"):
        run_git(dest, "checkout", "--quiet", "-B", "agent-fleet-base", task["ref"])
    return dest


def command(task: dict[str, Any], opts: dict[str, Any], patch: Path,
            remaining: dict[str, float | None]) -> tuple[list[str], bool]:
    """The session's command line, and whether the fleet's remaining budget is its tighter limit."""
    fleet_limited = False
    cmd = [sys.executable, "-m", "agent", "run", task["intent"], "--yes", "--json", "--output-patch", str(patch),
           *task.get("args", []), *(opts.get("extra") or [])]
    for key, flag in (("max_cost", "--max-cost"), ("max_tokens", "--max-tokens")):
        limits = [v for v in (task.get(key), remaining.get(key)) if v is not None]
        if limits:  # the tighter of the task's own limit and what is left of the fleet's
            value = min(limits)
            fleet_limited |= remaining.get(key) is not None and value == remaining[key]
            cmd += [flag, str(int(value) if key == "max_tokens" else value)]
    if opts.get("trust_repo_config"):
        cmd.append("--trust-repo-config")
    return cmd, fleet_limited


def _watch(proc: subprocess.Popen, should_stop: Callable[[], bool], timeout: float | None) -> str | None:
    """Wait for the session; SIGINT it when the fleet says stop (or at the task timeout)."""
    started, stopped_at, why = time.monotonic(), None, None
    while proc.poll() is None:
        time.sleep(0.2)
        if stopped_at is None and (should_stop() or (timeout and time.monotonic() - started > timeout)):
            why = "stopped by the fleet budget" if should_stop() else f"timed out after {timeout:g} s"
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGINT)
        elif stopped_at is not None and time.monotonic() - stopped_at > STOP_GRACE:
            proc.kill()
    return why


def _read_events(stream, events: list[dict[str, Any]], report: Callable[[float, int], None]) -> None:
    cost, tokens = 0.0, 0
    for text in stream:
        try:
            event = json.loads(text)
        except json.JSONDecodeError:
            continue
        if not isinstance(event, dict):
            continue
        if event.get("type") == "model_call_finished":
            usage = event.get("usage") or {}
            cost += float(event.get("cost") or 0)
            tokens += int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)
            report(cost, tokens)
        elif event.get("type") == "session_finished":
            events.append(event)


def run_task(task: dict[str, Any], opts: dict[str, Any], *, should_stop: Callable[[], bool] = lambda: False,
             report: Callable[[float, int], None] = lambda cost, tokens: None) -> dict[str, Any]:
    """The task's result line, plus "patch" (the combined diff) and "log" (the session's stderr tail)."""
    line, started = blank_line(task), time.monotonic()
    scratch = Path(opts.get("scratch") or tempfile.gettempdir()) / f"agent-fleet-{os.getpid()}"
    line["worker"] = {"host": os.uname().nodename, "pid": os.getpid()}
    try:
        repo = obtain_repo(task, scratch, bool(opts.get("always_clone")))
    except Exception as exc:  # noqa: BLE001 - a task that cannot start is its own result, never the fleet's end
        line.update(status="error", message=f"could not obtain the repository: {exc}", patch="", log="")
        return line
    patch = scratch / f"task-{task['task']}.patch"
    patch.parent.mkdir(parents=True, exist_ok=True)
    patch.unlink(missing_ok=True)
    try:
        line.update(_session(task, opts, repo, patch, should_stop, report))
        if task.get("push") and line.get("branch") and line.get("commits"):
            line["pushed"] = _push(repo, line)
    finally:
        line["patch"] = patch.read_text(encoding="utf-8", errors="replace") if patch.exists() else ""
        patch.unlink(missing_ok=True)
        if repo != Path(task["repo"]) and not opts.get("keep_scratch"):
            shutil.rmtree(repo, ignore_errors=True)
        line["duration"] = round(time.monotonic() - started, 3)
    return line


def _session(task, opts, repo: Path, patch: Path, should_stop, report) -> dict[str, Any]:
    cmd, fleet_limited = command(task, opts, patch, opts.get("remaining") or {})
    events: list[dict[str, Any]] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        try:
            proc = subprocess.Popen(cmd, cwd=repo, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                    text=True, preexec_fn=_die_with_parent)
        except OSError as exc:
            return {"message": f"could not run the task: {exc}", "log": ""}
        reader = threading.Thread(target=_read_events, args=(proc.stdout, events, report), daemon=True)
        reader.start()
        why = _watch(proc, should_stop, opts.get("timeout"))
        reader.join(10)
        err.seek(0)
        log = err.read()[-20000:]
    out = _outcome(events[-1] if events else None, proc.returncode, why, log)
    out["fleet_budget_spent"] = fleet_limited and out.get("status") == "budget_exceeded"
    return out


def _outcome(result: dict[str, Any] | None, code: int, why: str | None, log: str) -> dict[str, Any]:
    out: dict[str, Any] = {"exit_code": code, "log": log}
    if result is None:  # ended before a session existed (bad repo, config): say why
        out["status"] = "usage_error" if code == 2 else "error"
        out["message"] = why or (log.strip().splitlines() or [""])[-1]
        return out
    out.update({k: result.get(k) for k in RESULT_FIELDS})
    usage = result.get("usage") or {}
    out["tokens"] = int(usage.get("input_tokens") or 0) + int(usage.get("output_tokens") or 0)
    out["commits"] = len(result.get("commits") or [])
    out["exit_code"] = code
    out["steps"] = [s.get("outcome") for s in result.get("steps") or []]
    if out["status"] == "done" and code != 0:  # never report done for a process that says otherwise
        out["status"] = "error"
    if why or result.get("message"):
        out["message"] = why or result["message"]
    out["stopped_by_fleet"] = bool(why and "fleet" in why)
    return out


def _push(repo: Path, line: dict[str, Any]) -> bool:
    """Push the session branch with the worker's own git credentials (none of ours are in the URL)."""
    proc = run_git_with_credentials(repo, "push", "--quiet", "origin", f"{line['branch']}:{line['branch']}",
                                    check=False)
    if proc.returncode != 0:  # the task asked for its branch on the remote: without it the task is not done
        line.update(status="error", exit_code=1)
        line["message"] = f"push failed: {proc.stderr.decode('utf-8', 'replace').strip()[-300:]}"
    return proc.returncode == 0
