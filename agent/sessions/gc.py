"""`agent gc`: which old sessions can go, and what removing each frees (worktree, log, branch)."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.sessions.status import summarize
from agent.workspace.git import run_git


@dataclass
class Candidate:
    session_id: str
    info: dict[str, Any]
    worktree_bytes: int
    log_bytes: int
    unapplied: bool  # the branch has commits HEAD does not contain

    @property
    def bytes(self) -> int:
        return self.worktree_bytes + self.log_bytes


def dir_bytes(path: Path | None) -> int:
    """Bytes of the files under `path` (symlinks not followed); 0 when it is gone."""
    total = 0
    if path is None or not path.is_dir():
        return 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def candidates(repo, store, days: float) -> list[Candidate]:
    """Sessions not running and idle for more than `days`, newest first, with what each holds."""
    found = []
    for sid in store.ids():
        meta = store.meta(sid)
        info = summarize(store, meta)
        idle_days = (time.time() - (info["last_event"] or meta.get("created") or 0)) / 86400
        if info["running"] or idle_days < days:
            continue
        branch = info["branch"]
        unapplied = bool(branch and info["commits"] and repo.branch_exists(branch) and run_git(
            repo.root, "merge-base", "--is-ancestor", f"refs/heads/{branch}", "HEAD", check=False).returncode != 0)
        worktree = Path(info["worktree"]) if info["worktree"] else None
        found.append(Candidate(sid, info, dir_bytes(worktree), dir_bytes(store.dir(sid)), unapplied))
    return found


def describe(c: Candidate, repo) -> str:
    """What removing this session frees, in words."""
    info = c.info
    parts = []
    if info["worktree"] and Path(info["worktree"]).is_dir():
        parts.append(f"worktree {human(c.worktree_bytes)}")
    parts.append(f"log {human(c.log_bytes)}")
    branch = info["branch"]
    if branch and repo.branch_exists(branch):
        n = len(info["commits"] or [])
        state = "never applied" if c.unapplied else "applied" if n else "no commits"
        parts.append(f"branch {branch} ({n} commit(s), {state})")
    return ", ".join(parts)


def remove(c: Candidate, repo, store) -> None:
    info = c.info
    if info["worktree"] or info["branch"]:
        repo.remove_worktree(Path(info["worktree"]) if info["worktree"] else None, info["branch"])
    shutil.rmtree(store.dir(c.session_id), ignore_errors=True)
