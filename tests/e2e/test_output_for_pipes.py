"""Output for pipes and CI (issue 12, item 6): no wrapping or "…" off a terminal, `-h`
everywhere, whole command descriptions in `agent --help`, `patch apply --json` says `applied`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import agent_cmd, user_env
from tests.helpers_git import git

LONG_URL = "http://localhost:11434/v1/a/rather/long/path/that/a/proxy/might/have/for/its/own/reasons"


def agent(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(agent_cmd(*args), cwd=cwd, env=user_env(**env), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_models_into_a_pipe_keeps_a_long_base_url_whole(tmp_path):
    proc = agent(tmp_path, "models", "--base-url", LONG_URL, COLUMNS="80")
    assert proc.returncode == 0, proc.stderr
    assert LONG_URL in proc.stdout and "…" not in proc.stdout


def test_help_lists_whole_descriptions_and_h_is_help(tmp_path):
    proc = agent(tmp_path, "-h", COLUMNS="80")
    assert proc.returncode == 0 and "…" not in proc.stdout
    squeezed = " ".join(proc.stdout.split())
    assert "Show the resolved model tiers (instant, thinking, pro), their roles, efforts and prices." in squeezed
    assert "Run many tasks (each `agent run --yes --json`, its own session) locally or on Ray; resumable, one budget." in squeezed
    for args in (["run", "-h"], ["patch", "apply", "-h"]):  # every command: test_every_command_takes_h
        sub = agent(tmp_path, *args)
        assert sub.returncode == 0 and sub.stdout.startswith("Usage: agent " + " ".join(args[:-1])), sub.stderr


@pytest.mark.slow
def test_every_command_takes_h(tmp_path):
    listing = agent(tmp_path, "--help").stdout
    commands = re.findall(r"^  (\w+)\s", listing.split("Commands:")[1], re.M)
    assert len(commands) > 10
    for name in commands:
        proc = agent(tmp_path, name, "-h")
        assert proc.returncode == 0 and proc.stdout.startswith(f"Usage: agent {name}"), (name, proc.stderr)


@pytest.mark.slow
def test_json_documents_are_documented_as_such(tmp_path):
    for args in (["models"], ["doctor"], ["map"], ["patch", "apply"]):
        text = " ".join(agent(tmp_path, *args, "-h", COLUMNS="200").stdout.split())
        assert "One JSON document" in text, args


def test_patch_apply_json_says_applied_when_it_applied(tmp_path):
    repo = tmp_path / "work"
    repo.mkdir()
    (repo / "f.txt").write_text("a\nb\n")
    (tmp_path / "p.diff").write_text("--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    checked = json.loads(agent(repo, "patch", "apply", str(tmp_path / "p.diff"), "--check", "--json").stdout)
    assert checked["ok"] and checked["files"][0]["status"] == "not-applied" and (repo / "f.txt").read_text() == "a\nb\n"
    proc = agent(repo, "patch", "apply", str(tmp_path / "p.diff"), "--json")
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["ok"] and result["files"][0]["status"] == "applied"
    assert (repo / "f.txt").read_text() == "a\nc\n"


def test_sessions_into_a_pipe_keep_the_branch_name_on_one_line(calc_repo):
    sid = "0123abcd"
    branch = "agent/a-very-long-intent-that-makes-a-long-branch-name-for-the-table-" + sid[:6]
    git(calc_repo, "branch", branch)
    meta = {"id": sid, "intent": "a very long intent that makes a long branch name for the table",
            "branch": branch, "created": 1.0}
    store = calc_repo / ".git" / "agent" / "sessions" / sid
    store.mkdir(parents=True)
    (store / "meta.json").write_text(json.dumps(meta))
    proc = agent(calc_repo, "sessions", COLUMNS="80")
    assert proc.returncode == 0, proc.stderr
    assert branch in proc.stdout and meta["intent"] in proc.stdout
