"""Workspace changes: diff, commit, reset, history; the real index and the person's checkout stay put."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.errors import WorkspaceError
from agent.workspace import Repo
from tests.helpers_git import git, make_repo, write_files

FILES = {"app.py": "a = 1\n", "gone.py": "bye\n", "keep.py": "k = 1\n", ".gitignore": "*.log\n"}


@pytest.fixture
def ws(tmp_path):
    return Repo.find(make_repo(tmp_path, FILES)).create_worktree("chg00001", "changes")


def test_diff_includes_new_files_and_deletions_and_leaves_the_index_alone(ws):
    write_files(ws.root, {"app.py": "a = 2\n", "brand_new.py": "n = 1\n", "run.log": "ignored\n"})
    (ws.root / "gone.py").unlink()
    git(ws.root, "add", "app.py")  # something staged: must stay exactly staged
    status = git(ws.root, "status", "--porcelain")
    index = Path(git(ws.root, "rev-parse", "--path-format=absolute", "--git-path", "index"))
    index_bytes = index.read_bytes()
    diff = ws.diff()
    assert "+++ b/brand_new.py" in diff and "+n = 1" in diff
    assert "deleted file mode" in diff and "--- a/gone.py" in diff
    assert "-a = 1\n+a = 2" in diff
    assert "run.log" not in diff
    assert git(ws.root, "status", "--porcelain") == status
    assert index.read_bytes() == index_bytes
    assert ws.changed_files() == ["app.py", "brand_new.py", "gone.py"]
    assert ws.has_changes()


def test_diff_applies_to_the_base_with_git_apply(ws, tmp_path):
    write_files(ws.root, {"app.py": "a = 2\n", "sub/new.py": "n = 1\n"})
    (ws.root / "gone.py").unlink()
    patch = tmp_path / "p.diff"
    patch.write_text(ws.diff())
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(ws.root), str(clone))
    git(clone, "checkout", "-q", ws.base_commit)
    git(clone, "apply", str(patch))
    assert (clone / "sub/new.py").read_text() == "n = 1\n" and not (clone / "gone.py").exists()


def test_no_changes(ws):
    assert ws.diff() == "" and ws.changed_files() == [] and not ws.has_changes()
    write_files(ws.root, {"x.log": "ignored\n"})
    assert not ws.has_changes()
    with pytest.raises(WorkspaceError, match="nothing to commit"):
        ws.commit("empty")


def test_commit_history_and_combined_diff(ws):
    write_files(ws.root, {"app.py": "a = 2\n", "b.py": "b\n"})
    first = ws.commit("Step 1: app\n\nwhy it changed")
    (ws.root / "gone.py").unlink()
    second = ws.commit("Step 2: remove gone")
    assert not ws.has_changes()
    assert git(ws.root, "rev-parse", "--abbrev-ref", "HEAD") == ws.branch
    assert ws.commits() == [
        {"sha": first, "message": "Step 1: app\n\nwhy it changed", "files": ["app.py", "b.py"]},
        {"sha": second, "message": "Step 2: remove gone", "files": ["gone.py"]},
    ]
    assert ws.files_changed() == ["app.py", "b.py", "gone.py"]
    combined = ws.combined_diff()
    assert "+a = 2" in combined and "--- a/gone.py" in combined and "+++ b/b.py" in combined


def test_commit_uses_the_person_s_identity(ws):
    write_files(ws.root, {"app.py": "a = 3\n"})
    ws.commit("step")
    assert git(ws.root, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == \
        "Test Person <person@example.com>|Test Person <person@example.com>"


def test_commit_falls_back_to_agent_identity_without_git_config(ws, tmp_path, monkeypatch):
    git(ws.root, "config", "--unset", "user.name")
    git(ws.root, "config", "--unset", "user.email")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    write_files(ws.root, {"app.py": "a = 3\n"})
    ws.commit("ci step")
    assert git(ws.root, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == \
        "agent <agent@localhost>|agent <agent@localhost>"


def test_commit_skips_hooks_and_signing(ws):
    hooks = ws.root.parent.parent.parent / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    git(ws.root, "config", "commit.gpgsign", "true")
    write_files(ws.root, {"app.py": "a = 4\n"})
    assert ws.commit("step")


def test_reset_hard_drops_changes_and_untracked_but_keeps_ignored(ws):
    write_files(ws.root, {"app.py": "broken\n", "junk/new.py": "x\n", "cache.log": "keep\n"})
    (ws.root / "gone.py").unlink()
    ws.reset_hard()
    assert (ws.root / "app.py").read_text() == "a = 1\n" and (ws.root / "gone.py").exists()
    assert not (ws.root / "junk").exists()
    assert (ws.root / "cache.log").read_text() == "keep\n"
    assert not ws.has_changes()


def test_apply_diff_smoke(ws):
    if not hasattr(pytest.importorskip("agent.patch"), "apply_patch"):
        pytest.skip("agent.patch is not written yet")
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a = 1\n+a = 5\n"
    result = ws.apply_diff(diff)
    assert result.ok, result.render()
    assert (ws.root / "app.py").read_text() == "a = 5\n"


def test_workspace_git_calls_ignore_a_hook_environment(ws, monkeypatch):
    """Inside a git hook GIT_DIR/GIT_INDEX_FILE are set; they must not redirect our calls."""
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GIT_INDEX_FILE", "/nonexistent/index")
    write_files(ws.root, {"app.py": "a = 6\n"})
    assert ws.changed_files() == ["app.py"]
    assert ws.commit("from a hook") == git(ws.root, "rev-parse", "HEAD")
