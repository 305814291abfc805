"""`agent batch TASKS.jsonl --jobs N`: the same kind of work over many intents or repositories.

Each line of TASKS.jsonl is {"intent": "...", "repo": "path (optional, relative to the file)",
"args": ["--max-cost", "2", ...] (optional)}. Each task runs as its own `agent run --yes --json`
process (its own session), at most N at a time; one result line per task is written as each
one ends. Each task's status is its run's (`done` only when every step was committed or needed no
change and the tests passed); the batch exits 0 only if every task is `done`, 6 when the others
are all `incomplete`, else 1 (see batch_exit_code).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agent.errors import UsageError

RESULT_FIELDS = ("session_id", "status", "exit_code", "branch", "commits", "cost")


def read_tasks(path: Path) -> list[dict[str, Any]]:
    tasks = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{n}: not JSON: {exc}") from None
        if not isinstance(task, dict) or not isinstance(task.get("intent"), str) or not task["intent"].strip():
            raise UsageError(f"{path}:{n}: each task needs an \"intent\" string")
        if not isinstance(task.get("args", []), list):
            raise UsageError(f"{path}:{n}: \"args\" must be a list of strings")
        repo = Path(task.get("repo") or ".")
        task["repo"] = str(repo if repo.is_absolute() else (Path(path).parent / repo).resolve())
        tasks.append(task)
    if not tasks:
        raise UsageError(f"{path}: no tasks")
    return tasks


def run_task(n: int, task: dict[str, Any], extra: list[str], timeout: float | None) -> dict[str, Any]:
    line: dict[str, Any] = {"task": n, "repo": task["repo"], "intent": task["intent"], "session_id": None,
                            "status": "error", "exit_code": 1, "branch": None, "commits": 0, "cost": None}
    cmd = [sys.executable, "-m", "agent", "run", task["intent"], "--yes", "--json",
           *[str(a) for a in task.get("args", [])], *extra]
    try:
        proc = subprocess.run(cmd, cwd=task["repo"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        line["message"] = f"could not run the task: {exc}"
        return line
    line["exit_code"] = proc.returncode
    result = None
    for text in proc.stdout.splitlines():
        try:
            event = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("type") == "session_finished":
            result = event
    if result is None:  # ended before a session existed (bad repo, config): say why
        line["status"] = "usage_error" if proc.returncode == 2 else "error"
        line["message"] = (proc.stderr.strip().splitlines() or [""])[-1]
        return line
    line.update({k: result.get(k) for k in RESULT_FIELDS})
    line["commits"] = len(result.get("commits") or [])
    line["exit_code"] = proc.returncode
    line["steps"] = [s.get("outcome") for s in result.get("steps") or []]
    if line["status"] == "done" and proc.returncode != 0:  # never report done for a process that says otherwise
        line["status"] = "error"
    if result.get("message"):
        line["message"] = result["message"]
    return line


def run_batch(path: Path, jobs: int, *, extra: list[str] | None = None, timeout: float | None = None,
              out=None) -> int:
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    tasks = read_tasks(path)
    out = out or sys.stdout
    lock = threading.Lock()
    results: list[dict[str, Any]] = []

    def one(n: int, task: dict[str, Any]) -> None:
        line = run_task(n, task, extra or [], timeout)
        with lock:
            results.append(line)
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for f in [pool.submit(one, n, t) for n, t in enumerate(tasks, 1)]:
            f.result()
    done = [r for r in results if r["status"] == "done" and r["exit_code"] == 0]
    print(f"batch: {len(done)}/{len(results)} task(s) done", file=sys.stderr)
    return batch_exit_code(results)


def batch_exit_code(results: list[dict[str, Any]]) -> int:
    """0 when every task is done; 6 when every other one is incomplete (a step skipped or left
    without its change, as for one run); 1 otherwise."""
    rest = [r for r in results if not (r["status"] == "done" and r["exit_code"] == 0)]
    if not rest:
        return 0
    return 6 if all(r["status"] == "incomplete" and r["exit_code"] == 6 for r in rest) else 1
