"""Repo: finding it, session worktrees, and applying/discarding them, against real git repos."""

from __future__ import annotations

import shutil
import threading

import pytest

from agent.errors import RepoError, WorkspaceError
from agent.workspace import Repo, slugify
from tests.helpers_git import git, make_repo, snapshot, write_files

FILES = {"app.py": "def greet():\n    return 'hi'\n", "lib/util.py": "X = 1\n", ".gitignore": "*.log\n"}


@pytest.fixture
def repo(tmp_path):
    return Repo.find(make_repo(tmp_path, FILES))


def dirty(repo):
    """The person's uncommitted work: a modified tracked file, a new file, an ignored file."""
    write_files(repo.root, {"app.py": "def greet():\n    return 'WIP'\n", "notes.txt": "mine\n", "debug.log": "x\n"})


# -- find -------------------------------------------------------------------------------------

def test_find_from_a_subdirectory(repo):
    found = Repo.find(repo.root / "lib")
    assert found.root == repo.root
    assert found.git_common_dir == repo.root / ".git"
    assert found.current_branch() == "main"
    assert found.head() == git(repo.root, "rev-parse", "HEAD")


@pytest.mark.parametrize("setup, words", [
    (lambda p: p, "not inside a git repository"),
    (lambda p: (git(p, "init", "-q", "--bare"), p)[1], "bare"),
    (lambda p: (git(p, "init", "-q"), p)[1], "no commits"),
    (lambda p: (git(p, "init", "-q"), p / ".git")[1], ".git directory"),
])
def test_find_refuses_with_one_clear_line(tmp_path, setup, words):
    where = tmp_path / "x"
    where.mkdir()
    with pytest.raises(RepoError) as exc:
        Repo.find(setup(where))
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_dirty_files_lists_changes_and_untracked_but_not_ignored(repo):
    assert repo.dirty_files() == []
    dirty(repo)
    (repo.root / "lib" / "util.py").unlink()
    assert sorted(repo.dirty_files()) == ["app.py", "lib/util.py", "notes.txt"]


def test_slugify():
    assert slugify("Migrate auth to Argon2!") == "migrate-auth-to-argon2"
    assert slugify("  ÜBER  café -- déjà vu ") == "ber-caf-d-j-vu"
    assert slugify("!!!") == "session"
    long = slugify("refactor " * 20)
    assert len(long) <= 40 and not long.endswith("-")


# -- create -----------------------------------------------------------------------------------

def test_create_worktree_leaves_the_checkout_and_its_uncommitted_work_alone(repo):
    dirty(repo)
    before, status = snapshot(repo.root), git(repo.root, "status", "--porcelain")
    index_before = (repo.root / ".git" / "index").read_bytes()
    ws = repo.create_worktree("a1b2c3d4e5", "Migrate auth to argon2")
    assert ws.branch == "agent/migrate-auth-to-argon2-a1b2c3"
    assert ws.root == repo.root / ".agent" / "worktrees" / "a1b2c3d4e5"
    assert ws.base_commit == repo.head()
    # The session starts from HEAD: the person's WIP is not in it.
    assert (ws.root / "app.py").read_text() == FILES["app.py"]
    assert not (ws.root / "notes.txt").exists()
    write_files(ws.root, {"app.py": "changed by the agent\n", "new.py": "n = 1\n"})
    ws.commit("agent step")
    assert snapshot(repo.root) == before
    assert git(repo.root, "status", "--porcelain") == status  # .agent/ is invisible
    assert (repo.root / ".git" / "index").read_bytes() == index_before
    assert repo.current_branch() == "main"
    assert git(repo.root, "show", f"{ws.branch}:app.py") == "changed by the agent"
    assert "notes.txt" not in git(repo.root, "ls-tree", "-r", "--name-only", ws.branch)


def test_exclude_line_added_once_keeping_existing_lines(repo):
    exclude = repo.git_common_dir / "info" / "exclude"
    exclude.write_text("# mine\n*.bak")  # no trailing newline
    repo.create_worktree("s1aaaaaa", "one")
    repo.create_worktree("s2bbbbbb", "two")
    assert exclude.read_text() == "# mine\n*.bak\n.agent/\n"


def test_sessions_can_be_created_concurrently(repo):
    errors, spaces = [], []

    def create(i):
        try:
            spaces.append(repo.create_worktree(f"sess{i}xyz", f"task {i}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({ws.branch for ws in spaces}) == 4
    assert all((ws.root / "app.py").exists() for ws in spaces)


def test_create_refuses_an_existing_session(repo):
    repo.create_worktree("dupdup01", "x")
    with pytest.raises(WorkspaceError, match="already exists"):
        repo.create_worktree("dupdup01", "x")
    with pytest.raises(WorkspaceError, match="invalid session id"):
        repo.create_worktree("../escape", "x")


# -- open / remove ----------------------------------------------------------------------------

def test_open_worktree_recreates_a_vanished_directory(repo):
    ws = repo.create_worktree("resume01", "resume me")
    write_files(ws.root, {"step.py": "done = True\n"})
    sha = ws.commit("step one")
    shutil.rmtree(ws.root)
    again = repo.open_worktree("resume01", ws.branch, ws.root)
    assert again.base_commit == ws.base_commit
    assert (again.root / "step.py").read_text() == "done = True\n"
    assert git(again.root, "rev-parse", "HEAD") == sha
    assert [c["message"] for c in again.commits()] == ["step one"]
    # And an intact worktree opens as it is.
    assert repo.open_worktree("resume01", ws.branch, ws.root).root == ws.root


def test_open_worktree_without_the_branch_is_a_repo_error(repo):
    ws = repo.create_worktree("gone0001", "gone")
    repo.remove_worktree(ws.root, ws.branch)
    with pytest.raises(RepoError, match="no longer exists"):
        repo.open_worktree("gone0001", ws.branch, ws.root)


def test_remove_worktree_deletes_dir_registration_and_branch(repo):
    dirty(repo)
    before = snapshot(repo.root)
    ws = repo.create_worktree("remove01", "remove")
    write_files(ws.root, {"scratch.txt": "uncommitted\n"})
    repo.remove_worktree(ws.root, ws.branch)
    assert not ws.root.exists()
    assert not repo.branch_exists(ws.branch)
    assert str(ws.root) not in git(repo.root, "worktree", "list")
    assert snapshot(repo.root) == before
    repo.remove_worktree(ws.root, ws.branch)  # idempotent


def test_remove_worktree_can_keep_the_branch(repo):
    ws = repo.create_worktree("keep0001", "keep")
    repo.remove_worktree(ws.root, ws.branch, delete_branch=False)
    assert not ws.root.exists() and repo.branch_exists(ws.branch)
