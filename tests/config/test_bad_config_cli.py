"""Bad configuration through the real CLI: exit 2, one line per problem naming file, key and what is
allowed, and nothing created (no branch, no worktree, no session directory)."""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.conftest import CALC, CALC_TESTS, agent_cmd, user_env
from tests.helpers_git import git, make_repo, snapshot


def repo_with(tmp_path, files):
    return make_repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS,
                                "pyproject.toml": "[project]\nname='calc'\nversion='0'\n", **files})


def run(tmp_path, root, *args):
    env = user_env(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    return subprocess.run(agent_cmd(*args), cwd=root, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def assert_nothing_created(root, before):
    assert git(root, "branch", "--list") == "* main"
    assert len(git(root, "worktree", "list").splitlines()) == 1
    assert not (root / ".git" / "agent").exists()
    assert snapshot(root) == before


@pytest.mark.parametrize("files, flags, where, key, allowed", [
    ({".agent.toml": 'effort = "ultra"\n'}, [], ".agent.toml", "effort", "one of none"),
    ({".agent.toml": "effort = { plan = \"ultra\" }\n"}, [], ".agent.toml", "effort.plan", "one of none"),
    ({"pyproject.toml": "[tool]\nagent = 5\n"}, [], "pyproject.toml", "tool.agent", "a table"),
    ({".agent.toml": 'baseline_tests = "no"\n'}, [], ".agent.toml", "baseline_tests", "true or false"),
    ({".agent.toml": 'max_attempts = "three"\n'}, [], ".agent.toml", "max_attempts", "an integer >= 1"),
    ({}, ["--max-cost", "-1"], "--max-cost", "", "a number > 0"),
    ({}, ["--max-tokens", "0"], "--max-tokens", "", "an integer >= 1"),
])
def test_bad_config_stops_before_anything_exists(tmp_path, files, flags, where, key, allowed):
    root = repo_with(tmp_path, files)
    before = snapshot(root)
    proc = run(tmp_path, root, "run", "--yes", "do it", "--base-url", "http://127.0.0.1:9/v1", *flags)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert where in lines[0] and (not key or f": {key}: " in lines[0]) and allowed in lines[0], lines
    assert_nothing_created(root, before)


def test_effort_high_in_dot_agent_toml_is_accepted(tmp_path):
    root = repo_with(tmp_path, {".agent.toml": 'effort = "high"\n'})
    proc = run(tmp_path, root, "models", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, says", [
    (["map", "calc.py"], "calc.py: not a directory"),
    (["map", "/nonexistent-dir"], "/nonexistent-dir: no such directory"),
    (["map", "--budget", "0"], "--budget 0: must be an integer >= 1"),
    (["patch", "apply", "latin1.diff"], "latin1.diff: not UTF-8 text"),
])
def test_other_commands_refuse_bad_input_in_one_line(tmp_path, args, says):
    root = repo_with(tmp_path, {})
    (root / "latin1.diff").write_bytes(b"--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-x\n+caf\xe9\n")
    before = snapshot(root)
    proc = run(tmp_path, root, *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agent: error: ") and says in lines[0], lines
    assert snapshot(root) == before


def test_models_says_which_repository_settings_are_not_in_effect(tmp_path):
    root = repo_with(tmp_path, {".agent.toml": 'base_url = "http://127.0.0.1:9/v1"\nmodel = "theirs"\n'})
    proc = run(tmp_path, root, "models", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "127.0.0.1:9" not in proc.stdout and "theirs" in proc.stdout  # model needs no trust
    assert "not using base_url" in proc.stderr
