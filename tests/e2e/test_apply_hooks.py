"""Hooks the model creates under the repository's configured core.hooksPath (post-commit,
reference-transaction, post-merge, ...) run neither at the session's own commits nor at `agent
apply`, which lists them, refuses without a terminal and asks at one."""

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
    names = ("post-merge", "post-commit", "pre-commit", "reference-transaction", "post-checkout")
    hooks = "".join(new_file(f".githooks/{name}", ["#!/bin/sh", f"echo {name} >> {log}"]) for name in names)
    # The model cannot set a mode through a diff, but a test it wrote runs in the worktree and can;
    # the step's own commit then happens with these hooks in place under the configured hooksPath.
    chmod_test = new_file("tests/test_mode.py", [
        "import os, pathlib", "", "", "def test_mode():",
        "    for hook in (pathlib.Path(__file__).parents[1] / '.githooks').iterdir():",
        "        os.chmod(hook, 0o755)"])
    turns = [plan_turn("Add a hook"), diff_turn(hooks + chmod_test), finish_turn("added")]
    with ReplayServer({"turns": turns}) as server:
        run = run_agent(calc_repo, server, "run", "add a hook", "--yes", "--json")
    assert run.code == 0, run.stderr
    branch = run.result["branch"]
    assert git(calc_repo, "ls-tree", branch, ".githooks/post-commit").startswith("100755")
    assert not log.exists()  # not at the step's commit, nor at worktree add/remove
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
