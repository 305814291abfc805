"""`agent apply` of a branch where the model added an executable post-merge hook under the
repository's committed core.hooksPath: listed, refused without a terminal, asked at one, and when
merged the hook does not run."""

from __future__ import annotations

import pexpect
import pytest

from agent.testing.replay import ReplayServer
from tests.e2e.conftest import agent_cmd, diff_turn, finish_turn, plan_turn, run_agent, user_env
from tests.helpers_git import commit_all, git

pytestmark = pytest.mark.slow


def new_file(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"


def test_hook_changes_are_listed_refused_asked_and_never_run(calc_repo, tmp_path):
    log = tmp_path / "hook-ran.log"
    (calc_repo / ".githooks").mkdir()
    (calc_repo / ".githooks" / "README").write_text("our hooks\n")
    commit_all(calc_repo, "hooks dir")
    git(calc_repo, "config", "core.hooksPath", ".githooks")
    hook = new_file(".githooks/post-merge", ["#!/bin/sh", f"echo post-merge >> {log}"])
    # The model cannot set a mode through a diff, but a test it wrote runs in the worktree and can.
    chmod_test = new_file("tests/test_mode.py", [
        "import os, pathlib", "", "", "def test_mode():",
        "    os.chmod(pathlib.Path(__file__).parents[1] / '.githooks' / 'post-merge', 0o755)"])
    turns = [plan_turn("Add a hook"), diff_turn(hook + chmod_test), finish_turn("added")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add a hook", "--yes", "--json")
    assert run.code == 0, run.stderr
    branch = run.result["branch"]
    assert git(calc_repo, "ls-tree", branch, ".githooks/post-merge").startswith("100755")
    head = git(calc_repo, "rev-parse", "HEAD")

    refused = run_agent(calc_repo, None, "apply")
    assert refused.code == 2, refused.stderr
    assert "hook location: .githooks/post-merge (added)" in refused.stderr
    assert "becomes executable: .githooks/post-merge" in refused.stderr
    assert "--allow-hook-changes" in refused.stderr
    assert git(calc_repo, "rev-parse", "HEAD") == head

    cmd = agent_cmd("apply")
    child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(calc_repo), env=user_env(TERM="dumb"), encoding="utf-8",
                          timeout=60)
    child.expect(r"\[y\]es \[n\]o")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4 and git(calc_repo, "rev-parse", "HEAD") == head

    merged = run_agent(calc_repo, None, "apply", "--allow-hook-changes")
    assert merged.code == 0, merged.stderr
    assert git(calc_repo, "rev-parse", "HEAD") != head and (calc_repo / ".githooks" / "post-merge").exists()
    assert not log.exists()  # the hook is in place and executable, and our merge did not run it
    # The hook is real: the person's own plain git merge runs it.
    git(calc_repo, "checkout", "-q", "-b", "side")
    git(calc_repo, "commit", "-q", "--allow-empty", "-m", "side")
    git(calc_repo, "checkout", "-q", "main")
    git(calc_repo, "merge", "-q", "--no-edit", "--no-ff", "side")
    assert "post-merge" in log.read_text()
