"""The fleet directory: a driver killed mid-fleet, then `--resume DIR` runs only what was left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.e2e.conftest import agent_cmd
from tests.fleet.conftest import lines_of, servers_for, write_tasks
from tests.sessions.conftest import cli, user_env


@pytest.mark.slow
def test_a_killed_driver_leaves_a_fleet_that_resume_finishes_running_only_what_was_left(tmp_path):
    servers = servers_for(3)
    fleet = tmp_path / "fleet"
    try:
        tasks = write_tasks(tmp_path, servers)
        driver = subprocess.Popen(agent_cmd("batch", str(tasks), "--jobs", "1", "--fleet-dir", str(fleet)),
                                  cwd=tmp_path, env=user_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not (fleet / "status" / "1.json").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        while servers[1].sessions == 0 and time.monotonic() < deadline:  # task 2 is under way
            time.sleep(0.1)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)
        assert sorted(p.name for p in (fleet / "status").glob("*.json")) == ["1.json"]
        run = cli(tmp_path, "batch", "--resume", str(fleet), timeout=180)
    finally:
        for s in servers:
            s.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    assert "2 of 3 task(s) to run" in run.stderr
    assert [r["task"] for r in lines_of(run.stdout)] == [2, 3]  # task 1 was not run again
    assert [s.sessions for s in servers] == [1, 2, 1]  # task 2: the killed attempt and the resumed one
    statuses = [json.loads((fleet / "status" / f"{n}.json").read_text())["status"] for n in (1, 2, 3)]
    assert statuses == ["done"] * 3
    again = cli(tmp_path, "batch", "--resume", str(fleet))
    assert again.returncode == 0 and "0 of 3 task(s) to run" in again.stderr


def test_task_files_are_checked_before_anything_runs_and_payloads_carry_no_environment(tmp_path, monkeypatch):
    from agent.errors import UsageError
    from agent.fleet.ray_engine import forwarded_env
    from agent.fleet.tasks import read_tasks

    path = tmp_path / "tasks.jsonl"
    for bad, why in (('{"intent": "x", "max_cost": -1}', "max_cost"), ('{"intent": "x", "pushh": true}', "pushh"),
                     ('{"intent": "x", "push": "yes"}', "push"), ('{"repo": "r"}', "intent")):
        path.write_text(bad + "\n")
        with pytest.raises(UsageError, match=why):
            read_tasks(path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-payload-secret")
    path.write_text('{"intent": "x", "repo": "https://example.invalid/r.git", "ref": "v1", "push": true}\n'
                    '{"intent": "y", "repo": "sub"}\n')
    tasks = read_tasks(path)
    assert [t["repo"] for t in tasks] == ["https://example.invalid/r.git", str(tmp_path / "sub")]
    assert "sk-payload-secret" not in json.dumps(tasks)
    assert forwarded_env([])["OPENAI_API_KEY"] == "sk-payload-secret"  # the job's env, by name


def test_resume_of_something_that_is_no_fleet_is_a_usage_error(tmp_path):
    run = cli(tmp_path, "batch", "--resume", str(tmp_path))
    assert run.returncode == 2 and "not a fleet directory" in run.stderr


@pytest.mark.slow
def test_a_task_at_a_ref_runs_in_a_clone_and_pushes_its_branch_leaving_the_source_checkout_alone(tmp_path):
    from tests.helpers_git import git

    (server,) = servers_for(1)
    try:
        tasks = write_tasks(tmp_path, [server])
        source = tmp_path / "repo0"
        base = git(source, "rev-parse", "HEAD").strip()
        git(source, "commit", "-q", "--allow-empty", "-m", "later")  # the task asks for the commit before it
        line = json.loads(tasks.read_text())
        tasks.write_text(json.dumps({**line, "ref": base, "push": True}) + "\n")
        run = cli(tmp_path, "batch", str(tasks), "--fleet-dir", str(tmp_path / "f"), timeout=180)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    (result,) = lines_of(run.stdout)
    assert result["pushed"] is True and result["commits"] == 2
    assert git(source, "rev-parse", f"refs/heads/{result['branch']}~2").strip() == base  # on the ref, pushed back
    assert git(source, "status", "--porcelain") == ""
    assert "def sub" in (tmp_path / "f" / "patches" / "1.patch").read_text()
