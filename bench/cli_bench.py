"""Start-up time of `agent --help`, and where the time of a scripted demo session goes.

    python bench/cli_bench.py [--runs N]

Compares in one run (so machine noise hits both sides): `agent --help` against `python -c pass`,
and reports a full `agent demo --yes --json` session: total wall time, time in model calls (the
replay server answering), time in test runs, and the rest: the agent's own overhead.
Writes bench/results/cli.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "cli.md"


def wall(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def demo_breakdown() -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "agent", "demo", "--yes", "--json"], capture_output=True, text=True)
    total = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    model = 0.0
    started = None
    for e in events:
        if e["type"] == "model_call_started":
            started = e["ts"]
        elif e["type"] == "model_call_finished" and started is not None:
            model += e["ts"] - started
            started = None
    # The baseline test run overlaps planning; only the time the loop then waited for it counts.
    tests = sum(e["duration"] for e in events if e["type"] == "tests_run" and not e.get("baseline"))
    plan_ok = next((e["ts"] for e in events if e["type"] == "approval_answered" and e["kind"] == "plan"), None)
    base = next((e for e in events if e["type"] == "tests_run" and e.get("baseline")), None)
    waited = max(0.0, base["ts"] - plan_ok) if base and plan_ok else 0.0
    return {"total": total, "model": model, "tests": tests + waited, "overhead": total - model - tests - waited,
            "baseline": base["duration"] if base else 0.0,
            "calls": sum(1 for e in events if e["type"] == "model_call_finished")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = wall([sys.executable, "-c", "pass"], args.runs)
    helps = wall([sys.executable, "-m", "agent", "--help"], args.runs)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "agent", "--help"], capture_output=True,
                             text=True).stderr
    heavy = [m for m in ("openai", "rich.console", "git", "tree_sitter", "httpx2") if f"| {m}\n" in imports + "\n"
             or f" {m}\n" in imports]
    demo = demo_breakdown()
    lines = [
        "# CLI start-up and demo session",
        "",
        f"Machine: {sys.platform}, Python {sys.version.split()[0]}; median of {args.runs} runs.",
        "",
        "| measure | seconds |",
        "| --- | --- |",
        f"| `python -c pass` | {statistics.median(base):.3f} |",
        f"| `agent --help` | {statistics.median(helps):.3f} |",
        f"| `agent --help` minus interpreter start | {statistics.median(helps) - statistics.median(base):.3f} |",
        "",
        f"Heavy modules imported by `--help`: {', '.join(heavy) or 'none'}",
        "",
        f"`agent demo --yes` ({demo['calls']} model calls, replay server on 127.0.0.1):",
        "",
        "| part | seconds | share |",
        "| --- | --- | --- |",
    ]
    for part in ("model", "tests", "overhead"):
        lines.append(f"| {part} | {demo[part]:.2f} | {demo[part] / demo['total']:.0%} |")
    lines.append(f"| total | {demo['total']:.2f} | 100% |")
    lines += ["", f"The baseline test run ({demo['baseline']:.2f} s) overlaps planning; `tests` counts only the "
              "time the loop waited for it. `overhead` includes Python start-up, the demo's set-up (copying the "
              "sample, git init, starting the replay server), git worktree and commits, and the patch engine."]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
