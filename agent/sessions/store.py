"""Where sessions live: <git common dir>/agent/sessions/<id>/ (follows the repo, never in `git status`).

    events.jsonl   append-only event log, one JSON object per line, fsynced at each state change;
                   a torn last line (crash mid-write) is ignored on read
    meta.json      id, intent, branch, worktree, base commit, created: written atomically
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from agent.atomic import write_json
from agent.errors import RepoError
from agent.events import Event

# Events after which the log is fsynced: the state changes a resume depends on.
DURABLE = {
    "session_started", "plan_proposed", "approval_requested", "approval_answered", "step_started",
    "diff_applied", "tests_run", "commit_created", "step_finished", "model_call_finished", "session_finished",
}


class SessionLog:
    """An event sink appending to events.jsonl."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self._fh.write(event.to_json() + "\n")
        self._fh.flush()
        if event.type in DURABLE:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def read_events(path: Path) -> list[dict[str, Any]]:
    """All complete events; a torn or corrupt line (a crash mid-write) is skipped, never fatal."""
    events = []
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # torn last line
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return events


def repair_torn_tail(path: Path) -> int:
    """Cut a torn last line (a crash mid-write) so the next event starts on a line of its own.

    Only the process holding the session lock may call it (nobody else is writing). Returns the
    bytes cut."""
    try:
        with path.open("rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            keep = 0
            for start in range(size, -1, -65536):  # scan back for the last newline
                lo = max(0, start - 65536)
                fh.seek(lo)
                cut = fh.read(start - lo).rfind(b"\n")
                if cut >= 0:
                    keep = lo + cut + 1
                    break
            fh.truncate(keep)
            os.fsync(fh.fileno())
            return size - keep
    except FileNotFoundError:
        return 0


class SessionStore:
    def __init__(self, git_common_dir: Path):
        self.root = git_common_dir / "agent" / "sessions"

    def dir(self, session_id: str) -> Path:
        return self.root / session_id

    def open_log(self, session_id: str) -> SessionLog:
        return SessionLog(self.dir(session_id) / "events.jsonl")

    def write_meta(self, session_id: str, **meta: Any) -> None:
        d = self.dir(session_id)
        d.mkdir(parents=True, exist_ok=True)
        current = self.meta(session_id) or {"id": session_id, "created": time.time()}
        current.update(meta)
        write_json(d / "meta.json", current, indent=2)

    def meta(self, session_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.dir(session_id) / "meta.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def ids(self) -> list[str]:
        """Session ids, newest first."""
        if not self.root.is_dir():
            return []
        metas = [(m.get("created", 0), m["id"]) for d in self.root.iterdir() if (m := self.meta(d.name))]
        return [sid for _, sid in sorted(metas, reverse=True)]

    def find(self, prefix: str | None) -> dict[str, Any]:
        """The session whose id starts with `prefix`, or the newest one when prefix is None."""
        ids = self.ids()
        if not ids:
            raise RepoError("there are no agent sessions in this repository")
        if prefix is None:
            return self.meta(ids[0])
        matches = [i for i in ids if i.startswith(prefix)]
        if not matches:
            raise RepoError(f"no session {prefix!r}", hint="`agent sessions` lists them")
        if len(matches) > 1:
            raise RepoError(f"session id {prefix!r} is ambiguous: {', '.join(matches)}")
        return self.meta(matches[0])

    def events(self, session_id: str) -> list[dict[str, Any]]:
        return read_events(self.dir(session_id) / "events.jsonl")


def meta_sink(store: SessionStore, session_id: str):
    """Keeps meta.json's branch/worktree/status in step with the log (what `find`/`apply` read)."""

    def sink(event: Event) -> None:
        if event.type in ("session_started", "session_resumed"):
            store.write_meta(session_id, branch=event.data["branch"], worktree=event.data["worktree"],
                             base_commit=event.data["base_commit"], status="running")
        elif event.type == "session_finished":
            store.write_meta(session_id, status=event.data["status"], exit_code=event.data["exit_code"],
                             cost=event.data.get("cost"))

    return sink
