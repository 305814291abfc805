"""Reading a session's log as it grows, and one human line per event for `agent log`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class Tail:
    """Complete new events of a growing events.jsonl; a partial last line waits for its end."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.pos = 0

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.pos)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.pos += end + 1
        events = []
        for line in chunk[:end].splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line torn by a crash, followed by a resumed process's lines
        return events


def format_event(e: dict[str, Any]) -> str:
    t = e.get("type", "?")
    return _line(e, t, _detail(t, e))


def _line(e: dict[str, Any], label: str, detail: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.get("ts") or 0))
    return f"{when}  {label:<20} {detail}".rstrip()


class HumanLog:
    """`agent log` for people: one line per event, except that a model call's reasoning, which
    streams in as many model_progress deltas, is one `reasoning` line before the call's end."""

    def __init__(self) -> None:
        self._reasoning: list[str] = []

    def lines(self, e: dict[str, Any]) -> list[str]:
        t = e.get("type")
        if t == "model_progress":
            if e.get("reasoning"):
                self._reasoning.append(str(e["reasoning"]))
            return []
        out = []
        if t == "model_call_finished" and self._reasoning:
            out.append(_line(e, "reasoning", " ".join("".join(self._reasoning).split())))
            self._reasoning = []
        out.append(format_event(e))
        return out


def _detail(t: str, e: dict[str, Any]) -> str:  # noqa: PLR0911 - one case per event type
    if t in ("session_started", "session_resumed"):
        extra = f" remaining steps {e.get('remaining_steps')}" if t == "session_resumed" else ""
        return f"{e.get('intent', '')!r} on {e.get('branch')}{extra}"
    if t == "plan_proposed":
        titles = "; ".join(f"{s['index']}. {s['title']}" for s in e.get("steps", []))
        return f"rev {e.get('revision')}: {e.get('summary', '')} [{titles}]"
    if t == "approval_requested":
        return f"{e.get('kind')} {e.get('step') or ''} ({'/'.join(e.get('choices') or [])})".replace("  ", " ")
    if t == "approval_answered":
        fb = f": {e['feedback']}" if e.get("feedback") else ""
        return f"{e.get('kind')} {e.get('step') or ''} -> {e.get('decision')}{fb}".replace("  ", " ")
    if t in ("step_started",):
        return f"{e.get('index')}/{e.get('total')} {e.get('title')}"
    if t == "step_finished":
        return f"{e.get('index')} {e.get('status')} {(e.get('commit') or '')[:8]} {e.get('summary', '')}"
    if t == "commit_created":
        return f"{(e.get('sha') or '')[:8]} {e.get('message')}"
    if t == "tests_run":
        return f"{'passed' if e.get('passed') else 'FAILED'}: {e.get('summary')} ({e.get('command')})"
    if t == "diff_applied":
        return f"{'ok' if e.get('ok') else 'rejected'}: {', '.join(e.get('files') or []) or e.get('summary', '')}"
    if t == "model_call_finished":
        u = e.get("usage") or {}
        return f"{e.get('role')} {e.get('model')}: {u.get('input_tokens', 0)} in, {u.get('output_tokens', 0)} out"
    if t == "tool_called":
        return f"{e.get('name')} {e.get('arguments', '')}"
    if t == "session_finished":
        return f"{e.get('status')} (exit {e.get('exit_code')}) {e.get('message') or ''}"
    if t in ("warning", "error"):
        return str(e.get("message", ""))
    skip = {"type", "ts"}
    return " ".join(f"{k}={v}" for k, v in e.items() if k not in skip)[:200]
