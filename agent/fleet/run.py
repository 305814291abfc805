"""A fleet run: tasks to an executor while the one budget allows, results to the fleet directory.

The budget is the fleet's: cost and tokens of finished tasks plus what the running ones reported
so far. Each task starts with the tighter of its own limit and what is left; when the fleet's
limit is reached no task starts (those left are `budget_exceeded`, not started) and the running
ones are stopped cleanly (SIGINT: `interrupted`, committed steps kept, patch written).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from agent.errors import UsageError
from agent.fleet.report import Progress, exit_code, summary_md, totals
from agent.fleet.state import FleetDir
from agent.fleet.tasks import read_tasks

POLL = 0.5  # seconds between looks at the running tasks


def new_fleet(tasks_file: Path, fleet_dir: Path | None, options: dict[str, Any]) -> FleetDir:
    tasks = read_tasks(tasks_file)
    root = fleet_dir or Path.cwd() / f"agent-fleet-{time.strftime('%Y%m%d-%H%M%S')}"
    return FleetDir.create(root, tasks, options)


def make_engine(options: dict[str, Any]):
    if options["engine"] == "local":
        from agent.fleet.local import LocalEngine

        return LocalEngine(options["jobs"] or 2)
    if options["engine"] == "ray":
        from agent.fleet.ray_engine import RayEngine

        return RayEngine(options.get("address"), options.get("jobs"), options.get("env") or [])
    raise UsageError(f"--engine {options['engine']}: choose local or ray")


class Budget:
    def __init__(self, max_cost: float | None, max_tokens: int | None):
        self.max_cost, self.max_tokens = max_cost, max_tokens

    def spent(self, results, live) -> tuple[float, int]:
        cost = sum(float(r.get("cost") or 0) for r in results.values()) + sum(c for c, _ in live.values())
        tokens = sum(int(r.get("tokens") or 0) for r in results.values()) + sum(t for _, t in live.values())
        return cost, tokens

    def reached(self, results, live) -> bool:
        cost, tokens = self.spent(results, live)
        return bool((self.max_cost is not None and cost >= self.max_cost)
                    or (self.max_tokens is not None and tokens >= self.max_tokens))

    def remaining(self, results, live) -> dict[str, float | None]:
        cost, tokens = self.spent(results, live)
        return {"max_cost": None if self.max_cost is None else round(self.max_cost - cost, 6),
                "max_tokens": None if self.max_tokens is None else self.max_tokens - tokens}


def run_fleet(fleet: FleetDir, *, out=None, summary_file: Path | None = None, live: bool | None = None) -> int:
    options, tasks = fleet.options(), fleet.tasks()
    results = fleet.finished()  # on --resume: what is already done stays done
    todo = [t for t in tasks if t["task"] not in results]
    budget = Budget(options.get("max_cost"), options.get("max_tokens"))
    started_at = time.monotonic()
    print(f"fleet: {fleet.root} ({len(todo)} of {len(tasks)} task(s) to run, engine {options['engine']})",
          file=sys.stderr)
    engine = make_engine(options) if todo else None
    progress = Progress(out, live)
    interrupted = False
    try:
        with progress:
            _drive(engine, fleet, todo, results, budget, options, progress, tasks)
    except KeyboardInterrupt:  # Ctrl-C: running sessions end cleanly and are recorded; the rest stays to resume
        interrupted = True
        _collect_stopped(engine, fleet, results, progress)
    finally:
        if engine is not None:
            engine.close()
    if interrupted:
        print(f"fleet: interrupted; continue with: agent batch --resume {fleet.root}", file=sys.stderr)
        return 130
    final = [results[t["task"]] for t in tasks]
    wall = time.monotonic() - started_at
    if summary_file:
        Path(summary_file).write_text(summary_md(final, str(fleet.root), wall), encoding="utf-8")
    t = totals(final)
    print(f"batch: {t['statuses'].get('done', 0)}/{t['tasks']} task(s) done; cost ${t['cost']:.4f}, "
          f"{t['tokens']} tokens, {wall:.1f} s; fleet directory {fleet.root}", file=sys.stderr)
    return exit_code(final)


def _drive(engine, fleet: FleetDir, todo, results, budget: Budget, options, progress: Progress, tasks) -> None:
    task_opts = {k: options.get(k) for k in ("timeout", "trust_repo_config", "extra", "scratch")}
    stopped = False
    while todo or (engine and engine.running()):
        live = engine.live() if engine.running() else {}
        spent = any(r.get("fleet_budget_spent") for r in results.values())  # a task stopped at what was left
        if not stopped and (spent or budget.reached(results, live)):
            stopped = True
            engine.stop_all()
            fleet.progress({"type": "fleet_budget_reached", "spent": budget.spent(results, live)})
        while todo and not stopped and len(engine.running()) < engine.capacity:
            task = todo.pop(0)
            engine.start(task, {**task_opts, "remaining": budget.remaining(results, live)})
            fleet.progress({"type": "task_started", "task": task["task"], "at": time.time()})
        if stopped:
            for task in todo:
                _finish(fleet, results, progress, _not_started(task))
            todo = []
        for line in engine.finished(POLL):
            _finish(fleet, results, progress, line)
        progress.show(tasks, results, engine.running(), sum(c for c, _ in live.values()))


def _collect_stopped(engine, fleet: FleetDir, results, progress: Progress) -> None:
    from agent.fleet.worker import STOP_GRACE

    if engine is None:
        return
    engine.stop_all()
    deadline = time.monotonic() + STOP_GRACE + 5
    while engine.running() and time.monotonic() < deadline:
        for line in engine.finished(POLL):
            line["stopped_by_fleet"] = True  # stopped by the person: run again on resume
            _finish(fleet, results, progress, line)


def _finish(fleet: FleetDir, results, progress: Progress, line: dict[str, Any]) -> None:
    line = fleet.record(line)
    results[line["task"]] = line
    event = {"type": "task_finished", "task": line["task"], "result": line}
    fleet.progress(event)
    progress.event(event)


def _not_started(task: dict[str, Any]) -> dict[str, Any]:
    from agent.fleet.worker import blank_line

    return {**blank_line(task), "status": "budget_exceeded", "exit_code": 5, "not_started": True,
            "message": "not started: the fleet budget was reached"}
