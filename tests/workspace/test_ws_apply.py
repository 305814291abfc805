"""apply_branch: merges only when it is safe, and leaves everything as it was when it is not."""

from __future__ import annotations

import pytest

from agent.errors import RepoError, WorkspaceError
from agent.workspace import Repo
from tests.helpers_git import commit_all, git, make_repo, snapshot, write_files


@pytest.fixture
def repo(tmp_path):
    return Repo.find(make_repo(tmp_path, {"app.py": "a = 1\nb = 2\n", "other.py": "o = 1\n"}))


def session(repo, files, sid="apply001"):
    ws = repo.create_worktree(sid, "apply")
    write_files(ws.root, files)
    ws.commit("agent change")
    return ws


def unchanged(repo):
    """Everything the person could notice: files, HEAD, branch, status, no merge in progress."""
    return (snapshot(repo.root), repo.head(), repo.current_branch(), git(repo.root, "status", "--porcelain"),
            (repo.root / ".git" / "MERGE_HEAD").exists())


def test_fast_forward(repo):
    ws = session(repo, {"app.py": "a = 10\nb = 2\n", "new.py": "n = 1\n"})
    write_files(repo.root, {"untracked.txt": "keep me\n"})
    result = repo.apply_branch(ws.branch)
    assert result == {"branch": ws.branch, "into": "main", "commits": 1, "fast_forward": True,
                      "head": git(repo.root, "rev-parse", ws.branch)}
    assert (repo.root / "app.py").read_text() == "a = 10\nb = 2\n"
    assert (repo.root / "new.py").exists() and (repo.root / "untracked.txt").read_text() == "keep me\n"
    assert git(repo.root, "status", "--porcelain") == "?? untracked.txt"


def test_merge_commit_when_the_person_committed_meanwhile(repo):
    ws = session(repo, {"app.py": "a = 10\nb = 2\n"})
    write_files(repo.root, {"other.py": "o = 2\n"})
    mine = commit_all(repo.root, "my own work")
    result = repo.apply_branch(ws.branch)
    assert result["fast_forward"] is False and result["commits"] == 1
    parents = git(repo.root, "rev-list", "--parents", "-n", "1", "HEAD").split()[1:]
    assert parents == [mine, git(repo.root, "rev-parse", ws.branch)]
    assert (repo.root / "app.py").read_text() == "a = 10\nb = 2\n"
    assert (repo.root / "other.py").read_text() == "o = 2\n"


def test_nothing_to_apply(repo):
    ws = repo.create_worktree("empty001", "empty")
    assert repo.apply_branch(ws.branch)["commits"] == 0


def test_refuses_uncommitted_changes_to_tracked_files(repo):
    ws = session(repo, {"app.py": "a = 10\nb = 2\n"})
    write_files(repo.root, {"other.py": "work in progress\n"})  # even an unrelated file
    before = unchanged(repo)
    with pytest.raises(RepoError, match=r"uncommitted changes \(other.py\)"):
        repo.apply_branch(ws.branch)
    assert unchanged(repo) == before


def test_refuses_to_overwrite_untracked_files(repo):
    ws = session(repo, {"new.py": "from the agent\n"})
    write_files(repo.root, {"new.py": "the person's own file\n"})
    before = unchanged(repo)
    with pytest.raises(RepoError, match="would be overwritten.*new.py"):
        repo.apply_branch(ws.branch)
    assert unchanged(repo) == before


def test_refuses_detached_head_and_unknown_branch(repo):
    ws = session(repo, {"app.py": "x\n"})
    with pytest.raises(RepoError, match="no branch named"):
        repo.apply_branch("agent/nope")
    git(repo.root, "checkout", "-q", "--detach")
    before = unchanged(repo)
    with pytest.raises(RepoError, match="detached"):
        repo.apply_branch(ws.branch)
    assert unchanged(repo) == before


def test_conflict_aborts_cleanly_and_names_the_files(repo):
    ws = session(repo, {"app.py": "a = 'agent'\nb = 2\n"})
    write_files(repo.root, {"app.py": "a = 'person'\nb = 2\n"})
    commit_all(repo.root, "conflicting work")
    write_files(repo.root, {"untracked.txt": "stays\n"})
    before = unchanged(repo)
    with pytest.raises(WorkspaceError, match="conflicts in app.py") as exc:
        repo.apply_branch(ws.branch)
    assert "aborted" in str(exc.value)
    assert unchanged(repo) == before
