"""The person's repository: find it, open session worktrees in it, apply or discard them.

The person's checkout is only ever written by `apply_branch` (which they asked for) and by
`remove_worktree` (which deletes only our own `.agent/worktrees/<id>` directory).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.errors import RepoError, WorkspaceError
from agent.workspace.git import git_env, message, out, run_git, zsplit
from agent.workspace.worktree import Workspace, identity_env

WORKTREES_DIR = Path(".agent") / "worktrees"
EXCLUDE_LINE = ".agent/"
BASE_REFS = "refs/agent-base/"  # refs/agent-base/<branch> -> the commit a session started from
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def slugify(text: str, max_len: int = 40) -> str:
    """Lowercase ascii words joined by '-', cut at a word boundary: 'Migrate auth → argon2!' -> 'migrate-auth-argon2'."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len:
            if not slug:
                slug = word[:max_len]
            break
        slug = candidate
    return slug or "session"


class Repo:
    def __init__(self, root: Path, git_common_dir: Path):
        self.root = root
        self.git_common_dir = git_common_dir

    @classmethod
    def find(cls, cwd: Path) -> Repo:
        cwd = Path(cwd)
        if not cwd.is_dir():
            raise RepoError(f"{cwd}: no such directory")
        proc = run_git(cwd, "rev-parse", "--is-bare-repository", "--is-inside-git-dir", check=False)
        if proc.returncode != 0:
            if b"not a git repository" in proc.stderr:
                raise RepoError(f"{cwd} is not inside a git repository", hint="run `git init` or cd into a repository")
            raise RepoError(f"cannot read the git repository at {cwd}: {message(proc)}")
        bare, inside_git_dir = out(proc).split()
        if bare == "true":
            raise RepoError(f"{cwd} is a bare git repository; run the agent inside a checkout with a working tree")
        if inside_git_dir == "true":
            raise RepoError(f"{cwd} is inside a .git directory; run the agent from the working tree")
        proc = run_git(cwd, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir")
        top, common = out(proc).splitlines()[:2]
        root = Path(top).resolve()
        common_dir = Path(common).resolve()
        if run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).returncode != 0:
            raise RepoError(f"{root} has no commits yet", hint="make a first commit; a session starts from HEAD")
        return cls(root, common_dir)

    # -- reading the person's checkout ------------------------------------------------------

    def head(self) -> str:
        return out(run_git(self.root, "rev-parse", "HEAD")).strip()

    def current_branch(self) -> str | None:
        proc = run_git(self.root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
        return out(proc).strip() or None

    def dirty_files(self) -> list[str]:
        """Uncommitted changes, incl. untracked files that are not ignored."""
        return _status_paths(self.root, untracked=True)

    def branch_exists(self, branch: str) -> bool:
        return run_git(self.root, "show-ref", "--verify", "-q", f"refs/heads/{branch}", check=False).returncode == 0

    # -- session worktrees ------------------------------------------------------------------

    def worktree_path(self, session_id: str) -> Path:
        if not _SESSION_ID.match(session_id or ""):
            raise WorkspaceError(f"invalid session id {session_id!r}")
        return self.root / WORKTREES_DIR / session_id

    def ensure_excluded(self) -> None:
        """Keep `.agent/` out of `git status` in every checkout of this repo (idempotent)."""
        exclude = self.git_common_dir / "info" / "exclude"
        try:
            text = exclude.read_text(encoding="utf-8", errors="surrogateescape") if exclude.exists() else ""
            if any(line.strip() in (".agent/", "/.agent/", ".agent", "/.agent") for line in text.splitlines()):
                return
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with exclude.open("a", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(("" if not text or text.endswith("\n") else "\n") + EXCLUDE_LINE + "\n")
        except OSError as exc:
            raise WorkspaceError(f"cannot update {exclude}: {exc.strerror}") from None

    @contextmanager
    def _worktree_lock(self) -> Iterator[None]:
        """Serialise worktree add/remove: concurrent `git worktree add` calls read each other's
        half-written registrations and fail (seen with four sessions started at once)."""
        lock_path = self.git_common_dir / "agent" / "worktrees.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def create_worktree(self, session_id: str, slug: str) -> Workspace:
        with self._worktree_lock():
            return self._create_worktree(session_id, slug)

    def _create_worktree(self, session_id: str, slug: str) -> Workspace:
        path = self.worktree_path(session_id)
        branch = f"agent/{slugify(slug)}-{session_id[:6]}"
        if self.branch_exists(branch):
            raise WorkspaceError(f"branch {branch} already exists; is session {session_id} already running?")
        if path.exists():
            raise WorkspaceError(f"{path} already exists")
        self.ensure_excluded()
        base = self.head()
        path.parent.mkdir(parents=True, exist_ok=True)
        proc = run_git(self.root, "worktree", "add", "-q", "-b", branch, str(path), base, check=False)
        if proc.returncode != 0:
            if self.branch_exists(branch):  # don't leave a half-made session behind
                run_git(self.root, "branch", "-D", branch, check=False)
            raise WorkspaceError(f"cannot create the session worktree at {path}: {message(proc)}")
        run_git(self.root, "update-ref", BASE_REFS + branch, base)
        return Workspace(path, branch, base)

    def open_worktree(self, session_id: str, branch: str, path: Path, *,
                      base_commit: str | None = None) -> Workspace:
        """Reopen a session's worktree (resume); recreate it from the branch if the directory vanished."""
        with self._worktree_lock():
            return self._open_worktree(branch, Path(path), base_commit)

    def _open_worktree(self, branch: str, path: Path, base_commit: str | None) -> Workspace:
        if not self.branch_exists(branch):
            # A session that made no commits lost its branch and worktree when it ended (nothing was
            # on them); with its base commit the branch is made again, exactly as it was.
            if not base_commit or run_git(self.root, "branch", branch, base_commit, check=False).returncode != 0:
                raise RepoError(f"the session branch {branch} no longer exists; the session cannot be resumed")
            run_git(self.root, "update-ref", BASE_REFS + branch, base_commit)
        if not _is_worktree_of(path, branch):
            if path.exists() and any(path.iterdir()):
                raise WorkspaceError(f"{path} exists but is not the worktree of {branch}")
            run_git(self.root, "worktree", "prune")  # forget the vanished directory's registration
            path.parent.mkdir(parents=True, exist_ok=True)
            proc = run_git(self.root, "worktree", "add", "-q", str(path), branch, check=False)
            if proc.returncode != 0:
                raise WorkspaceError(f"cannot recreate the session worktree at {path}: {message(proc)}")
        if base_commit is None:
            proc = run_git(self.root, "rev-parse", "-q", "--verify", BASE_REFS + branch, check=False)
            base_commit = out(proc).strip()
        if not base_commit:  # no record of where it started: the fork point from the person's HEAD
            base_commit = out(run_git(self.root, "merge-base", "HEAD", branch)).strip()
        return Workspace(path, branch, base_commit)

    def remove_worktree(self, path: Path | None, branch: str | None, delete_branch: bool = True) -> None:
        """Force-remove a session worktree (dir and registration) and, by default, its branch. Idempotent."""
        with self._worktree_lock():
            self._remove_worktree(Path(path) if path else None, branch, delete_branch)

    def _remove_worktree(self, path: Path | None, branch: str | None, delete_branch: bool) -> None:
        if path is not None and path.exists():
            proc = run_git(self.root, "worktree", "remove", "--force", "--force", str(path), check=False)
            if proc.returncode != 0 and path.exists():
                # Not (or no longer) registered: delete it only if it is one of ours.
                if (self.root / WORKTREES_DIR).resolve() not in path.resolve().parents:
                    raise WorkspaceError(f"cannot remove {path}: {message(proc)}")
                shutil.rmtree(path, ignore_errors=True)
        run_git(self.root, "worktree", "prune", check=False)
        if branch and delete_branch:
            if self.branch_exists(branch):
                proc = run_git(self.root, "branch", "-D", branch, check=False)
                if proc.returncode != 0:
                    raise WorkspaceError(f"cannot delete branch {branch}: {message(proc)}")
            run_git(self.root, "update-ref", "-d", BASE_REFS + branch, check=False)

    # -- apply ------------------------------------------------------------------------------

    def apply_branch(self, branch: str) -> dict:
        """Merge `branch` into the current branch (fast-forward when possible); see module docs."""
        into = self.current_branch()
        if into is None:
            raise RepoError("HEAD is detached; check out the branch to apply the session to first")
        if not self.branch_exists(branch):
            raise RepoError(f"no branch named {branch}")
        if into == branch:
            raise RepoError(f"{branch} is the current branch already")
        changed = _status_paths(self.root, untracked=False)
        if changed:
            raise RepoError(f"your checkout has uncommitted changes ({_few(changed)}); commit or stash them first")
        head = self.head()
        tip = out(run_git(self.root, "rev-parse", f"refs/heads/{branch}")).strip()
        count = int(out(run_git(self.root, "rev-list", "--count", f"{head}..{tip}")).strip())
        if count == 0:
            return {"branch": branch, "into": into, "commits": 0, "fast_forward": False, "head": head}
        incoming = zsplit(run_git(self.root, "diff", "--name-only", "-z", "--no-renames",
                                  "--diff-filter=A", head, tip).stdout)
        blocked = [p for p in incoming if os.path.lexists(self.root / p)]
        if blocked:
            raise RepoError(f"untracked files in your checkout would be overwritten by {branch} "
                            f"({_few(blocked)}); move or commit them first")
        fast_forward = run_git(self.root, "merge-base", "--is-ancestor", head, tip, check=False).returncode == 0
        env = git_env(identity_env(self.root))
        proc = run_git(self.root, "merge", "--ff", "--no-edit", "--no-stat", "-m",
                       f"Merge {branch} into {into}", tip, env=env, check=False)
        if proc.returncode != 0:
            conflicts = zsplit(run_git(self.root, "diff", "--name-only", "-z", "--diff-filter=U", check=False).stdout)
            if self.head() == head and (self.git_dir() / "MERGE_HEAD").exists():
                run_git(self.root, "merge", "--abort", check=False)
            if conflicts:
                raise WorkspaceError(f"merging {branch} into {into} conflicts in {_few(conflicts, 10)}; "
                                     "the merge was aborted and your checkout is unchanged",
                                     hint=f"merge it yourself with `git merge {branch}`")
            raise WorkspaceError(f"cannot merge {branch} into {into}: {message(proc)}")
        return {"branch": branch, "into": into, "commits": count, "fast_forward": fast_forward,
                "head": self.head()}

    def git_dir(self) -> Path:
        return Path(out(run_git(self.root, "rev-parse", "--absolute-git-dir")).strip())


def _status_paths(root: Path, *, untracked: bool) -> list[str]:
    proc = run_git(root, "--no-optional-locks", "status", "--porcelain=v1", "-z",
                   "--untracked-files=" + ("all" if untracked else "no"), "--ignore-submodules=none")
    paths: list[str] = []
    entries = zsplit(proc.stdout)
    i = 0
    while i < len(entries):
        entry = entries[i]
        paths.append(entry[3:])
        if entry[0] in "RC":  # renames/copies: the next entry is the source path
            i += 1
        i += 1
    return paths


def _few(paths: list[str], n: int = 5) -> str:
    shown = ", ".join(paths[:n])
    return shown + (f" and {len(paths) - n} more" if len(paths) > n else "")


def _is_worktree_of(path: Path, branch: str) -> bool:
    if not (path / ".git").exists():
        return False
    proc = run_git(path, "symbolic-ref", "-q", "HEAD", check=False)
    return proc.returncode == 0 and out(proc).strip() == f"refs/heads/{branch}"
