"""Temporary git repositories for tests: real git, local identity, nothing from the machine's config.

    from tests.helpers_git import make_repo, git, snapshot
    root = make_repo(tmp_path, {"app.py": "print(1)\\n"})
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in `root` and return stdout (stripped); raises CalledProcessError with stderr shown."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(tmp_path: Path, files: dict[str, str | bytes] | None = None, *, name: str = "repo",
              message: str = "initial", commit: bool = True, branch: str = "main") -> Path:
    """git-init `tmp_path/name`, set a local identity, write `files` and (by default) commit them."""
    root = tmp_path / name
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "user.name", "Test Person")
    git(root, "config", "user.email", "person@example.com")
    git(root, "config", "commit.gpgsign", "false")
    write_files(root, files if files is not None else {"README.md": "hello\n"})
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", message)
    return root.resolve()


def commit_all(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def snapshot(root: Path, skip: tuple[str, ...] = (".git", ".agent")) -> dict[str, bytes]:
    """Every file under root (except .git and .agent) -> its bytes: compare before/after byte for byte."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in skip:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if not (not rel_dir.parts and d in skip)]
        for fn in filenames:
            path = Path(dirpath) / fn
            result[(rel_dir / fn).as_posix()] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return result
