"""Everything that happens in a session is an Event.

One list of event types feeds the terminal UI, the `--json` stream and the durable session log,
so what a person sees, what CI parses and what `agent log` replays can never disagree.
An Event is a type name plus a flat JSON-serialisable dict; sinks are plain callables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The event types, with the fields each carries. Keep this list the single source of truth:
# docs/events.md is generated from it and tests check every emitted type is listed here.
EVENT_TYPES: dict[str, str] = {
    "session_started": "session_id, intent, branch, worktree, base_commit, repo",
    "warning": "message",
    "instructions_loaded": "files",
    "plan_proposed": "summary, steps[{title, description, files}], revision, estimate{model_calls, input_tokens, output_tokens, cost, model} (rough; null when the model cannot tell)",
    "approval_requested": "kind (plan|step), step (index or null), choices",
    "approval_answered": "kind, step, decision (approve|feedback|reject|skip|quit), feedback",
    "step_started": "index, total, title",
    "attempt_started": "index, attempt, max_attempts, role, tier",
    "model_call_started": "role, tier, model, effort",
    "model_progress": "tier, output_tokens, reasoning (summary delta, optional), tool (optional)",
    "model_call_finished": "role, tier, model, usage{input_tokens, cached_input_tokens, output_tokens, reasoning_tokens}, cost, truncated (why the reply was cut off, or null)",
    "model_retry": "reason, attempt, wait_seconds",
    "tier_switched": "from_tier, to_tier, reason",
    "context_compacted": "tokens_before, tokens_after, method",
    "tool_called": "name, arguments (abridged)",
    "tool_result": "name, ok, summary",
    "diff_applied": "files, ok, summary",
    "mcp_server_started": "name, transport (stdio|http), tools (names offered)",
    "mcp_server_failed": "name, reason, required (bool), phase (start|run)",
    "mcp_tool_approval": "name, server, tool, decision (approved|denied), asked (bool), reason",
    "hook_ran": "event (pre_tool|post_tool|step_end|session_end), command, tool, outcome (ok|deny|context|failed|timeout), exit_code, duration, reason",
    "tests_run": "command, passed, exit_code, duration, counts, summary, report (abridged), timed_out, failing, structured (bool: per-test results were read), tests_run, collection_errors, stopped_early, full (bool), baseline (bool: the run before any change), scope (baseline|affected|full, at finish_step), verdict (at finish_step: passed, new_failures, preexisting_failures, missing, unverified, reasons, tests_run)",
    "dependencies_installed": "manager (pip|npm|setup_command), ok, packages (name==version), message, output (on failure)",
    "step_finished": "index, status (committed|no_change_needed|skipped|failed|quit), commit, summary, usage, cost",
    "commit_created": "index, sha, message, files",
    "session_resumed": "session_id, intent, branch, worktree, base_commit, repo, planned, remaining_steps, rolled_back",
    "session_finished": "the result object (status, exit_code, branch, commits, files_changed, tests, usage, cost)",
    "error": "message, kind",
}


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "ts": round(self.ts, 3), **self.data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        d = dict(d)
        return cls(type=d.pop("type"), ts=d.pop("ts", 0.0), data=d)


Sink = Callable[[Event], None]


class EventBus:
    """Fans every event out to the sinks registered; a sink that raises is a bug, not data."""

    def __init__(self, *sinks: Sink):
        self._sinks: list[Sink] = list(sinks)

    def subscribe(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def emit(self, type: str, **data: Any) -> Event:
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}; add it to agent.events.EVENT_TYPES")
        event = Event(type, data)
        for sink in self._sinks:
            sink(event)
        return event


class Recorder:
    """A sink that keeps events in memory (tests, the final result)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of_type(self, type: str) -> list[Event]:
        return [e for e in self.events if e.type == type]


def json_lines_sink(stream) -> Sink:
    """One JSON object per line, flushed at once (CI reads it as it comes)."""

    def sink(event: Event) -> None:
        stream.write(event.to_json() + "\n")
        stream.flush()

    return sink
