"""`agent gc` says what it would free (issue 12, item 5): worktree and log sizes, the branch."""

from __future__ import annotations

import json
import re
import time

from agent.sessions import SessionStore
from tests.helpers_git import git, make_repo
from tests.sessions.conftest import cli


def old_session(repo, sid: str, *, merged: bool) -> None:
    wt = repo / ".agent" / "worktrees" / sid
    git(repo, "worktree", "add", "-q", "-b", f"agent/old-{sid}", str(wt))
    (wt / f"{sid}.bin").write_bytes(b"x" * 2_000_000)
    git(wt, "add", "-A")
    git(wt, "commit", "-q", "-m", "work")
    if merged:
        git(repo, "merge", "-q", "--ff-only", f"agent/old-{sid}")
    store = SessionStore(repo / ".git")
    old = time.time() - 30 * 86400
    store.write_meta(sid, intent="old", branch=f"agent/old-{sid}", worktree=str(wt), created=old)
    (store.dir(sid) / "events.jsonl").write_text("\n".join(json.dumps(e) for e in (
        {"type": "commit_created", "ts": old, "sha": "x", "message": "work", "index": 1},
        {"type": "session_finished", "ts": old, "status": "done"})) + "\n")


def test_dry_run_says_what_would_be_freed_then_gc_frees_it(tmp_path):
    repo = make_repo(tmp_path, {"a.txt": "a\n"})
    old_session(repo, "s1", merged=True)
    old_session(repo, "s2", merged=False)
    dry = cli(repo, "gc", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    line = next(x for x in dry.stdout.splitlines() if x.startswith("would remove s1"))
    assert re.search(r"worktree 2\.0 MB, log \d+ B, branch agent/old-s1 \(1 commit\(s\), applied\)", line), line
    assert re.search(r"kept s2: worktree 4\.0 MB, .*never applied", dry.stdout)  # s1.bin came in with the merge
    assert "would free 2.0 MB" in dry.stderr and "1 kept with unapplied work" in dry.stderr
    assert (repo / ".agent" / "worktrees" / "s1").exists()  # a dry run removes nothing

    real = cli(repo, "gc")
    assert real.returncode == 0 and "removed s1 (done): worktree 2.0 MB" in real.stdout
    assert "freed 2.0 MB" in real.stderr
    assert not (repo / ".agent" / "worktrees" / "s1").exists() and (repo / ".agent" / "worktrees" / "s2").exists()
    assert git(repo, "branch", "--list", "agent/*", "--format=%(refname:short)") == "agent/old-s2"
