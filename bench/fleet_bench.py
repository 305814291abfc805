"""Fleet benchmark: 16 scripted tasks, `agent batch --engine local --jobs 2` vs `--engine ray` on a
local Ray cluster (a head and one worker node, 2 CPUs, started with `ray start`).

Reports each engine's total wall time, their ratio, and what each engine adds per task beyond the
sessions' own time (wall - sum of session durations / 2 slots, over the tasks): Ray's overhead per
task is the difference (it includes connecting to the cluster, shipping the task, a fresh clone per
task and the result's way back). The machines have 2 shared cores: read ratios, not scaling.

    python bench/fleet_bench.py [--tasks 16]    (writes bench/results/fleet_bench.json)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fleet.conftest import servers_for, write_tasks  # noqa: E402
from tests.sessions.conftest import user_env  # noqa: E402


def batch(tmp: Path, tasks: Path, name: str, *args: str, env=None) -> tuple[float, list[dict]]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "agent", "batch", str(tasks), "--fleet-dir", str(tmp / name), *args],
                          cwd=tmp, env={**user_env(), **(env or {})}, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    lines = [json.loads(t) for t in proc.stdout.splitlines() if t.startswith("{")]
    if proc.returncode != 0:
        raise SystemExit(f"{name}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return wall, lines


def ray_cluster(tmp: Path) -> tuple[str, dict[str, str]]:
    # A throwaway cluster on 127.0.0.1: Ray's token auth off for it (driver and head agree).
    env = {**os.environ, "RAY_TMPDIR": str(tmp / "ray"), "RAY_AUTH_MODE": "disabled"}
    port = "6391"
    subprocess.run(["ray", "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2", "--object-store-memory=200000000",
                    "--include-dashboard=false", "--disable-usage-stats"], check=True, env=env, capture_output=True)
    return f"127.0.0.1:{port}", env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=16)
    n = ap.parse_args().tasks
    out: dict = {"tasks": n, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        servers = servers_for(n)
        try:
            tasks = write_tasks(tmp, servers)
            local_wall, local = batch(tmp, tasks, "local", "--engine", "local", "--jobs", "2")
            address, env = ray_cluster(tmp)
            try:
                ray_wall, ray = batch(tmp, tasks, "ray", "--engine", "ray", "--address", address,
                                      env={k: env[k] for k in ("RAY_TMPDIR", "RAY_AUTH_MODE")})
            finally:
                subprocess.run(["ray", "stop", "--force"], env=env, capture_output=True)
        finally:
            for s in servers:
                s.stop()
    session = lambda lines: sum(r["duration"] for r in lines) / len(lines)  # noqa: E731
    out.update(local_wall=round(local_wall, 2), ray_wall=round(ray_wall, 2), ratio=round(ray_wall / local_wall, 3),
               wall_difference_per_task=round((ray_wall - local_wall) / n, 3),
               local_mean_task=round(session(local), 2), ray_mean_task=round(session(ray), 2),
               all_done=all(r["status"] == "done" for r in local + ray))
    # The machine is shared: sessions ran at different speeds in the two runs, so the wall-time
    # difference is mostly noise. What each engine adds per task beyond its sessions' own time
    # (two slots each): (wall - sum of session durations / 2) / tasks.
    for name, wall, lines in (("local", local_wall, local), ("ray", ray_wall, ray)):
        out[f"{name}_overhead_per_task"] = round((wall - sum(r["duration"] for r in lines) / 2) / n, 3)
    out["ray_extra_overhead_per_task"] = round(out["ray_overhead_per_task"] - out["local_overhead_per_task"], 3)
    print(json.dumps(out, indent=2))
    (ROOT / "bench" / "results" / "fleet_bench.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
