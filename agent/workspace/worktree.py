"""A session's worktree: the only place the model's edits land, committed on the session branch."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from agent.errors import WorkspaceError
from agent.workspace import files
from agent.workspace.git import git_env, out, run_git, zsplit
from agent.workspace.git import message as git_message
from agent.workspace.paths import confine

FALLBACK_NAME = "agent"
FALLBACK_EMAIL = "agent@localhost"
# Diffs meant for people and `git apply`: fixed prefixes whatever diff.noprefix/mnemonicPrefix say.
_DIFF_OPTS = ("--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/")


def identity_env(cwd: Path) -> dict[str, str]:
    """GIT_AUTHOR_*/GIT_COMMITTER_* fallbacks for whatever the person's git config does not set (CI)."""
    env: dict[str, str] = {}
    for key, var, fallback in (("user.name", "NAME", FALLBACK_NAME), ("user.email", "EMAIL", FALLBACK_EMAIL)):
        if out(run_git(cwd, "config", "--get", key, check=False)).strip():
            continue
        for who in ("AUTHOR", "COMMITTER"):
            if not os.environ.get(f"GIT_{who}_{var}"):
                env[f"GIT_{who}_{var}"] = fallback
    return env


class Workspace:
    def __init__(self, root: Path, branch: str, base_commit: str):
        self.root = Path(root)
        self.branch = branch
        self.base_commit = base_commit

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, {self.branch!r}, {self.base_commit[:10]!r})"

    def _git(self, *args: str, **kw) -> str:
        return out(run_git(self.root, *args, **kw))

    # -- the model's read tools -------------------------------------------------------------

    def resolve(self, path: str) -> Path:
        return confine(self.root, path)

    def list_files(self, path: str | None = None, pattern: str | None = None) -> str:
        return files.list_files(self.root, path, pattern)

    def read_file(self, path: str, start_line: int | None = None, end_line: int | None = None) -> str:
        return files.read_file(self.root, path, start_line, end_line)

    def search_code(self, pattern: str, path: str | None = None) -> str:
        return files.search_code(self.root, pattern, path)

    def apply_diff(self, diff: str, syntax_check: bool = True):
        from agent.patch import apply_patch  # written in parallel; imported only when used

        return apply_patch(self.root, diff, syntax_check=syntax_check)

    # -- uncommitted changes ----------------------------------------------------------------

    def diff(self) -> str:
        """Unified diff of everything uncommitted vs HEAD, incl. new untracked files and deletions.

        Stages into a throwaway copy of the index, so the real index is left exactly as it was.
        """
        index = Path(self._git("rev-parse", "--path-format=absolute", "--git-path", "index").strip())
        tmp = tempfile.mkdtemp(prefix="agent-index-")
        try:
            tmp_index = Path(tmp) / "index"
            if index.exists():
                shutil.copyfile(index, tmp_index)  # keeps the stat cache: `add -A` stays fast
            env = git_env({"GIT_INDEX_FILE": str(tmp_index)})
            run_git(self.root, "add", "-A", env=env)
            return out(run_git(self.root, "diff", "--cached", *_DIFF_OPTS, "HEAD", env=env))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def changed_files(self) -> list[str]:
        proc = run_git(self.root, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all")
        paths: list[str] = []
        entries = zsplit(proc.stdout)
        i = 0
        while i < len(entries):
            paths.append(entries[i][3:])
            if entries[i][0] in "RC":  # a rename: the source path follows, and is changed too
                paths.append(entries[i + 1])
                i += 1
            i += 1
        return sorted(set(paths))

    def has_changes(self) -> bool:
        return bool(self.changed_files())

    def commit(self, message: str) -> str:
        run_git(self.root, "add", "-A")
        if run_git(self.root, "diff", "--cached", "--quiet", check=False).returncode == 0:
            raise WorkspaceError("nothing to commit: the step made no changes")
        env = git_env(identity_env(self.root))
        # No hooks (they are the person's tooling, not the session's) and no signing prompts.
        proc = run_git(self.root, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify",
                       "--allow-empty-message", "-F", "-", env=env, check=False,
                       input=message.encode("utf-8"))
        if proc.returncode != 0:
            raise WorkspaceError(f"cannot commit on {self.branch}: {git_message(proc)}")
        return self._git("rev-parse", "HEAD").strip()

    def reset_hard(self) -> None:
        """Drop uncommitted changes incl. untracked files; ignored files (venvs, caches) stay."""
        run_git(self.root, "reset", "-q", "--hard", "HEAD")
        run_git(self.root, "clean", "-fdq")

    # -- the session's history --------------------------------------------------------------

    def commits(self) -> list[dict]:
        raw = run_git(self.root, "log", "-z", "--reverse", "--no-renames", "--format=%x1e%H%x1f%B%x1f",
                      "--name-only", f"{self.base_commit}..HEAD").stdout
        result = []
        for record in raw.decode("utf-8", "replace").split("\x1e")[1:]:
            sha, body, rest = record.split("\x1f", 2)
            names = [n for n in rest.lstrip("\0\n").split("\0") if n]
            result.append({"sha": sha, "message": body.strip(), "files": names})
        return result

    def files_changed(self) -> list[str]:
        return zsplit(run_git(self.root, "diff", "--name-only", "-z", "--no-renames",
                              self.base_commit, "HEAD").stdout)

    def combined_diff(self) -> str:
        return self._git("diff", *_DIFF_OPTS, "--binary", self.base_commit, "HEAD")
