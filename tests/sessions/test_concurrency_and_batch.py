"""Two sessions at once in one repository; `agent batch` with a failing task among passing ones."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import CALC, CALC_TESTS
from tests.helpers_git import git, make_repo
from tests.sessions.conftest import (
    FAST_TESTS,
    INTENT,
    TURNS,
    branch_fingerprint,
    cli,
    result_of,
    server_args,
    spawn,
    user_env,
)

pytestmark = pytest.mark.slow

FILES = {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS, "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}


def test_two_sessions_at_once_in_one_repository(repo, reference):
    with ReplayServer({"turns": TURNS}) as one, ReplayServer({"turns": TURNS}) as two:
        procs = [spawn(repo, "run", INTENT, "--yes", "--json", "--test-command", FAST_TESTS, *server_args(s))
                 for s in (one, two)]
        for p in procs:
            assert p.wait(120) == 0, p.out_path.read_text()[-3000:]
    results = [result_of(p.out_path.read_text()) for p in procs]
    assert results[0]["session_id"] != results[1]["session_id"]
    assert results[0]["branch"] != results[1]["branch"]
    for r in results:
        assert branch_fingerprint(repo, r["branch"]) == reference
    listed = json.loads(cli(repo, "sessions", "--json").stdout)
    assert sorted(s["status"] for s in listed) == ["done", "done"]
    assert git(repo, "status", "--porcelain") == ""  # the person's checkout saw none of it


def test_batch_reports_each_task_and_fails_if_one_fails(tmp_path):
    repos = [make_repo(tmp_path, FILES, name=f"repo{i}") for i in range(3)]
    failing = [TURNS[0], TURNS[1], TURNS[2]]  # step 1's tests fail (see --test-command below): exit 3
    servers = [ReplayServer({"turns": t}).start() for t in (TURNS, failing, TURNS)]
    try:
        tasks = tmp_path / "tasks.jsonl"
        lines = [
            {"intent": INTENT, "repo": "repo0", "args": ["--test-command", FAST_TESTS, *server_args(servers[0])]},
            {"intent": INTENT, "repo": str(repos[1]), "args": ["--test-command", "exit 1", "--max-attempts", "1",
                                                               *server_args(servers[1])]},
            {"intent": INTENT, "repo": "repo2", "args": ["--test-command", FAST_TESTS, *server_args(servers[2])]},
        ]
        tasks.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n# a comment\n")
        run = cli(tmp_path, "batch", str(tasks), "--jobs", "2", timeout=180)
    finally:
        for s in servers:
            s.stop()
    assert run.returncode == 1, run.stderr
    results = sorted((json.loads(line) for line in run.stdout.splitlines()), key=lambda r: r["task"])
    assert [r["task"] for r in results] == [1, 2, 3]
    assert [(r["status"], r["exit_code"], r["commits"]) for r in results] == [
        ("done", 0, 2), ("tests_failed", 3, 0), ("done", 0, 2)]
    for r, repo in zip(results, repos, strict=True):
        assert r["repo"] == str(repo) and r["intent"] == INTENT and r["session_id"] and r["branch"]
        assert set(r) >= {"task", "repo", "intent", "session_id", "status", "exit_code", "branch", "commits", "cost"}
    assert "2/3" in run.stderr


def test_batch_of_passing_tasks_exits_0_and_bad_files_are_usage_errors(tmp_path):
    make_repo(tmp_path, FILES, name="only")
    with ReplayServer({"turns": TURNS}) as server:
        tasks = tmp_path / "tasks.jsonl"
        tasks.write_text(json.dumps({"intent": INTENT, "repo": "only",
                                     "args": ["--test-command", FAST_TESTS, *server_args(server)]}) + "\n")
        run = cli(tmp_path, "batch", str(tasks), "--jobs", "1", timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"repo": "only"}\n')
    run = cli(tmp_path, "batch", str(bad))
    assert run.returncode == 2 and "intent" in run.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys, runpy; sys.argv = ['agent', '--help']\n"
            "try:\n    runpy.run_module('agent', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('rich', 'openai', 'git') if m in sys.modules))")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=user_env(), cwd=Path.cwd())
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_batch_task_left_without_its_change_is_incomplete_never_done(tmp_path):
    make_repo(tmp_path, FILES, name="only")
    plan = TURNS[0]  # plans the same steps as the passing tasks; then finishes step 1 without a change
    finish = {"tool_calls": [{"name": "finish_step", "arguments": {"summary": "done"}}]}
    with ReplayServer({"turns": [plan, finish, finish, finish]}) as server:
        tasks = tmp_path / "tasks.jsonl"
        tasks.write_text(json.dumps({"intent": INTENT, "repo": "only",
                                     "args": ["--test-command", FAST_TESTS, *server_args(server)]}) + "\n")
        run = cli(tmp_path, "batch", str(tasks), "--jobs", "1", timeout=120)
    assert run.returncode == 6, run.stderr
    (line,) = [json.loads(text) for text in run.stdout.splitlines()]
    assert (line["status"], line["exit_code"], line["commits"]) == ("incomplete", 6, 0)
    assert line["steps"][0] == "failed" and "0/1 task(s) done" in run.stderr
