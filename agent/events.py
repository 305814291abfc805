"""Everything that happens in a session is an Event.

One list of event types feeds the terminal UI, the `--json` stream and the durable session log,
so what a person sees, what CI parses and what `agent log` replays can never disagree.
An Event is a type name plus a flat JSON-serialisable dict; sinks are plain callables.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The event types, with the fields each carries. Keep this list the single source of truth:
# docs/events.md is generated from it (`python -m agent.events > docs/events.md`; a test fails when
# they drift), and under AGENT_STRICT_EVENTS=1 (set by the test suite) emitting a field that is not
# listed here raises, so the list cannot silently fall behind the code.
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
    "model_call_finished": "role, tier, model, usage{input_tokens, cached_input_tokens, output_tokens, reasoning_tokens}, cost, step_cost, session_cost, session_tokens (the step's and the session's totals so far), truncated (why the reply was cut off, or null)",
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
    "session_finished": "result: every field of the result object, agent.core.driver.RunResult (status, exit_code, session_id, branch, commits, steps, tests, usage, cost, message, ...; see docs/ci.md)",
    "error": "message, kind",
}


_STRICT = os.environ.get("AGENT_STRICT_EVENTS") == "1"


def field_names(type: str) -> list[str]:
    """The top-level field names of an event type, read from its description in EVENT_TYPES:
    'summary, steps[{title, ...}], revision' -> ['summary', 'steps', 'revision']."""
    names, depth, part = [], 0, ""
    for ch in EVENT_TYPES[type] + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            match = re.match(r"\s*([A-Za-z_]\w*)", part)
            if match:
                names.append(match.group(1))
            part = ""
        else:
            part += ch
    return names


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
        if _STRICT and type != "session_finished":
            undocumented = set(data) - set(field_names(type))
            if undocumented:
                raise ValueError(f"event {type!r} carries fields not in agent.events.EVENT_TYPES: "
                                 f"{', '.join(sorted(undocumented))}")
        event = Event(type, data)
        for sink in self._sinks:
            sink(event)
        return event


def json_lines_sink(stream) -> Sink:
    """One JSON object per line, flushed at once (CI reads it as it comes)."""

    def sink(event: Event) -> None:
        stream.write(event.to_json() + "\n")
        stream.flush()

    return sink


def reference() -> str:
    """docs/events.md: every event type and its fields, generated from EVENT_TYPES."""
    lines = [
        "# Events",
        "",
        "Everything that happens in a session is an event: the terminal UI renders them, `--json` prints",
        "them one per line on stdout, and the session log (`.git/agent/sessions/<id>/events.jsonl`, read",
        "by `agent log`) keeps them. Every event has `type` and `ts` (Unix time) besides the fields below.",
        "The last event of every run is `session_finished`, whose fields are the result object",
        "(docs/ci.md).",
        "",
        "This page is generated from `agent/events.py` (`python -m agent.events > docs/events.md`).",
        "",
        "| type | fields |",
        "| --- | --- |",
    ]
    for name, fields in EVENT_TYPES.items():
        lines.append(f"| `{name}` | {fields.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
