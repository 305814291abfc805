"""`agent batch`: the thin entry to fleets (agent/fleet/, docs/fleets.md), kept for its old callers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.errors import UsageError
from agent.fleet.report import exit_code as batch_exit_code
from agent.fleet.run import new_fleet, run_fleet
from agent.fleet.state import FleetDir
from agent.fleet.tasks import read_tasks

__all__ = ["batch_exit_code", "read_tasks", "run_batch", "start_batch"]


def start_batch(tasks_file: Path | None, resume: Path | None, options: dict[str, Any], fleet_dir: Path | None,
                **show) -> int:
    if resume is not None:
        if tasks_file is not None:
            raise UsageError("give either TASKS.jsonl or --resume DIR, not both")
        return run_fleet(FleetDir.open(resume), **show)
    if tasks_file is None:
        raise UsageError("give TASKS.jsonl (or --resume DIR)")
    if options["engine"] == "local" and (options.get("jobs") or 2) < 1:
        raise UsageError("--jobs must be at least 1")
    return run_fleet(new_fleet(tasks_file, fleet_dir, options), **show)


def run_batch(path: Path, jobs: int, *, timeout: float | None = None, **show) -> int:
    options = {"engine": "local", "jobs": jobs, "timeout": timeout}
    return start_batch(Path(path), None, options, None, **show)
