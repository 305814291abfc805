"""What a fleet shows: progress (a live table on a terminal, JSON lines otherwise), the summary,
`--summary-md`, and the exit code (the statuses and codes of `agent run`)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any


def exit_code(results: list[dict[str, Any]]) -> int:
    """0 when every task is done; 6 when every other one is incomplete; 1 otherwise."""
    rest = [r for r in results if not (r["status"] == "done" and r["exit_code"] == 0)]
    if not rest:
        return 0
    return 6 if all(r["status"] == "incomplete" and r["exit_code"] == 6 for r in rest) else 1


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"tasks": len(results), "statuses": dict(Counter(r["status"] for r in results)),
            "cost": round(sum(float(r.get("cost") or 0) for r in results), 6),
            "tokens": sum(int(r.get("tokens") or 0) for r in results),
            "duration": round(sum(float(r.get("duration") or 0) for r in results), 3)}


def summary_md(results: list[dict[str, Any]], fleet_dir: str, wall: float) -> str:
    t = totals(results)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(t["statuses"].items()))
    rows = ["| task | repo | status | exit | commits | cost | tokens | seconds | note |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in sorted(results, key=lambda r: r["task"]):
        note = str(r.get("message") or "").replace("|", "\\|").replace("\n", " ")[:120]
        rows.append(f"| {r['id']} | {r['repo']} | {r['status']} | {r['exit_code']} | {r['commits']} | "
                    f"{_usd(r.get('cost'))} | {r.get('tokens') or 0} | {r.get('duration') or 0:.1f} | {note} |")
    head = (f"## agent fleet: {t['statuses'].get('done', 0)}/{t['tasks']} done\n\n"
            f"{counts}; cost {_usd(t['cost'])}, {t['tokens']} tokens, {wall:.1f} s wall, "
            f"{t['duration']:.1f} s of task time. Fleet directory: `{fleet_dir}`.\n\n")
    return head + "\n".join(rows) + "\n"


def _usd(value: Any) -> str:
    return "-" if value is None else f"${float(value):.4f}"


class Progress:
    """JSON lines on stdout without a terminal (one per task start and end); a live table on one."""

    def __init__(self, out=None, live: bool | None = None):
        self.out = out or sys.stdout
        self.table = self.out.isatty() if live is None else live
        self._live = None

    def __enter__(self) -> Progress:
        if self.table:
            from rich.live import Live

            self._live = Live(auto_refresh=False, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def event(self, event: dict[str, Any]) -> None:
        if not self.table and event["type"] == "task_finished":
            self.out.write(json.dumps(event["result"], ensure_ascii=False) + "\n")
            self.out.flush()

    def show(self, tasks: list[dict[str, Any]], results: dict[int, dict[str, Any]], running: list[int],
             live_cost: float) -> None:
        if self._live is None:
            return
        from rich.table import Table

        counts = Counter(r["status"] for r in results.values())
        cost = sum(float(r.get("cost") or 0) for r in results.values()) + live_cost
        table = Table(title=f"fleet: {counts.get('done', 0)} done, {len(running)} running, "
                            f"{len(results) - counts.get('done', 0)} not done, "
                            f"{len(tasks) - len(results) - len(running)} waiting; ${cost:.4f} so far")
        for col in ("task", "repo", "status", "commits", "cost"):
            table.add_column(col)
        for t in tasks:
            r = results.get(t["task"])
            status = r["status"] if r else ("running" if t["task"] in running else "waiting")
            table.add_row(t["id"], t["repo"][-40:], status, str(r["commits"]) if r else "", _usd(r.get("cost")) if r else "")
        self._live.update(table, refresh=True)
