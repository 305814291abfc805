"""The task file: one JSON object a line, read and checked before anything runs.

    {"intent": "...",                 required
     "repo": "path or git URL",       optional: a path relative to the file, or a URL the worker can clone
     "ref": "main",                   optional: the commit, branch or tag the worker checks out
     "push": false,                   optional: push the session branch to the task's remote
     "max_cost": 2.0, "max_tokens": N, optional: this task's own limits
     "id": "name",                    optional: how reports name the task (default: its number)
     "args": ["--max-steps", "3"]}    optional: more `agent run` options

A task's payload (what an executor is given) is the task line and nothing else: no environment,
no keys (model keys reach workers through the environment of the Ray job, by name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import UsageError

FIELDS = {"intent", "repo", "ref", "push", "max_cost", "max_tokens", "id", "args"}
URL_PREFIXES = ("http://", "https://", "ssh://", "git://", "file://", "git@")


def is_url(repo: str) -> bool:
    return repo.startswith(URL_PREFIXES)


def read_tasks(path: Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None
    tasks = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            task = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{n}: not JSON: {exc}") from None
        tasks.append(check_task(task, f"{path}:{n}", Path(path).parent))
    if not tasks:
        raise UsageError(f"{path}: no tasks")
    for n, task in enumerate(tasks, 1):
        task["task"] = n
        task.setdefault("id", str(n))
    return tasks


def check_task(task: Any, where: str, base: Path) -> dict[str, Any]:
    if not isinstance(task, dict) or not isinstance(task.get("intent"), str) or not task["intent"].strip():
        raise UsageError(f"{where}: each task needs an \"intent\" string")
    unknown = sorted(set(task) - FIELDS)
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(FIELDS))})")
    args = task.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, (str, int, float)) for a in args):
        raise UsageError(f"{where}: \"args\" must be a list of strings")
    for key in ("max_cost", "max_tokens"):
        value = task.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise UsageError(f"{where}: \"{key}\" must be a positive number")
    if not isinstance(task.get("push", False), bool):
        raise UsageError(f"{where}: \"push\" must be true or false")
    for key in ("ref", "id"):
        if key in task and not isinstance(task[key], str):
            raise UsageError(f"{where}: \"{key}\" must be a string")
    repo = str(task.get("repo") or ".")
    if not is_url(repo):
        path = Path(repo)
        repo = str(path if path.is_absolute() else (base / path).resolve())
    return {**task, "repo": repo, "args": [str(a) for a in args]}
