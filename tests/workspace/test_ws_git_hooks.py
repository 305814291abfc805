"""Git without hooks and without credentials: real hooks of every kind, in .git/hooks and under a
committed core.hooksPath; none of them runs for any git command the agent runs."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from agent.workspace import Repo
from agent.workspace.git import run_git
from agent.workspace.hookcheck import hook_changes
from tests.helpers_git import commit_all, git, make_repo

HOOKS = ("applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
         "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
         "pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
         "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate",
         "fsmonitor-watchman", "post-index-change")


def install_hooks(directory: Path, log: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        hook = directory / name
        hook.write_text(f'#!/bin/sh\necho "{name} key=$OPENAI_API_KEY" >> "{log}"\nexit 0\n')
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture(params=["git-dir-hooks", "committed-hooks-path"])
def hooked_repo(request, tmp_path):
    log = tmp_path / "hooks.log"
    root = make_repo(tmp_path, {"app.py": "print(1)\n"})
    if request.param == "git-dir-hooks":
        install_hooks(root / ".git" / "hooks", log)
    else:  # the repository uses a committed hooks directory; hooks in it may come from the model
        install_hooks(root / ".githooks", log)
        commit_all(root, "hooks")
        git(root, "config", "core.hooksPath", ".githooks")
    hooks = root / (".git/hooks" if request.param == "git-dir-hooks" else ".githooks")
    git(root, "config", "core.fsmonitor", str(hooks / "fsmonitor-watchman"))  # a command git runs at status
    return root, log


def test_the_hooks_are_real(hooked_repo):
    root, log = hooked_repo
    git(root, "commit", "-q", "--allow-empty", "-m", "plain git runs them")
    assert "post-commit" in log.read_text()  # so an empty log below means ours did not run them


def test_no_hook_runs_for_worktree_commit_merge_and_remove(hooked_repo, monkeypatch):
    root, log = hooked_repo
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    repo = Repo.find(root)
    ws = repo.create_worktree("s1", "hooks")
    (ws.root / "app.py").write_text("print(2)\n")
    (ws.root / "new.py").write_text("x = 1\n")
    ws.commit("a step")
    (root / "other.txt").write_text("person's own commit, so the merge is a real one\n")
    commit_all(root, "person")
    log.unlink(missing_ok=True)
    repo.apply_branch(ws.branch)
    repo.remove_worktree(ws.root, ws.branch)
    assert not log.exists(), log.read_text()
    assert git(root, "log", "-1", "--format=%s").startswith("Merge")


def test_git_sees_no_credentials(tmp_path, monkeypatch):
    root = make_repo(tmp_path)
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY",
                 "MY_SERVICE_PASSWORD", "SSH_AUTH_SOCK"):
        monkeypatch.setenv(name, "leak")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Kept Person")
    env = run_git(root, "-c", "alias.showenv=!env", "showenv").stdout.decode()
    assert "leak" not in env
    assert "GIT_AUTHOR_NAME=Kept Person" in env and "PATH=" in env


def test_a_committed_hook_the_model_made_executable_is_listed_at_apply(tmp_path):
    root = make_repo(tmp_path, {"app.py": "print(1)\n", ".gitattributes": "*.png binary\n", "run.sh": "echo\n"})
    git(root, "config", "core.hooksPath", "tools/hooks")
    git(root, "checkout", "-q", "-b", "agent/x")
    for path in (".githooks/post-merge", ".husky/pre-commit", "tools/hooks/post-checkout", "src/ok.py"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("#!/bin/sh\n")
    os.chmod(root / "run.sh", 0o755)
    (root / ".gitattributes").write_text("*.png binary\n*.py filter=evil diff=evil\n")
    commit_all(root, "model's work")
    git(root, "checkout", "-q", "main")
    lines = hook_changes(root, "HEAD", "refs/heads/agent/x")
    assert "hook location: .githooks/post-merge (added)" in lines
    assert "hook location: .husky/pre-commit (added)" in lines
    assert "hook location: tools/hooks/post-checkout (added)" in lines
    assert "becomes executable: run.sh" in lines
    assert any(line.startswith(".gitattributes: adds '*.py filter=evil") for line in lines)
    assert not any("src/ok.py" in line for line in lines)


def test_no_git_command_bypasses_the_helper():
    agent_dir = Path(__file__).resolve().parents[2] / "agent"
    # subprocess.run(["git", ...]), cmd = ["git", ...], os.system("git ..."), shell strings "git ...".
    raw = re.compile(r"""\[\s*["']git["']\s*[,\]]|(os\.system|os\.popen|os\.exec\w*)\(\s*["']git\b""")
    offenders = [str(p.relative_to(agent_dir)) for p in agent_dir.rglob("*.py")
                 if p.name != "git.py" and raw.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
