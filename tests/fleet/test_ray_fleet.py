"""`agent batch --engine ray` on a real local Ray cluster: a head (no CPUs: it only schedules) and
two worker nodes of one CPU each, started once for this module and torn down at its end."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import agent_cmd
from tests.fleet.conftest import comparable, lines_of, servers_for, write_tasks
from tests.sessions.conftest import TURNS, cli, user_env

ray_cluster_utils = pytest.importorskip("ray.cluster_utils", reason="the [ray] extra is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024}


@pytest.fixture(scope="module")
def cluster():
    c = ray_cluster_utils.Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "object_store_memory": 80 * 1024 * 1024, "include_dashboard": False})
    for _ in range(2):
        c.add_node(**NODE)
    c.wait_for_nodes()
    yield c
    c.shutdown()


def ray_batch(cluster, tmp: Path, *args, env=None, timeout=300):
    return cli(tmp, "batch", *args, "--engine", "ray", "--address", cluster.address, env=env, timeout=timeout)


def test_eight_tasks_over_both_nodes_give_the_same_results_as_local(cluster, tmp_path):
    servers = servers_for(8)
    try:
        tasks = write_tasks(tmp_path, servers)
        local = cli(tmp_path, "batch", str(tasks), "--jobs", "2", "--fleet-dir", str(tmp_path / "local"), timeout=300)
        ray = ray_batch(cluster, tmp_path, str(tasks), "--fleet-dir", str(tmp_path / "ray"))
    finally:
        for s in servers:
            s.stop()
    assert local.returncode == 0 and ray.returncode == 0, local.stderr[-2000:] + ray.stderr[-2000:]
    by_local, by_ray = lines_of(local.stdout), lines_of(ray.stdout)
    assert [comparable(r) for r in by_ray] == [comparable(r) for r in by_local]
    assert all(r["status"] == "done" and r["commits"] == 2 for r in by_ray)
    assert len({r["worker"]["node"] for r in by_ray}) == 2  # both worker nodes ran tasks
    for n in range(1, 9):  # the same change, whichever engine made it
        patch = (tmp_path / "ray" / "patches" / f"{n}.patch").read_text()
        assert "def sub" in patch and patch == (tmp_path / "local" / "patches" / f"{n}.patch").read_text()


def _raylet_of(cluster, intent: str):
    """The cluster node whose raylet is an ancestor of the session process running `intent`."""
    raylets = {n.all_processes["raylet"][0].process.pid: n for n in cluster.worker_nodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "agent run" not in cmdline or intent not in cmdline:
            continue
        pid = int(entry.name)
        while pid > 1:
            if pid in raylets:
                return raylets[pid]
            try:
                pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                break
    return None


def test_a_worker_node_lost_during_a_task_runs_it_again_to_completion(cluster, tmp_path):
    (server,) = servers_for(1, gate=1)  # the task's first step request is held: the task is mid-session
    try:
        tasks = write_tasks(tmp_path, [server])
        proc = subprocess.Popen(agent_cmd("batch", str(tasks), "--engine", "ray", "--address", cluster.address,
                                          "--fleet-dir", str(tmp_path / "f")),
                                cwd=tmp_path, env=user_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert server.reached.wait(180), "the task never reached its first step"
        node = _raylet_of(cluster, "(task 0)")
        assert node is not None
        cluster.remove_node(node, allow_graceful=False)
        server.release.set()
        cluster.add_node(**NODE)  # the module's cluster keeps two worker nodes
        out, err = proc.communicate(timeout=300)
    finally:
        server.stop()
    assert proc.returncode == 0, err[-3000:]
    (line,) = lines_of(out)
    assert (line["status"], line["commits"]) == ("done", 2)
    assert server.sessions == 2  # planned once on the lost node, once again on the retry
    assert line["worker"]["node"] != node.node_id


def test_the_fleet_budget_reached_starts_no_new_task(cluster, tmp_path):
    servers = servers_for(3)
    try:
        tasks = write_tasks(tmp_path, servers)
        run = ray_batch(cluster, tmp_path, str(tasks), "--jobs", "1", "--max-tokens", "3000",
                        "--fleet-dir", str(tmp_path / "f"), "--summary-md", str(tmp_path / "summary.md"))
    finally:
        for s in servers:
            s.stop()
    assert run.returncode == 1, run.stderr[-2000:]
    lines = lines_of(run.stdout)
    assert len(lines) == 3, run.stderr[-3000:]
    first, *rest = lines
    assert (first["status"], first["exit_code"]) == ("budget_exceeded", 5)  # its own limit: what was left
    assert [(r["status"], r.get("not_started")) for r in rest] == [("budget_exceeded", True)] * 2
    assert [s.sessions for s in servers] == [1, 0, 0]  # the others never asked the model anything
    summary = (tmp_path / "summary.md").read_text()
    assert "0/3 done" in summary and "3 budget_exceeded" in summary


def test_a_failing_task_makes_the_fleet_fail_with_the_right_lines_and_no_key_is_stored(cluster, tmp_path):
    secret = f"sk-fleet-{time.monotonic_ns()}"
    failing = [TURNS[0], TURNS[1], TURNS[2]]
    servers = servers_for(1) + servers_for(1, turns=failing)
    for s in servers:
        s.script["api_key"] = secret  # the model answers only a worker that got the key through the job's env
    try:
        tasks = write_tasks(tmp_path, servers)
        lines = [json.loads(t) for t in tasks.read_text().splitlines()]
        lines[1]["args"] += ["--test-command", "exit 1", "--max-attempts", "1"]
        tasks.write_text("".join(json.dumps(t) + "\n" for t in lines))
        run = ray_batch(cluster, tmp_path, str(tasks), "--fleet-dir", str(tmp_path / "f"),
                        env=user_env(OPENAI_API_KEY=secret))
    finally:
        for s in servers:
            s.stop()
    assert run.returncode == 1, run.stderr[-2000:]
    assert [(r["id"], r["status"], r["exit_code"], r["commits"]) for r in lines_of(run.stdout)] == [
        ("t0", "done", 0, 2), ("t1", "tests_failed", 3, 0)]
    stored = [p for p in (tmp_path / "f").rglob("*") if p.is_file()]
    assert stored and not [p for p in stored if secret in p.read_text(errors="replace")]
    assert secret not in run.stdout + run.stderr
