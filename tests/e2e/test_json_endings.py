"""Every `--json` command ends with a JSON object on stdout, whatever ended it: a bad flag, a
missing key, bad config, not a repository (issue 12, item 3)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import agent_cmd, user_env
from tests.helpers_git import git


def agent(cwd: Path, *args: str, env: dict | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(agent_cmd(*args), cwd=cwd, env=env or user_env(), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def last_json(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    assert lines, "nothing on stdout"
    return json.loads(lines[-1])


def assert_untouched(repo: Path) -> None:
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", "agent/*") == ""
    assert not (repo / ".agent").exists()


@pytest.mark.parametrize("args, expect", [
    (["--bogus"], "No such option: --bogus"),
    (["--max-steps", "many"], "Invalid value for '--max-steps'"),
    ([], "Missing argument"),
])
def test_bad_flags_end_with_a_usage_error_result(calc_repo, args, expect):
    intent = [] if not args else ["add sub"]
    code, out, err = agent(calc_repo, "run", "--json", "--yes", *intent, *args)
    result = last_json(out)
    assert code == 2 and result["exit_code"] == 2
    assert result["type"] == "session_finished" and result["status"] == "usage_error"
    assert expect in result["message"] and expect in err
    assert result["session_id"] is None and result["branch"] is None
    assert_untouched(calc_repo)


def test_no_key_ends_with_a_usage_error_result_and_creates_nothing(calc_repo):
    env = user_env()
    del env["OPENAI_API_KEY"]
    code, out, err = agent(calc_repo, "run", "--json", "--yes", "add sub", env=env)
    result = last_json(out)
    assert code == 2 and result["status"] == "usage_error"
    assert "OPENAI_API_KEY" in result["message"] and "OPENAI_API_KEY" in err
    assert result["intent"] == "add sub"
    assert_untouched(calc_repo)


def test_outside_a_repository_ends_with_a_usage_error_result(tmp_path):
    code, out, err = agent(tmp_path, "run", "--json", "--yes", "add sub")
    result = last_json(out)
    assert code == 2 and result["status"] == "usage_error"
    assert "not inside a git repository" in result["message"]


def test_bad_config_ends_with_a_usage_error_result(calc_repo):
    (calc_repo / ".agent.toml").write_text("model = [unclosed\n")
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "config")
    code, out, err = agent(calc_repo, "run", "--json", "--yes", "add sub")
    result = last_json(out)
    assert code == 2 and result["status"] == "usage_error"
    assert ".agent.toml" in result["message"]
    assert_untouched(calc_repo)


def test_other_json_commands_end_with_an_error_object(tmp_path):
    code, out, _ = agent(tmp_path, "sessions", "--json")
    assert code == 2 and last_json(out) == {"status": "usage_error", "exit_code": 2,
                                            "message": last_json(out)["message"]}
    assert "not inside a git repository" in last_json(out)["message"]
    code, out, _ = agent(tmp_path, "models", "--json", "--nope")
    assert code == 2 and last_json(out)["status"] == "usage_error"


def test_without_json_stdout_stays_empty_on_an_error(tmp_path):
    code, out, err = agent(tmp_path, "run", "--yes", "add sub")
    assert code == 2 and out == "" and err.startswith("agent: error:")


@pytest.mark.slow
def test_ctrl_c_at_the_trust_prompt_still_ends_with_a_result(calc_repo):
    import pexpect

    (calc_repo / ".agent.toml").write_text('test_command = "python -m pytest -q"\n')
    git(calc_repo, "add", "-A")
    git(calc_repo, "commit", "-qm", "config")
    cmd = agent_cmd("run", "--json", "add sub", "--base-url", "http://127.0.0.1:9/v1", "--model", "replay")
    child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(calc_repo), env=user_env(TERM="dumb"), encoding="utf-8",
                          timeout=60)
    child.expect(r"\[t\]rust")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    result = json.loads(next(line for line in child.before.splitlines() if line.startswith("{")))
    assert child.exitstatus == 130 and result["status"] == "interrupted" and result["intent"] == "add sub"
    assert_untouched(calc_repo)


def test_the_demo_without_a_terminal_is_refused_before_it_makes_anything(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code, out, err = agent(tmp_path, "demo", "--json", env=user_env(TMPDIR=str(scratch)))
    result = last_json(out)
    assert code == 2 and result["status"] == "needs_approval" and "--yes" in result["message"]
    assert "--background" not in err  # the demo has no such option
    assert list(scratch.iterdir()) == []  # no demo repository was made
